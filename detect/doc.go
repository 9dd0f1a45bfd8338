// Package detect implements the three stages of change detection over an
// imagery pair: Ingest (validate, align onto one grid, sample the scene and
// compute its statistics once), Tile (classify one tile window with its halo
// and return its change regions) and Finalize (merge regions across tile
// seams, apply the minimum mapping unit, trace polygons and compute the
// patches' attributes). The embedded executor and the distributed workers
// call exactly these functions, so both give the same patches.
package detect
