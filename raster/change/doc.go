// Package change holds the per-pixel change-detection kernels of weipian:
// IR-MAD radiometric normalisation, change measures, scene-wide thresholds,
// cloud and shadow masks, the change classes and the morphological clean-up.
//
// It is pure Go (no GDAL): windows of band values come in as float32 planes
// and class maps and connected regions go out. Every kernel gives the same
// value for a pixel whatever window it was computed in, as long as the window
// reaches Params.Halo pixels beyond it; this is what makes tiled processing
// seamless.
package change
