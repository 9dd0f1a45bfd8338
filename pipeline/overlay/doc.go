// Package overlay computes, for change patches (图斑), the area of their
// intersection with the polygons of zone layers (耕地, 永久基本农田, 生态保护红线,
// 批准用地, patrol zones, townships): per zone feature, and for the union of the
// layer, in m² in the patch's Gauss-Krüger or UTM zone.
//
// # Areas
//
// All geometries are WGS84/CGCS2000 longitude/latitude (orb.Point{lon, lat}).
// For each patch the zone is geodesy.ZoneFor of its centroid; the patch and
// every zone feature near it are projected into that zone with
// geodesy.Zone.Forward, vertex by vertex, and all areas are planar areas of
// the projected polygons with straight edges, exactly as geodesy.Area
// computes the area of one polygon. So the figures reconcile: the layer's
// covered area never exceeds the patch area, and a patch inside one feature
// is covered to the last bit.
//
// # Algorithm
//
// Areas are computed by a vertical-slab (trapezoid) sweep instead of by
// building clipped polygons. The x coordinates of all vertices within the
// patch's x range, plus those of the edge crossings found on the way, cut the
// plane into slabs in which no two edges cross. Within a slab the edges are
// straight segments ordered bottom to top, and the region between two
// consecutive edges is a trapezoid whose area is the slab width times the
// difference of the edges' heights at the middle of the slab. Walking up the
// edges while keeping a winding number per polygon tells, for every
// trapezoid, whether it lies inside the patch and which features contain it;
// its area then counts towards the patch area, towards every such feature
// (Hit.AreaM2) and, once, towards the covered area (Result.Covered), which is
// therefore the area of patch ∩ union(layer) however the features overlap.
//
// No intersection polygon is ever built, so the degenerate cases of real data
// (shared and collinear overlapping edges, vertices on edges, identical
// polygons, polygons that only touch) need no special case: coincident edges
// bound trapezoids of zero height, vertical edges bound slabs of zero width,
// and the winding numbers stay right whatever the order of coincident edges.
// Rings may come in either orientation: each ring's own orientation is
// measured, and exterior rings count +1 and holes −1, so a point is inside a
// polygon or multipolygon when its winding number is positive.
//
// Covered is computed in the same walk: a trapezoid inside the patch counts
// once towards Covered as soon as at least one feature's winding number is
// positive there, however many features overlap it. It is thus the area of
// patch ∩ union(layer) without building the union, it never exceeds AreaM2
// (the same non-negative terms, a subset of them, summed in the same order),
// and it equals AreaM2 bit for bit when the patch lies inside one feature.
//
// # Cost
//
// A Layer keeps its vertices in flat arrays and the features' lon/lat boxes
// in a static packed Hilbert R-tree (built in O(n log n), about 40 bytes per
// feature). For a patch, the candidate features are those whose box meets
// the patch's; their vertices are projected once per patch (shared corners
// of neighbouring parcels once in all), and the sweep costs about (number of
// slabs) × (edges per slab), a few tens of microseconds for a typical patch
// against a 耕地 layer. Features with more than 64 vertices (townships,
// patrol zones, 生态保护红线 polygons) are instead projected once per zone
// on first use and get an R-tree over their projected edges, so a patch
// only reads the edges in its vertical strip.
//
// # Limitations
//
// Geometries must not cross the antimeridian. Self-intersecting rings and
// holes outside their exterior ring are not rejected; such a polygon counts
// as the region where its winding number is positive. Two edges that swap
// order by less than a nanometre within a slab are taken as touching, which
// misreads at most a nanometre times the slab width.
package overlay
