package raster

import (
	"archive/zip"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airbusgeo/godal"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/pipeline/geodesy"
)

// zonesSharedData is the shared test data folder beside the repository.
const zonesSharedData = "../../shared/data"

func needShared(t *testing.T, rel string) string {
	t.Helper()
	p := filepath.Join(zonesSharedData, rel)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared test data %s not found: %v", p, err)
	}
	return p
}

func writeText(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// translate runs ogr2ogr (through godal) from src to dst with switches.
func translate(t *testing.T, src, dst string, switches ...string) {
	t.Helper()
	register()
	ds, err := godal.Open(src, godal.VectorOnly(), gdalErrs)
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	out, err := ds.VectorTranslate(dst, switches, gdalErrs)
	if err != nil {
		t.Fatalf("translate %s → %s: %v", src, dst, err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// zipFiles writes a zip archive holding files under the given entry names
// (raw bytes: a name that is not UTF-8 is stored without the UTF-8 flag).
func zipFiles(t *testing.T, dst string, entries map[string]string) {
	t.Helper()
	f, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for name, src := range entries {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, NonUTF8: true})
		if err != nil {
			t.Fatal(err)
		}
		in, err := os.Open(src)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(w, in); err != nil {
			t.Fatal(err)
		}
		in.Close()
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func ctxT(t *testing.T) context.Context { return t.Context() }

func TestReadVectorReprojectsGPKG(t *testing.T) {
	path := needShared(t, "vectors/LULC.gpkg")
	feats, problems, err := ReadVector(ctxT(t), path, VectorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(feats) != 88 {
		t.Fatalf("%d features, want 88", len(feats))
	}
	for _, p := range problems {
		t.Logf("problem: %v", p)
	}
	// The source geometries, read by GDAL without reprojection.
	ds, err := godal.Open(path, godal.VectorOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	lyr := ds.Layers()[0]
	var srcArea []float64
	var srcFirst []orb.Point
	for f := lyr.NextFeature(); f != nil; f = lyr.NextFeature() {
		w, err := f.Geometry().WKB()
		if err != nil {
			t.Fatal(err)
		}
		srcArea = append(srcArea, f.Geometry().Area())
		mp, _, err := decodePolygons(w)
		if err != nil {
			t.Fatal(err)
		}
		srcFirst = append(srcFirst, mp[0][0][0])
		f.Close()
	}
	utm33 := geodesy.ZoneFor(14.9, 45.9)
	if utm33.EPSG != 32633 {
		t.Fatalf("zone %+v, want UTM 33N", utm33)
	}
	for i, f := range feats {
		if f.FID != int64(i+1) {
			t.Errorf("feature %d: FID %d, want %d (GeoPackage fid)", i, f.FID, i+1)
		}
		if _, ok := f.Attrs["LULC_NAME"]; !ok || f.Attrs["RABA_ID"] == "" {
			t.Errorf("feature %d: attrs %v", f.FID, f.Attrs)
		}
		// The first vertex, projected back to UTM 33N by pipeline/geodesy
		// (an independent implementation), is the file's.
		p := f.Geometry[0][0][0]
		x, y := utm33.Forward(p[0], p[1])
		if d := math.Hypot(x-srcFirst[i][0], y-srcFirst[i][1]); d > 1e-3 {
			t.Errorf("feature %d: first vertex %v → (%.4f, %.4f), file has %v: %.4f m apart", f.FID, p, x, y, srcFirst[i], d)
		}
		// The area in UTM 33N of the reprojected polygon is the file's.
		if a := geodesy.AreaMulti(utm33, f.Geometry); math.Abs(a-srcArea[i]) > 1e-6*srcArea[i]+1e-3 {
			t.Errorf("feature %d: area %.3f m² after the round trip, %.3f m² in the file", f.FID, a, srcArea[i])
		}
	}
}

func TestReadVectorKnownPoint(t *testing.T) {
	// A square in CGCS2000 3-degree Gauss-Krüger zone 38 (EPSG:4526)
	// around the point that PROJ puts at 114.3°E 30.6°N (see
	// pipeline/geodesy's tests): after reading, its corner is there.
	dir := t.TempDir()
	x, y := 38528770.2372557, 3386666.25056236
	gj := `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4526"}},"features":[
{"type":"Feature","properties":{"n":"a"},"geometry":{"type":"Polygon","coordinates":[[[X,Y],[X1,Y],[X1,Y1],[X,Y1],[X,Y]]]}}]}`
	r := strings.NewReplacer("X1", f64(x+100), "Y1", f64(y+100), "X", f64(x), "Y", f64(y))
	src := writeText(t, dir, "gk.geojson", r.Replace(gj))
	dst := filepath.Join(dir, "gk.gpkg")
	translate(t, src, dst, "-f", "GPKG")
	feats, _, err := ReadVector(ctxT(t), dst, VectorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := feats[0].Geometry[0][0][0]
	if math.Abs(p[0]-114.3) > 1e-9 || math.Abs(p[1]-30.6) > 1e-9 {
		t.Errorf("corner at %.12f, %.12f; want 114.3, 30.6 (lon, lat order)", p[0], p[1])
	}
	z := geodesy.ZoneFor(114.3, 30.6)
	if a := geodesy.AreaMulti(z, feats[0].Geometry); math.Abs(a-10000) > 0.01 {
		t.Errorf("area %.4f m², want 10000", a)
	}
}

func TestReadVectorWGS84RoundTrip(t *testing.T) {
	dir := t.TempDir()
	mp := orb.MultiPolygon{{{{113.123456789012, 34.5}, {113.2, 34.5}, {113.2, 34.6}, {113.123456789012, 34.5}}}}
	path := filepath.Join(dir, "z.gpkg")
	if err := WriteGPKG(path, "zones", []Field{{Name: "名称", Type: String}, {Name: "n", Type: Integer}, {Name: "r", Type: Real}},
		[]Feature{{Geometry: mp, Values: []any{"东关村", int64(7), 1.25}}}); err != nil {
		t.Fatal(err)
	}
	feats, problems, err := ReadVector(ctxT(t), path, VectorOptions{})
	if err != nil || len(problems) != 0 {
		t.Fatalf("%v %v", err, problems)
	}
	got := feats[0]
	if got.Attrs["名称"] != "东关村" || got.Attrs["n"] != "7" || got.Attrs["r"] != "1.25" {
		t.Errorf("attrs %v", got.Attrs)
	}
	for i, p := range got.Geometry[0][0] {
		w := mp[0][0][i]
		if math.Abs(p[0]-w[0]) > 1e-12 || math.Abs(p[1]-w[1]) > 1e-12 {
			t.Errorf("vertex %d: %v, want %v", i, p, w)
		}
	}
}

func TestReadVectorShapefileAndZip(t *testing.T) {
	base := "../testdata/juelich/train"
	direct, _, err := ReadVector(ctxT(t), base+".shp", VectorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(direct) != 30 || direct[0].FID != 0 || direct[0].Attrs["CLASS_NAME"] == "" {
		t.Fatalf("%d features, first %+v", len(direct), direct[0].Attrs)
	}
	// Juelich is in UTM 32N.
	c := direct[0].Geometry.Bound().Center()
	if c[0] < 6 || c[0] > 7 || c[1] < 50.5 || c[1] > 51.2 {
		t.Errorf("centre %v is not near Jülich", c)
	}
	dir := t.TempDir()
	files := map[string]string{}
	gbkDir := string([]byte{0xd1, 0xb2, 0xb2, 0xe9}) // 巡查 in GBK
	for _, ext := range []string{".shp", ".shx", ".dbf", ".prj"} {
		files["data/"+gbkDir+"/train"+ext] = base + ext
	}
	zipped := filepath.Join(dir, "train.zip")
	zipFiles(t, zipped, files)
	fromZip, _, err := ReadVector(ctxT(t), zipped, VectorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(fromZip) != len(direct) {
		t.Fatalf("%d features from the zip, %d from the .shp", len(fromZip), len(direct))
	}
	for i := range direct {
		if !orb.Equal(direct[i].Geometry, fromZip[i].Geometry) || direct[i].FID != fromZip[i].FID {
			t.Errorf("feature %d differs between the .shp and the zip", i)
		}
	}

	// Two shapefiles in a zip: --layer picks one by name.
	two := map[string]string{}
	for _, ext := range []string{".shp", ".shx", ".dbf", ".prj"} {
		two["a"+ext] = base + ext
		two["b"+ext] = base + ext
	}
	twoZip := filepath.Join(dir, "two.zip")
	zipFiles(t, twoZip, two)
	if _, _, err := ReadVector(ctxT(t), twoZip, VectorOptions{}); !errors.Is(err, ErrBadVector) || !strings.Contains(err.Error(), "a.shp") {
		t.Errorf("two shapefiles without a layer: %v", err)
	}
	if fs, _, err := ReadVector(ctxT(t), twoZip, VectorOptions{Layer: "b"}); err != nil || len(fs) != 30 {
		t.Errorf("layer b: %d features, %v", len(fs), err)
	}
	empty := filepath.Join(dir, "empty.zip")
	zipFiles(t, empty, map[string]string{"readme.txt": base + ".prj"})
	if _, _, err := ReadVector(ctxT(t), empty, VectorOptions{}); !errors.Is(err, ErrBadVector) || !strings.Contains(err.Error(), "empty.zip") {
		t.Errorf("zip without vector: %v", err)
	}
}

const bowtieGeoJSON = `{"type":"FeatureCollection","features":[
{"type":"Feature","id":7,"properties":{"name":"bowtie"},"geometry":{"type":"Polygon","coordinates":[[[113,34],[113.01,34.01],[113.01,34],[113,34.01],[113,34]]]}},
{"type":"Feature","id":8,"properties":{"name":"square"},"geometry":{"type":"Polygon","coordinates":[[[113,34],[113.01,34],[113.01,34.01],[113,34.01],[113,34]]]}},
{"type":"Feature","id":9,"properties":{"name":"spike"},"geometry":{"type":"Polygon","coordinates":[[[113,34],[113.01,34],[113.02,34],[113,34]]]}}
]}`

func TestReadVectorRepairsBowtie(t *testing.T) {
	path := writeText(t, t.TempDir(), "bowtie.geojson", bowtieGeoJSON)
	feats, problems, err := ReadVector(ctxT(t), path, VectorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(feats) != 2 || feats[0].FID != 7 || feats[1].FID != 8 {
		t.Fatalf("features %+v", feats)
	}
	bow := feats[0].Geometry
	// Both lobes kept: a zero-width buffer would keep only one (area
	// 0.25e-4 instead of 0.5e-4 square degrees).
	if len(bow) != 2 || math.Abs(planar.Area(bow)-0.5e-4) > 1e-12 {
		t.Errorf("repaired bowtie %v: %d parts, area %g", bow, len(bow), planar.Area(bow))
	}
	if !orb.Equal(feats[1].Geometry, orb.MultiPolygon{{{{113, 34}, {113.01, 34}, {113.01, 34.01}, {113, 34.01}, {113, 34}}}}) {
		t.Errorf("valid square changed: %v", feats[1].Geometry)
	}
	var repaired, skipped bool
	for _, p := range problems {
		switch {
		case p.FID == 7 && !p.Skipped && strings.HasPrefix(p.Problem, "面几何无效（") && strings.HasSuffix(p.Problem, "），已用 GEOS MakeValid 修复为 2 个面"):
			repaired = true
		case p.FID == 9 && p.Skipped && strings.HasPrefix(p.Problem, "面几何无效") && strings.HasSuffix(p.Problem, "，无法修复：修复后没有面积"):
			skipped = true
		default:
			t.Errorf("unexpected problem %+v", p)
		}
	}
	if !repaired || !skipped {
		t.Errorf("problems %+v: want the bowtie's repair and the spike's refusal", problems)
	}
}

func TestReadVectorMixedGeometries(t *testing.T) {
	path := writeText(t, t.TempDir(), "mixed.geojson", `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"a":"x"},"geometry":{"type":"Polygon","coordinates":[[[113,34],[113.01,34],[113.01,34.01],[113,34]]]}},
{"type":"Feature","properties":{"a":"y"},"geometry":{"type":"Point","coordinates":[113,34]}},
{"type":"Feature","properties":{"a":"z"},"geometry":null},
{"type":"Feature","properties":{"a":"w"},"geometry":{"type":"GeometryCollection","geometries":[{"type":"Polygon","coordinates":[[[113,34],[113.01,34],[113.01,34.01],[113,34]]]},{"type":"LineString","coordinates":[[113,34],[114,35]]}]}}
]}`)
	feats, problems, err := ReadVector(ctxT(t), path, VectorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(feats) != 2 || feats[0].FID != 0 || feats[1].FID != 3 || len(feats[1].Geometry) != 1 {
		t.Fatalf("features %+v", feats)
	}
	want := map[int64]string{1: "几何类型为 Point：应为面（Polygon）或多面（MultiPolygon）", 2: "没有几何图形：应为面（多边形）", 3: "几何集合中的 1 个点或线部分已舍弃，保留其中的面"}
	for _, p := range problems {
		if w, ok := want[p.FID]; !ok || !strings.Contains(p.Problem, w) || p.Skipped != (p.FID != 3) {
			t.Errorf("problem %+v", p)
		}
		delete(want, p.FID)
	}
	if len(want) != 0 {
		t.Errorf("missing problems for %v", want)
	}
}

func TestReadVectorRefusals(t *testing.T) {
	dir := t.TempDir()
	points := writeText(t, dir, "points.geojson", `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[113,34]}},
{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[113,35]}}]}`)
	emptyFC := writeText(t, dir, "empty.geojson", `{"type":"FeatureCollection","features":[]}`)
	junk := writeText(t, dir, "junk.geojson", `this is not { json`)
	square := writeText(t, dir, "square.geojson", bowtieGeoJSON)
	noCRS := filepath.Join(dir, "nocrs.shp")
	translate(t, square, noCRS, "-f", "ESRI Shapefile")
	if err := os.Remove(filepath.Join(dir, "nocrs.prj")); err != nil {
		t.Fatal(err)
	}
	multi := filepath.Join(dir, "multi.gpkg")
	translate(t, square, multi, "-f", "GPKG", "-nln", "one")
	translate(t, square, multi, "-f", "GPKG", "-nln", "two", "-update")
	// A Gauss-Krüger file whose .prj wrongly says WGS84.
	wrongPrj := writeText(t, dir, "wrong.geojson", `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[38500000,3400000],[38500100,3400000],[38500100,3400100],[38500000,3400000]]]}}]}`)

	cases := []struct {
		name, path string
		opt        VectorOptions
		sentinel   error
		want       string
	}{
		{"points", points, VectorOptions{}, ErrBadVector, "Point geometries"},
		{"no CRS", noCRS, VectorOptions{}, ErrBadVector, "no coordinate reference system"},
		{"no features", emptyFC, VectorOptions{}, ErrEmpty, "no features"},
		{"junk", junk, VectorOptions{}, ErrUnreadable, "cannot be read"},
		{"missing", filepath.Join(dir, "missing.gpkg"), VectorOptions{}, ErrUnreadable, "no such file"},
		{"several layers", multi, VectorOptions{}, ErrBadVector, "one (Polygon), two (Polygon)"},
		{"unknown layer", multi, VectorOptions{Layer: "three"}, ErrBadVector, `no layer "three"`},
		{"wrong CRS", wrongPrj, VectorOptions{}, ErrBadVector, "要素 0：坐标 (3.85e+07, 3.4e+06) 转换后不是经纬度：文件声明的坐标系（.prj）很可能不是"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ReadVector(ctxT(t), tc.path, tc.opt)
			var ie *InputError
			if !errors.As(err, &ie) || !errors.Is(err, tc.sentinel) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), filepath.Base(tc.path)) {
				t.Errorf("got %v; want an InputError naming %s, wrapping %v, saying %q", err, filepath.Base(tc.path), tc.sentinel, tc.want)
			}
		})
	}
	if fs, _, err := ReadVector(ctxT(t), multi, VectorOptions{Layer: "TWO"}); err != nil || len(fs) != 2 {
		t.Errorf("layer TWO (case-insensitive): %d features, %v", len(fs), err)
	}
}

func TestReadVectorOSM(t *testing.T) {
	path := needShared(t, "vectors/liechtenstein-2013-08-03.osm.pbf")
	if _, _, err := ReadVector(ctxT(t), path, VectorOptions{}); !errors.Is(err, ErrBadVector) || !strings.Contains(err.Error(), "multipolygons") {
		t.Errorf("no layer: %v", err)
	}
	if _, _, err := ReadVector(ctxT(t), path, VectorOptions{Layer: "lines"}); !errors.Is(err, ErrBadVector) || !strings.Contains(err.Error(), "LineString") {
		t.Errorf("lines: %v", err)
	}
	feats, _, err := ReadVector(ctxT(t), path, VectorOptions{Layer: "multipolygons"})
	if err != nil {
		t.Fatal(err)
	}
	farmland := 0
	for _, f := range feats {
		if f.Attrs["landuse"] == "farmland" || f.Attrs["landuse"] == "meadow" {
			farmland++
		}
		c := f.Geometry.Bound().Center()
		if c[0] < 9.4 || c[0] > 9.7 || c[1] < 47 || c[1] > 47.3 {
			t.Errorf("feature %d centre %v is not in Liechtenstein", f.FID, c)
		}
	}
	if farmland == 0 {
		t.Errorf("no farmland or meadow among %d features", len(feats))
	}
}

// gbkShapefile writes a Shapefile with Chinese field names and values
// encoded in GBK and returns its path; with cpg false it has no .cpg and no
// code page in the .dbf header (as many county files).
func gbkShapefile(t *testing.T, dir string, cpg bool) string {
	t.Helper()
	src := writeText(t, dir, "src.geojson", `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4490"}},"features":[
{"type":"Feature","properties":{"名称":"东关村巡查区","责任人":"张三","等级":"一级"},"geometry":{"type":"Polygon","coordinates":[[[113,34],[113.01,34],[113.01,34.01],[113,34]]]}}]}`)
	shp := filepath.Join(dir, "patrol.shp")
	translate(t, src, shp, "-f", "ESRI Shapefile", "-lco", "ENCODING=CP936")
	if !cpg {
		if err := os.Remove(filepath.Join(dir, "patrol.cpg")); err != nil {
			t.Fatal(err)
		}
		f, err := os.OpenFile(filepath.Join(dir, "patrol.dbf"), os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteAt([]byte{0}, 29); err != nil { // language driver ID
			t.Fatal(err)
		}
		f.Close()
	}
	raw, err := os.ReadFile(filepath.Join(dir, "patrol.dbf"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), string([]byte{0xd5, 0xc5, 0xc8, 0xfd})) { // 张三
		t.Fatal("fixture: the .dbf does not hold GBK text")
	}
	return shp
}

func TestReadVectorGBK(t *testing.T) {
	want := map[string]string{"名称": "东关村巡查区", "责任人": "张三", "等级": "一级"}
	check := func(t *testing.T, feats []VectorFeature) {
		t.Helper()
		for k, v := range want {
			if feats[0].Attrs[k] != v {
				t.Errorf("attrs %q, want %s=%s", feats[0].Attrs, k, v)
			}
		}
	}
	t.Run("cpg", func(t *testing.T) {
		feats, problems, err := ReadVector(ctxT(t), gbkShapefile(t, t.TempDir(), true), VectorOptions{})
		if err != nil || len(problems) != 0 {
			t.Fatalf("%v %v", err, problems)
		}
		check(t, feats)
	})
	t.Run("guessed", func(t *testing.T) {
		dir := t.TempDir()
		shp := gbkShapefile(t, dir, false)
		feats, problems, err := ReadVector(ctxT(t), shp, VectorOptions{})
		if err != nil {
			t.Fatal(err)
		}
		check(t, feats)
		if len(problems) != 1 || problems[0].FID != -1 || !strings.Contains(problems[0].Problem, "文字不是 UTF-8：已按 GB18030（GBK）读取") {
			t.Errorf("problems %v: want one saying the text was read as GB18030", problems)
		}
		// The same in a zip.
		zipped := filepath.Join(dir, "patrol.zip")
		files := map[string]string{}
		for _, ext := range []string{".shp", ".shx", ".dbf", ".prj"} {
			files["patrol"+ext] = filepath.Join(dir, "patrol"+ext)
		}
		zipFiles(t, zipped, files)
		feats, _, err = ReadVector(ctxT(t), zipped, VectorOptions{})
		if err != nil {
			t.Fatal(err)
		}
		check(t, feats)
	})
	t.Run("explicit", func(t *testing.T) {
		feats, problems, err := ReadVector(ctxT(t), gbkShapefile(t, t.TempDir(), false), VectorOptions{Encoding: "GBK"})
		if err != nil || len(problems) != 0 {
			t.Fatalf("%v %v", err, problems)
		}
		check(t, feats)
	})
	t.Run("wrong explicit", func(t *testing.T) {
		feats, problems, err := ReadVector(ctxT(t), gbkShapefile(t, t.TempDir(), false), VectorOptions{Encoding: "UTF-8"})
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range feats[0].Attrs {
			if !strings.Contains(k+v, "\uFFFD") && k != "" && v != "" && want[k] == v {
				t.Errorf("%s=%s read right although the encoding given was wrong", k, v)
			}
		}
		// Each column of undecodable text is named.
		if len(problems) == 0 {
			t.Error("no problem says the text is not UTF-8")
		}
		for _, p := range problems {
			if p.FID != -1 || p.Skipped || !strings.HasPrefix(p.Problem, "列 ") ||
				!strings.HasSuffix(p.Problem, " 的文字不是有效的 UTF-8：无法解码的字节已替换为 �（U+FFFD）；请检查编码") {
				t.Errorf("problem %+v", p)
			}
		}
	})
	t.Run("ignored", func(t *testing.T) {
		src := writeText(t, t.TempDir(), "z.geojson", `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"名称":"东关"},"geometry":{"type":"Polygon","coordinates":[[[113,34],[113.01,34],[113.01,34.01],[113,34]]]}}]}`)
		feats, problems, err := ReadVector(ctxT(t), src, VectorOptions{Encoding: "GBK"})
		if err != nil || len(feats) != 1 || feats[0].Attrs["名称"] != "东关" {
			t.Fatalf("%v %+v", err, feats)
		}
		if len(problems) != 1 || problems[0].String() != "已忽略指定的编码 GBK：只有 Shapefile 的 .dbf 需要指定编码" {
			t.Errorf("problems %v", problems)
		}
	})
}

func TestReadVectorFIDs(t *testing.T) {
	dir := t.TempDir()
	src := writeText(t, dir, "ids.geojson", `{"type":"FeatureCollection","features":[
{"type":"Feature","id":17,"properties":{"a":"x"},"geometry":{"type":"Polygon","coordinates":[[[113,34],[113.01,34],[113.01,34.01],[113,34]]]}},
{"type":"Feature","id":42,"properties":{"a":"y"},"geometry":{"type":"Polygon","coordinates":[[[113,34],[113.01,34],[113.01,34.01],[113,34]]]}}]}`)
	gpkg := filepath.Join(dir, "ids.gpkg")
	translate(t, src, gpkg, "-f", "GPKG", "-preserve_fid")
	for _, p := range []string{src, gpkg} {
		feats, _, err := ReadVector(ctxT(t), p, VectorOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(feats) != 2 || feats[0].FID != 17 || feats[1].FID != 42 {
			t.Errorf("%s: FIDs %d, %d; want 17, 42", filepath.Base(p), feats[0].FID, feats[1].FID)
		}
	}
	// A column named FID shadows OGR's: positions are used, and said.
	shadow := writeText(t, dir, "shadow.geojson", `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"FID":100},"geometry":{"type":"Polygon","coordinates":[[[113,34],[113.01,34],[113.01,34.01],[113,34]]]}},
{"type":"Feature","properties":{"FID":200},"geometry":{"type":"Polygon","coordinates":[[[113,34],[113.01,34],[113.01,34.01],[113,34]]]}}]}`)
	feats, problems, err := ReadVector(ctxT(t), shadow, VectorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if feats[0].FID != 0 || feats[1].FID != 1 || feats[1].Attrs["FID"] != "200" || len(problems) != 1 || problems[0].String() != `图层自带 "FID" 列：要素 ID 取要素在文件中的位置（从 0 起），而不是该列的值` {
		t.Errorf("FIDs %d, %d, attrs %v, problems %v", feats[0].FID, feats[1].FID, feats[1].Attrs, problems)
	}
}

func TestReadVectorAttributeTypes(t *testing.T) {
	dir := t.TempDir()
	src := writeText(t, dir, "types.geojson", `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"d":"2026-03-05","dt":"2026-03-05T08:09:10","r":0.1,"i":12345678901,"s":" x ","l":[1,2]},"geometry":{"type":"Polygon","coordinates":[[[113,34],[113.01,34],[113.01,34.01],[113,34]]]}}]}`)
	gpkg := filepath.Join(dir, "types.gpkg")
	translate(t, src, gpkg, "-f", "GPKG")
	feats, _, err := ReadVector(ctxT(t), gpkg, VectorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"d": "2026-03-05", "dt": "2026-03-05 08:09:10", "r": "0.1", "i": "12345678901", "s": "x"}
	for k, v := range want {
		if got := feats[0].Attrs[k]; got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}

func TestReadVectorCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, _, err := ReadVector(ctx, "../testdata/juelich/train.shp", VectorOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

func TestDecodePolygons(t *testing.T) {
	le := binary.LittleEndian
	put := func(b []byte, v ...any) []byte {
		for _, x := range v {
			switch x := x.(type) {
			case byte:
				b = append(b, x)
			case uint32:
				b = le.AppendUint32(b, x)
			case float64:
				b = le.AppendUint64(b, math.Float64bits(x))
			}
		}
		return b
	}
	// ISO PolygonZ (1003): one ring of 4 points with z.
	var polyZ []byte
	polyZ = put(polyZ, byte(1), uint32(1003), uint32(1), uint32(4))
	for _, p := range [][3]float64{{0, 0, 5}, {1, 0, 5}, {1, 1, 5}, {0, 0, 5}} {
		polyZ = put(polyZ, p[0], p[1], p[2])
	}
	mp, dropped, err := decodePolygons(polyZ)
	if err != nil || dropped != 0 || !orb.Equal(mp, orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}}) {
		t.Errorf("PolygonZ: %v %d %v", mp, dropped, err)
	}
	// A collection of that polygon and a 2D line.
	var gc []byte
	gc = put(gc, byte(1), uint32(7), uint32(2))
	gc = append(gc, polyZ...)
	gc = put(gc, byte(1), uint32(2), uint32(2), 0.0, 0.0, 1.0, 1.0)
	mp, dropped, err = decodePolygons(gc)
	if err != nil || dropped != 1 || len(mp) != 1 {
		t.Errorf("collection: %v %d %v", mp, dropped, err)
	}
	if _, _, err := decodePolygons(polyZ[:len(polyZ)-3]); err == nil {
		t.Error("truncated WKB decoded")
	}
	var curve []byte
	curve = put(curve, byte(1), uint32(10), uint32(0))
	if _, _, err := decodePolygons(curve); err == nil {
		t.Error("CurvePolygon decoded")
	}
}

func TestReadVectorFormats(t *testing.T) {
	dir := t.TempDir()
	src := writeText(t, dir, "src.geojson", `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"名称":"东关村"},"geometry":{"type":"MultiPolygon","coordinates":[[[[113.5,34.5],[113.51,34.5],[113.51,34.51],[113.5,34.5]]],[[[113.6,34.5],[113.61,34.5],[113.61,34.51],[113.6,34.5]]]]}}]}`)
	want := orb.MultiPolygon{
		{{{113.5, 34.5}, {113.51, 34.5}, {113.51, 34.51}, {113.5, 34.5}}},
		{{{113.6, 34.5}, {113.61, 34.5}, {113.61, 34.51}, {113.6, 34.5}}},
	}
	for _, tc := range []struct {
		file, driver string
		extra        []string
	}{
		{"z.kml", "KML", nil}, {"z.fgb", "FlatGeobuf", nil}, {"z.gpkg", "GPKG", nil},
		{"z.shp", "ESRI Shapefile", []string{"-lco", "ENCODING=UTF-8"}},
	} {
		t.Run(tc.driver, func(t *testing.T) {
			dst := filepath.Join(dir, tc.file)
			translate(t, src, dst, append([]string{"-f", tc.driver}, tc.extra...)...)
			feats, problems, err := ReadVector(ctxT(t), dst, VectorOptions{})
			if err != nil || len(problems) != 0 || len(feats) != 1 {
				t.Fatalf("%d features, %v, %v", len(feats), problems, err)
			}
			if !strings.Contains(fmt.Sprint(feats[0].Attrs), "东关村") {
				t.Errorf("attrs %v", feats[0].Attrs)
			}
			got := feats[0].Geometry
			if len(got) != 2 {
				t.Fatalf("geometry %v", got)
			}
			for i := range want {
				for k, p := range want[i][0] {
					q := got[i][0][k]
					if math.Abs(p[0]-q[0]) > 1e-9 || math.Abs(p[1]-q[1]) > 1e-9 {
						t.Errorf("polygon %d vertex %d: %v, want %v", i, k, q, p)
					}
				}
			}
		})
	}
}

// An impossible date in a zone layer reaches the zone import as written,
// where it is refused like any other bad value (GDAL's parsed date would
// have rolled 2026-02-30 over to 2026-03-02).
func TestReadVectorImpossibleDate(t *testing.T) {
	dir := t.TempDir()
	src := writeText(t, dir, "approvals.geojson", `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"批准文号":"A1","批准类型":"供地","用途":"住宅","批准面积":"10270","有效期起":"2026-02-30","签发":"2026-02-30T10:11:12"},"geometry":{"type":"Polygon","coordinates":[[[113,34],[113.01,34],[113.01,34.01],[113,34]]]}},
{"type":"Feature","properties":{"批准文号":"A2","批准类型":"供地","用途":"住宅","批准面积":"10270","有效期起":"2026-01-05","签发":"2026-01-05T10:11:12"},"geometry":{"type":"Polygon","coordinates":[[[113,34],[113.01,34],[113.01,34.01],[113,34]]]}}]}`)
	gpkg := filepath.Join(dir, "approvals.gpkg")
	translate(t, src, gpkg, "-f", "GPKG")
	shadow := writeText(t, dir, "shadow.geojson", strings.ReplaceAll(mustReadText(t, src), `"批准文号"`, `"FID":7,"批准文号"`))
	for _, path := range []string{src, gpkg, shadow} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			feats, _, err := ReadVector(ctxT(t), path, VectorOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(feats) != 2 {
				t.Fatalf("%d features", len(feats))
			}
			if got := feats[0].Attrs["有效期起"]; got != "2026-02-30" {
				t.Errorf("有效期起 = %q, want 2026-02-30 as written", got)
			}
			if got := feats[0].Attrs["签发"]; got != "2026-02-30 10:11:12" {
				t.Errorf("签发 = %q", got)
			}
			if got := feats[1].Attrs["有效期起"]; got != "2026-01-05" {
				t.Errorf("valid date %q", got)
			}
			if _, ok := feats[0].Attrs[rawDateAlias+"0"]; ok {
				t.Error("the cast column leaks into the attributes")
			}
			// The zone import refuses the feature, naming field and value.
			fm, err := pipeline.MapZoneFields(pipeline.ZoneApproval, []string{"批准文号", "批准类型", "用途", "批准面积", "有效期起"}, pipeline.ZoneMapOptions{})
			if err != nil {
				t.Fatal(err)
			}
			raw := make([]pipeline.RawZone, len(feats))
			for i, f := range feats {
				raw[i] = pipeline.RawZone{ID: f.FID, Attrs: f.Attrs, Geometry: f.Geometry}
			}
			zones, problems, err := pipeline.NormalizeZones(fm, raw)
			if err != nil {
				t.Fatal(err)
			}
			if len(zones) != 1 || len(problems) != 1 || problems[0].Field != "有效期起" || problems[0].Value != "2026-02-30" ||
				problems[0].Problem != "不存在的日期 2026-02-30" || problems[0].Warning {
				t.Errorf("zones %d problems %+v", len(zones), problems)
			}
		})
	}
	if got := rawDateText("2026/02/30 08:09:10.123+08"); got != "2026-02-30 08:09:10" {
		t.Errorf("rawDateText %q", got)
	}
}

func mustReadText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A 1e308 (or absurd) coordinate is a bad coordinate of that feature, not
// a self-intersection to repair, in any CRS.
func TestReadVectorAbsurdCoordinate(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, crs, good, bad, want string
	}{
		{"wgs84", "EPSG::4326", `[[113,34],[113.01,34],[113.01,34.01],[113,34]]`, `[[113,34],[1e308,34],[113.01,34.01],[113,34]]`,
			"坐标 (1e+308, 34) 无效：不是任何坐标系中的有限坐标"},
		{"projected", "EPSG::4526", `[[38500000,3760000],[38500100,3760000],[38500100,3760100],[38500000,3760000]]`,
			`[[38500000,3760000],[38500100,-1e300],[38500100,3760100],[38500000,3760000]]`,
			"坐标 (3.85001e+07, -1e+300) 无效：不是任何坐标系中的有限坐标"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := writeText(t, dir, tc.name+".geojson", `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:`+tc.crs+`"}},"features":[
{"type":"Feature","id":1,"properties":{"名称":"好"},"geometry":{"type":"Polygon","coordinates":[`+tc.good+`]}},
{"type":"Feature","id":2,"properties":{"名称":"坏"},"geometry":{"type":"Polygon","coordinates":[`+tc.bad+`]}}]}`)
			feats, problems, err := ReadVector(ctxT(t), src, VectorOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(feats) != 1 || feats[0].FID != 1 {
				t.Errorf("%d features kept", len(feats))
			}
			if len(problems) != 1 || problems[0].FID != 2 || !problems[0].Skipped || !strings.HasPrefix(problems[0].String(), "要素 2："+tc.want) ||
				strings.Contains(strings.ToLower(problems[0].Problem), "intersection") {
				t.Errorf("problems %v, want feature 2: %q", problems, tc.want)
			}
		})
	}
}

// An encoding iconv does not know is named, for every format.
func TestCheckEncoding(t *testing.T) {
	for _, ok := range []string{"", "GBK", "gbk", "GB18030", "gb2312", "UTF-8", "utf8", "CP936", "936", "BIG5", "latin1", "ISO-8859-1", "EUC-CN", "UTF-16LE"} {
		if err := CheckEncoding(ok); err != nil {
			t.Errorf("CheckEncoding(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"KLINGON", "gbkk", "utf-9"} {
		err := CheckEncoding(bad)
		if !errors.Is(err, ErrUnknownEncoding) || !errors.Is(err, pipeline.ErrInvalid) || !strings.Contains(err.Error(), `"`+bad+`"`) {
			t.Errorf("CheckEncoding(%q) = %v, want ErrUnknownEncoding naming it", bad, err)
		}
	}
	dir := t.TempDir()
	src := writeText(t, dir, "z.geojson", `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"a":"x"},"geometry":{"type":"Polygon","coordinates":[[[113,34],[113.01,34],[113.01,34.01],[113,34]]]}}]}`)
	for _, path := range []string{src, gbkShapefile(t, dir, false)} {
		_, _, err := ReadVector(ctxT(t), path, VectorOptions{Encoding: "KLINGON"})
		if !errors.Is(err, ErrUnknownEncoding) || !strings.Contains(err.Error(), `"KLINGON"`) {
			t.Errorf("%s: %v", filepath.Base(path), err)
		}
	}
}
