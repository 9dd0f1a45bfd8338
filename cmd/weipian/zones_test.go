package main

import (
	"archive/zip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/store"
)

// patrolGeoJSON is a patrol-zone file in the county's own column names
// (QY, DJ, ZD, ZRR need no --map except QY).
func patrolGeoJSON(grade2 string) string {
	return `{"type":"FeatureCollection","features":[
{"type":"Feature","id":1,"properties":{"QY":"东关片区","DJ":"一级","ZD":"城关中队","ZRR":"张三","LXDH":"13800000001"},"geometry":{"type":"Polygon","coordinates":[[[113.60,34.70],[113.62,34.72],[113.62,34.70],[113.60,34.72],[113.60,34.70]]]}},
{"type":"Feature","id":2,"properties":{"QY":"西关片区","DJ":"` + grade2 + `","ZD":"城关中队","ZRR":"李四","LXDH":""},"geometry":{"type":"Polygon","coordinates":[[[113.58,34.70],[113.60,34.70],[113.60,34.72],[113.58,34.72],[113.58,34.70]]]}}
]}`
}

func writeZoneFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func openZoneStore(t *testing.T, db string) *store.Store {
	t.Helper()
	s, err := store.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestZonesImportAndList(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "state.db")
	v1 := writeZoneFile(t, dir, "patrol.geojson", patrolGeoJSON("二级"))

	out, err := runCLI(t, "zones", "import", "--db", db, "--kind", "巡查区", "--map", "QY=名称", "--name", "2026年巡查区", v1)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{"已导入 巡查区 第 1 版", "2 个要素", "名称 ← QY", "等级 ← DJ", "联系方式 ← LXDH", "警告 1 条", "要素 1：面几何无效（", "），已用 GEOS MakeValid 修复为 2 个面（警告）"} {
		if !strings.Contains(out, want) {
			t.Errorf("import output lacks %q:\n%s", want, out)
		}
	}
	s := openZoneStore(t, db)
	l, err := s.ActiveZones(t.Context(), pipeline.ZonePatrol)
	if err != nil {
		t.Fatal(err)
	}
	if l.Version != 1 || l.Name != "2026年巡查区" || len(l.Zones) != 2 {
		t.Fatalf("stored layer %d %q, %d zones", l.Version, l.Name, len(l.Zones))
	}
	z := l.Zones[1]
	if z.ID != 2 || z.Name != "西关片区" || z.Grade != 2 || z.Team != "城关中队" || z.Person != "李四" || len(l.Zones[0].Geometry) != 2 {
		t.Errorf("zones %+v", l.Zones)
	}

	// Re-import with an English alias: version 2 becomes active, 1 stays.
	v2 := writeZoneFile(t, dir, "patrol2.geojson", patrolGeoJSON("三级"))
	if out, err := runCLI(t, "zones", "import", "--db", db, "--kind", "patrol", "--map", "QY=MC", v2); err != nil || !strings.Contains(out, "第 2 版") {
		t.Fatalf("%v\n%s", err, out)
	}
	out, err = runCLI(t, "zones", "list", "--db", db)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(out, "\n")
	var patrol []string
	for i, l := range lines {
		if strings.HasPrefix(l, "巡查区") {
			patrol = lines[i : i+2]
		}
	}
	if len(patrol) != 2 || !strings.Contains(patrol[0], "2     生效") || !strings.Contains(patrol[0], "patrol2") ||
		!strings.Contains(patrol[1], "1     历史") || !strings.Contains(patrol[1], "2026年巡查区") {
		t.Errorf("list:\n%s", out)
	}
	if !strings.Contains(out, "耕地") || !strings.Contains(out, "未导入") {
		t.Errorf("list does not show the kinds never imported:\n%s", out)
	}
	if out, err := runCLI(t, "zones", "list", "--db", db, "--kind", "耕地"); err != nil || strings.Contains(out, "巡查区") {
		t.Errorf("list --kind 耕地: %v\n%s", err, out)
	}
}

func TestZonesImportRefusedIsAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "state.db")
	good := writeZoneFile(t, dir, "good.geojson", patrolGeoJSON("二级"))
	if out, err := runCLI(t, "zones", "import", "--db", db, "--kind", "巡查区", "--map", "QY=名称", good); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	bad := writeZoneFile(t, dir, "bad.geojson", patrolGeoJSON("四级"))
	csvPath := filepath.Join(dir, "problems.csv")
	out, err := runCLI(t, "zones", "import", "--db", db, "--kind", "巡查区", "--map", "QY=名称", "--problems", csvPath, "--max-problems", "1", bad)
	var refused *pipeline.ZoneImportError
	if !errors.As(err, &refused) || !strings.Contains(err.Error(), "bad.geojson") {
		t.Fatalf("got %v, want the import refused", err)
	}
	if !strings.Contains(out, `要素 2：等级（DJ）"四级"：应为 一级、二级或三级（也可写 1/2/3、一/二/三、I/II/III）`) || !strings.Contains(out, "什么也没有导入") ||
		!strings.Contains(out, "… 另有 1 条未列出（全部列出：--problems 文件.csv 或 --max-problems 0）") {
		t.Errorf("refusal output:\n%s", out)
	}
	if b, err := os.ReadFile(csvPath); err != nil || !strings.Contains(string(b), "2,等级,四级,") {
		t.Errorf("problems CSV: %v\n%s", err, b)
	}
	s := openZoneStore(t, db)
	vs, err := s.ZoneLayerVersions(t.Context(), pipeline.ZonePatrol)
	if err != nil || len(vs) != 1 || !vs[0].Active {
		t.Fatalf("after the refusal: %+v, %v; want version 1 alone and active", vs, err)
	}

	// --skip-invalid imports the valid feature and records the other.
	out, err = runCLI(t, "zones", "import", "--db", db, "--kind", "巡查区", "--map", "QY=名称", "--skip-invalid", bad)
	if err != nil || !strings.Contains(out, "第 2 版") || !strings.Contains(out, "1 个要素") || !strings.Contains(out, "未导入的要素问题") {
		t.Fatalf("%v\n%s", err, out)
	}
	l, err := s.ActiveZones(t.Context(), pipeline.ZonePatrol)
	if err != nil || len(l.Zones) != 1 || l.Zones[0].ID != 1 {
		t.Fatalf("layer %+v, %v", l, err)
	}
	found := false
	for _, p := range l.Problems {
		found = found || (p.FeatureID == 2 && p.Field == pipeline.FieldGrade && !p.Warning)
	}
	if !found {
		t.Errorf("the left-out feature is not recorded: %v", l.Problems)
	}

	// --dry-run writes nothing.
	if out, err := runCLI(t, "zones", "import", "--db", db, "--kind", "巡查区", "--map", "QY=名称", "--dry-run", good); err != nil || !strings.Contains(out, "检查通过（仅检查，未导入）巡查区：2 个要素可导入") {
		t.Fatalf("%v\n%s", err, out)
	}
	if vs, _ := s.ZoneLayerVersions(t.Context(), pipeline.ZonePatrol); len(vs) != 2 {
		t.Errorf("dry run stored a version: %d versions", len(vs))
	}
}

func TestZonesImportZippedShapefile(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "state.db")
	zipPath := filepath.Join(dir, "耕地.zip")
	f, err := os.Create(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for _, ext := range []string{".shp", ".shx", ".dbf", ".prj"} {
		w, err := zw.Create("gd/train" + ext)
		if err != nil {
			t.Fatal(err)
		}
		in, err := os.Open("../../testdata/juelich/train" + ext)
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
	f.Close()
	out, err := runCLI(t, "zones", "import", "--db", db, "--kind", "cultivated", "--name", "2026年三调耕地", zipPath)
	if err != nil || !strings.Contains(out, "已导入 耕地 第 1 版") || !strings.Contains(out, "30 个要素") {
		t.Fatalf("%v\n%s", err, out)
	}
	l, err := openZoneStore(t, db).ActiveZones(t.Context(), pipeline.ZoneCultivated)
	if err != nil || len(l.Zones) != 30 || l.Zones[0].Attrs["CLASS_NAME"] == "" {
		t.Fatalf("%v %d zones", err, len(l.Zones))
	}
	c := l.Zones[0].Geometry.Bound().Center()
	if c[0] < 6 || c[0] > 7 || c[1] < 50.5 || c[1] > 51.2 {
		t.Errorf("zone centre %v is not at Jülich in lon/lat", c)
	}
}

func TestZonesImportFileErrors(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "state.db")
	points := writeZoneFile(t, dir, "points.geojson", `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"XZQDM":"410102","XZQMC":"x"},"geometry":{"type":"Point","coordinates":[113,34]}}]}`)
	admin := writeZoneFile(t, dir, "admin.geojson", `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"NAME":"东关街道"},"geometry":{"type":"Polygon","coordinates":[[[113,34],[113.01,34],[113.01,34.01],[113,34]]]}}]}`)
	badCode := writeZoneFile(t, dir, "code.geojson", `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"ADCODE":"41010A","NAME":"东关街道"},"geometry":{"type":"Polygon","coordinates":[[[113,34],[113.01,34],[113.01,34.01],[113,34]]]}}]}`)
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"points", []string{"--kind", "行政区", points}, []string{"points.geojson：矢量数据不符合要求（应为带坐标系的面图层）", "Point", "polygons"}},
		{"missing field", []string{"--kind", "行政区", admin}, []string{"admin.geojson", "行政区 缺少必填字段 行政区代码（列名也可为 XZQDM", "文件的列为 NAME", "--map"}},
		{"bad code", []string{"--kind", "admin", badCode}, []string{"code.geojson", `要素 0：行政区代码（XZQDM）"41010A"：应为 6、9 或 12 位数字（县、乡镇、村代码）`}},
		{"no file", []string{"--kind", "admin", filepath.Join(dir, "nope.gpkg")}, []string{"nope.gpkg：文件无法读取"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := runCLI(t, append([]string{"zones", "import", "--db", db}, tc.args...)...)
			if err == nil {
				t.Fatalf("no error\n%s", out)
			}
			var ue usageError
			if errors.As(err, &ue) {
				t.Errorf("%v is a usage error", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error()+out, w) {
					t.Errorf("%v\n%s\ndoes not say %q", err, out, w)
				}
			}
		})
	}
	if vs, err := openZoneStore(t, db).ActiveZoneVersions(t.Context()); err != nil || len(vs) != 0 {
		t.Errorf("refused imports stored %v, %v", vs, err)
	}
}

func TestZonesUsageErrors(t *testing.T) {
	f := writeZoneFile(t, t.TempDir(), "p.geojson", patrolGeoJSON("二级"))
	for _, args := range [][]string{
		{"zones", "import", f},
		{"zones", "import", "--kind", "森林", f},
		{"zones", "import", "--kind", "巡查区"},
		{"zones", "import", "--kind", "巡查区", f, f},
		{"zones", "import", "--kind", "巡查区", "--map", "QY", f},
		{"zones", "import", "--kind", "批准用地", "--area-unit", "公顷", f},
		{"zones", "list", "--kind", "森林"},
		{"zones", "list", "extra"},
	} {
		_, err := runCLI(t, args...)
		if err == nil || exitCode(err) != 2 {
			t.Errorf("%v: got %v, want a usage error (exit status 2)", args, err)
		}
	}
}
