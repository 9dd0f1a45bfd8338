package raster

// #cgo pkg-config: gdal
// #include <gdal.h>
import "C"

// BlockCacheBytes is the size of GDAL's block cache in this process
// (GDAL_CACHEMAX, read when GDAL first uses it).
func BlockCacheBytes() int64 {
	register()
	return int64(C.GDALGetCacheMax64())
}
