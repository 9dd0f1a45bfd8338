package report

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/xuri/excelize/v2"

	"github.com/weipian/weipian/ledger"
	"github.com/weipian/weipian/pipeline/crs"
	"github.com/weipian/weipian/pipeline/reconcile"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func box(lon, lat, d float64) orb.Polygon {
	return orb.Polygon{{{lon, lat}, {lon + d, lat}, {lon + d, lat + d}, {lon, lat + d}, {lon, lat}}}
}

// endToEnd imports the ledger and track fixtures, reconciles them with three
// patches and assesses May 2026.
func endToEnd(t *testing.T) ([]reconcile.PatchResult, []reconcile.ZoneResult) {
	t.Helper()
	ctx := context.Background()
	zones := []string{"东关村", "西关村", "北关社区"}
	res, err := ledger.ReadFile(ctx, "../testdata/台帐2026.xlsx", ledger.WithZones(zones...))
	if err != nil {
		t.Fatal(err)
	}
	var tracks []reconcile.Track
	for _, f := range []string{"../testdata/城关所一组_张三_李四_20260503.gpx", "../testdata/巡查轨迹.kml"} {
		trs, err := ledger.ReadTrackFile(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		for i := range trs {
			tracks = append(tracks, trs[i].Domain())
		}
	}
	loc := reconcile.ChinaTime()
	d := func(s string) time.Time { v, _ := time.ParseInLocation("2006-01-02", s, loc); return v }
	in := reconcile.Input{
		Zones: []reconcile.Zone{
			{ID: 101, Name: "东关村", Grade: 1, Team: "城关所一组"},
			{ID: 102, Name: "西关村", Grade: 2, Team: "城关所二组"},
			{ID: 103, Name: "北关社区", Grade: 3, Team: "城关所二组"},
		},
		Entries: ledger.Domain(res.Entries),
		Tracks:  tracks,
		Patches: []reconcile.Patch{
			{ID: "T1", JCBH: "420102202605001", Geometry: box(114.3020, 30.6011, 0.0003), QSX: d("2026-04-01"), HSX: d("2026-05-10"), PatrolZoneID: "101", Suspected: true},
			{ID: "T2", JCBH: "420102202605002", Geometry: box(114.3130, 30.6105, 0.0003), QSX: d("2026-04-01"), HSX: d("2026-05-10"), PatrolZoneID: "102", Suspected: true},
			{ID: "T3", JCBH: "420102202605003", Geometry: box(114.4000, 30.7000, 0.0003), QSX: d("2026-04-01"), HSX: d("2026-05-10"), PatrolZoneID: "103", Suspected: true},
		},
	}
	patches, err := reconcile.Run(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	zs, err := reconcile.Assess(ctx, in, patches, reconcile.Month(2026, time.May, loc),
		reconcile.WithNow(func() time.Time { return d("2026-06-01") }))
	if err != nil {
		t.Fatal(err)
	}
	return patches, zs
}

func TestEndToEnd(t *testing.T) {
	t.Parallel()
	patches, zones := endToEnd(t)
	want := []reconcile.Outcome{reconcile.FoundByPatrol, reconcile.ShouldHaveFound, reconcile.NotCovered}
	for i, p := range patches {
		if p.Outcome != want[i] {
			t.Errorf("%s: %v, want %v", p.Patch.JCBH, p.Outcome.Label(), want[i].Label())
		}
	}
	if f := patches[0].Found; f == nil || f.Ref != "台帐2026.xlsx 5月 第5行" || f.Match != reconcile.MatchLocation {
		t.Errorf("found %+v", f)
	}
	if c := patches[1].Closest; c == nil || c.Source != reconcile.FromTrack || c.DistanceM > 120 {
		t.Errorf("closest %+v", c)
	}
	// The KML line's vertices are 20 minutes apart, more than the 10-minute
	// gap, so the pass is measured from its vertex at 114.312 (about 110 m).
	z := zones[0] // 东关村: rows 5, 7, 12, 13 (row 8 names only 西关村)
	if z.Entries != 4 || z.PatrolDays != 4 || z.Found != 1 || z.Suspected != 1 || z.FrequencyMet {
		t.Errorf("东关村 %+v", z)
	}
	if z := zones[1]; z.SoloPatrols != 1 || z.ShouldHaveFound != 1 {
		t.Errorf("西关村 %+v", z)
	}
}

func TestWritersDeterministic(t *testing.T) {
	t.Parallel()
	patches, zones := endToEnd(t)
	writers := map[string]func(*bytes.Buffer) error{
		"patches.xlsx": func(b *bytes.Buffer) error {
			return PatchesXLSX(b, patches, WithTitle("2026年5月卫片图斑动态巡查核查表"))
		},
		"patches.geojson": func(b *bytes.Buffer) error { return PatchesGeoJSON(b, patches) },
		"zones.xlsx":      func(b *bytes.Buffer) error { return ZonesXLSX(b, zones) },
	}
	for name, write := range writers {
		t.Run(name, func(t *testing.T) {
			var a, b bytes.Buffer
			if err := write(&a); err != nil {
				t.Fatal(err)
			}
			time.Sleep(1100 * time.Millisecond) // a clock-dependent field would change
			if err := write(&b); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Fatal("two writes differ")
			}
			golden := filepath.Join("testdata", name)
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, a.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./ledger/report -update)", err)
			}
			if !bytes.Equal(a.Bytes(), want) {
				t.Errorf("%s differs from the golden file; run go test ./ledger/report -update and review", name)
			}
		})
	}
}

func TestPatchesXLSXContent(t *testing.T) {
	t.Parallel()
	patches, _ := endToEnd(t)
	var buf bytes.Buffer
	info := map[string]PatchInfo{"T1": {Zone: "东关村", Township: "城关镇", JCMJ: 2000, JCGDMJ: 1000, YJJBNTMJ: 0}}
	if err := PatchesXLSX(&buf, patches, WithPatchInfo(info)); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("图斑核查")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 5 || rows[0][0] != "监测编号" || rows[0][2] != "巡查区域" || rows[0][3] != "监测面积(亩)" || rows[0][10] != "核查结论" {
		t.Fatalf("rows %v", rows)
	}
	r := rows[1]
	if r[0] != "420102202605001" || r[1] != "城关镇" || r[2] != "东关村" || r[3] != "3" || r[4] != "1.5" || r[5] != "0" ||
		r[10] != "巡查已发现" || r[11] != "2026-05-03" || r[12] != "台帐2026.xlsx 5月 第5行" || r[13] != "坐标" {
		t.Errorf("row 2 %v", r)
	}
	// Without info the zone is its ID and the areas are blank.
	if rows[2][2] != "102" || rows[2][3] != "" || rows[2][10] != "巡查应发现而未发现" || rows[2][15] == "" || rows[3][10] != "未巡查覆盖" {
		t.Errorf("rows 3-4 %v %v", rows[2], rows[3])
	}
	if tot := rows[4]; tot[0] != "合计" || tot[1] != "3个图斑" || tot[3] != "3" || tot[6] != "疑似违法3个" ||
		tot[10] != "巡查已发现1；巡查应发现而未发现1；未巡查覆盖1" {
		t.Errorf("totals row %v", tot)
	}
	props, err := f.GetDocProps()
	if err != nil || props.Created != fixedDate || props.Modified != fixedDate {
		t.Errorf("doc props %+v %v", props, err)
	}
}

func TestZonesXLSXContent(t *testing.T) {
	t.Parallel()
	_, zones := endToEnd(t)
	var buf bytes.Buffer
	if err := ZonesXLSX(&buf, zones, WithTitle("2026年5月动态巡查情况")); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("区域巡查")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 6 || rows[0][0] != "2026年5月动态巡查情况" || rows[1][0] != "巡查区域" || rows[1][15] != "图斑数(个)" {
		t.Fatalf("rows %v", rows)
	}
	if r := rows[2]; r[0] != "东关村" || r[1] != "一级" || r[4] != "每2天至少1次" || r[11] != "否" || r[20] != "100.0%" {
		t.Errorf("东关村 row %v", r)
	}
	if r := rows[5]; r[0] != "合计" || r[1] != "3个区域" || r[11] != "0/3达标" || r[15] != "3" || r[16] != "3" || r[17] != "1" || r[20] != "33.3%" {
		t.Errorf("totals row %v", r)
	}
	late, err := f.GetRows("超期明细")
	if err != nil || len(late) < 1 || late[0][1] != "台帐行" {
		t.Errorf("late sheet %v %v", late, err)
	}
}

func TestPatchesGeoJSONContent(t *testing.T) {
	t.Parallel()
	patches, _ := endToEnd(t)
	var buf bytes.Buffer
	if err := PatchesGeoJSON(&buf, patches); err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Features []struct {
			Geometry   struct{ Type string }
			Properties map[string]any
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &fc); err != nil {
		t.Fatal(err)
	}
	if len(fc.Features) != 3 || fc.Features[0].Geometry.Type != "Polygon" ||
		fc.Features[0].Properties["HCJL"] != "巡查已发现" || fc.Features[1].Properties["HCJLDM"] != "should_have_found" {
		t.Errorf("%+v", fc.Features)
	}
}

func TestRequirementText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		r    reconcile.Requirement
		want string
	}{
		{reconcile.Requirement{EveryDays: 2}, "每2天至少1次"},
		{reconcile.Requirement{EveryDays: 7, MinPerMonth: 5}, "每周至少1次；每月≥5次"},
		{reconcile.Requirement{MinPerWeek: 2}, "每周≥2次"},
		{reconcile.Requirement{}, "无"},
	} {
		if got := RequirementText(tc.r); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.r, got, tc.want)
		}
	}
}

// Text cells that would run as formulas are written with a leading quote
// (formula injection); numbers stay numbers.
func TestFormulaInjection(t *testing.T) {
	t.Parallel()
	evil := `=HYPERLINK("http://evil.example/","点我")`
	patches, zones := endToEnd(t)
	patches[0].Patch.JCBH = evil
	patches[0].Patch.ID = "+cmd|' /C calc'!A0"
	patches[0].ZoneID = "-2+3"
	zones[0].Name = "@SUM(1+1)"
	zones[0].Team = "\t=1+1"
	zones[0].ZoneID = "\r=1+1"
	var pb, zb bytes.Buffer
	if err := PatchesXLSX(&pb, patches, WithTitle("=1+1 标题")); err != nil {
		t.Fatal(err)
	}
	if err := ZonesXLSX(&zb, zones); err != nil {
		t.Fatal(err)
	}
	cells := func(b []byte, sheet string, row int) []string {
		f, err := excelize.OpenReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		return rows[row]
	}
	if got := cells(pb.Bytes(), "图斑核查", 0)[0]; got != "'=1+1 标题" {
		t.Errorf("title %q", got)
	}
	p := cells(pb.Bytes(), "图斑核查", 2)
	if p[0] != "'"+evil || p[22] != "'+cmd|' /C calc'!A0" || p[2] != "'-2+3" {
		t.Errorf("patch row %q", p)
	}
	z := cells(zb.Bytes(), "区域巡查", 1)
	if z[0] != "'@SUM(1+1)" || z[2] != "'\t=1+1" {
		t.Errorf("zone row %q", z[:4])
	}
	// Numbers are still numbers (the 巡查天数 column).
	f, err := excelize.OpenReader(bytes.NewReader(zb.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if typ, err := f.GetCellType("区域巡查", "G2"); err != nil || typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
		t.Errorf("巡查天数 cell type %v %v", typ, err)
	}
}

func TestPatchesGeoJSONCRS(t *testing.T) {
	t.Parallel()
	patches, _ := endToEnd(t)
	write := func(opts ...Option) []byte {
		var buf bytes.Buffer
		if err := PatchesGeoJSON(&buf, patches, opts...); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	type doc struct {
		CRS *struct {
			Type       string
			Properties struct{ Name string }
		}
		Features []struct {
			Geometry struct {
				Type        string
				Coordinates json.RawMessage
			}
			Properties map[string]any
		}
	}
	parse := func(b []byte) doc {
		var d doc
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	def := write()
	if d := parse(def); d.CRS != nil {
		t.Error("the default GeoJSON names a crs")
	}
	if !bytes.Equal(def, write(WithCRS(crs.WGS84))) {
		t.Error("WithCRS(WGS84) differs from the default")
	}
	cg := write(WithCRS(crs.CGCS2000))
	d := parse(cg)
	if d.CRS == nil || d.CRS.Type != "name" || d.CRS.Properties.Name != "urn:ogc:def:crs:EPSG::4490" {
		t.Errorf("CGCS2000 crs member %+v", d.CRS)
	}
	if string(d.Features[0].Geometry.Coordinates) != string(parse(def).Features[0].Geometry.Coordinates) {
		t.Error("CGCS2000 coordinates differ from WGS84 ones")
	}
	gk := write(WithCRS(crs.GK))
	if !bytes.Equal(gk, write(WithCRS(crs.GK))) {
		t.Error("GK output not deterministic")
	}
	g := parse(gk)
	if g.CRS == nil || g.CRS.Properties.Name != "urn:ogc:def:crs:EPSG::4526" {
		t.Fatalf("GK crs member %+v, want EPSG:4526", g.CRS)
	}
	var ll, xy [][][2]float64
	json.Unmarshal(parse(def).Features[0].Geometry.Coordinates, &ll)
	json.Unmarshal(g.Features[0].Geometry.Coordinates, &xy)
	zone, _ := crs.FromEPSG(4526)
	for i := range ll[0] {
		x, y := zone.Forward(ll[0][i][0], ll[0][i][1])
		if math.Abs(x-xy[0][i][0]) > 0.001 || math.Abs(y-xy[0][i][1]) > 0.001 {
			t.Errorf("vertex %d: %v, want %.3f, %.3f", i, xy[0][i], x, y)
		}
	}
	if g.Features[0].Properties["JCBH"] != parse(def).Features[0].Properties["JCBH"] {
		t.Error("properties changed")
	}
	// GDAL reads the CRS member: back to WGS84 within 1 cm.
	if _, err := exec.LookPath("ogr2ogr"); err != nil {
		t.Log("ogr2ogr not installed: GDAL check skipped")
		return
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "gk.geojson"), filepath.Join(dir, "wgs84.geojson")
	os.WriteFile(in, gk, 0o644)
	if o, err := exec.Command("ogr2ogr", "-f", "GeoJSON", "-t_srs", "EPSG:4326", "-lco", "COORDINATE_PRECISION=10", out, in).CombinedOutput(); err != nil {
		t.Fatalf("ogr2ogr: %v\n%s", err, o)
	}
	b, _ := os.ReadFile(out)
	var back [][][2]float64
	json.Unmarshal(parse(b).Features[0].Geometry.Coordinates, &back)
	for i := range ll[0] {
		dx := (back[0][i][0] - ll[0][i][0]) * 111320 * math.Cos(ll[0][i][1]*math.Pi/180)
		dy := (back[0][i][1] - ll[0][i][1]) * 110540
		if d := math.Hypot(dx, dy); d > 0.01 {
			t.Errorf("vertex %d comes back %.3f m away", i, d)
		}
	}
}
