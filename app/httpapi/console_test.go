package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weipian/weipian/app"
	"github.com/weipian/weipian/app/fixture"
	"github.com/weipian/weipian/app/httpapi"
	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/tiles/xyz"
)

// consoleEnv is the fixture county with the console routes, and with
// juelich the Jülich pair run as a batch (whose 图斑 lie outside the
// county's patrol zones).
func consoleEnv(t *testing.T, juelich bool) (*env, string) {
	t.Helper()
	dir := t.TempDir()
	a, err := app.Open(t.Context(), app.Config{DB: filepath.Join(dir, "state.db"), Data: filepath.Join(dir, "data")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if _, err := fixture.Build(t.Context(), a.Store(), time.Date(2026, 5, 21, 9, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	op := app.Operator("setup")
	for _, u := range users {
		u.Password = password
		if _, err := a.AddUser(t.Context(), op, u); err != nil {
			t.Fatal(err)
		}
	}
	var batch string
	if juelich {
		b, _, err := a.SubmitBatch(t.Context(), op, app.BatchRequest{Name: "于利希", Before: "../../testdata/juelich/LS20010525.tif", After: "../../testdata/juelich/LS20010626.tif"})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.RunQueued(t.Context(), true); err != nil {
			t.Fatal(err)
		}
		batch = b.ID
	}
	srv := httptest.NewServer(httpapi.New(a, httpapi.Options{Extra: httpapi.ConsoleRoutes(app.NewTiles(a, app.TileOptions{}))}))
	t.Cleanup(srv.Close)
	return &env{t: t, app: a, srv: srv, data: filepath.Join(dir, "data")}, batch
}

func TestTileRoutes(t *testing.T) {
	e, batch := consoleEnv(t, true)
	rs := e.login("rs")
	if code, _ := (&client{e: e}).do("GET", "/tiles/"+batch, ""); code != 401 {
		t.Errorf("anonymous tile info: %d, want 401", code)
	}
	code, body := rs.do("GET", "/tiles/"+batch, "")
	var info app.TileInfo
	if err := json.Unmarshal(body, &info); code != 200 || err != nil {
		t.Fatalf("tile info: %d %s", code, body)
	}
	if info.Bounds[0] < 6 || info.Bounds[2] > 7 || info.MinZoom != 7 || info.MaxZoom != 16 || info.Before != "2001-05-25" || info.After != "2001-06-26" {
		t.Errorf("tile info %+v: want Jülich's bounds, zoom 7–16 and the two dates", info)
	}
	x, y := xyz.TileOf((info.Bounds[0]+info.Bounds[2])/2, (info.Bounds[1]+info.Bounds[3])/2, 12)
	path := fmt.Sprintf("/tiles/%s/after/12/%d/%d.png", batch, x, y)
	code, body, hdr := rs.req("GET", path, nil, "")
	if code != 200 || hdr.Get("Content-Type") != "image/png" || hdr.Get("ETag") == "" || !strings.Contains(hdr.Get("Cache-Control"), "private") {
		t.Fatalf("tile: %d %v", code, hdr)
	}
	img, err := png.Decode(bytes.NewReader(body))
	if err != nil || img.Bounds().Dx() != 256 {
		t.Fatalf("tile is not a 256 px PNG: %v", err)
	}
	if _, _, _, a := img.At(128, 128).RGBA(); a == 0 {
		t.Error("the centre of the scene's centre tile is transparent")
	}
	// Conditional request: 304 without a body.
	req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+rs.token)
	req.Header.Set("If-None-Match", hdr.Get("ETag"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("tile with its ETag: %d, want 304", resp.StatusCode)
	}
	// Outside the scene: a transparent tile, marked blank.
	wx, wy := xyz.TileOf(114.3, 30.5, 12)
	code, body, hdr = rs.req("GET", fmt.Sprintf("/tiles/%s/before/12/%d/%d.png", batch, wx, wy), nil, "")
	if code != 200 || hdr.Get("X-Tile-Blank") != "1" || !bytes.Equal(body, xyz.BlankPNG) {
		t.Errorf("tile outside the scene: %d, blank %q", code, hdr.Get("X-Tile-Blank"))
	}
	for p, want := range map[string]int{
		fmt.Sprintf("/tiles/%s/before/3/4/2.png", batch):         404, // below the zoom range
		fmt.Sprintf("/tiles/%s/before/30/0/0.png", batch):        400,
		fmt.Sprintf("/tiles/%s/later/12/%d/%d.png", batch, x, y): 400,
		fmt.Sprintf("/tiles/%s/before/12/%d/%d", batch, x, y):    404,
		fmt.Sprintf("/tiles/%s/before/12/-1/0.png", batch):       400,
		"/tiles/nosuchbatch/before/12/0/0.png":                   404,
		"/tiles/" + fixture.BatchID:                              404, // no imagery
	} {
		if code, body := rs.do("GET", p, ""); code != want {
			t.Errorf("GET %s: %d %s, want %d", p, code, body, want)
		}
	}
	// A patrol member sees only batches with their team's 图斑.
	wang := e.login("wang")
	if code, _ := wang.do("GET", path, ""); code != 403 {
		t.Errorf("patrol member, a batch without their 图斑: %d, want 403", code)
	}
	if code, _ := wang.do("GET", "/tiles/"+fixture.BatchID, ""); code != 404 {
		t.Errorf("patrol member, their batch without imagery: %d, want 404", code)
	}
	// Chips of a 图斑 with imagery; none for the fixture's.
	l, err := e.app.Tubans(t.Context(), app.Operator("t"), app.TubanQuery{Batch: batch, Page: app.Page{Limit: 1}})
	if err != nil || len(l.Items) == 0 {
		t.Fatal(err)
	}
	code, body, hdr = rs.req("GET", "/tubans/"+l.Items[0].ID+"/chips/before.png", nil, "")
	if _, err := png.Decode(bytes.NewReader(body)); code != 200 || err != nil {
		t.Errorf("chip: %d %v", code, err)
	}
	ft := fixtureTuban(t, e)
	if code, _ := rs.do("GET", "/tubans/"+ft+"/chips/after.png", ""); code != 404 {
		t.Errorf("chip of a 图斑 without imagery: %d, want 404", code)
	}
}

func fixtureTuban(t *testing.T, e *env) string {
	t.Helper()
	l, err := e.app.Tubans(t.Context(), app.Operator("t"), app.TubanQuery{Batch: fixture.BatchID, Page: app.Page{Limit: 1}})
	if err != nil || len(l.Items) == 0 {
		t.Fatal(err)
	}
	return l.Items[0].ID
}

func TestConsoleVocabularyAndReconcileView(t *testing.T) {
	e, _ := consoleEnv(t, false)
	viewer := e.login("viewer")
	code, body := viewer.do("GET", "/console/vocabulary", "")
	var v app.Vocabulary
	if err := json.Unmarshal(body, &v); code != 200 || err != nil {
		t.Fatalf("vocabulary: %d %s", code, body)
	}
	if len(v.Steps) != 8 || len(v.TaskStates) != 7 || len(v.ZoneKinds) != len(pipeline.ZoneKinds()) || v.BigTubanMu != 100 || len(v.ReviewVerdicts) != 2 {
		t.Errorf("vocabulary: %d steps, %d states, %d zone kinds, big %v, review verdicts %v", len(v.Steps), len(v.TaskStates), len(v.ZoneKinds), v.BigTubanMu, v.ReviewVerdicts)
	}
	if code, _ := (&client{e: e}).do("GET", "/console/vocabulary", ""); code != 401 {
		t.Errorf("anonymous vocabulary: %d", code)
	}
	// Every task export format is offered, and nothing else; the 核查填报
	// choices and the photo kinds are the application's.
	offered := map[string]bool{}
	for _, f := range v.ExportFormats {
		offered[f.Code] = true
		if app.ExportFormats[f.Code] == nil {
			t.Errorf("the console offers export format %s, which does not exist", f.Code)
		}
	}
	for f := range app.ExportFormats {
		if !offered[f] {
			t.Errorf("export format %s is not offered by the console", f)
		}
	}
	if strings.Join(v.Opinions, ",") != strings.Join(app.Opinions, ",") || len(v.EvidenceKinds) != 2 || v.EvidenceKinds[1].Code != "drone" ||
		len(v.XiafaSources) != 3 || len(v.Sources) != 4 || v.Sources[0].Code != app.SourceOwn {
		t.Errorf("vocabulary: opinions %v, evidence kinds %v, sources %v / %v", v.Opinions, v.EvidenceKinds, v.Sources, v.XiafaSources)
	}
	office := e.login("office")
	code, body = office.do("POST", "/reconcile/view", `{"batch":"`+fixture.BatchID+`","period":"2026-05"}`)
	var rv app.ReconcileView
	if err := json.Unmarshal(body, &rv); code != 200 || err != nil {
		t.Fatalf("reconcile view: %d %s", code, body)
	}
	if len(rv.Zones) != 2 || rv.Tubans != 5 || rv.Missed == nil || rv.Period != "2026-05-01..2026-05-31" {
		t.Errorf("reconcile view: %d zones, %d 图斑, period %s", len(rv.Zones), rv.Tubans, rv.Period)
	}
	if code, _ := e.login("wang").do("POST", "/reconcile/view", `{"batch":"`+fixture.BatchID+`"}`); code != 403 {
		t.Errorf("patrol member reconciles: %d, want 403", code)
	}
	if code, _ := office.do("POST", "/reconcile/view", `{}`); code != 400 {
		t.Errorf("no batch: %d, want 400", code)
	}
}
