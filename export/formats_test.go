package export

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"image/png"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/pipeline/crs"
)

// unzip returns the entries of an archive in order and their bytes.
func unzip(t *testing.T, b []byte) ([]string, map[string][]byte) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, f.Name)
		files[f.Name] = data
	}
	return names, files
}

var reURL = regexp.MustCompile(`[a-zA-Z][a-zA-Z0-9+.-]*://[^"'<> ]*`)

// noURL fails when a KML names any URL but its namespace.
func noURL(t *testing.T, what string, kml []byte) {
	t.Helper()
	for _, u := range reURL.FindAllString(string(kml), -1) {
		if u != "http://www.opengis.net/kml/2.2" {
			t.Errorf("%s names the URL %s", what, u)
		}
	}
}

// The KML loads nothing from the network, lone, in a bundle or in a KMZ.
func TestKMLOffline(t *testing.T) {
	rows := fixture(t)
	lone := write(t, KML, rows, opts...)
	noURL(t, "KML", lone)
	if bytes.Contains(lone, []byte("<Icon>")) {
		t.Error("a lone KML links icon files it does not have")
	}
	if !bytes.Contains(lone, []byte("<color>ff0000ff</color>")) {
		t.Error("a lone KML lost its marker colours")
	}
	_, files := unzip(t, write(t, Bundle, rows, opts...))
	for name, data := range files {
		switch filepath.Ext(name) {
		case ".kml":
			noURL(t, name, data)
		case ".kmz":
			_, kmz := unzip(t, data)
			noURL(t, name+"/doc.kml", kmz["doc.kml"])
		}
	}
}

func TestKMZ(t *testing.T) {
	rows := fixture(t)
	b := write(t, KMZ, rows, opts...)
	names, files := unzip(t, b)
	if names[0] != "doc.kml" {
		t.Fatalf("first entry %q, want doc.kml (Google Earth reads the first .kml)", names[0])
	}
	want := []string{"doc.kml",
		"files/marker_p1.png", "files/marker_p2.png", "files/marker_p3.png", "files/marker_overdue.png", "files/marker_done.png",
		"files/4201022026060001_前时相.png", "files/4201022026060001_后时相.png"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Fatalf("entries %q, want %q", names, want)
	}
	var chip []byte
	for _, r := range rows {
		if r.JCBH == "4201022026060001" {
			chip = r.ChipAfter
		}
	}
	if !bytes.Equal(files["files/4201022026060001_后时相.png"], chip) {
		t.Error("chip bytes changed")
	}
	doc := files["doc.kml"]
	strictXML(t, doc)
	for _, w := range []string{"<href>files/marker_p1.png</href>", "&lt;img src=&#34;files/4201022026060001_前时相.png&#34;"} {
		if !bytes.Contains(doc, []byte(w)) {
			t.Errorf("doc.kml does not hold %s", w)
		}
	}
	// Every file doc.kml links is in the archive.
	for _, m := range regexp.MustCompile(`(?:<href>|src=&#34;)(files/[^<&]+)`).FindAllSubmatch(doc, -1) {
		if _, ok := files[string(m[1])]; !ok {
			t.Errorf("doc.kml links %s, which the KMZ lacks", m[1])
		}
	}
	// The icons are PNGs of the style colours.
	for i, s := range kmlStyles {
		img, err := png.Decode(bytes.NewReader(files["files/"+iconName(s.id)]))
		if err != nil {
			t.Fatalf("icon %s: %v", s.id, err)
		}
		if img.Bounds().Dx() != 32 {
			t.Errorf("icon %s is %v", s.id, img.Bounds())
		}
		r, g, bl, a := img.At(16, 16).RGBA()
		c := kmlColor(kmlStyles[i].color)
		if uint8(r>>8) != c.R || uint8(g>>8) != c.G || uint8(bl>>8) != c.B || a>>8 != 255 {
			t.Errorf("icon %s centre %v %v %v %v, want %v", s.id, r>>8, g>>8, bl>>8, a>>8, c)
		}
		if _, _, _, a := img.At(0, 0).RGBA(); a != 0 {
			t.Errorf("icon %s corner is not transparent", s.id)
		}
	}
	// Photos are listed, not carried.
	withPhoto := withPhotos(t, new(int))
	_, pf := unzip(t, write(t, KMZ, withPhoto, opts...))
	for name := range pf {
		if strings.HasPrefix(name, "举证照片/") {
			t.Errorf("KMZ carries the photo %s", name)
		}
	}
}

// GDAL's LIBKML driver (Debian's GDAL 3.6 has it) opens the KMZ with every
// placemark, and reads the chips out of it through /vsizip/.
func TestKMZWithLIBKML(t *testing.T) {
	if _, err := exec.LookPath("ogrinfo"); err != nil {
		t.Skip("ogrinfo not installed")
	}
	if out, _ := exec.Command("ogrinfo", "--formats").CombinedOutput(); !bytes.Contains(out, []byte("LIBKML")) {
		t.Skip("this GDAL has no LIBKML driver")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "tasks.kmz")
	if err := os.WriteFile(path, write(t, KMZ, fixture(t), opts...), 0o644); err != nil {
		t.Fatal(err)
	}
	// GDAL_SKIP=KML leaves LIBKML the only driver that can open it (GDAL
	// 3.6's ogrinfo has no -if).
	cmd := exec.Command("ogrinfo", "-ro", "-al", "-so", path)
	cmd.Env = append(os.Environ(), "GDAL_SKIP=KML")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo (LIBKML): %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "using driver `LIBKML' successful") {
		t.Errorf("not opened by LIBKML:\n%s", out)
	}
	total := 0
	for _, n := range ogrCounts(string(out)) {
		total += n
	}
	if total != 4 {
		t.Errorf("LIBKML reads %d placemarks, want 4:\n%s", total, out)
	}
	info, err := exec.Command("gdalinfo", "/vsizip/"+path+"/files/4201022026060001_后时相.png").CombinedOutput()
	if err != nil || !strings.Contains(string(info), "Driver: PNG") {
		t.Errorf("GDAL cannot read the chip inside the KMZ: %v\n%s", err, info)
	}
}

func TestGPXRoutes(t *testing.T) {
	rows := fixture(t)
	var doc struct {
		Routes []struct {
			Name   string `xml:"name"`
			Type   string `xml:"type"`
			Points []struct {
				Lat float64 `xml:"lat,attr"`
				Lon float64 `xml:"lon,attr"`
			} `xml:"rtept"`
		} `xml:"rte"`
		Tracks []struct{} `xml:"trk"`
	}
	b := write(t, GPX, rows, opts...)
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	// 3 outlines, one with a hole: 4 routes, each a closed ring.
	var names []string
	for _, r := range doc.Routes {
		names = append(names, r.Name)
		n := len(r.Points)
		if n < 4 || r.Points[0] != r.Points[n-1] {
			t.Errorf("route %s is not a closed ring: %v", r.Name, r.Points)
		}
	}
	want := "4201022026060001 4201022026060001 内边界1 4201022026060003 4201022026060004"
	if strings.Join(names, " ") != want {
		t.Errorf("routes %q, want %q", names, want)
	}
	// The open input ring is closed; the centre waypoint is still there.
	if p := doc.Routes[0].Points; len(p) != 5 || p[0].Lon != 114.302 || p[0].Lat != 30.601 {
		t.Errorf("route of the open ring: %v", p)
	}
	if len(doc.Tracks) != 3 || !bytes.Contains(b, []byte(`<wpt lat="30.6012" lon="114.3025">`)) {
		t.Errorf("%d tracks, or the centre waypoint is missing", len(doc.Tracks))
	}
	// The elements follow the GPX 1.1 order: wpt, rte, trk.
	if i, j, k := bytes.LastIndex(b, []byte("<wpt")), bytes.Index(b, []byte("<rte>")), bytes.Index(b, []byte("<trk>")); !(i < j && j < k) {
		t.Error("elements out of GPX 1.1 order")
	}
	noTracks := write(t, GPX, rows, append(opts, WithGPXTracks(false))...)
	if bytes.Contains(noTracks, []byte("<trk>")) || !bytes.Contains(noTracks, []byte("<rte>")) {
		t.Error("WithGPXTracks(false) does not leave routes only")
	}
	none := write(t, GPX, rows, append(opts, WithGPXOutlines(false))...)
	if bytes.Contains(none, []byte("<rte>")) || bytes.Contains(none, []byte("<trk>")) {
		t.Error("WithGPXOutlines(false) keeps outlines")
	}
}

func TestGeoJSONCRS(t *testing.T) {
	rows := fixture(t)
	type fc struct {
		CRS *struct {
			Type       string
			Properties struct{ Name string }
		}
		Features []struct {
			ID         string
			Geometry   json.RawMessage
			Properties map[string]any
		}
	}
	parse := func(b []byte) fc {
		var v fc
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := parse(write(t, GeoJSON, rows, opts...)); v.CRS != nil {
		t.Error("default GeoJSON names a crs (RFC 7946 has none)")
	}
	if v := parse(write(t, GeoJSON, rows, append(opts, WithCRS(crs.WGS84))...)); v.CRS != nil {
		t.Error("WGS84 GeoJSON names a crs")
	}
	cg := parse(write(t, GeoJSON, rows, append(opts, WithCRS(crs.CGCS2000))...))
	if cg.CRS == nil || cg.CRS.Properties.Name != "urn:ogc:def:crs:EPSG::4490" {
		t.Errorf("CGCS2000 crs member %+v", cg.CRS)
	}
	gk := parse(write(t, GeoJSON, rows, append(opts, WithCRS(crs.GK))...))
	if gk.CRS == nil || gk.CRS.Type != "name" || gk.CRS.Properties.Name != "urn:ogc:def:crs:EPSG::4526" {
		t.Fatalf("GK crs member %+v, want EPSG:4526 (zone 38, 114°E)", gk.CRS)
	}
	zone38, _ := crs.FromEPSG(4526)
	var poly [][][2]float64
	if err := json.Unmarshal(gk.Features[0].Geometry[len(`{"type":"Polygon","coordinates":`):len(gk.Features[0].Geometry)-1], &poly); err != nil {
		t.Fatalf("geometry %s: %v", gk.Features[0].Geometry, err)
	}
	// The feature is 4201022026060001, whose open ring starts at (114.302, 30.601).
	x, y := zone38.Forward(114.302, 30.601)
	if math.Abs(poly[0][0][0]-x) > 0.0005 || math.Abs(poly[0][0][1]-y) > 0.0005 {
		t.Errorf("first point %v, want %.3f, %.3f", poly[0][0], x, y)
	}
	if poly[0][0] != poly[0][len(poly[0])-1] {
		t.Error("ring not closed")
	}
	// Centres stay in degrees.
	if lon := gk.Features[0].Properties["中心经度"]; lon != 114.3025 {
		t.Errorf("中心经度 %v", lon)
	}
	empty := write(t, GeoJSON, nil, WithCRS(crs.GK))
	if !bytes.Contains(empty, []byte("EPSG::4490")) {
		t.Errorf("empty GK export: %s", empty)
	}
	far := []Row{{JCBH: "1", Lon: 6.4, Lat: 50.9}}
	if err := GeoJSON(io.Discard, far, WithCRS(crs.GK)); !errors.Is(err, ErrInvalid) || !errors.Is(err, pipeline.ErrInvalid) || !strings.Contains(err.Error(), "outside zones") {
		t.Errorf("GK outside China: %v", err)
	}
}

func TestShapefile(t *testing.T) {
	rows := fixture(t)
	names, files := unzip(t, write(t, Shapefile, rows, opts...))
	want := []string{"核查任务.shp", "核查任务.shx", "核查任务.dbf", "核查任务.prj", "核查任务.cpg", "核查任务_字段对照.csv"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Fatalf("entries %q, want %q", names, want)
	}
	if string(files["核查任务.cpg"]) != "GBK" {
		t.Errorf(".cpg %q", files["核查任务.cpg"])
	}
	if string(files["核查任务.prj"]) != crs.CGCS2000.ESRIWKT() {
		t.Errorf(".prj %s", files["核查任务.prj"])
	}
	dbf := files["核查任务.dbf"]
	gbk, _ := simplifiedchinese.GBK.NewEncoder().String("城关所一组")
	if !bytes.Contains(dbf, []byte(gbk)) || bytes.Contains(dbf, []byte("城关所一组")) {
		t.Error(".dbf text is not GBK")
	}
	for _, f := range shpFields {
		if len(f.code) > 10 || f.code != strings.ToUpper(f.code) {
			t.Errorf("field %s: not a short ASCII name", f.code)
		}
	}
	csv := string(files["核查任务_字段对照.csv"])
	for _, w := range []string{"JCBH,监测编号", "JCMJ,监测面积,数值（2位小数）,平方米", "YJJBNTMJ,永久基本农田面积", "HCQX,核查期限,日期", "坐标系,China Geodetic Coordinate System 2000,EPSG:4490"} {
		if !strings.Contains(csv, w) {
			t.Errorf("字段对照 lacks %q:\n%s", w, csv)
		}
	}
	// One record per row; the row without an outline is a null shape.
	shx := files["核查任务.shx"]
	if n := (len(shx) - 100) / 8; n != len(rows) {
		t.Errorf(".shx has %d records, want %d", n, len(rows))
	}
	team := ForTeam(rows, "城关所一组")
	tn, _ := unzip(t, write(t, Shapefile, team, opts...))
	if tn[0] != "城关所一组_核查任务.shp" {
		t.Errorf("team file %q", tn[0])
	}
	// A character GBK lacks is written "?", long text cut at 254 bytes.
	odd := []Row{{JCBH: "1", Lon: 114, Lat: 30, Person: "张𠮷", PriorityReason: strings.Repeat("长", 200)}}
	_, of := unzip(t, write(t, Shapefile, odd))
	d := of["未分配_核查任务.dbf"]
	zhang, _ := simplifiedchinese.GBK.NewEncoder().String("张?")
	if !bytes.Contains(d, []byte(zhang+" ")) && !bytes.Contains(d, []byte(zhang)) {
		t.Error("unencodable character not written as ?")
	}
	if w := dbfWidth(d, "YXYY"); w != 254 {
		t.Errorf("YXYY width %d, want 254 (cut)", w)
	}
}

// dbfWidth returns the width of a .dbf field.
func dbfWidth(dbf []byte, name string) int {
	for off := 32; off+32 <= len(dbf) && dbf[off] != 0x0d; off += 32 {
		if string(bytes.TrimRight(dbf[off:off+11], "\x00")) == name {
			return int(dbf[off+16])
		}
	}
	return -1
}

// GDAL reads the Shapefile back: every row, the Chinese text (from GBK
// through the .cpg), the CRS, and the geometry; and GDAL, copying it, writes
// the same .shp and .shx bytes. Skipped without ogr2ogr.
func TestShapefileWithGDAL(t *testing.T) {
	if _, err := exec.LookPath("ogr2ogr"); err != nil {
		t.Skip("ogr2ogr not installed")
	}
	rows := fixture(t)
	for _, tc := range []struct {
		name string
		c    crs.CRS
		epsg string
	}{{"cgcs2000", crs.CGCS2000, "4490"}, {"gk", crs.GK, "4526"}, {"cm", mustCRS(t, "EPSG:4547"), "4547"}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			_, files := unzip(t, write(t, Shapefile, rows, append(opts, WithCRS(tc.c))...))
			for name, data := range files {
				if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			shp := filepath.Join(dir, "核查任务.shp")
			js := filepath.Join(dir, "out.geojson")
			if out, err := exec.Command("ogr2ogr", "-f", "GeoJSON", js, shp).CombinedOutput(); err != nil {
				t.Fatalf("ogr2ogr: %v\n%s", err, out)
			}
			b, _ := os.ReadFile(js)
			var got struct {
				CRS struct {
					Properties struct{ Name string }
				}
				Features []struct {
					Properties map[string]any
					Geometry   *struct {
						Type        string
						Coordinates json.RawMessage
					}
				}
			}
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			if tc.epsg != "4490" && got.CRS.Properties.Name != "urn:ogc:def:crs:EPSG::"+tc.epsg {
				t.Errorf("GDAL reads the CRS as %q, want EPSG:%s", got.CRS.Properties.Name, tc.epsg)
			}
			if len(got.Features) != 4 {
				t.Fatalf("%d features", len(got.Features))
			}
			f := got.Features[0].Properties
			if f["JCBH"] != "4201022026060001" || f["XZMC"] != `城关镇 <东&西> "一" '二'` || f["XCZ"] != "城关所一组" ||
				f["JCMJ"] != 820.0 || f["YJJBNTMJ"] != 300.0 || f["JCMJMU"] != 1.23 || f["QSX"] != "20251201" ||
				f["HCQX"] != "2026-05-30" || f["YXJ"] != 1.0 || f["ZT"] != "核查中" || f["SFYQ"] != "是" {
				t.Errorf("attributes read back: %v", f)
			}
			if g := got.Features[3].Geometry; g != nil {
				t.Errorf("the row without an outline has a %s", g.Type)
			}
			if v := got.Features[3].Properties["YXJ"]; v != 1.0 {
				t.Errorf("YXJ %v", v)
			}
			if v := got.Features[2].Properties["YXJ"]; v != nil {
				t.Errorf("unranked YXJ %v, want null", v)
			}
			// GDAL's own Shapefile of the same geometries is byte-identical
			// in .shp and .shx.
			again := filepath.Join(dir, "gdal.shp")
			if out, err := exec.Command("ogr2ogr", "-f", "ESRI Shapefile", again, shp).CombinedOutput(); err != nil {
				t.Fatalf("ogr2ogr: %v\n%s", err, out)
			}
			for _, ext := range []string{".shp", ".shx"} {
				ours, _ := os.ReadFile(filepath.Join(dir, "核查任务"+ext))
				theirs, _ := os.ReadFile(filepath.Join(dir, "gdal"+ext))
				if !bytes.Equal(ours, theirs) {
					t.Errorf("%s differs from GDAL's (%d vs %d bytes)", ext, len(ours), len(theirs))
				}
			}
		})
	}
}

func mustCRS(t *testing.T, s string) crs.CRS {
	t.Helper()
	c, err := crs.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// GDAL reads the CRS of a GeoJSON or Shapefile written in a Gauss-Krüger
// zone, and reprojecting it back to WGS84 (ogr2ogr -t_srs EPSG:4326) gives
// the original vertices within 1 cm.
func TestCRSRoundTripWithGDAL(t *testing.T) {
	if _, err := exec.LookPath("ogr2ogr"); err != nil {
		t.Skip("ogr2ogr not installed")
	}
	rows := fixture(t)
	zone := mustCRS(t, "EPSG:4526")
	for _, tc := range []struct {
		name string
		f    func(io.Writer, []Row, ...Option) error
		c    crs.CRS
	}{{"geojson gk", GeoJSON, crs.GK}, {"geojson cm", GeoJSON, mustCRS(t, "EPSG:4547")}, {"shp gk", Shapefile, zone}, {"geojson 4490", GeoJSON, crs.CGCS2000}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			b := write(t, tc.f, rows, append(opts, WithCRS(tc.c))...)
			src := filepath.Join(dir, "in.geojson")
			if strings.HasPrefix(tc.name, "shp") {
				_, files := unzip(t, b)
				for name, data := range files {
					os.WriteFile(filepath.Join(dir, name), data, 0o644)
				}
				src = filepath.Join(dir, "核查任务.shp")
			} else {
				os.WriteFile(src, b, 0o644)
			}
			out := filepath.Join(dir, "wgs84.geojson")
			if o, err := exec.Command("ogr2ogr", "-f", "GeoJSON", "-t_srs", "EPSG:4326", "-lco", "COORDINATE_PRECISION=10", out, src).CombinedOutput(); err != nil {
				t.Fatalf("ogr2ogr: %v\n%s", err, o)
			}
			data, _ := os.ReadFile(out)
			var fc struct {
				Features []struct {
					Geometry struct{ Coordinates json.RawMessage }
				}
			}
			if err := json.Unmarshal(data, &fc); err != nil {
				t.Fatal(err)
			}
			// The first feature is 4201022026060001: its open ring's first
			// vertex, and the hole.
			var ring [][][2]float64
			if err := json.Unmarshal(fc.Features[0].Geometry.Coordinates, &ring); err != nil {
				t.Fatal(err)
			}
			if len(ring) != 2 {
				t.Fatalf("%d rings read back, want 2", len(ring))
			}
			worst := 0.0
			for _, want := range [][2]float64{{114.302, 30.601}, {114.303, 30.601}, {114.303, 30.6015}, {114.302, 30.6015}} {
				d := math.Inf(1)
				for _, p := range ring[0] {
					dx := (p[0] - want[0]) * 111320 * math.Cos(want[1]*math.Pi/180)
					dy := (p[1] - want[1]) * 110540
					d = math.Min(d, math.Hypot(dx, dy))
				}
				worst = math.Max(worst, d)
			}
			if worst > 0.01 {
				t.Errorf("a vertex comes back %.3f m away", worst)
			}
			t.Logf("largest vertex error after GDAL's reprojection back to WGS84: %.2g m", worst)
		})
	}
}
