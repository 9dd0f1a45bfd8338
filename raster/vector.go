package raster

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

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
	// Date is a calendar date (WriteVector only): values are time.Time
	// (the date in its own location) or "YYYY-MM-DD" strings.
	Date
)

// Field is an attribute column of a vector layer.
type Field struct {
	Name string
	Type FieldType
	// Width and Precision are the field's width (characters or digits) and
	// decimals, for WriteVector; 0 lets the driver choose (a Shapefile's
	// text fields are then as wide as their longest value in bytes).
	Width, Precision int
}

// Feature is one row of a vector layer: a geometry (WGS84 lon/lat for
// WriteGPKG; in the layer's CRS for WriteVector) and one value per field
// (string, int64/int, float64, time.Time for a Date; nil leaves the field
// unset).
type Feature struct {
	Geometry orb.Geometry
	Values   []any
}

// WriteGPKG writes the features as a GeoPackage layer in WGS84 (EPSG:4326).
// The file is written under a temporary name and renamed, so a failure never
// leaves a half-written file. The output is byte-identical for identical
// input (fixed creation date, no wall-clock metadata).
func WriteGPKG(path, layer string, fields []Field, feats []Feature) error {
	w, err := CreateGPKG(path, layer, 4326, fields)
	if err != nil {
		return err
	}
	for _, f := range feats {
		if err := w.Write(f); err != nil {
			w.Abort()
			return err
		}
	}
	return w.Close()
}

// GPKGWriter writes a GeoPackage layer one feature at a time (see
// CreateGPKG): memory does not grow with the number of features.
type GPKGWriter struct {
	path, tmp, layer string
	fields           []Field
	ds               *godal.Dataset
	env              [4]float64
	header           string
	sql              strings.Builder
	n                int
}

// gpkgBatch is the number of rows per INSERT statement.
const gpkgBatch = 500

// CreateGPKG starts a GeoPackage layer in the CRS of an EPSG code (the
// geometries given in it, x first: longitude or easting) at path.tmp:
// rows go in as native SQL in batches of one transaction, the geometry
// already in GeoPackage binary form (one cgo call per batch instead of ~17
// per feature); OGR creates the table, its metadata and the R-tree spatial
// index with its triggers. Close commits and renames the file into place,
// Abort removes it; the bytes equal those of WriteGPKG with the same
// features.
func CreateGPKG(path, layer string, epsg int, fields []Field) (_ *GPKGWriter, err error) {
	register()
	w := &GPKGWriter{path: path, tmp: path + ".part", layer: layer, fields: fields, env: emptyEnvelope(), header: insertHeader(layer, fields)}
	os.Remove(w.tmp)
	opts := godal.ConfigOption("OGR_CURRENT_DATE=2000-01-01T00:00:00.000Z", "OGR_SQLITE_JOURNAL=OFF", "GDAL_PAM_ENABLED=NO")
	ds, err := godal.CreateVector(godal.GeoPackage, w.tmp, gdalErrs, opts)
	if err != nil {
		os.Remove(w.tmp)
		return nil, fmt.Errorf("raster: create %s: %w", path, err)
	}
	w.ds = ds
	defer func() {
		if err != nil {
			w.Abort()
		}
	}()
	sr, err := godal.NewSpatialRefFromEPSG(epsg, gdalErrs)
	if err != nil {
		return nil, fmt.Errorf("raster: %s: EPSG:%d: %w", path, epsg, err)
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
	if _, err := ds.CreateLayer(layer, sr, godal.GTMultiPolygon, copts...); err != nil {
		return nil, fmt.Errorf("raster: create layer %s in %s: %w", layer, path, err)
	}
	if err := ds.StartTransaction(); err != nil {
		return nil, fmt.Errorf("raster: %s: start transaction: %w", path, err)
	}
	return w, nil
}

func (w *GPKGWriter) flush() error {
	if w.sql.Len() == 0 {
		return nil
	}
	rs, err := w.ds.ExecuteSQL(w.sql.String(), gdalErrs)
	if err != nil {
		return err
	}
	if rs != nil {
		rs.Close()
	}
	w.sql.Reset()
	return nil
}

// Write adds one feature.
func (w *GPKGWriter) Write(f Feature) error {
	if w.n%gpkgBatch == 0 {
		if err := w.flush(); err != nil {
			return fmt.Errorf("raster: %s: insert features: %w", w.path, err)
		}
		w.sql.WriteString(w.header)
	} else {
		w.sql.WriteString(",")
	}
	w.n++
	if err := appendRow(&w.sql, w.fields, f, &w.env); err != nil {
		return fmt.Errorf("raster: %s: feature %d: %w", w.path, w.n, err)
	}
	return nil
}

// Close writes the last rows, the layer's extent and a fixed modification
// date (byte-identical output), commits and renames the file into place. On
// error the file is removed.
func (w *GPKGWriter) Close() (err error) {
	defer func() {
		if err != nil {
			w.Abort()
		}
	}()
	if err := w.flush(); err != nil {
		return fmt.Errorf("raster: %s: insert features: %w", w.path, err)
	}
	upd := "UPDATE gpkg_contents SET last_change='2000-01-01T00:00:00.000Z'"
	if w.n > 0 {
		upd += fmt.Sprintf(", min_x=%s, min_y=%s, max_x=%s, max_y=%s", sqlFloat(w.env[0]), sqlFloat(w.env[1]), sqlFloat(w.env[2]), sqlFloat(w.env[3]))
	}
	w.sql.WriteString(upd + fmt.Sprintf(" WHERE lower(table_name)=lower('%s')", strings.ReplaceAll(w.layer, "'", "''")))
	if err := w.flush(); err != nil {
		return fmt.Errorf("raster: %s: contents: %w", w.path, err)
	}
	if err := w.ds.CommitTransaction(); err != nil {
		return fmt.Errorf("raster: %s: commit: %w", w.path, err)
	}
	ds := w.ds
	w.ds = nil
	if err := ds.Close(gdalErrs); err != nil {
		os.Remove(w.tmp)
		return fmt.Errorf("raster: close %s: %w", w.path, err)
	}
	if err := os.Rename(w.tmp, w.path); err != nil {
		os.Remove(w.tmp)
		return err
	}
	return nil
}

// Abort closes and removes the unfinished file (a no-op after Close).
func (w *GPKGWriter) Abort() {
	if w.ds != nil {
		w.ds.Close()
		w.ds = nil
		os.Remove(w.tmp)
	}
}

func insertHeader(layer string, fields []Field) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO "`)
	b.WriteString(strings.ReplaceAll(layer, `"`, `""`))
	b.WriteString(`" ("geom"`)
	for _, f := range fields {
		b.WriteString(`,"`)
		b.WriteString(strings.ReplaceAll(f.Name, `"`, `""`))
		b.WriteString(`"`)
	}
	b.WriteString(") VALUES ")
	return b.String()
}

// appendRow writes one VALUES tuple: the GeoPackage geometry blob, then the
// attribute values.
func appendRow(sql *strings.Builder, fields []Field, f Feature, env *[4]float64) error {
	g := f.Geometry
	if p, ok := g.(orb.Polygon); ok {
		g = orb.MultiPolygon{p}
	}
	w, err := wkb.Marshal(g, binary.LittleEndian)
	if err != nil {
		return err
	}
	bd := g.Bound()
	env[0], env[1] = math.Min(env[0], bd.Min[0]), math.Min(env[1], bd.Min[1])
	env[2], env[3] = math.Max(env[2], bd.Max[0]), math.Max(env[3], bd.Max[1])
	// GeoPackage binary header: "GP", version 0, flags (little endian,
	// xy envelope), srs_id 4326, envelope minx maxx miny maxy.
	hdr := make([]byte, 8+32)
	copy(hdr, "GP")
	hdr[2], hdr[3] = 0, 0x03
	binary.LittleEndian.PutUint32(hdr[4:], 4326)
	for i, v := range []float64{bd.Min[0], bd.Max[0], bd.Min[1], bd.Max[1]} {
		binary.LittleEndian.PutUint64(hdr[8+8*i:], math.Float64bits(v))
	}
	sql.WriteString("(X'")
	sql.WriteString(hex.EncodeToString(hdr))
	sql.WriteString(hex.EncodeToString(w))
	sql.WriteString("'")
	for i := range fields {
		sql.WriteString(",")
		switch v := f.Values[i].(type) {
		case nil:
			sql.WriteString("NULL")
		case string:
			sql.WriteString("'")
			sql.WriteString(strings.ReplaceAll(v, "'", "''"))
			sql.WriteString("'")
		case int:
			sql.WriteString(strconv.Itoa(v))
		case int64:
			sql.WriteString(strconv.FormatInt(v, 10))
		case float64:
			sql.WriteString(sqlFloat(v))
		default:
			return fmt.Errorf("field %s: unsupported value type %T", fields[i].Name, v)
		}
	}
	sql.WriteString(")")
	return nil
}

func sqlFloat(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "NULL"
	}
	s := strconv.FormatFloat(v, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eEn") {
		s += ".0" // keep REAL affinity explicit
	}
	return s
}

func emptyEnvelope() [4]float64 {
	return [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
}

// EnsureDir creates dir (and parents) if missing.
func EnsureDir(dir string) error {
	if err := os.MkdirAll(filepath.Clean(dir), 0o755); err != nil {
		return fmt.Errorf("raster: create %s: %w", dir, err)
	}
	return nil
}
