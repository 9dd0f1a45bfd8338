package raster

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/airbusgeo/godal"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
)

// FieldType is the type of an attribute column.
type FieldType int

// Attribute column types.
const (
	String FieldType = iota
	Integer
	Real
)

// Field is an attribute column of a vector layer.
type Field struct {
	Name string
	Type FieldType
}

// Feature is one row of a vector layer: a geometry in WGS84 lon/lat and one
// value per field (string, int64/int, float64; nil leaves the field unset).
type Feature struct {
	Geometry orb.Geometry
	Values   []any
}

// WriteGPKG writes the features as a GeoPackage layer in WGS84 (EPSG:4326).
// The file is written under a temporary name and renamed, so a failure never
// leaves a half-written file. The output is byte-identical for identical
// input (fixed creation date, no wall-clock metadata).
func WriteGPKG(path, layer string, fields []Field, feats []Feature) (err error) {
	register()
	tmp := path + ".part"
	os.Remove(tmp)
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	opts := godal.ConfigOption("OGR_CURRENT_DATE=2000-01-01T00:00:00.000Z", "OGR_SQLITE_JOURNAL=OFF", "GDAL_PAM_ENABLED=NO")
	ds, err := godal.CreateVector(godal.GeoPackage, tmp, gdalErrs, opts)
	if err != nil {
		return fmt.Errorf("raster: create %s: %w", path, err)
	}
	closed := false
	defer func() {
		if !closed {
			ds.Close()
		}
	}()
	sr, err := godal.NewSpatialRefFromEPSG(4326, gdalErrs)
	if err != nil {
		return fmt.Errorf("raster: WGS84: %w", err)
	}
	defer sr.Close()
	copts := []godal.CreateLayerOption{gdalErrs}
	for _, f := range fields {
		ft := godal.FTString
		switch f.Type {
		case Integer:
			ft = godal.FTInt64
		case Real:
			ft = godal.FTReal
		}
		copts = append(copts, godal.NewFieldDefinition(f.Name, ft))
	}
	lyr, err := ds.CreateLayer(layer, sr, godal.GTMultiPolygon, copts...)
	if err != nil {
		return fmt.Errorf("raster: create layer %s in %s: %w", layer, path, err)
	}
	if err := ds.StartTransaction(); err != nil {
		return fmt.Errorf("raster: %s: start transaction: %w", path, err)
	}
	for i, f := range feats {
		if err := addFeature(lyr, sr, fields, f); err != nil {
			return fmt.Errorf("raster: %s: feature %d: %w", path, i+1, err)
		}
	}
	if err := ds.CommitTransaction(); err != nil {
		return fmt.Errorf("raster: %s: commit: %w", path, err)
	}
	closed = true
	if err := ds.Close(gdalErrs); err != nil {
		return fmt.Errorf("raster: close %s: %w", path, err)
	}
	return os.Rename(tmp, path)
}

func addFeature(lyr godal.Layer, sr *godal.SpatialRef, fields []Field, f Feature) error {
	g := f.Geometry
	if p, ok := g.(orb.Polygon); ok {
		g = orb.MultiPolygon{p}
	}
	b, err := wkb.Marshal(g)
	if err != nil {
		return err
	}
	geom, err := godal.NewGeometryFromWKB(b, sr, gdalErrs)
	if err != nil {
		return err
	}
	defer geom.Close()
	feat, err := lyr.NewFeature(geom, gdalErrs)
	if err != nil {
		return err
	}
	defer feat.Close()
	attrs := feat.Fields()
	for i, fd := range fields {
		v := f.Values[i]
		if v == nil {
			continue
		}
		if err := feat.SetFieldValue(attrs[fd.Name], v, gdalErrs); err != nil {
			return fmt.Errorf("field %s: %w", fd.Name, err)
		}
	}
	return lyr.UpdateFeature(feat, gdalErrs)
}

// EnsureDir creates dir (and parents) if missing.
func EnsureDir(dir string) error {
	if err := os.MkdirAll(filepath.Clean(dir), 0o755); err != nil {
		return fmt.Errorf("raster: create %s: %w", dir, err)
	}
	return nil
}
