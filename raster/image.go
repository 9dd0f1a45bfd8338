package raster

import (
	"fmt"

	"github.com/airbusgeo/godal"
)

// ReadImage reads every band of a (possibly un-georeferenced) raster as
// float32 planes. For small images only (labels, test fixtures).
func ReadImage(path string) (planes [][]float32, w, h int, err error) {
	register()
	ds, err := godal.Open(path, godal.RasterOnly(), gdalErrs, cfg())
	if err != nil {
		return nil, 0, 0, inputErr(path, ErrUnreadable, "cannot be read as a raster by GDAL (%v)", err)
	}
	defer ds.Close()
	st := ds.Structure()
	w, h = st.SizeX, st.SizeY
	if w <= 0 || h <= 0 || st.NBands <= 0 {
		return nil, 0, 0, inputErr(path, ErrEmpty, "is empty")
	}
	for i, b := range ds.Bands() {
		p := make([]float32, w*h)
		if err := b.Read(0, 0, p, w, h, gdalErrs, cfg()); err != nil {
			return nil, 0, 0, inputErr(path, ErrUnreadable, "band %d cannot be read (%v)", i+1, err)
		}
		planes = append(planes, p)
	}
	return planes, w, h, nil
}

// AssignGrid writes a VRT at dst that presents src with a north-up
// geotransform of the given pixel size (metres) in a local UTM CRS. It lets
// un-georeferenced benchmark images (e.g. LEVIR-CD PNGs) run through the
// georeferenced pipeline; the location is arbitrary.
func AssignGrid(src, dst string, pixelSize float64) error {
	register()
	ds, err := godal.Open(src, godal.RasterOnly(), gdalErrs, cfg())
	if err != nil {
		return inputErr(src, ErrUnreadable, "cannot be read as a raster by GDAL (%v)", err)
	}
	defer ds.Close()
	st := ds.Structure()
	x0, y0 := 500000.0, 3400000.0
	sw := []string{"-of", "VRT", "-a_srs", "EPSG:32650", "-a_ullr",
		f64(x0), f64(y0), f64(x0 + pixelSize*float64(st.SizeX)), f64(y0 - pixelSize*float64(st.SizeY))}
	out, err := ds.Translate(dst, sw, gdalErrs, cfg())
	if err != nil {
		return fmt.Errorf("raster: assign a grid to %s: %w", src, err)
	}
	return out.Close()
}
