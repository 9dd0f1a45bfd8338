package raster

/*
#cgo pkg-config: gdal
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cpl_conv.h"
#include "cpl_error.h"
#include "cpl_string.h"
#include "gdal.h"
#include "ogr_api.h"
#include "ogr_srs_api.h"

// wvMsg collects the first failure message GDAL reports while a handler is
// pushed, and (when warnings is set) the first warning too.
typedef struct { char *buf; int len; int warnings; } wvMsg;

static void wvKeep(CPLErr e, CPLErrorNum n, const char *msg) {
	wvMsg *m = (wvMsg *)CPLGetErrorHandlerUserData();
	(void)n;
	if (m == NULL || msg == NULL || m->buf[0] != 0) {
		return;
	}
	if (e >= CE_Failure || (e == CE_Warning && m->warnings)) {
		strncpy(m->buf, msg, m->len - 1);
		m->buf[m->len - 1] = 0;
	}
}

static GDALDatasetH wvCreate(const char *driver, const char *path, char *err, int errLen) {
	wvMsg m = { err, errLen, 0 };
	GDALDatasetH ds = NULL;
	err[0] = 0;
	CPLPushErrorHandlerEx(wvKeep, &m);
	GDALDriverH drv = GDALGetDriverByName(driver);
	if (drv == NULL) {
		snprintf(err, errLen, "GDAL has no driver %s", driver);
	} else {
		ds = GDALCreate(drv, path, 0, 0, 0, GDT_Unknown, NULL);
	}
	CPLPopErrorHandler();
	if (ds == NULL && err[0] == 0) {
		snprintf(err, errLen, "cannot create the dataset");
	}
	return ds;
}

static OGRLayerH wvLayer(GDALDatasetH ds, const char *name, int epsg, int gtype, char **lco, char *err, int errLen) {
	wvMsg m = { err, errLen, 0 };
	OGRLayerH l = NULL;
	err[0] = 0;
	CPLPushErrorHandlerEx(wvKeep, &m);
	OGRSpatialReferenceH sr = OSRNewSpatialReference(NULL);
	if (OSRImportFromEPSG(sr, epsg) != OGRERR_NONE) {
		if (err[0] == 0) {
			snprintf(err, errLen, "EPSG:%d is not a CRS GDAL knows", epsg);
		}
	} else {
		OSRSetAxisMappingStrategy(sr, OAMS_TRADITIONAL_GIS_ORDER);
		l = GDALDatasetCreateLayer(ds, name, sr, (OGRwkbGeometryType)gtype, lco);
	}
	OSRRelease(sr);
	CPLPopErrorHandler();
	if (l == NULL && err[0] == 0) {
		snprintf(err, errLen, "cannot create the layer");
	}
	return l;
}

// wvField adds a field and writes the name it got (drivers may launder
// names) into got.
static int wvField(OGRLayerH l, const char *name, int type, int subtype, int width, int prec, char *got, int gotLen, char *err, int errLen) {
	wvMsg m = { err, errLen, 0 };
	err[0] = 0;
	got[0] = 0;
	CPLPushErrorHandlerEx(wvKeep, &m);
	OGRFieldDefnH fd = OGR_Fld_Create(name, (OGRFieldType)type);
	OGR_Fld_SetSubType(fd, (OGRFieldSubType)subtype);
	if (width > 0) {
		OGR_Fld_SetWidth(fd, width);
	}
	if (prec > 0) {
		OGR_Fld_SetPrecision(fd, prec);
	}
	OGRErr e = OGR_L_CreateField(l, fd, TRUE);
	OGR_Fld_Destroy(fd);
	if (e == OGRERR_NONE) {
		OGRFeatureDefnH def = OGR_L_GetLayerDefn(l);
		int n = OGR_FD_GetFieldCount(def);
		const char *s = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(def, n - 1));
		strncpy(got, s, gotLen - 1);
		got[gotLen - 1] = 0;
	}
	CPLPopErrorHandler();
	if (e != OGRERR_NONE && err[0] == 0) {
		snprintf(err, errLen, "cannot create the field");
	}
	return e == OGRERR_NONE;
}

// Value kinds of wvFeature.
enum { wvNull = 0, wvInt = 1, wvReal = 2, wvString = 3, wvDate = 4 };

// wvFeature writes one feature: its WKB geometry and nf values, value i
// being of kind kinds[i]: ints[i] (wvInt; wvDate as yyyymmdd), reals[i], or
// the NUL-terminated string at strs+offs[i]. Warnings fail it too (a value
// truncated or not representable is data lost).
static int wvFeature(OGRLayerH l, const unsigned char *wkb, int nwkb, int nf, const int *kinds,
		const long long *ints, const double *reals, const char *strs, const int *offs, char *err, int errLen) {
	wvMsg m = { err, errLen, 1 };
	int ok = 0;
	err[0] = 0;
	CPLPushErrorHandlerEx(wvKeep, &m);
	OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(l));
	OGRGeometryH g = NULL;
	if (OGR_G_CreateFromWkb(wkb, NULL, &g, nwkb) != OGRERR_NONE || g == NULL) {
		if (err[0] == 0) {
			snprintf(err, errLen, "GDAL cannot read the geometry");
		}
		goto done;
	}
	OGR_F_SetGeometryDirectly(f, g);
	for (int i = 0; i < nf; i++) {
		switch (kinds[i]) {
		case wvNull:
			OGR_F_SetFieldNull(f, i);
			break;
		case wvInt:
			OGR_F_SetFieldInteger64(f, i, ints[i]);
			break;
		case wvReal:
			OGR_F_SetFieldDouble(f, i, reals[i]);
			break;
		case wvString:
			OGR_F_SetFieldString(f, i, strs + offs[i]);
			break;
		case wvDate:
			OGR_F_SetFieldDateTime(f, i, (int)(ints[i] / 10000), (int)(ints[i] / 100 % 100), (int)(ints[i] % 100), 0, 0, 0, 0);
			break;
		}
	}
	if (err[0] != 0) {
		goto done;
	}
	ok = OGR_L_CreateFeature(l, f) == OGRERR_NONE && err[0] == 0;
	if (!ok && err[0] == 0) {
		snprintf(err, errLen, "GDAL cannot write the feature");
	}
done:
	OGR_F_Destroy(f);
	CPLPopErrorHandler();
	return ok;
}

static int wvStart(GDALDatasetH ds) {
	return GDALDatasetStartTransaction(ds, FALSE) == OGRERR_NONE;
}

static int wvCommit(GDALDatasetH ds, char *err, int errLen) {
	wvMsg m = { err, errLen, 0 };
	err[0] = 0;
	CPLPushErrorHandlerEx(wvKeep, &m);
	int ok = GDALDatasetCommitTransaction(ds) == OGRERR_NONE;
	CPLPopErrorHandler();
	if (!ok && err[0] == 0) {
		snprintf(err, errLen, "cannot commit");
	}
	return ok;
}

static int wvClose(GDALDatasetH ds, char *err, int errLen) {
	wvMsg m = { err, errLen, 0 };
	err[0] = 0;
	CPLPushErrorHandlerEx(wvKeep, &m);
	GDALClose(ds);
	CPLPopErrorHandler();
	return err[0] == 0;
}
*/
import "C"

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/pipeline/crs"
)

// The vector drivers WriteVector writes (GDAL driver names).
const (
	DriverGPKG      = "GPKG"
	DriverShapefile = "ESRI Shapefile"
	DriverGeoJSON   = "GeoJSON"
	DriverFileGDB   = "OpenFileGDB"
)

// ErrBadWrite marks input that WriteVector refuses (bad field names, values
// or geometries, an unknown driver or encoding). It matches
// pipeline.ErrInvalid.
var ErrBadWrite = fmt.Errorf("raster: cannot write vector: %w", pipeline.ErrInvalid)

// VectorWriteOptions says how WriteVector writes a layer.
type VectorWriteOptions struct {
	// Driver is DriverGPKG, DriverShapefile, DriverGeoJSON or
	// DriverFileGDB. Empty: from the path's extension (.gpkg, .shp,
	// .geojson or .json, .gdb).
	Driver string
	// Layer is the layer name (GPKG, FileGDB, GeoJSON "name"). Empty: the
	// base name of the path without its extension. A Shapefile's layer is
	// always its file name.
	Layer string
	// EPSG is the CRS of the layer, e.g. 4490 (CGCS2000), 4326 (WGS 84),
	// 4526 (CGCS2000 / 3-degree Gauss-Kruger zone 38). The geometries must
	// already be in it (see pipeline/crs), x first: longitude or easting.
	// Required.
	EPSG int
	// Encoding is the text encoding of a Shapefile's .dbf: "UTF-8" (the
	// default), "GBK" or "GB18030". It is written to the .cpg file and
	// field names and text are encoded in it. Other formats are UTF-8 and
	// refuse any other value.
	Encoding string
}

// A Feature's Values for WriteVector: nil (null), string, int, int64,
// int32, float64 (NaN and ±Inf are written as null), time.Time or a
// "YYYY-MM-DD" string for a Date field. An Integer field takes only
// integers; a Real field integers or floats; a String field strings.

// fileGDBReserved are the words a FileGDB field may not be named.
var fileGDBReserved = map[string]bool{"OBJECTID": true, "SHAPE": true, "SHAPE_LENGTH": true, "SHAPE_AREA": true,
	"ADD": true, "ALTER": true, "AND": true, "BETWEEN": true, "BY": true, "COLUMN": true, "CREATE": true, "DELETE": true,
	"DROP": true, "EXISTS": true, "FOR": true, "FROM": true, "GROUP": true, "IN": true, "INSERT": true, "INTO": true, "IS": true,
	"LIKE": true, "NOT": true, "NULL": true, "OR": true, "ORDER": true, "SELECT": true, "SET": true, "TABLE": true, "UPDATE": true,
	"VALUES": true, "WHERE": true}

// WriteVector writes one layer of features to path with GDAL: a GeoPackage,
// an ESRI Shapefile (.shp with .shx, .dbf, .prj and a .cpg naming the
// encoding), a GeoJSON file or a File Geodatabase (a .gdb directory,
// GDAL's OpenFileGDB driver), in the CRS opt.EPSG. All features must be of
// one family: points (orb.Point, orb.MultiPoint), lines (orb.LineString,
// orb.MultiLineString) or polygons (orb.Polygon, orb.MultiPolygon, rings
// closed if they are not); single geometries are promoted to multi ones in
// a GeoPackage and a FileGDB layer (and wherever the layer mixes the two),
// and an empty layer is a polygon layer.
//
// Input is checked before anything is written, and refused with an error
// wrapping ErrBadWrite that names the field or feature (1-based) and what
// was expected: field names empty, repeated (ignoring case), longer than a
// Shapefile's 10 bytes in its encoding or not a FileGDB name; values of the
// wrong type, text the encoding cannot represent or longer than a
// Shapefile's 254 bytes; a missing or non-finite geometry, rings of fewer
// than 3 distinct points, and coordinates that cannot be in the CRS (not
// longitude/latitude in a geographic CRS, an easting outside its
// Gauss-Krüger zone; see crs.Check).
//
// The output is written in a temporary directory beside path and moved into
// place when complete (each file of a Shapefile in turn; a FileGDB
// directory as a whole, replacing an old one), so that a failure leaves no
// partial output. A Shapefile's stale .qix, .sbn and .sbx index files are
// removed.
//
// The bytes are identical for identical input, with one exception. Where a
// format stamps a date it is fixed: the GeoPackage's gpkg_contents
// last_change and a FileGDB's dates at 2000-01-01 (OGR_CURRENT_DATE), the
// .dbf header's last-update date at 2000-01-01 (DBF_DATE_LAST_UPDATE). The
// exception: a FileGDB holds dataset UUIDs (in GDB_Items and
// GDB_ItemRelationships, a00000004 and a00000006.gdbtable), which GDAL 3.6
// draws from a generator seeded once per process
// (OPENFILEGDB_REPRODUCIBLE_UUID, which this sets): the first FileGDB a
// process writes is byte-identical from run to run, later ones differ from
// it in those 16-byte UUIDs only. GeoPackage, Shapefile and GeoJSON output
// is always byte-identical.
func WriteVector(path string, opt VectorWriteOptions, fields []Field, feats []Feature) (err error) {
	register()
	driver, err := vectorDriver(path, opt.Driver)
	if err != nil {
		return err
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrBadWrite, path, fmt.Sprintf(format, args...))
	}
	if opt.EPSG <= 0 {
		return bad("no CRS: VectorWriteOptions.EPSG is required (e.g. 4490 for CGCS2000)")
	}
	enc, encName, err := writeEncoding(driver, opt.Encoding)
	if err != nil {
		return bad("%v", err)
	}
	layer := opt.Layer
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	if layer == "" || driver == DriverShapefile {
		layer = base
	}
	if layer == "" || base == "" {
		return bad("no file name")
	}
	plan, err := planFields(driver, enc, encName, fields, feats)
	if err != nil {
		return bad("%v", err)
	}
	gtype, err := planGeometry(driver, opt.EPSG, feats)
	if err != nil {
		return bad("%v", err)
	}

	dir := filepath.Dir(path)
	tmp, err := os.MkdirTemp(dir, "."+filepath.Base(path)+".tmp")
	if err != nil {
		return fmt.Errorf("raster: %s: %w", path, err)
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, filepath.Base(path))
	if err := writeLayer(out, driver, layer, opt.EPSG, encName, gtype, plan, feats); err != nil {
		return fmt.Errorf("raster: write %s: %w", path, err)
	}
	return moveInto(tmp, dir, path, driver)
}

// vectorDriver returns the GDAL driver for path and the requested one.
func vectorDriver(path, driver string) (string, error) {
	if driver == "" {
		switch strings.ToLower(filepath.Ext(path)) {
		case ".gpkg":
			return DriverGPKG, nil
		case ".shp":
			return DriverShapefile, nil
		case ".geojson", ".json":
			return DriverGeoJSON, nil
		case ".gdb":
			return DriverFileGDB, nil
		}
		return "", fmt.Errorf("%w: %s: cannot tell the format from the extension; want .gpkg, .shp, .geojson or .gdb, or set the driver", ErrBadWrite, path)
	}
	switch driver {
	case DriverGPKG, DriverShapefile, DriverGeoJSON, DriverFileGDB:
	default:
		return "", fmt.Errorf("%w: %s: driver %q: want %s, %s, %s or %s", ErrBadWrite, path, driver, DriverGPKG, DriverShapefile, DriverGeoJSON, DriverFileGDB)
	}
	if driver == DriverShapefile && !strings.EqualFold(filepath.Ext(path), ".shp") {
		return "", fmt.Errorf("%w: %s: a Shapefile's path must end in .shp", ErrBadWrite, path)
	}
	if driver == DriverFileGDB && !strings.EqualFold(filepath.Ext(path), ".gdb") {
		return "", fmt.Errorf("%w: %s: a File Geodatabase's path must end in .gdb", ErrBadWrite, path)
	}
	return driver, nil
}

// writeEncoding returns the encoder (nil: UTF-8) and the GDAL ENCODING name.
func writeEncoding(driver, name string) (encoding.Encoding, string, error) {
	n := strings.ToUpper(strings.NewReplacer("-", "", "_", "", " ", "").Replace(strings.TrimSpace(name)))
	if driver != DriverShapefile {
		if n != "" && n != "UTF8" {
			return nil, "", fmt.Errorf("encoding %q: only a Shapefile takes an encoding; %s is UTF-8", name, driver)
		}
		return nil, "", nil
	}
	switch n {
	case "", "UTF8":
		return nil, "UTF-8", nil
	case "GBK", "CP936", "936":
		return simplifiedchinese.GBK, "GBK", nil
	case "GB18030":
		return simplifiedchinese.GB18030, "GB18030", nil
	}
	return nil, "", fmt.Errorf("encoding %q: want UTF-8, GBK or GB18030", name)
}

// fieldPlan is a field as it is created.
type fieldPlan struct {
	Field
	ogrType, subtype, width, prec int
}

const (
	ogrInteger   = 0  // OFTInteger
	ogrReal      = 2  // OFTReal
	ogrString    = 4  // OFTString
	ogrDate      = 9  // OFTDate
	ogrDateTime  = 11 // OFTDateTime
	ogrInteger64 = 12 // OFTInteger64
)

// planFields checks names and values and chooses each field's OGR type and
// (for a Shapefile) width.
func planFields(driver string, enc encoding.Encoding, encName string, fields []Field, feats []Feature) ([]fieldPlan, error) {
	seen := map[string]int{}
	plan := make([]fieldPlan, len(fields))
	for i, f := range fields {
		if strings.TrimSpace(f.Name) == "" || !utf8.ValidString(f.Name) || strings.ContainsRune(f.Name, 0) {
			return nil, fmt.Errorf("field %d: empty or invalid name %q", i+1, f.Name)
		}
		key := strings.ToUpper(f.Name)
		if j, ok := seen[key]; ok {
			return nil, fmt.Errorf("field %q repeats field %d (%q): names must differ ignoring case", f.Name, j+1, fields[j].Name)
		}
		seen[key] = i
		switch driver {
		case DriverShapefile:
			b, err := encode(enc, f.Name)
			if err != nil {
				return nil, fmt.Errorf("field %q: its name cannot be written in %s", f.Name, encName)
			}
			if len(b) > 10 {
				return nil, fmt.Errorf("field %q: its name is %d bytes in %s; Shapefile field names are at most 10 bytes", f.Name, len(b), encName)
			}
		case DriverFileGDB:
			if msg := fileGDBName(f.Name); msg != "" {
				return nil, fmt.Errorf("field %q: %s", f.Name, msg)
			}
		}
		p := fieldPlan{Field: f, width: f.Width, prec: f.Precision}
		switch f.Type {
		case String:
			p.ogrType = ogrString
		case Integer:
			p.ogrType = ogrInteger
		case Real:
			p.ogrType = ogrReal
		case Date:
			p.ogrType = ogrDate
			if driver == DriverFileGDB {
				p.ogrType = ogrDateTime // FileGDB has only date-times
			}
		default:
			return nil, fmt.Errorf("field %q: unknown type %d", f.Name, f.Type)
		}
		if f.Width < 0 || f.Precision < 0 || (driver == DriverShapefile && (f.Width > 254 || f.Precision > 15)) {
			return nil, fmt.Errorf("field %q: width %d, precision %d out of range", f.Name, f.Width, f.Precision)
		}
		plan[i] = p
	}
	maxLen := make([]int, len(fields))
	for k, ft := range feats {
		if len(ft.Values) != len(fields) {
			return nil, fmt.Errorf("feature %d: %d values for %d fields", k+1, len(ft.Values), len(fields))
		}
		for i := range plan {
			p := &plan[i]
			v := ft.Values[i]
			if v == nil {
				continue
			}
			badType := func() error {
				return fmt.Errorf("feature %d, field %q: a %s field cannot take %T %v", k+1, p.Name, typeWord(p.Type), v, v)
			}
			switch p.Type {
			case String:
				s, ok := v.(string)
				if !ok {
					return nil, badType()
				}
				if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
					return nil, fmt.Errorf("feature %d, field %q: text is not valid UTF-8 or holds a NUL", k+1, p.Name)
				}
				b, err := encode(enc, s)
				if err != nil {
					return nil, fmt.Errorf("feature %d, field %q: %q holds a character %s cannot represent", k+1, p.Name, s, encName)
				}
				maxLen[i] = max(maxLen[i], len(b))
			case Integer:
				n, ok := intValue(v)
				if !ok {
					return nil, badType()
				}
				if n < math.MinInt32 || n > math.MaxInt32 {
					if driver == DriverFileGDB {
						return nil, fmt.Errorf("feature %d, field %q: %d does not fit a FileGDB 32-bit integer; use a Real field", k+1, p.Name, n)
					}
					p.ogrType = ogrInteger64
				}
				maxLen[i] = max(maxLen[i], len(strconv.FormatInt(n, 10)))
			case Real:
				if _, ok := realValue(v); !ok {
					return nil, badType()
				}
			case Date:
				if _, ok := dateValue(v); !ok {
					return nil, fmt.Errorf("feature %d, field %q: want a time.Time or a YYYY-MM-DD date, got %T %v", k+1, p.Name, v, v)
				}
			}
		}
	}
	if driver == DriverShapefile {
		for i := range plan {
			p := &plan[i]
			switch p.Type {
			case String:
				if maxLen[i] > 254 {
					return nil, fmt.Errorf("field %q: a value is %d bytes in %s; Shapefile text fields hold at most 254", p.Name, maxLen[i], encName)
				}
				if p.width == 0 {
					p.width = max(maxLen[i], 1)
				} else if maxLen[i] > p.width {
					return nil, fmt.Errorf("field %q: a value is %d bytes in %s, wider than the field's %d", p.Name, maxLen[i], encName, p.width)
				}
			case Integer:
				if p.width == 0 {
					p.width = 9
					if p.ogrType == ogrInteger64 {
						p.width = 18
					}
				}
				if maxLen[i] > p.width {
					return nil, fmt.Errorf("field %q: a value has %d digits, wider than the field's %d", p.Name, maxLen[i], p.width)
				}
				if p.width > 9 {
					p.ogrType = ogrInteger64
				}
			}
		}
	}
	return plan, nil
}

func typeWord(t FieldType) string {
	switch t {
	case String:
		return "string"
	case Integer:
		return "integer"
	case Real:
		return "real"
	case Date:
		return "date"
	}
	return "unknown"
}

// fileGDBName says what is wrong with a FileGDB field name ("" if nothing).
func fileGDBName(name string) string {
	if utf8.RuneCountInString(name) > 64 {
		return "FileGDB field names are at most 64 characters"
	}
	if fileGDBReserved[strings.ToUpper(name)] {
		return "a reserved word in a FileGDB"
	}
	for i, r := range name {
		if i == 0 && !unicode.IsLetter(r) {
			return "a FileGDB field name starts with a letter"
		}
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' {
			return "a FileGDB field name holds only letters, digits and _"
		}
	}
	return ""
}

func encode(enc encoding.Encoding, s string) ([]byte, error) {
	if enc == nil {
		return []byte(s), nil
	}
	return enc.NewEncoder().Bytes([]byte(s))
}

func intValue(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int64:
		return n, true
	case int32:
		return int64(n), true
	}
	return 0, false
}

func realValue(v any) (float64, bool) {
	if f, ok := v.(float64); ok {
		return f, true
	}
	if n, ok := intValue(v); ok {
		return float64(n), true
	}
	return 0, false
}

// dateValue returns a date as yyyymmdd.
func dateValue(v any) (int64, bool) {
	var t time.Time
	switch d := v.(type) {
	case time.Time:
		t = d
	case string:
		p, err := time.Parse("2006-01-02", strings.TrimSpace(d))
		if err != nil {
			return 0, false
		}
		t = p
	default:
		return 0, false
	}
	if t.Year() < 1 || t.Year() > 9999 {
		return 0, false
	}
	return int64(t.Year())*10000 + int64(t.Month())*100 + int64(t.Day()), true
}

// planGeometry checks the geometries and returns the layer's type.
func planGeometry(driver string, epsg int, feats []Feature) (int, error) {
	family, multi := 0, driver == DriverGPKG || driver == DriverFileGDB
	for k, f := range feats {
		var fam int
		switch g := f.Geometry.(type) {
		case nil:
			return 0, fmt.Errorf("feature %d: no geometry", k+1)
		case orb.Point:
			fam = wkbPoint
		case orb.MultiPoint:
			fam, multi = wkbPoint, true
			if len(g) == 0 {
				return 0, fmt.Errorf("feature %d: empty multipoint", k+1)
			}
		case orb.LineString:
			fam = wkbLineString
			if len(g) < 2 {
				return 0, fmt.Errorf("feature %d: a line needs at least 2 points, has %d", k+1, len(g))
			}
		case orb.MultiLineString:
			fam, multi = wkbLineString, true
			if len(g) == 0 {
				return 0, fmt.Errorf("feature %d: empty multilinestring", k+1)
			}
			for i, l := range g {
				if len(l) < 2 {
					return 0, fmt.Errorf("feature %d: line %d needs at least 2 points, has %d", k+1, i+1, len(l))
				}
			}
		case orb.Polygon:
			fam = wkbPolygon
			if err := checkPolygon(g); err != nil {
				return 0, fmt.Errorf("feature %d: %v", k+1, err)
			}
		case orb.MultiPolygon:
			fam, multi = wkbPolygon, true
			if len(g) == 0 {
				return 0, fmt.Errorf("feature %d: empty multipolygon", k+1)
			}
			for i, p := range g {
				if err := checkPolygon(p); err != nil {
					return 0, fmt.Errorf("feature %d, polygon %d: %v", k+1, i+1, err)
				}
			}
		default:
			return 0, fmt.Errorf("feature %d: %T is not a point, line or polygon geometry", k+1, f.Geometry)
		}
		if family != 0 && fam != family {
			return 0, fmt.Errorf("feature %d: a %s in a layer of %ss (features of one layer are all points, all lines or all polygons)", k+1, familyWord(fam), familyWord(family))
		}
		family = fam
		if err := crs.CheckGeometry(epsg, f.Geometry); err != nil {
			return 0, fmt.Errorf("feature %d: %v", k+1, err)
		}
	}
	if family == 0 {
		family = wkbPolygon
	}
	if multi && driver != DriverGeoJSON {
		return family + 3, nil // single geometries are promoted
	}
	return family, nil // GeoJSON keeps each geometry as it is
}

func familyWord(t int) string {
	switch t {
	case wkbPoint:
		return "point"
	case wkbLineString:
		return "line"
	}
	return "polygon"
}

func checkPolygon(p orb.Polygon) error {
	if len(p) == 0 {
		return errors.New("empty polygon")
	}
	for i, r := range p {
		n := len(r)
		if n > 1 && r[0] == r[n-1] {
			n--
		}
		if n < 3 {
			return fmt.Errorf("ring %d has %d distinct points, want at least 3", i+1, n)
		}
	}
	return nil
}

// layerGeometry returns f's geometry as the layer takes it: rings closed,
// promoted to multi when the layer is.
func layerGeometry(g orb.Geometry, gtype int) orb.Geometry {
	closeRing := func(r orb.Ring) orb.Ring {
		if len(r) > 0 && r[0] != r[len(r)-1] {
			return append(r.Clone(), r[0])
		}
		return r
	}
	closePoly := func(p orb.Polygon) orb.Polygon {
		out := make(orb.Polygon, len(p))
		for i, r := range p {
			out[i] = closeRing(r)
		}
		return out
	}
	switch g := g.(type) {
	case orb.Polygon:
		if gtype == wkbMultiPolygon {
			return orb.MultiPolygon{closePoly(g)}
		}
		return closePoly(g)
	case orb.MultiPolygon:
		out := make(orb.MultiPolygon, len(g))
		for i, p := range g {
			out[i] = closePoly(p)
		}
		return out
	case orb.Point:
		if gtype == wkbMultiPoint {
			return orb.MultiPoint{g}
		}
	case orb.LineString:
		if gtype == wkbMultiLineString {
			return orb.MultiLineString{g}
		}
	}
	return g
}

// writeLayer writes the dataset at out (in the temporary directory).
func writeLayer(out, driver, layer string, epsg int, encName string, gtype int, plan []fieldPlan, feats []Feature) error {
	// Configuration options are set for this thread only: keep the
	// goroutine on it.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for _, kv := range [][2]string{
		{"OGR_CURRENT_DATE", "2000-01-01T00:00:00.000Z"},
		{"OPENFILEGDB_REPRODUCIBLE_UUID", "YES"},
		{"GDAL_PAM_ENABLED", "NO"},
		{"OGR_SQLITE_JOURNAL", "OFF"},
	} {
		k, v := C.CString(kv[0]), C.CString(kv[1])
		C.CPLSetThreadLocalConfigOption(k, v)
		defer func() {
			C.CPLSetThreadLocalConfigOption(k, nil)
			C.free(unsafe.Pointer(k))
			C.free(unsafe.Pointer(v))
		}()
	}
	errBuf := make([]byte, 1024)
	cerr := (*C.char)(unsafe.Pointer(&errBuf[0]))
	msg := func() string { return C.GoString(cerr) }

	cdrv, cpath := C.CString(driver), C.CString(out)
	defer C.free(unsafe.Pointer(cdrv))
	defer C.free(unsafe.Pointer(cpath))
	ds := C.wvCreate(cdrv, cpath, cerr, C.int(len(errBuf)))
	if ds == nil {
		return fmt.Errorf("create: %s", msg())
	}
	open := true
	defer func() {
		if open {
			C.wvClose(ds, cerr, C.int(len(errBuf)))
		}
	}()

	var lco **C.char
	addLCO := func(kv string) {
		ckv := C.CString(kv)
		lco = C.CSLAddString(lco, ckv)
		C.free(unsafe.Pointer(ckv))
	}
	switch driver {
	case DriverShapefile:
		addLCO("ENCODING=" + encName)
		addLCO("DBF_DATE_LAST_UPDATE=2000-01-01")
	case DriverGeoJSON:
		addLCO("WRITE_BBOX=NO")
	case DriverGPKG:
		addLCO("SPATIAL_INDEX=YES")
	}
	defer C.CSLDestroy(lco)
	cname := C.CString(layer)
	defer C.free(unsafe.Pointer(cname))
	lyr := C.wvLayer(ds, cname, C.int(epsg), C.int(gtype), lco, cerr, C.int(len(errBuf)))
	if lyr == nil {
		return fmt.Errorf("layer %s (EPSG:%d): %s", layer, epsg, msg())
	}
	got := make([]byte, 256)
	for _, p := range plan {
		cn := C.CString(p.Name)
		ok := C.wvField(lyr, cn, C.int(p.ogrType), C.int(p.subtype), C.int(p.width), C.int(p.prec),
			(*C.char)(unsafe.Pointer(&got[0])), C.int(len(got)), cerr, C.int(len(errBuf)))
		C.free(unsafe.Pointer(cn))
		if ok == 0 {
			return fmt.Errorf("field %q: %s", p.Name, msg())
		}
		if g := C.GoString((*C.char)(unsafe.Pointer(&got[0]))); g != p.Name {
			return fmt.Errorf("%w: field %q would be renamed %q by the %s driver", ErrBadWrite, p.Name, g, driver)
		}
	}
	tx := driver == DriverGPKG && C.wvStart(ds) != 0

	n := len(plan)
	kinds := make([]C.int, n+1)
	ints := make([]C.longlong, n+1)
	reals := make([]C.double, n+1)
	offs := make([]C.int, n+1)
	var strs []byte
	for k, f := range feats {
		w, err := wkb.Marshal(layerGeometry(f.Geometry, gtype), binary.LittleEndian)
		if err != nil {
			return fmt.Errorf("%w: feature %d: geometry: %v", ErrBadWrite, k+1, err)
		}
		strs = strs[:0]
		for i, p := range plan {
			kinds[i], ints[i], reals[i], offs[i] = C.wvNull, 0, 0, 0
			v := f.Values[i]
			if v == nil {
				continue
			}
			switch p.Type {
			case String:
				offs[i] = C.int(len(strs))
				strs = append(append(strs, v.(string)...), 0)
				kinds[i] = C.wvString
			case Integer:
				x, _ := intValue(v)
				kinds[i], ints[i] = C.wvInt, C.longlong(x)
			case Real:
				x, _ := realValue(v)
				if !math.IsNaN(x) && !math.IsInf(x, 0) {
					kinds[i], reals[i] = C.wvReal, C.double(x)
				}
			case Date:
				x, _ := dateValue(v)
				kinds[i], ints[i] = C.wvDate, C.longlong(x)
			}
		}
		strs = append(strs, 0)
		ok := C.wvFeature(lyr, (*C.uchar)(unsafe.Pointer(&w[0])), C.int(len(w)), C.int(n),
			&kinds[0], &ints[0], &reals[0], (*C.char)(unsafe.Pointer(&strs[0])), &offs[0], cerr, C.int(len(errBuf)))
		if ok == 0 {
			return fmt.Errorf("feature %d: %s", k+1, msg())
		}
	}
	if tx && C.wvCommit(ds, cerr, C.int(len(errBuf))) == 0 {
		return fmt.Errorf("commit: %s", msg())
	}
	open = false
	if C.wvClose(ds, cerr, C.int(len(errBuf))) == 0 {
		return fmt.Errorf("close: %s", msg())
	}
	return nil
}

// moveInto moves the output from the temporary directory tmp into dir.
func moveInto(tmp, dir, path, driver string) error {
	name := filepath.Base(path)
	if driver == DriverFileGDB {
		old := ""
		if _, err := os.Stat(path); err == nil {
			old = filepath.Join(tmp, "old.gdb")
			if err := os.Rename(path, old); err != nil {
				return fmt.Errorf("raster: replace %s: %w", path, err)
			}
		}
		if err := os.Rename(filepath.Join(tmp, name), path); err != nil {
			if old != "" {
				os.Rename(old, path)
			}
			return fmt.Errorf("raster: %s: %w", path, err)
		}
		return nil // the old one goes with tmp
	}
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return fmt.Errorf("raster: %s: %w", path, err)
	}
	if driver == DriverShapefile {
		stem := strings.TrimSuffix(path, filepath.Ext(path))
		for _, ext := range []string{".qix", ".sbn", ".sbx"} {
			os.Remove(stem + ext)
		}
	}
	// The main file last, so that a reader never finds it without its
	// side-cars.
	var main string
	for _, e := range entries {
		if e.Name() == name {
			main = e.Name()
			continue
		}
		if err := os.Rename(filepath.Join(tmp, e.Name()), filepath.Join(dir, e.Name())); err != nil {
			return fmt.Errorf("raster: %s: %w", path, err)
		}
	}
	if main == "" {
		return fmt.Errorf("raster: %s: GDAL wrote no file", path)
	}
	if err := os.Rename(filepath.Join(tmp, main), path); err != nil {
		return fmt.Errorf("raster: %s: %w", path, err)
	}
	return nil
}
