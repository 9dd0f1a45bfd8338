package raster

import (
	"fmt"

	"github.com/airbusgeo/godal"
)

// TestRaster describes a small Byte GeoTIFF for tests of other packages.
type TestRaster struct {
	W, H, Bands int
	// EPSG, Origin (top-left x, y) and Pixel (size) georeference it;
	// EPSG 0 writes no georeferencing.
	EPSG   int
	Origin [2]float64
	Pixel  float64
	// Names become band descriptions.
	Names []string
	// NoData, when set, is declared and written to every pixel.
	NoData *float64
}

// WriteTestRaster writes a GeoTIFF described by r, filled with a varied
// pattern (or nodata).
func WriteTestRaster(path string, r TestRaster) error {
	register()
	ds, err := godal.Create(godal.GTiff, path, r.Bands, godal.Byte, r.W, r.H, gdalErrs, cfg())
	if err != nil {
		return fmt.Errorf("raster: create %s: %w", path, err)
	}
	if r.EPSG != 0 {
		sr, err := godal.NewSpatialRefFromEPSG(r.EPSG, gdalErrs)
		if err != nil {
			ds.Close()
			return err
		}
		defer sr.Close()
		if err := ds.SetSpatialRef(sr); err != nil {
			ds.Close()
			return err
		}
		if err := ds.SetGeoTransform([6]float64{r.Origin[0], r.Pixel, 0, r.Origin[1], 0, -r.Pixel}); err != nil {
			ds.Close()
			return err
		}
	}
	buf := make([]uint8, r.W*r.H)
	for i, b := range ds.Bands() {
		for j := range buf {
			buf[j] = uint8((j*7 + (j/r.W)*13 + i*50) % 200)
		}
		if r.NoData != nil {
			if err := b.SetNoData(*r.NoData); err != nil {
				ds.Close()
				return err
			}
			for j := range buf {
				buf[j] = uint8(*r.NoData)
			}
		}
		if i < len(r.Names) {
			b.SetDescription(r.Names[i])
		}
		if err := b.Write(0, 0, buf, r.W, r.H); err != nil {
			ds.Close()
			return err
		}
	}
	return ds.Close()
}

// Reproject warps src into dst (GeoTIFF) in the CRS srs (e.g. "EPSG:4326")
// at the given resolution in that CRS's units (bilinear).
func Reproject(src, dst, srs string, res float64) error {
	register()
	ds, err := godal.Open(src, godal.RasterOnly(), gdalErrs, cfg())
	if err != nil {
		return inputErr(src, ErrUnreadable, "cannot be read (%v)", err)
	}
	defer ds.Close()
	out, err := ds.Warp(dst, []string{"-of", "GTiff", "-t_srs", srs, "-tr", f64(res), f64(res), "-r", "bilinear", "-overwrite"}, gdalErrs, cfg())
	if err != nil {
		return fmt.Errorf("raster: warp %s: %w", src, err)
	}
	return out.Close()
}

// ReadVectorForTest returns the attribute values (as strings) of every
// feature of the first layer of a vector file. For tests.
func ReadVectorForTest(path string) ([]map[string]string, error) {
	register()
	ds, err := godal.Open(path, godal.VectorOnly(), gdalErrs)
	if err != nil {
		return nil, err
	}
	defer ds.Close()
	var out []map[string]string
	l := ds.Layers()[0]
	for f := l.NextFeature(); f != nil; f = l.NextFeature() {
		m := map[string]string{}
		for k, v := range f.Fields() {
			if v.IsSet() {
				m[k] = v.String()
			}
		}
		out = append(out, m)
		f.Close()
	}
	return out, nil
}

// Derived describes a raster written from another by WriteDerived: its
// data type ("Byte", "UInt16", "Float32"), a function that makes each band's
// values from the source band's (nil: copy), extra bands (copies of source
// band ExtraFrom) and the colour interpretation of each band ("" keeps
// GDAL's default; "Undefined", "Red", "Green", "Blue").
type Derived struct {
	DataType  string
	Values    func(band int, v []float32, w, h int)
	Extra     int
	ExtraFrom int
	Colors    []string
}

// WriteDerived writes a GeoTIFF at dst with src's georeferencing and
// pixels changed as d says. For tests of other packages.
func WriteDerived(src, dst string, d Derived) error {
	register()
	planes, w, h, err := ReadImage(src)
	if err != nil {
		return err
	}
	info, err := Inspect(src)
	if err != nil {
		return err
	}
	for k := 0; k < d.Extra; k++ {
		planes = append(planes, append([]float32(nil), planes[d.ExtraFrom]...))
	}
	dt := map[string]godal.DataType{"Byte": godal.Byte, "UInt16": godal.UInt16, "Float32": godal.Float32}[d.DataType]
	if dt == godal.Unknown {
		dt = godal.Byte
	}
	ds, err := godal.Create(godal.GTiff, dst, len(planes), dt, w, h, gdalErrs, cfg())
	if err != nil {
		return fmt.Errorf("raster: create %s: %w", dst, err)
	}
	sr, err := godal.NewSpatialRefFromWKT(info.WKT, gdalErrs)
	if err != nil {
		ds.Close()
		return err
	}
	defer sr.Close()
	if err := ds.SetSpatialRef(sr); err != nil {
		ds.Close()
		return err
	}
	if err := ds.SetGeoTransform(info.GeoTransform); err != nil {
		ds.Close()
		return err
	}
	ci := map[string]godal.ColorInterp{"Undefined": godal.CIUndefined, "Red": godal.CIRed, "Green": godal.CIGreen, "Blue": godal.CIBlue, "Gray": godal.CIGray}
	for i, b := range ds.Bands() {
		v := planes[i]
		if d.Values != nil {
			d.Values(i, v, w, h)
		}
		if i < len(d.Colors) && d.Colors[i] != "" {
			if err := b.SetColorInterp(ci[d.Colors[i]]); err != nil {
				ds.Close()
				return err
			}
		}
		if err := b.Write(0, 0, v, w, h); err != nil {
			ds.Close()
			return err
		}
	}
	return ds.Close()
}
