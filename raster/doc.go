// Package raster is the only part of weipian that talks to GDAL (through
// godal): opening and validating imagery, aligning a pair onto one grid,
// windowed reads, Cloud-Optimized GeoTIFF writing, coordinate transforms and
// vector layer reading and writing. It returns plain values (float32 bands,
// orb geometries) so that nothing outside it needs cgo.
//
// Datasets are not safe for concurrent use: open one per goroutine.
package raster
