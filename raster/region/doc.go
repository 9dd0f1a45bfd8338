// Package region turns binary change masks into connected regions and
// polygons, in a way that does not depend on how the scene was tiled.
//
// A region is a set of pixels given as horizontal runs ([Run]) in scene pixel
// coordinates: x grows to the right, y grows downwards, and the run
// {Y, X0, X1} covers the pixels (X0, Y) … (X1-1, Y). Connectivity is always
// 4-connectivity: two pixels are neighbours when they share an edge, never
// when they only share a corner.
//
// The intended flow is:
//
//  1. each tile labels the change mask of its core window (no halo) with
//     [Label], passing the window offset so that runs are in scene
//     coordinates;
//  2. a final stage joins the regions of all tiles across the seams with
//     [Merge];
//  3. each merged region is outlined with [Trace] ([Stitch] does 2 and 3).
//
// Every output is canonical: it depends only on the set of pixels, never on
// how the scene was split into tiles or on the order of the inputs, so one
// tile and many tiles give byte-identical results. Runs are canonical when
// sorted by (Y, X0) with no two runs of a row touching or overlapping
// ([Canonical]); lists of regions are ordered by their first run; polygon
// rings start at their smallest vertex (smallest Y, then smallest X).
//
// Polygons are in pixel-corner coordinates (pixel (x, y) covers
// [x, x+1]×[y, y+1]); apply the geotransform to get map coordinates. With
// y down, exterior rings have a negative shoelace area and holes a positive
// one, which becomes the RFC 7946 right-hand rule after a north-up
// geotransform flips y.
//
// The package is pure Go (standard library and orb only) and builds with
// CGO_ENABLED=0. All functions are safe for concurrent use; none of them
// retains or modifies its arguments.
package region
