package raster

import (
	"fmt"

	"github.com/airbusgeo/godal"
)

// Transformer converts coordinates from a CRS to WGS84 longitude/latitude
// (x = longitude). It is not safe for concurrent use. The caller must Close it.
type Transformer struct {
	src, dst *godal.SpatialRef
	tr       *godal.Transform
}

// NewTransformer returns a transformer from the CRS given as WKT to WGS84.
func NewTransformer(wkt string) (*Transformer, error) { return newTransformer(wkt, false) }

// NewInverseTransformer returns a transformer from WGS84 lon/lat to the CRS
// given as WKT (use ToLonLat's method ToCRS).
func NewInverseTransformer(wkt string) (*Transformer, error) { return newTransformer(wkt, true) }

func newTransformer(wkt string, inverse bool) (*Transformer, error) {
	register()
	src, err := godal.NewSpatialRefFromWKT(wkt, gdalErrs)
	if err != nil {
		return nil, fmt.Errorf("raster: parse CRS: %w", err)
	}
	dst, err := godal.NewSpatialRefFromEPSG(4326, gdalErrs)
	if err != nil {
		src.Close()
		return nil, fmt.Errorf("raster: WGS84: %w", err)
	}
	from, to := src, dst
	if inverse {
		from, to = dst, src
	}
	tr, err := godal.NewTransform(from, to, gdalErrs)
	if err != nil {
		src.Close()
		dst.Close()
		return nil, fmt.Errorf("raster: transform to WGS84: %w", err)
	}
	return &Transformer{src: src, dst: dst, tr: tr}, nil
}

// ToCRS transforms lon/lat points in place to the CRS (an inverse transformer).
func (t *Transformer) ToCRS(xs, ys []float64) error { return t.ToLonLat(xs, ys) }

// ToLonLat transforms the points in place.
func (t *Transformer) ToLonLat(xs, ys []float64) error {
	ok := make([]bool, len(xs))
	if err := t.tr.TransformEx(xs, ys, nil, ok); err != nil {
		return fmt.Errorf("raster: transform to WGS84: %w", err)
	}
	for i, o := range ok {
		if !o {
			return fmt.Errorf("raster: point (%g, %g) cannot be transformed to WGS84", xs[i], ys[i])
		}
	}
	return nil
}

// Close releases the transformer.
func (t *Transformer) Close() {
	t.tr.Close()
	t.src.Close()
	t.dst.Close()
}
