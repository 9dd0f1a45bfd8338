package raster_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/airbusgeo/godal"
	"github.com/paulmach/orb"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/pipeline/crs"
	"github.com/weipian/weipian/raster"
)

// sampleLayer returns two 图斑 in WGS84 lon/lat near Wuhan (GK zone 38),
// one with a hole and one a two-part multipolygon, and their attributes.
func sampleLayer() ([]raster.Field, []orb.Geometry, [][]any) {
	fields := []raster.Field{
		{Name: "JCBH", Type: raster.String},
		{Name: "XZQMC", Type: raster.String},
		{Name: "NF", Type: raster.Integer},
		{Name: "JCMJ", Type: raster.Real, Width: 18, Precision: 2},
		{Name: "XFSJ", Type: raster.Date},
	}
	a := orb.Polygon{
		{{114.3000, 30.6000}, {114.3021, 30.6002}, {114.3019, 30.6016}, {114.3003, 30.6013}, {114.3000, 30.6000}},
		{{114.3008, 30.6004}, {114.3012, 30.6004}, {114.3012, 30.6007}, {114.3008, 30.6007}, {114.3008, 30.6004}},
	}
	b := orb.MultiPolygon{
		{{{114.31, 30.61}, {114.311, 30.61}, {114.311, 30.611}, {114.31, 30.611}}}, // open ring: closed by the writer
		{{{114.32, 30.62}, {114.321, 30.62}, {114.321, 30.621}, {114.32, 30.62}}},
	}
	values := [][]any{
		{"420102-2026-0001", "江岸区谌家矶街道（测试）", 2026, 25144.49, time.Date(2026, 5, 3, 0, 0, 0, 0, time.UTC)},
		{"420102-2026-0002", nil, int64(2026), nil, "2026-05-04"},
	}
	return fields, []orb.Geometry{a, b}, values
}

// features returns the sample in c.
func features(t *testing.T, c crs.CRS) []raster.Feature {
	t.Helper()
	_, geoms, values := sampleLayer()
	out := make([]raster.Feature, len(geoms))
	for i, g := range geoms {
		pg, err := c.Project(g)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = raster.Feature{Geometry: pg, Values: values[i]}
	}
	return out
}

// readBack opens a written file with GDAL and returns its layer's EPSG code,
// name, field values as text and geometries (WKT) in file order.
type readLayer struct {
	name   string
	epsg   string
	fields []string
	values []map[string]string
	geoms  []geomInfo
}

// geomInfo is what the tests look at of a geometry read back.
type geomInfo struct {
	name   string
	parts  int
	area   float64
	bounds [4]float64
}

func readBack(t *testing.T, path string, cfg ...string) readLayer {
	t.Helper()
	ds, err := godal.Open(path, godal.VectorOnly(), godal.ConfigOption(cfg...))
	if err != nil {
		t.Fatalf("GDAL cannot open %s: %v", path, err)
	}
	defer ds.Close()
	ls := ds.Layers()
	if len(ls) != 1 {
		t.Fatalf("%s: %d layers, want 1", path, len(ls))
	}
	l := ls[0]
	sr := l.SpatialRef()
	if err := sr.AutoIdentifyEPSG(); err != nil {
		t.Logf("%s: AutoIdentifyEPSG: %v", path, err)
	}
	out := readLayer{name: l.Name(), epsg: sr.AuthorityCode("")}
	for {
		f := l.NextFeature()
		if f == nil {
			break
		}
		m := map[string]string{}
		for k, v := range f.Fields() {
			if !v.IsSet() {
				continue
			}
			switch v.Type() {
			case godal.FTDate, godal.FTDateTime:
				if d := v.DateTime(); d != nil {
					m[k] = d.Format("2006-01-02")
				}
			default:
				m[k] = v.String()
			}
		}
		out.values = append(out.values, m)
		g := f.Geometry()
		b, _ := g.Bounds()
		gi := geomInfo{name: g.Name(), parts: g.GeometryCount(), bounds: b}
		if strings.Contains(gi.name, "POLYGON") {
			gi.area = g.Area()
		}
		out.geoms = append(out.geoms, gi)
		f.Close()
	}
	return out
}

func TestWriteVectorFormats(t *testing.T) {
	dir := t.TempDir()
	fields, geoms, values := sampleLayer()
	zone38, err := crs.GK.Resolve(geoms...)
	if err != nil {
		t.Fatal(err)
	}
	if zone38.EPSG() != 4526 {
		t.Fatalf("zone of the sample: %v, want EPSG:4526", zone38)
	}
	cases := []struct {
		file string
		opt  raster.VectorWriteOptions
		c    crs.CRS
	}{
		{"a.gpkg", raster.VectorWriteOptions{Layer: "图斑", EPSG: 4490}, crs.CGCS2000},
		{"b.shp", raster.VectorWriteOptions{EPSG: 4526, Encoding: "GBK"}, zone38},
		{"c.shp", raster.VectorWriteOptions{EPSG: 4490}, crs.CGCS2000},
		{"d.geojson", raster.VectorWriteOptions{EPSG: 4526}, zone38},
		{"e.gdb", raster.VectorWriteOptions{Layer: "XFTB", EPSG: 4526}, zone38},
		{"f.gpkg", raster.VectorWriteOptions{EPSG: 4534 + 13}, mustCRS(t, "EPSG:4547")},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join(dir, tc.file)
			if err := raster.WriteVector(path, tc.opt, fields, features(t, tc.c)); err != nil {
				t.Fatal(err)
			}
			got := readBack(t, path)
			if want := tc.opt.EPSG; got.epsg != strconv.Itoa(want) {
				t.Errorf("CRS EPSG:%s, want EPSG:%d", got.epsg, want)
			}
			wantName := tc.opt.Layer
			if wantName == "" {
				wantName = strings.TrimSuffix(tc.file, filepath.Ext(tc.file))
			}
			if got.name != wantName {
				t.Errorf("layer %q, want %q", got.name, wantName)
			}
			if len(got.values) != len(values) {
				t.Fatalf("%d features, want %d", len(got.values), len(values))
			}
			want := []map[string]string{
				{"JCBH": "420102-2026-0001", "XZQMC": "江岸区谌家矶街道（测试）", "NF": "2026", "JCMJ": "25144.49", "XFSJ": "2026-05-03"},
				{"JCBH": "420102-2026-0002", "NF": "2026", "XFSJ": "2026-05-04"},
			}
			for i := range want {
				for k, v := range want[i] {
					g := got.values[i][k]
					if k == "JCMJ" {
						g = strings.TrimRight(strings.TrimRight(g, "0"), ".")
					}
					if g != v {
						t.Errorf("feature %d field %s = %q, want %q", i+1, k, got.values[i][k], v)
					}
				}
			}
			// Nulls stay null (godal cannot tell null from unset: ogrinfo).
			if dump := ogrinfo(t, path); dump != "" {
				for _, w := range []string{"XZQMC (String) = (null)", "JCMJ (Real) = (null)"} {
					if !strings.Contains(dump, w) {
						t.Errorf("ogrinfo does not show %q:\n%s", w, dump)
					}
				}
			}
			// Geometries: the same parts and rings, and in a projected
			// CRS the area of the sample (EPSG:4526 area from
			// pipeline/geodesy's test against GDAL).
			if n := got.geoms[1].parts; n != 2 {
				t.Errorf("feature 2 has %d parts, want 2", n)
			}
			if !tc.c.Geographic() && math.Abs(got.geoms[0].area-25144.4879313707) > 0.01 {
				t.Errorf("feature 1 area %.4f m², want 25144.4879 (hole kept)", got.geoms[0].area)
			}
			if tc.c.Geographic() {
				b := got.geoms[0].bounds
				if math.Abs(b[0]-114.3) > 1e-9 || math.Abs(b[3]-30.6016) > 1e-9 {
					t.Errorf("bounds %v: coordinates not written as lon/lat", b)
				}
			}
		})
	}

	t.Run("shapefile files", func(t *testing.T) {
		for _, ext := range []string{".shp", ".shx", ".dbf", ".prj", ".cpg"} {
			if _, err := os.Stat(filepath.Join(dir, "b"+ext)); err != nil {
				t.Errorf("missing b%s: %v", ext, err)
			}
		}
		cpg, _ := os.ReadFile(filepath.Join(dir, "b.cpg"))
		if strings.TrimSpace(string(cpg)) != "GBK" {
			t.Errorf(".cpg says %q, want GBK", cpg)
		}
		cpg, _ = os.ReadFile(filepath.Join(dir, "c.cpg"))
		if strings.TrimSpace(string(cpg)) != "UTF-8" {
			t.Errorf("c.cpg says %q, want UTF-8", cpg)
		}
		dbf, _ := os.ReadFile(filepath.Join(dir, "b.dbf"))
		gbk, _ := simplifiedchinese.GBK.NewEncoder().String("江岸区谌家矶街道（测试）")
		if !bytes.Contains(dbf, []byte(gbk)) {
			t.Error(".dbf does not hold the text in GBK")
		}
		if bytes.Contains(dbf, []byte("江岸区")) {
			t.Error(".dbf holds UTF-8 text")
		}
		if dbf[1] != 100 || dbf[2] != 1 || dbf[3] != 1 {
			t.Errorf(".dbf last-update date %d-%d-%d, want the fixed 2000-01-01", int(dbf[1])+1900, dbf[2], dbf[3])
		}
		prj, _ := os.ReadFile(filepath.Join(dir, "b.prj"))
		if !strings.Contains(string(prj), "Gauss_Kruger") || !strings.Contains(string(prj), "38500000") {
			t.Errorf(".prj is not GK zone 38: %s", prj)
		}
		// Width of the text field: its longest value in GBK bytes.
		if w := dbfFieldWidth(dbf, "XZQMC"); w != len(gbk) {
			t.Errorf("XZQMC width %d, want %d", w, len(gbk))
		}
	})

	t.Run("geojson crs member", func(t *testing.T) {
		b, _ := os.ReadFile(filepath.Join(dir, "d.geojson"))
		if !bytes.Contains(b, []byte(`"urn:ogc:def:crs:EPSG::4526"`)) {
			t.Errorf("GeoJSON without the EPSG:4526 crs member: %.300s", b)
		}
	})

	// ReadVector, which imports 下发 packages, reads the GBK Shapefile back
	// to the original lon/lat.
	t.Run("read back to WGS84", func(t *testing.T) {
		fs, _, err := raster.ReadVector(context.Background(), filepath.Join(dir, "b.shp"), raster.VectorOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if fs[0].Attrs["XZQMC"] != "江岸区谌家矶街道（测试）" {
			t.Errorf("XZQMC read back as %q", fs[0].Attrs["XZQMC"])
		}
		want := geoms[0].(orb.Polygon)
		for _, p := range want[0] {
			if d := nearest(fs[0].Geometry[0][0], p); d > 1e-9 {
				t.Errorf("point %v comes back %.2g° away", p, d)
			}
		}
	})
}

// ogrinfo returns ogrinfo's listing of the features of path, or "" (and a
// log line) when ogrinfo is not installed.
func ogrinfo(t *testing.T, path string) string {
	t.Helper()
	bin, err := exec.LookPath("ogrinfo")
	if err != nil {
		t.Log("ogrinfo not installed: null values not checked")
		return ""
	}
	out, err := exec.Command(bin, "-ro", "-al", "-q", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo %s: %v\n%s", path, err, out)
	}
	return string(out)
}

func mustCRS(t *testing.T, s string) crs.CRS {
	t.Helper()
	c, err := crs.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func nearest(r orb.Ring, p orb.Point) float64 {
	d := math.Inf(1)
	for _, q := range r {
		d = math.Min(d, math.Hypot(q[0]-p[0], q[1]-p[1]))
	}
	return d
}

// dbfFieldWidth returns the width of a field in a .dbf header.
func dbfFieldWidth(dbf []byte, name string) int {
	for off := 32; off+32 <= len(dbf) && dbf[off] != 0x0d; off += 32 {
		n := string(bytes.TrimRight(dbf[off:off+11], "\x00"))
		if n == name {
			return int(dbf[off+16])
		}
	}
	return -1
}

// Identical input gives identical bytes in every format, written a second
// apart (GeoPackage and FileGDB would otherwise stamp the time). The one
// exception is documented: the dataset UUIDs of a FileGDB's GDB_Items
// (a00000004) and GDB_ItemRelationships (a00000006) come from GDAL's
// reproducible generator, whose sequence runs on through the process.
func TestWriteVectorDeterministic(t *testing.T) {
	fields, geoms, _ := sampleLayer()
	zone, _ := crs.GK.Resolve(geoms...)
	files := []struct {
		name string
		opt  raster.VectorWriteOptions
		c    crs.CRS
	}{
		{"t.gpkg", raster.VectorWriteOptions{EPSG: 4490}, crs.CGCS2000},
		{"t.shp", raster.VectorWriteOptions{EPSG: 4526, Encoding: "GBK"}, zone},
		{"t.geojson", raster.VectorWriteOptions{EPSG: 4526}, zone},
		{"t.gdb", raster.VectorWriteOptions{EPSG: 4490}, crs.CGCS2000},
	}
	var dirs []string
	for run := range 2 {
		if run > 0 {
			time.Sleep(1100 * time.Millisecond)
		}
		dir := t.TempDir()
		for _, f := range files {
			if err := raster.WriteVector(filepath.Join(dir, f.name), f.opt, fields, features(t, f.c)); err != nil {
				t.Fatal(err)
			}
		}
		dirs = append(dirs, dir)
	}
	a, b := treeBytes(t, dirs[0]), treeBytes(t, dirs[1])
	if len(a) < 5+1+1+10 {
		t.Fatalf("only %d files written", len(a))
	}
	if len(a) != len(b) {
		t.Fatalf("%d files, then %d", len(a), len(b))
	}
	for name, data := range a {
		switch name {
		case "t.gdb/a00000004.gdbtable", "t.gdb/a00000006.gdbtable":
			if len(data) != len(b[name]) {
				t.Errorf("%s: %d bytes, then %d", name, len(data), len(b[name]))
			}
			continue
		}
		if !bytes.Equal(data, b[name]) {
			t.Errorf("%s differs between two writes", name)
		}
	}
}

func treeBytes(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestWriteVectorPointsAndLines(t *testing.T) {
	dir := t.TempDir()
	fields := []raster.Field{{Name: "NAME", Type: raster.String}}
	pts := []raster.Feature{
		{Geometry: orb.Point{114.3, 30.6}, Values: []any{"一"}},
		{Geometry: orb.MultiPoint{{114.4, 30.7}, {114.5, 30.8}}, Values: []any{"二"}},
	}
	lines := []raster.Feature{
		{Geometry: orb.LineString{{114.3, 30.6}, {114.4, 30.7}}, Values: []any{"一"}},
		{Geometry: orb.MultiLineString{{{114.3, 30.6}, {114.4, 30.7}}, {{114.5, 30.6}, {114.6, 30.7}}}, Values: []any{"二"}},
	}
	for _, tc := range []struct {
		file  string
		feats []raster.Feature
		want  []string // geometry names in file order
	}{
		{"p.shp", pts, []string{"MULTIPOINT", "MULTIPOINT"}},
		{"p.gpkg", pts, []string{"MULTIPOINT", "MULTIPOINT"}},
		{"p.geojson", pts, []string{"POINT", "MULTIPOINT"}},
		{"l.shp", lines, []string{"LINESTRING", "MULTILINESTRING"}},
		{"l.gdb", lines, []string{"MULTILINESTRING", "MULTILINESTRING"}},
		{"l.geojson", lines, []string{"LINESTRING", "MULTILINESTRING"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join(dir, tc.file)
			if err := raster.WriteVector(path, raster.VectorWriteOptions{EPSG: 4490}, fields, tc.feats); err != nil {
				t.Fatal(err)
			}
			got := readBack(t, path)
			var names []string
			for _, g := range got.geoms {
				names = append(names, g.name)
			}
			if !slices.Equal(names, tc.want) {
				t.Errorf("geometries %v, want %v", names, tc.want)
			}
			if got.values[1]["NAME"] != "二" {
				t.Errorf("NAME = %q", got.values[1]["NAME"])
			}
		})
	}
}

func TestWriteVectorRefuses(t *testing.T) {
	poly := orb.Polygon{{{114.3, 30.6}, {114.31, 30.6}, {114.31, 30.61}, {114.3, 30.6}}}
	gk, _ := crs.Parse("EPSG:4526")
	gkPoly, _ := gk.Project(poly)
	one := func(v any) []raster.Feature { return []raster.Feature{{Geometry: poly, Values: []any{v}}} }
	str := []raster.Field{{Name: "JCBH", Type: raster.String}}
	long := strings.Repeat("测", 128) // 256 bytes in GBK
	cases := []struct {
		name   string
		file   string
		opt    raster.VectorWriteOptions
		fields []raster.Field
		feats  []raster.Feature
		want   []string
	}{
		{"no CRS", "x.gpkg", raster.VectorWriteOptions{}, str, one("a"), []string{"EPSG"}},
		{"unknown extension", "x.txt", raster.VectorWriteOptions{EPSG: 4490}, str, one("a"), []string{".txt", "extension"}},
		{"long shapefile name", "x.shp", raster.VectorWriteOptions{EPSG: 4490, Encoding: "GBK"},
			[]raster.Field{{Name: "监测面积平方", Type: raster.Real}}, one(1.0), []string{`"监测面积平方"`, "12 bytes in GBK", "at most 10"}},
		{"long name in UTF-8", "x.shp", raster.VectorWriteOptions{EPSG: 4490},
			[]raster.Field{{Name: "监测面积", Type: raster.Real}}, one(1.0), []string{`"监测面积"`, "12 bytes in UTF-8"}},
		{"repeated name", "x.gpkg", raster.VectorWriteOptions{EPSG: 4490},
			[]raster.Field{{Name: "JCBH"}, {Name: "jcbh"}}, []raster.Feature{{Geometry: poly, Values: []any{"a", "b"}}}, []string{`"jcbh" repeats field 1`}},
		{"FileGDB name", "x.gdb", raster.VectorWriteOptions{EPSG: 4490},
			[]raster.Field{{Name: "1JC"}}, one("a"), []string{`"1JC"`, "starts with a letter"}},
		{"wrong value type", "x.gpkg", raster.VectorWriteOptions{EPSG: 4490},
			[]raster.Field{{Name: "NF", Type: raster.Integer}}, one("2026"), []string{"feature 1", `"NF"`, "integer"}},
		{"bad date", "x.gpkg", raster.VectorWriteOptions{EPSG: 4490},
			[]raster.Field{{Name: "RQ", Type: raster.Date}}, one("2026/05/01"), []string{"feature 1", `"RQ"`, "YYYY-MM-DD"}},
		{"not GBK", "x.shp", raster.VectorWriteOptions{EPSG: 4490, Encoding: "GBK"}, str, one("测试😀"), []string{"feature 1", `"JCBH"`, "GBK cannot represent"}},
		{"too long for a dbf", "x.shp", raster.VectorWriteOptions{EPSG: 4490, Encoding: "GBK"}, str, one(long), []string{`"JCBH"`, "256 bytes", "254"}},
		{"unknown encoding", "x.shp", raster.VectorWriteOptions{EPSG: 4490, Encoding: "EBCDIC"}, str, one("a"), []string{"EBCDIC"}},
		{"encoding for GPKG", "x.gpkg", raster.VectorWriteOptions{EPSG: 4490, Encoding: "GBK"}, str, one("a"), []string{"only a Shapefile"}},
		{"value count", "x.gpkg", raster.VectorWriteOptions{EPSG: 4490}, str, []raster.Feature{{Geometry: poly}}, []string{"feature 1", "0 values for 1 fields"}},
		{"no geometry", "x.gpkg", raster.VectorWriteOptions{EPSG: 4490}, str, []raster.Feature{{Values: []any{"a"}}}, []string{"feature 1", "no geometry"}},
		{"lon/lat in a GK layer", "x.gpkg", raster.VectorWriteOptions{EPSG: 4526}, str, one("a"), []string{"feature 1", "not an easting/northing of EPSG:4526"}},
		{"metres in a geographic layer", "x.gpkg", raster.VectorWriteOptions{EPSG: 4490}, str,
			[]raster.Feature{{Geometry: gkPoly, Values: []any{"a"}}}, []string{"feature 1", "not longitude/latitude"}},
		{"NaN", "x.gpkg", raster.VectorWriteOptions{EPSG: 4490}, str,
			[]raster.Feature{{Geometry: orb.Point{math.NaN(), 1}, Values: []any{"a"}}}, []string{"feature 1", "not finite"}},
		{"degenerate ring", "x.gpkg", raster.VectorWriteOptions{EPSG: 4490}, str,
			[]raster.Feature{{Geometry: orb.Polygon{{{114, 30}, {114.1, 30}, {114, 30}}}, Values: []any{"a"}}}, []string{"feature 1", "2 distinct points"}},
		{"mixed families", "x.gpkg", raster.VectorWriteOptions{EPSG: 4490}, str,
			[]raster.Feature{{Geometry: poly, Values: []any{"a"}}, {Geometry: orb.Point{114, 30}, Values: []any{"b"}}}, []string{"feature 2", "a point in a layer of polygons"}},
		{"unknown EPSG", "x.gpkg", raster.VectorWriteOptions{EPSG: 999999}, str, one("a"), []string{"EPSG:999999"}},
		{"int64 in a FileGDB", "x.gdb", raster.VectorWriteOptions{EPSG: 4490},
			[]raster.Field{{Name: "N", Type: raster.Integer}}, one(int64(1) << 40), []string{`"N"`, "32-bit"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			err := raster.WriteVector(filepath.Join(dir, tc.file), tc.opt, tc.fields, tc.feats)
			if err == nil {
				t.Fatal("written; want an error")
			}
			if tc.name != "unknown EPSG" && !errors.Is(err, pipeline.ErrInvalid) {
				t.Errorf("error %v does not match pipeline.ErrInvalid", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if left, _ := os.ReadDir(dir); len(left) != 0 {
				t.Errorf("left behind: %v", left)
			}
		})
	}
}

// Writing over an earlier output replaces it whole: a FileGDB directory,
// every file of a Shapefile, and a stale spatial index goes.
func TestWriteVectorReplaces(t *testing.T) {
	dir := t.TempDir()
	fields, _, _ := sampleLayer()
	feats := features(t, crs.CGCS2000)
	for _, name := range []string{"r.gdb", "r.shp", "r.gpkg"} {
		path := filepath.Join(dir, name)
		if err := raster.WriteVector(path, raster.VectorWriteOptions{EPSG: 4490}, fields, feats); err != nil {
			t.Fatal(err)
		}
		if name == "r.shp" {
			os.WriteFile(filepath.Join(dir, "r.qix"), []byte("stale"), 0o644)
		}
		if err := raster.WriteVector(path, raster.VectorWriteOptions{EPSG: 4490}, fields, feats[:1]); err != nil {
			t.Fatalf("%s again: %v", name, err)
		}
		if got := readBack(t, path); len(got.values) != 1 {
			t.Errorf("%s: %d features after rewriting with 1", name, len(got.values))
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "r.qix")); !os.IsNotExist(err) {
		t.Error("stale r.qix kept")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary %s left", e.Name())
		}
	}
}
