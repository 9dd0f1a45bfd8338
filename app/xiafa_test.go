package app_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/weipian/weipian/app"
	"github.com/weipian/weipian/app/fixture"
	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/raster"
)

// xiafaFeature is one issued 图斑 of a test package.
type xiafaFeature struct {
	props map[string]any
	geom  orb.Polygon
}

// writeXiafaShapefile writes a package as the practice ships them: a
// Shapefile in CGCS2000 / 3-degree Gauss–Krüger zone 38 (EPSG:4526) with
// GBK attributes, converted by GDAL's ogr2ogr from a GeoJSON.
func writeXiafaShapefile(t *testing.T, dir, name string, feats []xiafaFeature) string {
	t.Helper()
	if _, err := exec.LookPath("ogr2ogr"); err != nil {
		t.Skip("ogr2ogr (gdal-bin) is not installed: scripts/setup.sh gdal")
	}
	fc := geojson.NewFeatureCollection()
	for _, f := range feats {
		gf := geojson.NewFeature(f.geom)
		gf.Properties = f.props
		fc.Append(gf)
	}
	data, _ := json.Marshal(fc)
	src := filepath.Join(dir, name+".geojson")
	os.WriteFile(src, data, 0o644)
	pkg := filepath.Join(dir, name)
	os.MkdirAll(pkg, 0o755)
	out, err := exec.Command("ogr2ogr", "-f", "ESRI Shapefile", "-s_srs", "EPSG:4326", "-t_srs", "EPSG:4526", "-lco", "ENCODING=GBK",
		filepath.Join(pkg, name+".shp"), src).CombinedOutput()
	if err != nil {
		t.Fatalf("ogr2ogr: %v\n%s", err, out)
	}
	return pkg
}

func patchGeom(id string) orb.Polygon {
	for _, p := range fixture.Patches() {
		if p.ID == id {
			return p.Geometry
		}
	}
	panic(id)
}

func shift(p orb.Polygon, dx, dy float64) orb.Polygon {
	out := orb.Polygon{}
	for _, r := range p {
		nr := orb.Ring{}
		for _, pt := range r {
			nr = append(nr, orb.Point{pt[0] + dx, pt[1] + dy})
		}
		out = append(out, nr)
	}
	return out
}

func issued(jcbh, tblx, deadline string, g orb.Polygon) xiafaFeature {
	return xiafaFeature{props: map[string]any{"JCBH": jcbh, "XZQDM": "420101", "XMC": "测试县", "TBLX": tblx, "QSX": "20251006", "HSX": "20260501",
		"XFSJ": "20260510", "XJJZSJ": deadline, "JCMJ": 1000.5, "BZ": "省级重点"}, geom: g}
}

func TestXiafaImport(t *testing.T) {
	a, _ := open(t, app.Config{})
	op := app.Operator("op")
	dir := t.TempDir()
	pkg := writeXiafaShapefile(t, dir, "省级下发2026年5月", []xiafaFeature{
		issued("4201012026S0001", "20", "2026-06-20", patchGeom("P3")),                  // the county's own P3
		issued("4201012026S0002", "TD", "2026-06-25", shift(patchGeom("P2"), -0.02, 0)), // new ground, west, on 耕地
		issued("4201012026S0003", "KT", "", shift(patchGeom("P5"), 0, 0.005)),           // off farmland
	})
	res, err := a.ImportXiafa(t.Context(), op, app.XiafaImportRequest{Path: pkg, Source: "省"})
	if err != nil {
		t.Fatalf("%v %v", err, res.Problems)
	}
	if res.Batch.State != pipeline.BatchDone || res.Batch.PatchCount != 3 {
		t.Errorf("the 下发 batch is %s with %d patches, want done with 3", res.Batch.State, res.Batch.PatchCount)
	}
	if jobs, _ := a.Orchestrator().Unfinished(t.Context()); len(jobs) != 0 {
		t.Errorf("the 下发 batch left jobs for the queue: %v", jobs)
	}
	if res.Patches != 3 || res.Linked != 1 || res.Summary.Tasks != 3 {
		t.Errorf("import: %d patches, %d linked, %d tasks; want 3, 1 linked (P3), 3 tasks", res.Patches, res.Linked, res.Summary.Tasks)
	}
	// Linked, not duplicated: P3's 图斑 now carries the issued JCBH and keeps its own.
	all, _ := a.Tubans(t.Context(), op, app.TubanQuery{})
	if all.Totals.Count != 7 {
		t.Errorf("%d 图斑 after the import, want 7 (5 own + 2 new issued)", all.Totals.Count)
	}
	tb, err := a.Tuban(t.Context(), op, "4201012026S0001")
	if err != nil {
		t.Fatal(err)
	}
	if len(tb.History) != 2 || tb.FirstBatch != fixture.BatchID {
		t.Errorf("linked 图斑: first batch %s, history %d; want the own detection first", tb.FirstBatch, len(tb.History))
	}
	raw, _ := a.Store().Tuban(t.Context(), "4201012026S0001")
	if raw.Issued == nil || raw.Issued.Columns["BZ"] != "省级重点" || raw.Issued.XZQDM != "420101" || raw.Issued.TBLX != "20" || len(raw.AltJCBH) != 1 {
		t.Errorf("issued attributes not kept: %+v alt %v", raw.Issued, raw.AltJCBH)
	}
	// The issuer's deadline, else the calendar rule.
	d, _ := a.Task(t.Context(), op, "4201012026S0002")
	if d.Task.DueVerify != "2026-06-25" || d.Task.Team != fixture.TeamWest {
		t.Errorf("issued task: due %s team %s, want 2026-06-25 and the west team", d.Task.DueVerify, d.Task.Team)
	}
	if d.Tuban.TBLX.Label != "推堆土/动土" || !strings.Contains(d.Tuban.TBLXReason, "TD") {
		t.Errorf("issued TBLX: %+v %s", d.Tuban.TBLX, d.Tuban.TBLXReason)
	}
	d3, _ := a.Task(t.Context(), op, "4201012026S0003")
	if d3.Task.DueVerify == "" || d3.Tuban.Judgement.Label != pipeline.JudgeNotOfInterest {
		t.Errorf("issued off-farmland 图斑: due %q, judgement %s; want a task anyway", d3.Task.DueVerify, d3.Tuban.Judgement.Label)
	}
	// Again: nothing changes.
	again, err := a.ImportXiafa(t.Context(), op, app.XiafaImportRequest{Path: pkg, Source: "省"})
	if err != nil || again.Created {
		t.Errorf("second import: created %v, %v", again.Created, err)
	}
	if l, _ := a.Tubans(t.Context(), op, app.TubanQuery{}); l.Totals.Count != 7 {
		t.Errorf("second import changed the 图斑 count to %d", l.Totals.Count)
	}
}

func TestXiafaImportRefusesBadPackages(t *testing.T) {
	a, _ := open(t, app.Config{})
	op := app.Operator("op")
	dir := t.TempDir()
	bad := writeXiafaShapefile(t, dir, "坏包", []xiafaFeature{
		issued("A1", "20", "", patchGeom("P1")),
		issued("A1", "20", "", patchGeom("P2")), // duplicate JCBH
		issued("A3", "ZZ", "", patchGeom("P4")), // unknown code
		issued("", "20", "", patchGeom("P5")),   // missing JCBH
	})
	res, err := a.ImportXiafa(t.Context(), op, app.XiafaImportRequest{Path: bad, Source: "部"})
	if app.KindOf(err) != app.KindInvalid || len(res.Problems) != 3 {
		t.Fatalf("bad package: %v, %d problems %v; want refused with 3", err, len(res.Problems), res.Problems)
	}
	var all []string
	for _, p := range res.Problems {
		all = append(all, p.String())
	}
	for _, want := range []string{"监测编号重复", "未知的图斑类型代码", "JCBH「」：为空"} {
		if !strings.Contains(strings.Join(all, "\n"), want) {
			t.Errorf("problems %q lack %q", all, want)
		}
	}
	if l, _ := a.Tubans(t.Context(), op, app.TubanQuery{}); l.Totals.Count != 5 {
		t.Errorf("a refused package imported something: %d 图斑", l.Totals.Count)
	}
	bs, _ := a.Batches(t.Context(), op, app.Page{})
	if len(bs.Items) != 1 {
		t.Errorf("a refused package left a batch: %d batches", len(bs.Items))
	}
	// No CRS: the .prj removed.
	good := writeXiafaShapefile(t, dir, "无坐标系", []xiafaFeature{issued("B1", "20", "", patchGeom("P1"))})
	os.Remove(filepath.Join(good, "无坐标系.prj"))
	if _, err := a.ImportXiafa(t.Context(), op, app.XiafaImportRequest{Path: good, Source: "市"}); app.KindOf(err) != app.KindInvalid {
		t.Errorf("no CRS: %v, want refused", err)
	}
	// Wrong encoding: GBK bytes declared as UTF-8.
	enc := writeXiafaShapefile(t, dir, "错编码", []xiafaFeature{{props: map[string]any{"JCBH": "C1", "XZQDM": "420101", "TBLX": "推堆土"}, geom: patchGeom("P1")}})
	os.WriteFile(filepath.Join(enc, "错编码.cpg"), []byte("UTF-8"), 0o644)
	if res, err := a.ImportXiafa(t.Context(), op, app.XiafaImportRequest{Path: enc, Source: "省"}); app.KindOf(err) != app.KindInvalid ||
		!strings.Contains(res.Problems[0].String(), "编码") {
		t.Errorf("wrong encoding: %v %v", err, res.Problems)
	}
	if _, err := a.ImportXiafa(t.Context(), op, app.XiafaImportRequest{Path: enc, Source: "外国"}); app.KindOf(err) != app.KindInvalid {
		t.Errorf("unknown source: %v", err)
	}
}

// readLayer reads a written layer back with GDAL: attributes by JCBH.
func readLayer(t *testing.T, path string) map[string]map[string]string {
	t.Helper()
	feats, _, err := raster.ReadVector(t.Context(), path, raster.VectorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]string{}
	for _, f := range feats {
		out[f.Attrs["JCBH"]] = f.Attrs
	}
	return out
}

// TestXiafaRoundTrip: import → verify → export → import the export
// elsewhere → export again: no field is lost or changed.
func TestXiafaRoundTrip(t *testing.T) {
	a, _ := open(t, app.Config{})
	op := app.Operator("核查员")
	dir := t.TempDir()
	pkg := writeXiafaShapefile(t, dir, "部级下发", []xiafaFeature{
		issued("4201012026B0001", "20", "2026-06-20", shift(patchGeom("P2"), -0.02, 0)),
		issued("4201012026B0002", "KT", "", shift(patchGeom("P5"), 0, 0.005)),
	})
	res, err := a.ImportXiafa(t.Context(), op, app.XiafaImportRequest{Path: pkg, Source: "部", BatchName: "2026年部级第5批"})
	if err != nil {
		t.Fatal(err)
	}
	// Verify the first one: on site, two photos (one by drone), the form, 违法.
	id := "4201012026B0001"
	for _, step := range []app.TransitionRequest{{To: "核查中"}} {
		if _, err := a.Transition(t.Context(), op, id, step); err != nil {
			t.Fatal(err)
		}
	}
	tb, _ := a.Tuban(t.Context(), op, id)
	for i, kind := range []string{"manual", "drone"} {
		up, err := a.NewEvidenceUpload(t.Context(), op, id)
		if err != nil {
			t.Fatal(err)
		}
		up.SetKind(kind)
		up.Add(fmt.Sprintf("IMG_%d.jpg", i), bytes.NewReader(fixture.Photo(fixture.PhotoSpec{Lon: tb.CenterLon, Lat: tb.CenterLat, HasGPS: true, Seed: byte(i)})))
		if _, _, err := up.Commit(t.Context()); err != nil {
			t.Fatal(err)
		}
		up.Close()
	}
	opinion, desc, project := "非农违法", "现场为新建厂房，已封顶", "某某厂房"
	if _, err := a.SetFindings(t.Context(), op, id, app.FindingsRequest{Opinion: &opinion, Description: &desc, ProjectName: &project}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Transition(t.Context(), op, id, app.TransitionRequest{To: "已核查", Verdict: "违法", ViolationType: "违法占地", Reason: "未批先建"}); err != nil {
		t.Fatal(err)
	}
	out1 := filepath.Join(dir, "out1")
	ex, err := a.ExportXiafa(t.Context(), op, app.XiafaExportRequest{Batch: res.Batch.ID, Out: out1})
	if err != nil {
		t.Fatal(err)
	}
	if ex.Manifest.Rows != 2 || ex.Manifest.Verified != 1 || ex.Manifest.Photos != 2 || ex.Manifest.CRS != "EPSG:4490" {
		t.Errorf("manifest %+v", ex.Manifest)
	}
	shp := filepath.Join(out1, "核查成果", "2026年部级第5批_核查成果.shp")
	if cpg, _ := os.ReadFile(strings.TrimSuffix(shp, ".shp") + ".cpg"); !strings.Contains(strings.ToUpper(string(cpg)), "GBK") && !strings.Contains(string(cpg), "936") {
		t.Errorf(".cpg says %q, want GBK", cpg)
	}
	rows1 := readLayer(t, shp)
	r := rows1[id]
	for k, want := range map[string]string{"JZLX": "违法", "PDJG": "违法", "WFLX": "违法占地", "HSRDYJ": "非农违法", "XCHCMS": desc, "XMMC": project,
		"BZ": "省级重点", "QSX": "20251006", "TBLX": "20", "XJJZSJ": "2026-06-20", "PDYJSM": "未批先建", "XJJZ": "是", "HCSB": "已核查"} {
		if r[k] != want {
			t.Errorf("%s = %q, want %q", k, r[k], want)
		}
	}
	if r["TPLJ"] == "" || r["WFMJ"] == "" {
		t.Errorf("TPLJ %q WFMJ %q", r["TPLJ"], r["WFMJ"])
	}
	for _, sub := range []string{"人工举证照片/IMG_0.jpg", "无人机举证照片/IMG_1.jpg"} {
		got, err := os.ReadFile(filepath.Join(out1, filepath.FromSlash(r["TPLJ"]), filepath.FromSlash(sub)))
		if err != nil {
			t.Errorf("photo %s: %v", sub, err)
			continue
		}
		seed := byte(0)
		if strings.HasPrefix(sub, "无人机") {
			seed = 1
		}
		if !bytes.Equal(got, fixture.Photo(fixture.PhotoSpec{Lon: tb.CenterLon, Lat: tb.CenterLat, HasGPS: true, Seed: seed})) {
			t.Errorf("photo %s is not the uploaded file byte for byte", sub)
		}
	}
	// Checksums in the manifest match the files.
	for _, f := range ex.Manifest.Files {
		data, _ := os.ReadFile(filepath.Join(out1, filepath.FromSlash(f.Path)))
		if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != f.SHA256 {
			t.Errorf("checksum of %s does not match", f.Path)
		}
	}
	// Elsewhere: import the export, export again.
	b, _ := open(t, app.Config{})
	res2, err := b.ImportXiafa(t.Context(), op, app.XiafaImportRequest{Path: out1, Source: "部", BatchName: "2026年部级第5批"})
	if err != nil {
		t.Fatalf("re-import: %v %v", err, res2.Problems)
	}
	out2 := filepath.Join(dir, "out2")
	if _, err := b.ExportXiafa(t.Context(), op, app.XiafaExportRequest{Batch: res2.Batch.ID, Out: out2}); err != nil {
		t.Fatal(err)
	}
	rows2 := readLayer(t, filepath.Join(out2, "核查成果", "2026年部级第5批_核查成果.shp"))
	if len(rows2) != len(rows1) {
		t.Fatalf("%d rows after the round trip, want %d", len(rows2), len(rows1))
	}
	for jcbh, r1 := range rows1 {
		r2 := rows2[jcbh]
		for k, v := range r1 {
			if r2[k] != v {
				t.Errorf("%s %s: %q after the round trip, was %q", jcbh, k, r2[k], v)
			}
		}
	}
	// The GK output: coordinates within 1 cm of GDAL's reprojection.
	out3 := filepath.Join(dir, "out3")
	if _, err := a.ExportXiafa(t.Context(), op, app.XiafaExportRequest{Batch: res.Batch.ID, Out: out3, Format: "gpkg", CRS: "gk"}); err != nil {
		t.Fatal(err)
	}
	info, err := exec.Command("ogrinfo", "-ro", "-so", "-al", filepath.Join(out3, "核查成果", "2026年部级第5批_核查成果.gpkg")).CombinedOutput()
	if err != nil || !strings.Contains(string(info), "4526") {
		t.Errorf("GK export CRS: %v\n%s", err, info)
	}
	// The package as a File Geodatabase and as a GeoPackage imports too,
	// with the same fields.
	for _, format := range []string{"gdb", "gpkg"} {
		out := filepath.Join(dir, "out-"+format)
		if _, err := a.ExportXiafa(t.Context(), op, app.XiafaExportRequest{Batch: res.Batch.ID, Out: out, Format: format}); err != nil {
			t.Fatal(err)
		}
		c, _ := open(t, app.Config{})
		rc, err := c.ImportXiafa(t.Context(), op, app.XiafaImportRequest{Path: filepath.Join(out, "核查成果", "2026年部级第5批_核查成果."+format), Source: "部"})
		if err != nil || rc.Patches != 2 {
			t.Fatalf("import of the %s package: %v %v", format, err, rc.Problems)
		}
		tb, _ := c.Store().Tuban(t.Context(), id)
		if tb.Issued == nil || tb.Issued.Columns["HSRDYJ"] != opinion || tb.Issued.Columns["BZ"] != "省级重点" {
			t.Errorf("%s import lost fields: %+v", format, tb.Issued)
		}
	}
	if _, err := a.ExportXiafa(t.Context(), op, app.XiafaExportRequest{Batch: fixture.BatchID, Out: filepath.Join(dir, "x")}); app.KindOf(err) != app.KindInvalid {
		t.Errorf("export of a detection batch: %v", err)
	}
	if _, err := a.ExportXiafa(t.Context(), op, app.XiafaExportRequest{Batch: res.Batch.ID, Out: out1}); app.KindOf(err) != app.KindInvalid {
		t.Errorf("export over a non-empty directory: %v", err)
	}
}
