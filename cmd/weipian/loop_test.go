package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"image"
	"image/jpeg"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weipian/weipian/app"
	"github.com/weipian/weipian/app/httpapi"
	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/store"
)

// TestWholeLoopEmbedded runs what make demo runs, in the embedded mode, and
// checks each step: zones, a batch judged into 图斑 and tasks, a second
// batch over the same ground, task transitions, a photo, field exports, the
// patrol ledger and its reconciliation, and the HTTP API over the same state.
func TestWholeLoopEmbedded(t *testing.T) {
	dir := t.TempDir()
	db := []string{"--db", filepath.Join(dir, "weipian.db"), "--data", filepath.Join(dir, "data"), "--log-level", "warn"}
	cli := func(args ...string) string {
		t.Helper()
		out, err := runCLI(t, append(args, db...)...)
		if err != nil {
			t.Fatalf("weipian %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	zones := "../../testdata/demo-zones/"
	for _, kf := range [][2]string{{"耕地", "gengdi"}, {"永久基本农田", "yjjbnt"}, {"行政区", "xingzhengqu"}, {"巡查区", "xunchaqu"}, {"批准用地", "pizhun"}} {
		cli("zones", "import", "--kind", kf[0], zones+kf[1]+".geojson")
	}
	before, after := "../../testdata/juelich/LS20010525.tif", "../../testdata/juelich/LS20010626.tif"
	out := cli("batch", "submit", "--before", before, "--after", after, "--name", "一批", "--region", "999001")
	id := strings.Fields(out)[1]
	s, err := store.Open(t.Context(), filepath.Join(dir, "weipian.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tubans, err := s.TubansOfBatch(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, tb := range tubans {
		count[tb.Judgement]++
	}
	if count[pipeline.JudgeSuspected] != 5 || count[pipeline.JudgeApproved] != 1 {
		t.Fatalf("judgements %v, want 5 疑似违法 and 1 已有用地手续", count)
	}
	tasks, err := s.Tasks(t.Context(), store.TaskFilter{})
	if err != nil || len(tasks) != 5 || tasks[0].Team != "演示巡查二组" {
		t.Fatalf("tasks %d (%v), want 5 for 演示巡查二组", len(tasks), err)
	}
	// A second batch over the same ground: the same 图斑, no new task.
	out = cli("batch", "submit", "--before", before, "--after", after, "--name", "二批", "--region", "999001")
	id2 := strings.Fields(out)[1]
	if id2 == id {
		t.Fatal("the second batch has the first one's ID")
	}
	all, _ := s.AllTubans(t.Context())
	if len(all) != len(tubans) {
		t.Errorf("%d 图斑 after the second batch, want %d (re-detection must not duplicate)", len(all), len(tubans))
	}
	for _, tb := range all {
		if len(tb.History) != 2 {
			t.Fatalf("图斑 %s history %d, want 2 observations", tb.JCBH, len(tb.History))
		}
	}
	if tasks2, _ := s.Tasks(t.Context(), store.TaskFilter{}); len(tasks2) != 5 {
		t.Errorf("%d tasks after the second batch, want 5", len(tasks2))
	}
	// Lifecycle: an illegal move is refused, a legal path is recorded.
	jcbh := tasks[0].JCBH
	if _, err := runCLI(t, append([]string{"tasks", "transition", jcbh, "--to", "已立案", "--by", "张三"}, db...)...); err == nil {
		t.Error("待核查 → 已立案 must be refused")
	}
	cli("tasks", "transition", jcbh, "--to", "核查中", "--by", "张三", "--reason", "到现场")
	cli("tasks", "transition", jcbh, "--to", "已核查", "--by", "张三", "--verdict", "合法", "--approval", "演示〔2001〕9号", "--reason", "有批文")
	cli("tasks", "transition", jcbh, "--to", "已办结", "--by", "李四", "--reason", "合法，办结")
	tk, err := s.Task(t.Context(), jcbh)
	if err != nil || tk.State.String() != "已办结" || len(tk.History) != 3 || tk.History[1].Actor != "张三" || tk.History[1].Reason != "有批文" {
		t.Fatalf("task after transitions: %+v (%v)", tk, err)
	}
	// A photo without GPS is stored and flagged.
	photo := filepath.Join(dir, "IMG_0001.jpg")
	var buf bytes.Buffer
	jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, 16, 16)), nil)
	os.WriteFile(photo, buf.Bytes(), 0o644)
	jcbh2 := tasks[1].JCBH
	cli("tasks", "transition", jcbh2, "--to", "核查中", "--by", "王五")
	if out := cli("tasks", "evidence", jcbh2, photo, "--by", "王五"); !strings.Contains(out, "无定位信息") {
		t.Errorf("a photo without GPS must be flagged: %q", out)
	}
	// Field exports in every format.
	for _, f := range []string{"zip", "xlsx", "kml", "kmz", "gpx", "geojson", "shp"} {
		p := filepath.Join(dir, "tasks."+f)
		cli("tasks", "export", "--team", "演示巡查二组", "--format", f, "--out", p)
		if st, err := os.Stat(p); err != nil || st.Size() < 500 {
			t.Errorf("export %s: %v", f, err)
		}
	}
	if zr, err := zip.OpenReader(filepath.Join(dir, "tasks.kmz")); err != nil || len(zr.File) < 1+5+2 || zr.File[0].Name != "doc.kml" ||
		!strings.HasSuffix(zr.File[len(zr.File)-1].Name, "相.png") {
		t.Errorf("the KMZ lacks doc.kml, icons or chips: %v", err)
	} else {
		zr.Close()
	}
	cli("tasks", "export", "--team", "演示巡查二组", "--format", "geojson", "--crs", "EPSG:4490", "--out", filepath.Join(dir, "cgcs2000.geojson"))
	if b, _ := os.ReadFile(filepath.Join(dir, "cgcs2000.geojson")); !bytes.Contains(b, []byte("urn:ogc:def:crs:EPSG::4490")) {
		t.Error("--crs EPSG:4490 not applied")
	}
	if _, err := runCLI(t, append([]string{"tasks", "export", "--format", "kml", "--crs", "4490", "--out", filepath.Join(dir, "x.kml")}, db...)...); err == nil {
		t.Error("--crs with kml accepted (KML is WGS84)")
	}
	// Patrol ledger and reconciliation.
	ledger := "../../testdata/demo-ledger/"
	out = cli("ledger", "import", ledger+"演示巡查二组台帐2001年6月.csv", ledger+"演示巡查二组_李某_赵某_20010620.gpx")
	if !strings.Contains(out, "第5行「巡查时间」") || !strings.Contains(out, "只有1人") {
		t.Errorf("ledger problems not reported with row and column:\n%s", out)
	}
	if out := cli("ledger", "import", ledger+"演示巡查二组台帐2001年6月.csv"); !strings.Contains(out, "新增 0") {
		t.Errorf("importing the same ledger twice must add nothing:\n%s", out)
	}
	rdir := filepath.Join(dir, "reconcile")
	out = cli("reconcile", "--batch", id2, "--period", "2001-06", "--out", rdir)
	if !strings.Contains(out, "巡查已发现 1") || !strings.Contains(out, "巡查应发现而未发现 2") {
		t.Errorf("reconcile: %s", out)
	}
	for _, f := range []string{"对账_图斑.xlsx", "对账_图斑.geojson", "对账_巡查区.xlsx"} {
		if _, err := os.Stat(filepath.Join(rdir, f)); err != nil {
			t.Error(err)
		}
	}
	// 对账_图斑.geojson is in the deployment's CRS (4490) unless --crs says
	// otherwise; a bad --crs is refused before anything is reconciled.
	if b, _ := os.ReadFile(filepath.Join(rdir, "对账_图斑.geojson")); !bytes.Contains(b, []byte("urn:ogc:def:crs:EPSG::4490")) {
		t.Error("对账_图斑.geojson is not in EPSG:4490 by default")
	}
	wdir := filepath.Join(dir, "reconcile-wgs84")
	cli("reconcile", "--batch", id2, "--period", "2001-06", "--crs", "4326", "--out", wdir)
	if b, _ := os.ReadFile(filepath.Join(wdir, "对账_图斑.geojson")); len(b) < 100 || bytes.Contains(b, []byte(`"crs"`)) {
		t.Errorf("--crs 4326: want plain RFC 7946 GeoJSON, got %.200s", b)
	}
	if out, err := runCLI(t, append([]string{"reconcile", "--batch", id2, "--crs", "EPSG:3857", "--out", filepath.Join(dir, "bad")}, db...)...); err == nil ||
		!strings.Contains(out+err.Error(), "EPSG:3857") {
		t.Errorf("--crs EPSG:3857 accepted: %v %s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "bad")); err == nil {
		t.Error("a refused --crs left an output directory")
	}
	// The HTTP API over the same state, as a patrol member of the team.
	pw := filepath.Join(dir, "pw")
	os.WriteFile(pw, []byte("correct horse battery\n"), 0o600)
	cli("users", "add", "lisi", "--role", "巡查组成员", "--team", "演示巡查二组", "--display", "李四", "--password-file", pw)
	sys, err := app.Open(t.Context(), app.Config{DB: filepath.Join(dir, "weipian.db"), Data: filepath.Join(dir, "data")})
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close()
	srv := httptest.NewServer(httpapi.New(sys, httpapi.Options{}))
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/auth/login", "application/json", strings.NewReader(`{"name":"lisi","password":"correct horse battery"}`))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("login: %v %v", resp.StatusCode, err)
	}
	var se struct{ Token string }
	json.NewDecoder(resp.Body).Decode(&se)
	resp.Body.Close()
	do := func(method, path, body string) (int, []byte) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+se.Token)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp.StatusCode, b.Bytes()
	}
	if code, body := do("GET", "/tasks", ""); code != 200 || !bytes.Contains(body, []byte(tasks[2].JCBH)) {
		t.Errorf("GET /tasks: %d %s", code, body[:min(200, len(body))])
	}
	if code, _ := do("POST", "/tasks/"+tasks[2].ID+"/transitions", `{"to":"已制止"}`); code != http.StatusConflict {
		t.Errorf("illegal transition over HTTP: %d, want 409", code)
	}
	if code, body := do("GET", "/tubans/"+tasks[2].JCBH, ""); code != 200 || !json.Valid(body) || !bytes.Contains(body, []byte("巡查")) {
		t.Errorf("GET /tubans: %d", code)
	}
	if code, body := do("GET", "/export/tasks?format=gpx", ""); code != 200 || !bytes.Contains(body, []byte("<wpt")) {
		t.Errorf("GET /export/tasks: %d", code)
	}
	if code, _ := do("GET", "/tasks/nope", ""); code != http.StatusNotFound {
		t.Errorf("unknown task: %d, want 404", code)
	}
}
