package web_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/xuri/excelize/v2"

	"github.com/weipian/weipian/app"
	"github.com/weipian/weipian/app/fixture"
)

// issuedFeature is one 图斑 of a 下发 package, in the columns the
// provincial systems use.
func issuedFeature(jcbh, tblx, deadline string, g orb.Polygon) *geojson.Feature {
	f := geojson.NewFeature(g)
	f.Properties = geojson.Properties{"JCBH": jcbh, "XZQDM": fixture.County, "XMC": "测试县", "TBLX": tblx, "QSX": "20251006", "HSX": "20260501",
		"XFSJ": "20260510", "XJJZSJ": deadline, "JCMJ": 1000.5, "BZ": "省级重点"}
	return f
}

// writeShapefile writes a package as the practice ships them: a Shapefile
// in CGCS2000 / 3-degree Gauss–Krüger zone 38 (EPSG:4526) with GBK
// attributes, by GDAL's ogr2ogr. It returns the files (.shp, .shx, .dbf,
// .prj, .cpg).
func writeShapefile(t *testing.T, dir, name string, feats ...*geojson.Feature) []string {
	t.Helper()
	if _, err := exec.LookPath("ogr2ogr"); err != nil {
		requireOrSkip(t, "ogr2ogr (gdal-bin) is not installed: scripts/setup.sh gdal")
	}
	fc := geojson.NewFeatureCollection()
	fc.Features = feats
	data, err := json.Marshal(fc)
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(dir, name+".geojson")
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, name)
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command("ogr2ogr", "-f", "ESRI Shapefile", "-s_srs", "EPSG:4326", "-t_srs", "EPSG:4526", "-lco", "ENCODING=GBK",
		filepath.Join(out, name+".shp"), src).CombinedOutput(); err != nil {
		t.Fatalf("ogr2ogr: %v\n%s", err, b)
	}
	var files []string
	for _, ext := range []string{".shp", ".shx", ".dbf", ".prj", ".cpg"} {
		p := filepath.Join(out, name+ext)
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("ogr2ogr wrote no %s: %v", ext, err)
		}
		files = append(files, p)
	}
	return files
}

// zipFiles packs files into name.zip in dir.
func zipFiles(t *testing.T, dir, name string, files []string) string {
	t.Helper()
	p := filepath.Join(dir, name+".zip")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for _, src := range files {
		w, err := zw.Create(filepath.Base(src))
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return p
}

func patchGeom(id string) orb.Polygon {
	for _, p := range fixture.Patches() {
		if p.ID == id {
			return p.Geometry
		}
	}
	panic(id)
}

func shifted(p orb.Polygon, dx, dy float64) orb.Polygon {
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

// zipEntries reads a zip: its files by name.
func zipEntries(t *testing.T, data []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	return out
}

const (
	issuedOwn = "4201012026S0001" // issued over the county's own P3
	issuedNew = "4201012026S0002" // new ground in the west team's zone
)

// TestConsoleXiafa: remote-sensing staff import a 下发 package built like
// the province's (GBK Shapefile in GK zone 38) and see a refused package's
// problems feature by feature; the 图斑 list and page show the source, the
// issued deadline and whether the county had found them; a patrol member
// on a phone verifies an issued 图斑 (a drone photo, the 核查填报 form, the
// verdict); the office sees the progress and downloads the 核查成果
// package, which carries what the patrol filled in.
func TestConsoleXiafa(t *testing.T) {
	s := newServer(t, false)
	dir := t.TempDir()
	good := writeShapefile(t, dir, "省级下发2026年5月",
		issuedFeature(issuedOwn, "20", "2026-06-20", patchGeom("P3")),
		issuedFeature(issuedNew, "TD", "2026-06-25", shifted(patchGeom("P2"), -0.02, 0)))
	bad := zipFiles(t, dir, "坏包", writeShapefile(t, dir, "坏包",
		issuedFeature("A1", "20", "", patchGeom("P1")),
		issuedFeature("A1", "20", "", patchGeom("P2")), // duplicate JCBH
		issuedFeature("A3", "ZZ", "", patchGeom("P4")), // unknown TBLX code
		issuedFeature("", "20", "", patchGeom("P5"))))  // no JCBH

	b := newBrowser(t, s, desktopW, desktopH)
	b.login("rs")
	b.open("#/xiafa")
	b.waitFor(`!!document.querySelector('form.xiafa-import input[type=file]')`, 20*time.Second)
	if n := b.text("section.xiafa-list"); !strings.Contains(n, "还没有下发批次") {
		t.Errorf("the 下发 list before any import says %q", n)
	}
	// The refused package: every problem, nothing imported.
	b.run(chromedp.SetUploadFiles(chromedp.CSS(`form.xiafa-import input[type=file]`), []string{bad}, chromedp.NodeReady),
		chromedp.Click(chromedp.CSS(`form.xiafa-import button[type=submit]`)))
	b.waitFor(`document.querySelectorAll('.xiafa-problems tbody tr').length > 0`, 60*time.Second)
	rows := eval[[]string](b, `[...document.querySelectorAll('.xiafa-problems tbody tr')].map(r => r.innerText)`)
	if len(rows) != 3 {
		t.Errorf("the refused package shows %d problems, want 3 (duplicate JCBH, unknown code, no JCBH): %q", len(rows), rows)
	}
	all := strings.Join(rows, "\n")
	for _, want := range []string{"A1", "ZZ", "监测编号重复", "未知的图斑类型代码"} {
		if !strings.Contains(all, want) {
			t.Errorf("the problems lack %q: %q", want, rows)
		}
	}
	if m := b.text(".xiafa-result .error"); !strings.Contains(m, "未导入") {
		t.Errorf("the refusal says %q", m)
	}
	b.run(chromedp.ScrollIntoView(chromedp.CSS(`.xiafa-problems`)))
	b.shot("desktop_xiafa_refused")
	if l, _ := s.app.XiafaBatches(t.Context(), app.Operator("check")); len(l) != 0 {
		t.Fatalf("a refused package left a 下发 batch: %+v", l)
	}

	// The good package, as its loose files, from the province.
	b.open("#/xiafa")
	b.waitFor(`!!document.querySelector('form.xiafa-import input[type=file]')`, 20*time.Second)
	b.run(chromedp.SetUploadFiles(chromedp.CSS(`form.xiafa-import input[type=file]`), good, chromedp.NodeReady),
		chromedp.SendKeys(chromedp.CSS(`form.xiafa-import input[name=batch_name]`), "2026年省级第5批"))
	eval[bool](b, `(document.querySelector('form.xiafa-import select[name=source]').value = '省', true)`)
	b.run(chromedp.Click(chromedp.CSS(`form.xiafa-import button[type=submit]`)))
	b.waitFor(`!!document.querySelector('.xiafa-result p.ok') && document.querySelectorAll('[data-xiafa]').length === 1`, 60*time.Second)
	if m := b.text(".xiafa-result p.ok"); !strings.Contains(m, "2 个图斑") || !strings.Contains(m, "1 个与自主监测") {
		t.Errorf("the import says %q: want 2 图斑, 1 linked to the county's own", m)
	}
	row := b.text("section.xiafa-list tbody tr")
	for _, want := range []string{"2026年省级第5批", "省下发", "2 个", "自主监测 1", "已核查 0/2", "2026-06-20"} {
		if !strings.Contains(row, want) {
			t.Errorf("the 下发 list row lacks %q: %q", want, row)
		}
	}
	b.shot("desktop_xiafa_imported")
	batches, err := s.app.XiafaBatches(t.Context(), app.Operator("check"))
	if err != nil || len(batches) != 1 {
		t.Fatalf("下发 batches %v %v", batches, err)
	}
	batch := batches[0].Batch.ID

	// The 图斑 of the province: source, deadline, found or not.
	b.open("#/tubans?source=省")
	b.waitFor(`document.querySelectorAll('main tbody tr').length === 2`, 20*time.Second)
	list := b.text("main tbody")
	for _, want := range []string{issuedOwn, issuedNew, "省下发", "截止 2026-06-25", "自主监测已发现", "自主监测与巡查均未发现"} {
		if !strings.Contains(list, want) {
			t.Errorf("the 图斑 list lacks %q", want)
		}
	}
	b.shot("desktop_tubans_issued")
	b.open("#/tubans/" + issuedOwn)
	b.waitFor(`!!document.querySelector('dl.kv') && document.body.innerText.includes('下发监测编号')`, 20*time.Second)
	detail := b.text("main")
	for _, want := range []string{"下发监测编号", "2026-06-20", "20 ", "自主监测已发现", "2026年省级第5批"} {
		if !strings.Contains(detail, want) {
			t.Errorf("the 图斑 page lacks %q", want)
		}
	}
	b.shot("desktop_tuban_issued")

	// A patrol member of the west team verifies the new issued 图斑 on a phone.
	d, err := s.app.Task(t.Context(), app.Operator("check"), issuedNew)
	if err != nil || d.Task.Team != fixture.TeamWest {
		t.Fatalf("the issued task: %v, team %q", err, d.Task.Team)
	}
	photo := filepath.Join(t.TempDir(), "DJI_0001.jpg")
	if err := os.WriteFile(photo, fixture.Photo(fixture.PhotoSpec{Lon: d.Tuban.CenterLon, Lat: d.Tuban.CenterLat, DirectionDeg: 30, HasGPS: true,
		Taken: time.Date(2026, 5, 26, 9, 30, 0, 0, time.FixedZone("CST", 8*3600))}), 0o644); err != nil {
		t.Fatal(err)
	}
	p := newBrowser(t, s, phoneW, phoneH)
	p.login("wang")
	p.open("#/tasks")
	p.waitFor(`!!document.querySelector('.task-card[data-task="`+d.Task.ID+`"]')`, 20*time.Second)
	p.run(chromedp.Click(chromedp.CSS(`.task-card[data-task="` + d.Task.ID + `"]`)))
	headState := `(document.querySelector('.head-badges [data-state]') || {}).dataset?.state`
	p.waitFor(headState+` === 'pending'`, 20*time.Second)
	if h := p.text(".head-badges"); !strings.Contains(h, "省下发") {
		t.Errorf("the task's badges %q lack 省下发", h)
	}
	if n := eval[int](p, `document.querySelectorAll('form.findings-form').length + document.querySelectorAll('.findings button').length`); n != 0 {
		t.Error("the 核查填报 form is offered before the task is started")
	}
	p.run(chromedp.Click(chromedp.CSS(`button.step[data-to=verifying]`)), chromedp.Click(chromedp.CSS(`form.step-form button[type=submit]`)))
	p.waitFor(headState+` === 'verifying'`, 20*time.Second)
	// A drone photo.
	p.waitFor(`!!document.querySelector('.kind-seg input[value=drone]')`, 10*time.Second)
	p.tap(`.kind-seg label:has(input[value=drone])`)
	if k := eval[string](p, `document.querySelector(".kind-seg input:checked").value`); k != "drone" {
		t.Fatalf("photo kind %q after choosing 无人机举证照片", k)
	}
	p.run(chromedp.SetUploadFiles(chromedp.CSS(`#photo-input`), []string{photo}, chromedp.NodeReady))
	p.waitFor(`!!document.querySelector('.upload-results li[data-ok]')`, 30*time.Second)
	if r := p.text(".upload-results"); !strings.Contains(r, "无人机举证照片") || !strings.Contains(r, "合格") || strings.Contains(r, "不合格") {
		t.Errorf("the upload check says %q: want a 合格 无人机举证照片", r)
	}
	p.waitFor(`document.querySelectorAll('li.photo[data-kind=drone]').length === 1`, 20*time.Second)
	p.run(chromedp.ScrollIntoView(chromedp.CSS(`li.photo`)))
	p.shot("phone_drone_photo")
	// The 核查填报 form.
	p.run(chromedp.Click(chromedp.CSS(`.findings .card-title button`)))
	p.waitFor(`!!document.querySelector('form.findings-form select[name=opinion]')`, 10*time.Second)
	if opts := eval[[]string](p, `[...document.querySelectorAll('form.findings-form select[name=opinion] option')].map(o => o.value)`); len(opts) < len(app.Opinions)+2 {
		t.Errorf("opinion choices %v: want the usual ones (%v) and free text", opts, app.Opinions)
	}
	eval[bool](p, `(() => { const s = document.querySelector('form.findings-form select[name=opinion]'); s.value = '__own'; s.dispatchEvent(new Event('change')); return true; })()`)
	set := func(sel, v string) {
		eval[bool](p, `(document.querySelector('form.findings-form `+sel+`').value = '', true)`)
		p.run(chromedp.SendKeys(chromedp.CSS(`form.findings-form `+sel), v, chromedp.NodeReady))
	}
	set(`input[name=opinion_text]`, "非农违法（厂房扩建）")
	set(`textarea[name=description]`, "现场为新建钢结构厂房，已封顶，占用耕地约一亩半")
	set(`input[name=project_name]`, "某某机械厂扩建")
	set(`input[name=project_owner]`, "某某机械有限公司")
	set(`input[name=built_at]`, "2026-03")
	set(`input[name=illegal_area_m2]`, "1000")
	if hint := p.text("form.findings-form label:has(input[name=illegal_area_m2]) small.hint"); hint != "1.50 亩" {
		t.Errorf("违法面积 1000 平方米 shows %q, want 1.50 亩", hint)
	}
	set(`input[name=inspectors]`, "王五、李雷")
	p.run(chromedp.ScrollIntoView(chromedp.CSS(`form.findings-form`)))
	p.shot("phone_findings_form")
	p.run(chromedp.Click(chromedp.CSS(`form.findings-form button[type=submit]`)))
	p.waitFor(`document.querySelector('.findings')?.dataset.filled === 'true'`, 20*time.Second)
	shown := p.text(".findings dl.kv")
	for _, want := range []string{"非农违法（厂房扩建）", "某某机械厂扩建", "某某机械有限公司", "2026-03", "1000.00 平方米（1.50 亩）", "王五、李雷", "王五"} {
		if !strings.Contains(shown, want) {
			t.Errorf("the filled form lacks %q: %q", want, shown)
		}
	}
	p.run(chromedp.ScrollIntoView(chromedp.CSS(`.findings`)))
	p.shot("phone_findings_filled")
	// The verdict.
	p.run(chromedp.Click(chromedp.CSS(`button.step[data-to=verified]`)))
	p.waitFor(`!!document.querySelector('select[name=verdict]')`, 10*time.Second)
	eval[bool](p, `(() => { const v = document.querySelector('select[name=verdict]'); v.value = 'illegal'; v.dispatchEvent(new Event('change'));
		document.querySelector('select[name=violation_type]').value = 'occupy'; return true; })()`)
	p.run(chromedp.Click(chromedp.CSS(`form.step-form button[type=submit]`)))
	p.waitFor(headState+` === 'verified'`, 20*time.Second)
	d, _ = s.app.Task(t.Context(), app.Operator("check"), issuedNew)
	f := d.Task.Findings
	if f == nil || f.Opinion != "非农违法（厂房扩建）" || f.IllegalAreaM2 != 1000 || f.BuiltAt != "2026-03" || f.Inspectors != "王五、李雷" ||
		f.InspectedAt == "" || !strings.Contains(f.UpdatedBy, "wang") {
		t.Errorf("findings after the console: %+v", f)
	}
	if len(d.Task.Evidence) != 1 || d.Task.Evidence[0].Kind.Code != "drone" {
		t.Errorf("evidence after the console: %+v", d.Task.Evidence)
	}

	// The office: the verified task, the progress, and the 核查成果 package.
	o := newBrowser(t, s, desktopW, desktopH)
	o.login("office")
	o.open("#/tasks/" + d.Task.ID)
	o.waitFor(`document.querySelector('.findings')?.dataset.filled === 'true' && document.querySelectorAll('li.photo[data-kind=drone]').length === 1`, 20*time.Second)
	o.tap(`.findings`)
	o.shot("desktop_task_findings")
	o.open("#/xiafa")
	o.waitFor(`document.querySelectorAll('[data-xiafa]').length === 1`, 20*time.Second)
	if row := o.text("section.xiafa-list tbody tr"); !strings.Contains(row, "已核查 1/2") || !strings.Contains(row, "已填报 1") || !strings.Contains(row, "照片 1 张") {
		t.Errorf("the 下发 row after the verification: %q", row)
	}
	if n := eval[int](o, `document.querySelectorAll('form.xiafa-import').length`); n != 1 {
		t.Errorf("the office (执法审核) has %d import forms, want 1", n)
	}
	o.tap(`button.export-batch`)
	o.shot("desktop_xiafa_export")
	name, data := o.download(`section.xiafa-export a[data-dl^="/xiafa/`+batch+`/export"]`, 120*time.Second)
	if name != "2026年省级第5批_核查成果.zip" {
		t.Errorf("核查成果 download named %q", name)
	}
	files := zipEntries(t, data)
	var manifest app.Manifest
	if err := json.Unmarshal(files[app.ManifestName], &manifest); err != nil {
		t.Fatalf("manifest: %v (files %v)", err, keys(files))
	}
	if manifest.Rows != 2 || manifest.Verified != 1 || manifest.Photos != 1 || manifest.CRS != "EPSG:4490" || manifest.Format != "shp" {
		t.Errorf("manifest %+v", manifest)
	}
	var xlsx, drone string
	for n := range files {
		switch {
		case strings.HasSuffix(n, ".xlsx"):
			xlsx = n
		case strings.Contains(n, "无人机举证照片/") && strings.HasSuffix(n, "DJI_0001.jpg"):
			drone = n
		}
	}
	if drone == "" || !bytes.Equal(files[drone], mustRead(t, photo)) {
		t.Errorf("the package has no 无人机举证照片/…/DJI_0001.jpg equal to the upload: %v", keys(files))
	}
	x, err := excelize.OpenReader(bytes.NewReader(files[xlsx]))
	if err != nil {
		t.Fatalf("the package's Excel table %q: %v", xlsx, err)
	}
	cells, _ := x.GetRows(x.GetSheetList()[0])
	x.Close()
	var text []string
	for _, r := range cells {
		text = append(text, strings.Join(r, "|"))
	}
	for _, want := range []string{issuedNew, "非农违法（厂房扩建）", "现场为新建钢结构厂房", "某某机械厂扩建", "违法"} {
		if !strings.Contains(strings.Join(text, "\n"), want) {
			t.Errorf("the 核查成果 table lacks %q", want)
		}
	}
	// GeoPackage in the GK zone, from the same menu.
	eval[bool](o, `(() => { const m = document.querySelector('section.xiafa-export'); const f = m.querySelector('select[name=format]'); f.value = 'gpkg';
		f.dispatchEvent(new Event('change')); const c = m.querySelector('select[name=crs]'); c.value = 'gk'; c.dispatchEvent(new Event('change')); return true; })()`)
	_, data = o.download(`section.xiafa-export a[data-dl*="format=gpkg"][data-dl*="crs=gk"]`, 120*time.Second)
	if err := json.Unmarshal(zipEntries(t, data)[app.ManifestName], &manifest); err != nil || manifest.Format != "gpkg" || manifest.CRS != "EPSG:4526" {
		t.Errorf("GeoPackage package: %+v %v", manifest, err)
	}
	// A remote-sensing user may import but not return: the server says so.
	b.open("#/xiafa")
	b.waitFor(`document.querySelectorAll('[data-xiafa]').length === 1`, 20*time.Second)
	if n := eval[int](b, `document.querySelectorAll('section.xiafa-export a[data-dl^="/xiafa/"]').length`); n != 0 {
		t.Errorf("remote-sensing staff are offered the 核查成果 package (%d links), which only the office may return", n)
	}
	// They export the batch's tasks, in Excel.
	name, data = b.download(`section.xiafa-export a[data-dl^="/export/tasks?format=xlsx"]`, 60*time.Second)
	if x, err := excelize.OpenReader(bytes.NewReader(data)); err != nil || !strings.HasSuffix(name, ".xlsx") {
		t.Errorf("tasks of the 下发 batch in Excel: %q %v", name, err)
	} else {
		x.Close()
	}

	// On a phone, the 下发 page lays out in one column.
	ph := newBrowser(t, s, phoneW, phoneH)
	ph.login("office")
	ph.open("#/xiafa")
	ph.waitFor(`document.querySelectorAll('[data-xiafa]').length === 1`, 20*time.Second)
	if w := eval[float64](ph, `document.documentElement.scrollWidth`); w > phoneW+1 {
		t.Errorf("the 下发 page is %.0f px wide on a %d px phone", w, phoneW)
	}
	ph.shot("phone_xiafa_form")
	ph.run(chromedp.ScrollIntoView(chromedp.CSS(`[data-xiafa]`)))
	ph.shot("phone_xiafa_list")
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
