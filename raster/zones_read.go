package raster

/*
#cgo pkg-config: gdal
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include "cpl_error.h"
#include "ogr_api.h"

// weipianIconvKnows reports whether iconv, which GDAL's CPLRecode uses for
// SHAPE_ENCODING, can convert from the encoding name to UTF-8.
static int weipianIconvKnows(const char *name) {
	iconv_t cd = iconv_open("UTF-8", name);
	if (cd == (iconv_t)-1) {
		return 0;
	}
	iconv_close(cd);
	return 1;
}

// weipianFirstMessage keeps the first message GDAL or GEOS reports (the
// handler's user data is a char[len] buffer whose length is in its first
// int).
typedef struct { char *buf; int len; } weipianMsg;

static void weipianKeepFirst(CPLErr e, CPLErrorNum n, const char *msg) {
	weipianMsg *m = (weipianMsg *)CPLGetErrorHandlerUserData();
	(void)e; (void)n;
	if (m != NULL && msg != NULL && m->buf[0] == 0) {
		strncpy(m->buf, msg, m->len - 1);
		m->buf[m->len - 1] = 0;
	}
}

// weipianIsValid parses a WKB geometry and returns OGR_G_IsValid (GEOS) of
// it, or -1 if it cannot be parsed. GEOS's reason for an invalid geometry
// ("Self-intersection at or near point …") goes to reason instead of
// GDAL's default handler (stderr).
static int weipianIsValid(const unsigned char *wkb, int n, char *reason, int reasonLen) {
	weipianMsg m = { reason, reasonLen };
	OGRGeometryH g = NULL;
	int ok = -1;
	reason[0] = 0;
	CPLPushErrorHandlerEx(weipianKeepFirst, &m);
	if (OGR_G_CreateFromWkb(wkb, NULL, &g, n) == OGRERR_NONE && g != NULL) {
		ok = OGR_G_IsValid(g) ? 1 : 0;
		OGR_G_DestroyGeometry(g);
	}
	CPLPopErrorHandler();
	return ok;
}
*/
import "C"

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/airbusgeo/godal"
	"github.com/paulmach/orb"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/weipian/weipian/pipeline"
)

// ErrUnknownEncoding: VectorOptions.Encoding names an encoding that iconv
// (which GDAL recodes Shapefile attributes with) does not know. It is
// invalid input: it matches pipeline.ErrInvalid.
var ErrUnknownEncoding = fmt.Errorf("raster: unknown text encoding: %w", pipeline.ErrInvalid)

// CheckEncoding reports whether name (as VectorOptions.Encoding takes it:
// "GBK", "gb18030", "utf8", "CP936", …) is an encoding GDAL can read
// Shapefile attributes in. The test is iconv's own (iconv_open), after the
// common spellings are mapped to iconv's names, so any name iconv accepts
// works; an unknown one gives an error wrapping ErrUnknownEncoding that
// names it and gives examples. "" (take it from the file) is fine.
func CheckEncoding(name string) error {
	enc := normEncoding(name)
	if enc == "" {
		return nil
	}
	cs := C.CString(enc)
	defer C.free(unsafe.Pointer(cs))
	if C.weipianIconvKnows(cs) == 0 {
		return fmt.Errorf("%w %q: want UTF-8, GBK (CP936), GB18030, GB2312, BIG5, ISO-8859-1 or another name iconv knows (iconv -l)", ErrUnknownEncoding, name)
	}
	return nil
}

// VectorOptions says which layer of a vector file ReadVector reads and how.
// The zero value reads the file's only layer and takes the attribute
// encoding from the file.
type VectorOptions struct {
	// Layer is the name of the layer to read. Empty: the file must hold
	// exactly one layer. In a .zip holding several vector files it names
	// the file (its base name without extension, which is the layer name
	// of a Shapefile).
	Layer string
	// Encoding is the text encoding of a Shapefile's .dbf (GDAL's
	// SHAPE_ENCODING), e.g. "GBK", "GB18030", "UTF-8", "CP936". Empty: the
	// .cpg file or the code page in the .dbf header says; when neither
	// does, text that is valid UTF-8 is read as UTF-8 and anything else
	// as GB18030 (a superset of GBK and GB2312, what Chinese county data
	// without a .cpg almost always is), with a layer-level problem saying
	// so. Other formats carry their encoding (UTF-8) and ignore it. An
	// encoding iconv does not know is an error (see CheckEncoding), for
	// every format.
	Encoding string
}

// VectorFeature is one polygon feature of a vector layer, as ReadVector
// returns it.
type VectorFeature struct {
	// FID is the feature ID in the file (OGR's FID: 0-based record number
	// of a Shapefile, the fid column of a GeoPackage, the "id" member of a
	// GeoJSON feature, the OSM id …), so that a user finds the feature in
	// a GIS by it.
	FID int64
	// Attrs holds every attribute column of the layer by its name in the
	// file, as text: integers in decimal, reals in the shortest form that
	// reads back exactly, dates as YYYY-MM-DD (date-times as
	// YYYY-MM-DD HH:MM:SS), lists joined by ",". A null or unset value is
	// "" (but a null numeric field of some formats reads as "0").
	Attrs map[string]string
	// Geometry is in WGS84 lon/lat degrees (orb.Point{lon, lat}), valid in
	// the OGC sense (repaired if the file's was not), with Z and M dropped,
	// curves linearised, exterior rings counter-clockwise and holes
	// clockwise (RFC 7946).
	Geometry orb.MultiPolygon
}

// VectorProblem is something ReadVector found wrong with a feature, or a
// remark on the layer as a whole.
type VectorProblem struct {
	// FID is the feature's ID, or -1 for a remark on the whole layer.
	FID int64
	// Problem says what was found and what was done, in Chinese (zh-CN),
	// for the bureau staff who import the file; String prefixes the
	// feature ("要素 12：").
	Problem string
	// Skipped is true when the feature is not in the result (no geometry,
	// not a polygon, cannot be reprojected or repaired); false for a
	// warning about a feature that is in the result (e.g. a repaired
	// self-intersection) or about the layer.
	Skipped bool
}

func (p VectorProblem) String() string {
	if p.FID < 0 {
		return p.Problem
	}
	return fmt.Sprintf("要素 %d：%s", p.FID, p.Problem)
}

// ReadVector reads the polygon features of one layer of a vector file that
// GDAL reads (GeoPackage, Shapefile, a .zip holding a Shapefile or another
// vector file, GeoJSON, FlatGeobuf, KML/KMZ, OSM, …) in any CRS and returns
// them reprojected to WGS84 lon/lat with their attributes as text.
//
// Invalid polygons (self-intersections, bow-ties, rings touching
// themselves) are repaired with GEOS MakeValid through GDAL, which keeps
// every lobe of a bow-tie, falling back to a zero-width buffer; each repair
// is reported as a warning. Features without a geometry, with a
// non-polygon geometry in a polygon layer, or that cannot be reprojected or
// repaired are left out and reported with Skipped set.
//
// The whole file is refused, with an *InputError naming it and saying what
// was expected (wrapping ErrUnreadable, ErrEmpty or ErrBadVector), when it
// cannot be read, holds several layers and opt.Layer names none of them,
// the layer holds points or lines or no geometry at all, has no CRS, has no
// features, or no feature at all survives.
//
// ReadVector checks ctx between features. Safe for concurrent use: every
// call opens its own dataset.
func ReadVector(ctx context.Context, path string, opt VectorOptions) ([]VectorFeature, []VectorProblem, error) {
	register()
	if err := CheckEncoding(opt.Encoding); err != nil {
		return nil, nil, err
	}
	src, err := vectorSource(path, opt.Layer)
	if err != nil {
		return nil, nil, err
	}
	want := opt.Layer
	if src.layerUsed {
		want = "" // it chose the file inside the zip
	}
	enc := normEncoding(opt.Encoding)
	r, err := readLayer(ctx, path, src, want, enc)
	if err != nil {
		return nil, nil, err
	}
	var pre []VectorProblem
	if r.shapefile && enc == "" && r.sourceEncoding == "" && r.nonUTF8 {
		// No .cpg, no code page in the .dbf, and text that is not UTF-8:
		// read again with GDAL recoding from GB18030 (a superset of GBK).
		r, err = readLayer(ctx, path, src, want, "GB18030")
		if err != nil {
			return nil, nil, err
		}
		pre = append(pre, VectorProblem{FID: -1, Problem: ".dbf 未声明编码（没有 .cpg 文件，也没有代码页），且文字不是 UTF-8：已按 GB18030（GBK）读取；如有误，请指定正确的编码"})
	}
	if enc != "" && !r.shapefile {
		pre = append(pre, VectorProblem{FID: -1, Problem: fmt.Sprintf("已忽略指定的编码 %s：只有 Shapefile 的 .dbf 需要指定编码", opt.Encoding)})
	}
	if r.fidShadowed {
		pre = append(pre, VectorProblem{FID: -1, Problem: `图层自带 "FID" 列：要素 ID 取要素在文件中的位置（从 0 起），而不是该列的值`})
	}
	if r.nonUTF8 {
		for _, name := range r.badTextFields() {
			pre = append(pre, VectorProblem{FID: -1, Problem: fmt.Sprintf("列 %s 的文字不是有效的 UTF-8：无法解码的字节已替换为 �（U+FFFD）；请检查编码", name)})
		}
	}
	problems := append(pre, r.problems...)
	if len(r.features) == 0 {
		return nil, problems, inputErr(path, ErrBadVector, "layer %s: none of its %d features is a usable polygon (first problem: %s)", r.layer, r.read, firstProblem(problems))
	}
	return r.features, problems, nil
}

func firstProblem(ps []VectorProblem) string {
	for _, p := range ps {
		if p.Skipped {
			return p.String()
		}
	}
	return "none"
}

// layerRead is the result of one pass over a layer.
type layerRead struct {
	layer          string
	shapefile      bool
	sourceEncoding string // SOURCE_ENCODING of a Shapefile layer ("" = none declared)
	fidShadowed    bool
	nonUTF8        bool
	badFields      map[string]bool
	read           int
	features       []VectorFeature
	problems       []VectorProblem
}

func (r *layerRead) badTextFields() []string {
	out := make([]string, 0, len(r.badFields))
	for k := range r.badFields {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// fidAlias is the OGR SQL alias of the FID special field; rawDateAlias
// plus a number the alias of a date column cast to text.
const (
	fidAlias     = "weipian_ogr_fid"
	rawDateAlias = "weipian_raw_date_"
)

// rawDateText turns OGR's text of a date or date-time ("2026/02/30",
// "2026/02/30 08:09:10.123+08") into the form of VectorFeature.Attrs
// ("2026-02-30", "2026-02-30 08:09:10"), keeping the day as written.
func rawDateText(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 10 && s[4] == '/' && s[7] == '/' {
		s = s[:4] + "-" + s[5:7] + "-" + s[8:]
	}
	if len(s) > 19 && s[10] == ' ' {
		s = s[:19] // fractions of a second and the zone, as fieldText drops them
	}
	return s
}

// source is what GDAL opens: a path or /vsizip/ name, and extra config
// options for the open call.
type source struct {
	name string
	cfg  []string
	// layerUsed is true when VectorOptions.Layer chose the file inside a
	// zip archive.
	layerUsed bool
}

// readLayer reads the layer once; enc is SHAPE_ENCODING ("" leaves it to
// GDAL).
func readLayer(ctx context.Context, path string, src source, want, enc string) (*layerRead, error) {
	extra := slices.Clone(src.cfg)
	if enc != "" {
		extra = append(extra, "SHAPE_ENCODING="+enc)
	}
	ds, err := godal.Open(src.name, godal.VectorOnly(), gdalErrs, cfg(extra...))
	if err != nil {
		if _, serr := os.Stat(path); serr != nil && !strings.HasPrefix(path, "/vsi") {
			return nil, inputErr(path, ErrUnreadable, "cannot be read: %v", serr)
		}
		return nil, inputErr(path, ErrUnreadable, "cannot be read as a vector file by GDAL (GeoPackage, Shapefile, GeoJSON, FlatGeobuf, KML, … expected): %v", err)
	}
	defer ds.Close()
	lyr, err := pickLayer(path, ds, want)
	if err != nil {
		return nil, err
	}
	r := &layerRead{layer: lyr.Name(), badFields: map[string]bool{}}
	driver := ds.Driver().ShortName()
	r.shapefile = driver == "ESRI Shapefile"
	if r.shapefile {
		r.sourceEncoding = lyr.Metadata("SOURCE_ENCODING", godal.Domain("SHAPEFILE"))
	}

	switch gt := flatType(uint32(lyr.Type())); gt {
	case wkbPoint, wkbMultiPoint, wkbLineString, wkbMultiLineString, wkbCircularString, wkbCompoundCurve, wkbMultiCurve, wkbCurve:
		return nil, inputErr(path, ErrBadVector, "layer %s holds %s geometries: zones must be polygons or multipolygons", r.layer, typeName(gt))
	case wkbNone:
		return nil, inputErr(path, ErrBadVector, "layer %s has no geometry column (an attribute table): zones must be polygons or multipolygons", r.layer)
	}

	srcSR := lyr.SpatialRef()
	if wkt, err := srcSR.WKT(gdalErrs); err != nil || strings.TrimSpace(wkt) == "" {
		return nil, inputErr(path, ErrBadVector, "layer %s has no coordinate reference system (a Shapefile needs its .prj): expected any CRS GDAL knows, e.g. EPSG:4490 or EPSG:4526", r.layer)
	}
	wgs84, err := godal.NewSpatialRefFromEPSG(4326, gdalErrs)
	if err != nil {
		return nil, fmt.Errorf("raster: WGS84: %w", err)
	}
	defer wgs84.Close()
	trn, err := godal.NewTransform(srcSR, wgs84, gdalErrs)
	if err != nil {
		return nil, inputErr(path, ErrBadVector, "layer %s: its CRS cannot be transformed to WGS84 lon/lat (%v)", r.layer, err)
	}
	defer trn.Close()

	// The count the layer declares, to catch a damaged file whose reading
	// stops early (GDAL reports that as the end of the layer). Not for OSM
	// (counting means parsing the whole file) nor Shapefiles (whose count
	// includes deleted records).
	declared := 0
	if driver != "OSM" && !r.shapefile {
		if n, err := lyr.FeatureCount(gdalErrs); err == nil {
			declared = n
		}
	}

	// The FID comes through OGR SQL as a field, unless the layer has a
	// column named FID, which would shadow it: then positions are used.
	// Date and date-time columns also come as text (CAST): GDAL keeps the
	// day as written ("2026/02/30"), where its parsed value would roll an
	// impossible date over to a real one (2026-03-02).
	var rs *godal.ResultSet
	read := lyr
	lyr.ResetReading()
	var dateFields []string
	if f := lyr.NextFeature(); f != nil {
		for name, v := range f.Fields() {
			if strings.EqualFold(name, "FID") || strings.EqualFold(name, fidAlias) {
				r.fidShadowed = true
			}
			if t := v.Type(); (t == godal.FTDate || t == godal.FTDateTime) && utf8.ValidString(name) && !strings.ContainsAny(name, `"\`) {
				dateFields = append(dateFields, name)
			}
		}
		f.Close()
	}
	slices.Sort(dateFields)
	lyr.ResetReading()
	if !r.fidShadowed || len(dateFields) > 0 {
		var q strings.Builder
		q.WriteString("SELECT ")
		if !r.fidShadowed {
			fmt.Fprintf(&q, `FID AS "%s", `, fidAlias)
		}
		q.WriteString("*")
		for i, name := range dateFields {
			fmt.Fprintf(&q, `, CAST("%s" AS CHARACTER(64)) AS "%s%d"`, name, rawDateAlias, i)
		}
		fmt.Fprintf(&q, ` FROM "%s"`, strings.ReplaceAll(r.layer, `"`, `\"`))
		rs, err = ds.ExecuteSQL(q.String(), godal.OGRSQLDialect(), gdalErrs)
		if err != nil {
			return nil, inputErr(path, ErrUnreadable, "layer %s cannot be read: %v", r.layer, err)
		}
		defer rs.Close()
		read = rs.Layer
	}

	counts := map[uint32]int{}
	polygons := 0
	var invalid []pendingRepair
	for i := 0; ; i++ {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		f := read.NextFeature()
		if f == nil {
			break
		}
		r.read++
		fid := int64(i)
		attrs := map[string]string{}
		rawDates := map[string]string{}
		for name, v := range f.Fields() {
			if name == fidAlias && !r.fidShadowed {
				fid = v.Int()
				continue
			}
			if k, ok := strings.CutPrefix(name, rawDateAlias); ok {
				if n, err := strconv.Atoi(k); err == nil && n >= 0 && n < len(dateFields) {
					rawDates[dateFields[n]] = rawDateText(v.String())
					continue
				}
			}
			s := fieldText(v)
			if !utf8.ValidString(name) {
				r.nonUTF8 = true
				name = strings.ToValidUTF8(name, "\uFFFD")
				r.badFields[name] = true
			}
			if !utf8.ValidString(s) {
				r.nonUTF8 = true
				r.badFields[name] = true
				s = strings.ToValidUTF8(s, "\uFFFD")
			}
			attrs[name] = strings.ReplaceAll(s, "\x00", "")
		}
		for name, v := range rawDates {
			attrs[name] = v
		}
		w, werr := f.Geometry().WKB(gdalErrs)
		f.Close()
		if werr != nil || len(w) < 5 {
			r.problems = append(r.problems, VectorProblem{FID: fid, Problem: "没有几何图形：应为面（多边形）", Skipped: true})
			continue
		}
		gt := flatType(wkbTypeCode(w))
		counts[gt]++
		switch gt {
		case wkbPolygon, wkbMultiPolygon, wkbCurvePolygon, wkbMultiSurface, wkbSurface, wkbPolyhedralSurface, wkbTIN, wkbTriangle, wkbGeometryCollection:
		default:
			r.problems = append(r.problems, VectorProblem{FID: fid, Problem: fmt.Sprintf("几何类型为 %s：应为面（Polygon）或多面（MultiPolygon）", typeName(gt)), Skipped: true})
			continue
		}
		polygons++
		mp, pend, problem, warning := toWGS84(w, srcSR, trn)
		if problem != "" {
			r.problems = append(r.problems, VectorProblem{FID: fid, Problem: problem, Skipped: true})
			continue
		}
		if warning != "" {
			r.problems = append(r.problems, VectorProblem{FID: fid, Problem: warning})
		}
		if pend != nil {
			pend.fid, pend.attrs, pend.at = fid, attrs, len(r.features)
			invalid = append(invalid, *pend)
			r.features = append(r.features, VectorFeature{FID: fid}) // placeholder
			continue
		}
		r.features = append(r.features, VectorFeature{FID: fid, Attrs: attrs, Geometry: mp})
	}
	if declared > 0 && r.read < declared {
		closeRepairs(invalid)
		return nil, inputErr(path, ErrUnreadable, "layer %s: read %d of its %d features: is the file truncated or damaged?", r.layer, r.read, declared)
	}
	if r.read == 0 {
		closeRepairs(invalid)
		return nil, inputErr(path, ErrEmpty, "layer %s has no features: expected at least one polygon", r.layer)
	}
	if polygons == 0 {
		closeRepairs(invalid)
		var kinds []string
		for gt, n := range counts {
			kinds = append(kinds, fmt.Sprintf("%d %s", n, typeName(gt)))
		}
		slices.Sort(kinds)
		what := "no geometries"
		if len(kinds) > 0 {
			what = strings.Join(kinds, ", ")
		}
		return nil, inputErr(path, ErrBadVector, "layer %s holds %s: zones must be polygons or multipolygons", r.layer, what)
	}
	if err := repairAll(invalid, r); err != nil {
		return nil, err
	}
	// Drop the placeholders of features whose repair failed.
	out := r.features[:0]
	for _, f := range r.features {
		if f.Geometry != nil {
			out = append(out, f)
		}
	}
	r.features = out
	return r, nil
}

// pickLayer returns the layer named want, or the only layer.
func pickLayer(path string, ds *godal.Dataset, want string) (godal.Layer, error) {
	ls := ds.Layers()
	describe := func() string {
		var names []string
		for _, l := range ls {
			names = append(names, fmt.Sprintf("%s (%s)", l.Name(), typeName(flatType(uint32(l.Type())))))
		}
		return strings.Join(names, ", ")
	}
	if len(ls) == 0 {
		return godal.Layer{}, inputErr(path, ErrBadVector, "holds no vector layer: expected a layer of polygons")
	}
	if want == "" {
		if len(ls) == 1 {
			return ls[0], nil
		}
		return godal.Layer{}, inputErr(path, ErrBadVector, "holds %d layers: %s; name the one to read (--layer)", len(ls), describe())
	}
	for _, l := range ls {
		if l.Name() == want {
			return l, nil
		}
	}
	for _, l := range ls {
		if strings.EqualFold(l.Name(), want) {
			return l, nil
		}
	}
	return godal.Layer{}, inputErr(path, ErrBadVector, "has no layer %q: its layers are %s", want, describe())
}

// pendingRepair is an invalid geometry (already in WGS84) waiting for
// repair; the caller owns geom until repairAll closes it.
type pendingRepair struct {
	fid    int64
	attrs  map[string]string
	at     int // index of the placeholder in layerRead.features
	geom   *godal.Geometry
	reason string // GEOS's, e.g. "Self-intersection at or near point …"
}

func closeRepairs(ps []pendingRepair) {
	for _, p := range ps {
		p.geom.Close()
	}
}

// toWGS84 copies the WKB geometry w (in srcSR), reprojects it to WGS84 and
// returns it as an orb.MultiPolygon; or, when GEOS finds it invalid, the
// reprojected geometry for repair; or a problem that leaves the feature
// out. A warning is about a feature that is kept.
func toWGS84(w []byte, srcSR *godal.SpatialRef, trn *godal.Transform) (mp orb.MultiPolygon, pend *pendingRepair, problem, warning string) {
	// An absurd coordinate (NaN, infinite, 1e308) is named as such before
	// GEOS would call it a self-intersection or the reprojection fail.
	if src, _, err := decodePolygons(w); err == nil {
		if p := absurdCoordinate(src); p != "" {
			return nil, nil, p, ""
		}
	}
	g, err := godal.NewGeometryFromWKB(w, srcSR, gdalErrs)
	if err != nil {
		return nil, nil, fmt.Sprintf("几何图形无法读取：%v", err), ""
	}
	switch flatType(wkbTypeCode(w)) {
	case wkbPolygon, wkbMultiPolygon:
	default:
		// Curves, surfaces, TINs, collections of polygons: OGR
		// linearises and merges them (a collection that also holds
		// points or lines stays one; its polygons are kept below).
		g = g.ForceToMultiPolygon() // consumes the copy
	}
	if err := g.Transform(trn, gdalErrs); err != nil {
		g.Close()
		return nil, nil, fmt.Sprintf("无法转换到 WGS84 经纬度：%v", err), ""
	}
	if g.Empty() {
		g.Close()
		return nil, nil, "几何图形为空：应为有面积的面（多边形）", ""
	}
	w2, err := g.WKB(gdalErrs)
	if err != nil {
		g.Close()
		return nil, nil, fmt.Sprintf("几何图形无法导出：%v", err), ""
	}
	if mp2, _, err := decodePolygons(w2); err == nil {
		if p := absurdCoordinate(mp2); p != "" {
			g.Close()
			return nil, nil, p, ""
		}
		if p := checkLonLat(mp2); p != "" {
			g.Close()
			return nil, nil, p, ""
		}
	}
	if ok, reason := geosValid(w2); !ok {
		return nil, &pendingRepair{geom: g, reason: reason}, "", ""
	}
	g.Close()
	mp, dropped, problem := polygonsOf(w2)
	if dropped > 0 && problem == "" {
		warning = fmt.Sprintf("几何集合中的 %d 个点或线部分已舍弃，保留其中的面", dropped)
	}
	return mp, nil, problem, warning
}

// geosValid reports whether GEOS (through OGR) finds the WKB geometry w
// valid, and if not why.
func geosValid(w []byte) (bool, string) {
	if len(w) == 0 {
		return false, "几何图形为空"
	}
	reason := make([]byte, 256)
	ok := C.weipianIsValid((*C.uchar)(unsafe.Pointer(&w[0])), C.int(len(w)), (*C.char)(unsafe.Pointer(&reason[0])), C.int(len(reason)))
	if ok == 1 {
		return true, ""
	}
	msg := string(reason[:max(0, bytes.IndexByte(reason, 0))])
	if ok < 0 && msg == "" {
		msg = "几何图形无法读取"
	}
	return false, strings.TrimSpace(msg)
}

// exportPolygons returns the polygonal parts of g, which is in WGS84, and
// how many point or line parts it dropped; or a problem.
func exportPolygons(g *godal.Geometry) (orb.MultiPolygon, int, string) {
	w, err := g.WKB(gdalErrs)
	if err != nil {
		return nil, 0, fmt.Sprintf("几何图形无法导出：%v", err)
	}
	return polygonsOf(w)
}

// polygonsOf decodes the WGS84 WKB geometry w like exportPolygons.
func polygonsOf(w []byte) (orb.MultiPolygon, int, string) {
	mp, dropped, err := decodePolygons(w)
	if err != nil {
		return nil, 0, fmt.Sprintf("几何图形无法解码：%v", err)
	}
	if len(mp) == 0 {
		return nil, dropped, "几何图形为空：应为有面积的面（多边形）"
	}
	if problem := checkLonLat(mp); problem != "" {
		return nil, dropped, problem
	}
	return mp, dropped, ""
}

// absurdLimit bounds the coordinates of any CRS: no projected coordinate
// on Earth comes near 1e9 (metres, feet or degrees).
const absurdLimit = 1e9

// absurdCoordinate returns a problem naming the first coordinate of mp that
// is NaN, infinite or beyond absurdLimit: a broken value, not a geometry
// to repair or a CRS to fix.
func absurdCoordinate(mp orb.MultiPolygon) string {
	for _, p := range mp {
		for _, r := range p {
			for _, pt := range r {
				if !(math.Abs(pt[0]) <= absurdLimit && math.Abs(pt[1]) <= absurdLimit) { // NaN fails too
					return fmt.Sprintf("坐标 (%g, %g) 无效：不是任何坐标系中的有限坐标（NaN、无穷大或大得离谱）；请修正该要素的几何图形", pt[0], pt[1])
				}
			}
		}
	}
	return ""
}

// checkLonLat returns a problem when a coordinate is not a finite lon/lat.
func checkLonLat(mp orb.MultiPolygon) string {
	for _, p := range mp {
		for _, r := range p {
			for _, pt := range r {
				if math.IsNaN(pt[0]) || math.IsNaN(pt[1]) || math.IsInf(pt[0], 0) || math.IsInf(pt[1], 0) ||
					pt[0] < -180 || pt[0] > 180 || pt[1] < -90 || pt[1] > 90 {
					return fmt.Sprintf("坐标 (%g, %g) 转换后不是经纬度：文件声明的坐标系（.prj）很可能不是其坐标实际所用的坐标系", pt[0], pt[1])
				}
			}
		}
	}
	return ""
}

// repairAll repairs the invalid geometries with GEOS MakeValid (ogr2ogr
// -makevalid on an in-memory layer, in one call), falling back to a
// zero-width buffer, fills in their placeholders in r.features and reports
// each repair. It closes every pending geometry.
func repairAll(pend []pendingRepair, r *layerRead) error {
	if len(pend) == 0 {
		return nil
	}
	defer closeRepairs(pend)
	fixed, err := makeValid(pend)
	if err != nil {
		fixed = map[int]orb.MultiPolygon{}
		r.problems = append(r.problems, VectorProblem{FID: -1, Problem: fmt.Sprintf("GEOS MakeValid 不可用（%v）：无效的面改用零宽度缓冲区（buffer 0）修复，自相交环的部分可能被舍弃", err)})
	}
	for i, p := range pend {
		mp, how := fixed[i], "GEOS MakeValid"
		if len(mp) == 0 || checkLonLat(mp) != "" {
			mp, how = nil, "零宽度缓冲区（buffer 0）"
			if b, err := p.geom.Buffer(0, 8, gdalErrs); err == nil {
				if m, _, problem := exportPolygons(b); problem == "" {
					mp = m
				}
				b.Close()
			}
		}
		why := "面几何无效"
		if p.reason != "" {
			why += "（" + p.reason + "）"
		}
		if len(mp) == 0 {
			r.problems = append(r.problems, VectorProblem{FID: p.fid, Problem: why + "，无法修复：修复后没有面积", Skipped: true})
			continue
		}
		parts := fmt.Sprintf("%d 个面", len(mp))
		r.problems = append(r.problems, VectorProblem{FID: p.fid, Problem: fmt.Sprintf("%s，已用 %s 修复为 %s", why, how, parts)})
		r.features[p.at] = VectorFeature{FID: p.fid, Attrs: p.attrs, Geometry: mp}
	}
	return nil
}

// makeValid runs GEOS MakeValid over the pending geometries and returns the
// polygonal result of each by its index in pend (absent when the result
// has no area).
func makeValid(pend []pendingRepair) (map[int]orb.MultiPolygon, error) {
	mem, err := godal.CreateVector(godal.Memory, "", gdalErrs)
	if err != nil {
		return nil, err
	}
	defer mem.Close()
	lyr, err := mem.CreateLayer("repair", nil, godal.GTUnknown, gdalErrs, godal.NewFieldDefinition("i", godal.FTInt64))
	if err != nil {
		return nil, err
	}
	for i, p := range pend {
		f, err := lyr.NewFeature(p.geom, gdalErrs)
		if err != nil {
			return nil, err
		}
		err = f.SetFieldValue(f.Fields()["i"], int64(i), gdalErrs)
		if err == nil {
			err = lyr.UpdateFeature(f, gdalErrs)
		}
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	out, err := mem.VectorTranslate("", []string{"-f", "Memory", "-makevalid"}, gdalErrs)
	if err != nil {
		return nil, err
	}
	defer out.Close()
	ls := out.Layers()
	if len(ls) != 1 {
		return nil, errors.New("no result layer")
	}
	res := map[int]orb.MultiPolygon{}
	for f := ls[0].NextFeature(); f != nil; f = ls[0].NextFeature() {
		i := int(f.Fields()["i"].Int())
		w, err := f.Geometry().WKB(gdalErrs)
		f.Close()
		if err != nil || i < 0 || i >= len(pend) {
			continue
		}
		if mp, _, err := decodePolygons(w); err == nil && len(mp) > 0 {
			res[i] = mp
		}
	}
	return res, nil
}

// vectorSource returns what GDAL opens for path: the path itself, or for a
// .zip the /vsizip/ name of the one vector file inside (chosen by layer
// when there are several).
func vectorSource(path, layer string) (source, error) {
	if strings.HasPrefix(path, "/vsi") || !strings.EqualFold(filepath.Ext(path), ".zip") {
		return source{name: path}, nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return source{}, inputErr(path, ErrUnreadable, "cannot be read: %v", err)
	}
	zr, err := zip.OpenReader(abs)
	if err != nil {
		return source{}, inputErr(path, ErrUnreadable, "cannot be read as a zip archive: %v", err)
	}
	defer zr.Close()
	type entry struct{ name, base string }
	var shps, others []entry
	gbkNames := false
	for _, f := range zr.File {
		name := f.Name
		if f.FileInfo().IsDir() || strings.HasPrefix(name, "__MACOSX/") || strings.HasPrefix(filepath.Base(name), "._") {
			continue
		}
		if !utf8.ValidString(name) {
			// A name in the local code page (Windows zip tools in
			// China write GBK without the UTF-8 flag): GDAL decodes
			// it with CPL_ZIP_ENCODING, so decode it the same way.
			dec, err := simplifiedchinese.GB18030.NewDecoder().String(name)
			if err != nil {
				continue
			}
			name, gbkNames = dec, true
		}
		ext := strings.ToLower(filepath.Ext(name))
		e := entry{name: name, base: strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))}
		switch ext {
		case ".shp":
			shps = append(shps, e)
		case ".gpkg", ".geojson", ".json", ".fgb", ".kml", ".kmz", ".gml", ".sqlite", ".tab", ".mif":
			others = append(others, e)
		}
	}
	cands := shps
	if len(cands) == 0 {
		cands = others
	}
	var pick *entry
	switch {
	case len(cands) == 0:
		return source{}, inputErr(path, ErrBadVector, "the zip archive holds no vector file: expected a .shp (with its .dbf, .shx, .prj) or a .gpkg, .geojson, .fgb, .kml")
	case len(cands) == 1:
		pick = &cands[0]
	default:
		var names []string
		for i, c := range cands {
			names = append(names, c.name)
			if layer != "" && (strings.EqualFold(c.base, layer) || c.name == layer) {
				pick = &cands[i]
			}
		}
		if pick == nil {
			return source{}, inputErr(path, ErrBadVector, "the zip archive holds %d vector files: %s; name the one to read (--layer, its name without extension)", len(cands), strings.Join(names, ", "))
		}
	}
	src := source{name: "/vsizip/" + abs + "/" + pick.name, layerUsed: len(cands) > 1}
	if gbkNames {
		src.cfg = append(src.cfg, "CPL_ZIP_ENCODING=CP936")
	}
	return src, nil
}

// normEncoding maps common spellings of an encoding to the name iconv
// knows.
func normEncoding(e string) string {
	e = strings.TrimSpace(e)
	switch strings.ToUpper(strings.NewReplacer("-", "", "_", "", " ", "").Replace(e)) {
	case "":
		return ""
	case "UTF8":
		return "UTF-8"
	case "GBK", "CP936", "936", "WINDOWS936", "MS936":
		return "CP936"
	case "GB18030":
		return "GB18030"
	case "GB2312", "EUCCN":
		return "GB2312"
	case "BIG5", "CP950", "950":
		return "BIG5"
	case "LATIN1", "ISO88591":
		return "ISO-8859-1"
	}
	return e
}

// fieldText returns a field value as text (see VectorFeature.Attrs).
func fieldText(v godal.Field) string {
	switch v.Type() {
	case godal.FTInt, godal.FTInt64:
		return strconv.FormatInt(v.Int(), 10)
	case godal.FTReal:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return ""
		}
		return strconv.FormatFloat(f, 'f', -1, 64)
	case godal.FTString:
		return strings.TrimSpace(v.String())
	case godal.FTDate:
		if t := v.DateTime(); t != nil {
			return t.Format("2006-01-02")
		}
	case godal.FTDateTime:
		if t := v.DateTime(); t != nil {
			return t.Format("2006-01-02 15:04:05")
		}
	case godal.FTTime:
		if t := v.DateTime(); t != nil {
			return t.Format("15:04:05")
		}
	case godal.FTIntList, godal.FTInt64List:
		var s []string
		for _, x := range v.IntList() {
			s = append(s, strconv.FormatInt(x, 10))
		}
		return strings.Join(s, ",")
	case godal.FTRealList:
		var s []string
		for _, x := range v.FloatList() {
			s = append(s, strconv.FormatFloat(x, 'f', -1, 64))
		}
		return strings.Join(s, ",")
	case godal.FTStringList:
		return strings.Join(v.StringList(), ",")
	}
	return ""
}

// OGC geometry type codes (flattened: no Z, M or 25D flag).
const (
	wkbUnknown            = 0
	wkbPoint              = 1
	wkbLineString         = 2
	wkbPolygon            = 3
	wkbMultiPoint         = 4
	wkbMultiLineString    = 5
	wkbMultiPolygon       = 6
	wkbGeometryCollection = 7
	wkbCircularString     = 8
	wkbCompoundCurve      = 9
	wkbCurvePolygon       = 10
	wkbMultiCurve         = 11
	wkbMultiSurface       = 12
	wkbCurve              = 13
	wkbSurface            = 14
	wkbPolyhedralSurface  = 15
	wkbTIN                = 16
	wkbTriangle           = 17
	wkbNone               = 100
)

// flatType strips the 2.5D flag and the ISO Z/M/ZM thousands of an OGR or
// WKB geometry type code.
func flatType(t uint32) uint32 {
	t &^= 0x80000000 | 0x40000000 | 0x20000000
	if t == wkbNone {
		return t
	}
	return t % 1000
}

func typeName(t uint32) string {
	switch t {
	case wkbUnknown:
		return "mixed or unknown"
	case wkbPoint:
		return "Point"
	case wkbLineString:
		return "LineString"
	case wkbPolygon:
		return "Polygon"
	case wkbMultiPoint:
		return "MultiPoint"
	case wkbMultiLineString:
		return "MultiLineString"
	case wkbMultiPolygon:
		return "MultiPolygon"
	case wkbGeometryCollection:
		return "GeometryCollection"
	case wkbCircularString:
		return "CircularString"
	case wkbCompoundCurve:
		return "CompoundCurve"
	case wkbCurvePolygon:
		return "CurvePolygon"
	case wkbMultiCurve:
		return "MultiCurve"
	case wkbMultiSurface:
		return "MultiSurface"
	case wkbCurve:
		return "Curve"
	case wkbSurface:
		return "Surface"
	case wkbPolyhedralSurface:
		return "PolyhedralSurface"
	case wkbTIN:
		return "TIN"
	case wkbTriangle:
		return "Triangle"
	case wkbNone:
		return "no geometry"
	}
	return fmt.Sprintf("geometry type %d", t)
}

// wkbTypeCode returns the type code of a WKB geometry (0 if too short).
func wkbTypeCode(w []byte) uint32 {
	if len(w) < 5 {
		return 0
	}
	if w[0] == 0 {
		return binary.BigEndian.Uint32(w[1:5])
	}
	return binary.LittleEndian.Uint32(w[1:5])
}

// decodePolygons decodes the polygons of an ISO or extended WKB Polygon,
// MultiPolygon or GeometryCollection (recursively), in 2D: Z and M are
// dropped. Points and lines inside a collection are skipped and counted in
// dropped; curve types are an error (linearise them first).
//
// Rings are oriented as RFC 7946 asks, exterior rings counter-clockwise and
// holes clockwise (in lon/lat), so that a layer reads the same from a
// Shapefile (clockwise exteriors) as from a GeoPackage; a reversed ring
// keeps its first vertex.
func decodePolygons(w []byte) (mp orb.MultiPolygon, dropped int, err error) {
	d := wkbDecoder{b: w}
	err = d.geometry(&mp, &dropped, 0)
	if err == nil && d.off != len(d.b) {
		err = fmt.Errorf("%d trailing bytes", len(d.b)-d.off)
	}
	for _, p := range mp {
		for i, r := range p {
			if o := r.Orientation(); (i == 0 && o == orb.CW) || (i > 0 && o == orb.CCW) {
				r.Reverse()
			}
		}
	}
	return mp, dropped, err
}

type wkbDecoder struct {
	b   []byte
	off int
	le  bool
}

var errShortWKB = errors.New("truncated WKB")

func (d *wkbDecoder) u32() (uint32, error) {
	if d.off+4 > len(d.b) {
		return 0, errShortWKB
	}
	var v uint32
	if d.le {
		v = binary.LittleEndian.Uint32(d.b[d.off:])
	} else {
		v = binary.BigEndian.Uint32(d.b[d.off:])
	}
	d.off += 4
	return v, nil
}

func (d *wkbDecoder) f64() (float64, error) {
	if d.off+8 > len(d.b) {
		return 0, errShortWKB
	}
	var v uint64
	if d.le {
		v = binary.LittleEndian.Uint64(d.b[d.off:])
	} else {
		v = binary.BigEndian.Uint64(d.b[d.off:])
	}
	d.off += 8
	return math.Float64frombits(v), nil
}

// header reads a byte order and type, returning the flat type and the
// number of coordinates per point.
func (d *wkbDecoder) header() (uint32, int, error) {
	if d.off >= len(d.b) {
		return 0, 0, errShortWKB
	}
	switch d.b[d.off] {
	case 0:
		d.le = false
	case 1:
		d.le = true
	default:
		return 0, 0, fmt.Errorf("bad byte order %d", d.b[d.off])
	}
	d.off++
	t, err := d.u32()
	if err != nil {
		return 0, 0, err
	}
	dims := 2
	if t&0x80000000 != 0 { // 2.5D (extended WKB Z)
		dims++
	}
	if t&0x40000000 != 0 { // extended WKB M
		dims++
	}
	if t&0x20000000 != 0 { // EWKB SRID
		if _, err := d.u32(); err != nil {
			return 0, 0, err
		}
	}
	base := t &^ (0x80000000 | 0x40000000 | 0x20000000)
	switch base / 1000 {
	case 1, 2: // ISO Z, ISO M
		dims++
	case 3: // ISO ZM
		dims += 2
	}
	return base % 1000, dims, nil
}

func (d *wkbDecoder) geometry(mp *orb.MultiPolygon, dropped *int, depth int) error {
	if depth > 32 {
		return errors.New("collections nested too deeply")
	}
	t, dims, err := d.header()
	if err != nil {
		return err
	}
	switch t {
	case wkbPolygon:
		p, err := d.polygon(dims)
		if err != nil {
			return err
		}
		if len(p) > 0 && len(p[0]) > 0 {
			*mp = append(*mp, p)
		}
		return nil
	case wkbMultiPolygon, wkbGeometryCollection:
		n, err := d.u32()
		if err != nil {
			return err
		}
		for range n {
			if err := d.geometry(mp, dropped, depth+1); err != nil {
				return err
			}
		}
		return nil
	case wkbPoint:
		*dropped++
		return d.skipPoints(1, dims)
	case wkbLineString:
		*dropped++
		n, err := d.u32()
		if err != nil {
			return err
		}
		return d.skipPoints(int(n), dims)
	case wkbMultiPoint, wkbMultiLineString:
		n, err := d.u32()
		if err != nil {
			return err
		}
		var sub orb.MultiPolygon
		for range n {
			if err := d.geometry(&sub, dropped, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("unsupported WKB geometry type %s", typeName(t))
}

func (d *wkbDecoder) skipPoints(n, dims int) error {
	need := n * dims * 8
	if n < 0 || d.off+need > len(d.b) {
		return errShortWKB
	}
	d.off += need
	return nil
}

func (d *wkbDecoder) polygon(dims int) (orb.Polygon, error) {
	nr, err := d.u32()
	if err != nil {
		return nil, err
	}
	if int(nr) > (len(d.b)-d.off)/4 {
		return nil, errShortWKB
	}
	p := make(orb.Polygon, 0, nr)
	for range nr {
		np, err := d.u32()
		if err != nil {
			return nil, err
		}
		if int(np) > (len(d.b)-d.off)/(8*dims) {
			return nil, errShortWKB
		}
		r := make(orb.Ring, np)
		for k := range r {
			x, err := d.f64()
			if err != nil {
				return nil, err
			}
			y, err := d.f64()
			if err != nil {
				return nil, err
			}
			d.off += 8 * (dims - 2)
			r[k] = orb.Point{x, y}
		}
		if len(r) > 0 {
			p = append(p, r)
		}
	}
	return p, nil
}
