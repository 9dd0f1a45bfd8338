package web_test

// Browser tests of the console: Debian's chromium driven by chromedp
// against a real weipian server (the API, the console and the tiles over a
// fixture county). They skip when chromium is missing, except under CI=true
// or REQUIRE_SERVERS=1, where they fail. Screenshots go to
// $WEIPIAN_SCREENSHOTS (default: the test's temporary directory).

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"math"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"github.com/weipian/weipian/app"
	"github.com/weipian/weipian/app/fixture"
	"github.com/weipian/weipian/app/httpapi"
	"github.com/weipian/weipian/app/web"
)

var password = "correct horse battery"

var users = []app.UserSpec{
	{Name: "admin", Display: "管理员甲", Roles: []app.Role{app.RoleAdmin}},
	{Name: "rs", Display: "遥感张三", Roles: []app.Role{app.RoleRemoteSensing}},
	{Name: "office", Display: "执法李四", Roles: []app.Role{app.RoleReviewer}},
	{Name: "wang", Display: "王五", Roles: []app.Role{app.RolePatrol}, Team: fixture.TeamWest},
	{Name: "zhao", Display: "赵六", Roles: []app.Role{app.RolePatrol}, Team: fixture.TeamEast},
}

// server is a weipian server over the fixture county, as `weipian serve`
// wires it.
type server struct {
	app  *app.App
	url  string
	host string
	dir  string
}

// newServer starts the server; queue runs the embedded batch queue (the
// fixture's own batch has no imagery, so it is left out otherwise).
func newServer(t *testing.T, queue bool) *server {
	t.Helper()
	if !web.Built() {
		requireOrSkip(t, "the console is not built (run make web)")
	}
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
	if queue {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			a.RunQueued(ctx, false)
		}()
		t.Cleanup(func() {
			cancel()
			<-done
		})
	}
	tiles := app.NewTiles(a, app.TileOptions{Renders: 2})
	srv := httptest.NewServer(httpapi.New(a, httpapi.Options{Console: web.Handler(), Extra: httpapi.ConsoleRoutes(tiles)}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	return &server{app: a, url: srv.URL, host: u.Host, dir: dir}
}

// requireOrSkip fails under CI=true or REQUIRE_SERVERS=1, else skips.
func requireOrSkip(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" || os.Getenv("REQUIRE_SERVERS") == "1" {
		t.Fatalf("%s (required under CI / REQUIRE_SERVERS=1: scripts/setup.sh installs chromium)", why)
	}
	t.Skip(why)
}

func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	requireOrSkip(t, "chromium is not installed (scripts/setup.sh browser)")
	return ""
}

// screenshotDir is where screenshots go: $WEIPIAN_SCREENSHOTS or a
// temporary directory.
func screenshotDir(t *testing.T) string {
	if d := os.Getenv("WEIPIAN_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// browser is one headless chromium with a page of a given size.
type browser struct {
	t       *testing.T
	ctx     context.Context
	s       *server
	shots   string
	mu      sync.Mutex
	foreign []string // requests to other hosts
	tiles   map[network.RequestID]string
	loaded  []network.RequestID
	// Downloads land in dlDir as their GUIDs; dlNames are their
	// suggested names, and finished ones arrive on downloads.
	dlDir     string
	dlNames   map[string]string
	downloads chan string
}

const (
	desktopW, desktopH = 1440, 900
	phoneW, phoneH     = 390, 844
)

func newBrowser(t *testing.T, s *server, w, h int) *browser {
	t.Helper()
	exe := chromiumPath(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("lang", "zh-CN"),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(w, h),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() {
		cancelT()
		cancelC()
		cancelA()
	})
	b := &browser{t: t, ctx: ctx, s: s, shots: screenshotDir(t), tiles: map[network.RequestID]string{},
		dlDir: t.TempDir(), dlNames: map[string]string{}, downloads: make(chan string, 16)}
	err := chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			u, err := url.Parse(e.Request.URL)
			if err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != s.host {
				b.mu.Lock()
				b.foreign = append(b.foreign, e.Request.URL)
				b.mu.Unlock()
			}
		case *network.EventResponseReceived:
			if strings.Contains(e.Response.URL, "/tiles/") && strings.HasSuffix(e.Response.URL, ".png") && e.Response.Status == 200 {
				b.mu.Lock()
				b.tiles[e.RequestID] = e.Response.URL
				b.mu.Unlock()
			}
		case *network.EventLoadingFinished:
			b.mu.Lock()
			if _, ok := b.tiles[e.RequestID]; ok {
				b.loaded = append(b.loaded, e.RequestID)
			}
			b.mu.Unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	err = chromedp.ListenBrowser(ctx, func(ev any) {
		switch e := ev.(type) {
		case *cdpbrowser.EventDownloadWillBegin:
			b.mu.Lock()
			b.dlNames[e.GUID] = e.SuggestedFilename
			b.mu.Unlock()
		case *cdpbrowser.EventDownloadProgress:
			if e.State == cdpbrowser.DownloadProgressStateCompleted {
				select {
				case b.downloads <- e.GUID:
				default:
				}
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	events := true
	if _, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: b.dlDir, EventsEnabled: &events}); err != nil {
		t.Fatal(err)
	}
	var mobile []chromedp.EmulateViewportOption
	if w < 600 {
		mobile = append(mobile, chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	b.run(chromedp.EmulateViewport(int64(w), int64(h), mobile...))
	t.Cleanup(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if len(b.foreign) > 0 {
			t.Errorf("the console loaded from outside weipian: %v", b.foreign)
		}
	})
	return b
}

// download clicks the element sel and returns the file the browser
// downloads: its name and its bytes.
func (b *browser) download(sel string, timeout time.Duration) (string, []byte) {
	b.t.Helper()
	for len(b.downloads) > 0 {
		<-b.downloads
	}
	b.run(chromedp.Click(chromedp.CSS(sel)))
	select {
	case guid := <-b.downloads:
		data, err := os.ReadFile(filepath.Join(b.dlDir, guid))
		if err != nil {
			b.t.Fatal(err)
		}
		b.mu.Lock()
		name := b.dlNames[guid]
		b.mu.Unlock()
		return name, data
	case <-time.After(timeout):
		b.shot("download_timeout")
		b.t.Fatalf("clicking %s downloaded nothing in %v", sel, timeout)
	}
	return "", nil
}

func (b *browser) run(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.shot("failure")
		b.t.Fatal(err)
	}
}

// shot saves a screenshot of the viewport as name.png.
func (b *browser) shot(name string) string {
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	p := filepath.Join(b.shots, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot %s", p)
	return p
}

func (b *browser) open(hash string) {
	b.t.Helper()
	b.run(chromedp.Navigate(b.s.url + "/" + hash))
}

func (b *browser) login(name string) {
	b.t.Helper()
	b.open("#/login")
	b.run(
		chromedp.WaitVisible(chromedp.CSS(`form.login-card input[name=name]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=name]`), name),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), password),
		chromedp.Click(chromedp.CSS(`form.login-card button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`header.top nav.nav`)),
	)
}

// text returns the text of the first element matching sel.
func (b *browser) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		b.shot("failure")
		b.t.Fatal(err)
	}
	return s
}

// eval evaluates a JavaScript expression.
func eval[T any](b *browser, js string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		b.t.Fatalf("%s: %v", js, err)
	}
	return v
}

// waitFor polls a JavaScript condition.
func (b *browser) waitFor(js string, timeout time.Duration) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	for {
		if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js)); err == nil && ok {
			return
		}
		select {
		case <-ctx.Done():
			b.shot("timeout")
			b.t.Fatalf("timed out waiting for %s", js)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// tileBodies returns the bodies of the tile PNGs the page loaded.
func (b *browser) tileBodies() map[string][]byte {
	b.t.Helper()
	b.mu.Lock()
	ids := append([]network.RequestID(nil), b.loaded...)
	urls := map[network.RequestID]string{}
	for k, v := range b.tiles {
		urls[k] = v
	}
	b.mu.Unlock()
	out := map[string][]byte{}
	for _, id := range ids {
		res, err := chromedp.Call(b.ctx, network.GetResponseBody, network.GetResponseBodyParams{RequestID: id})
		if err == nil {
			out[urls[id]] = res.Body
		}
	}
	return out
}

// fullShot saves a screenshot of the whole page.
func (b *browser) fullShot(name string) {
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(90))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	p := filepath.Join(b.shots, name+".jpg")
	os.WriteFile(p, png, 0o644)
	b.t.Logf("screenshot %s", p)
}

// fixtureTasks returns the task IDs of the fixture's patches (P1 …) and of
// each team.
func fixtureTasks(t *testing.T, a *app.App) (byPatch map[string]string, byTeam map[string][]string) {
	t.Helper()
	op := app.Operator("setup")
	l, err := a.Tasks(t.Context(), op, app.TaskQuery{})
	if err != nil {
		t.Fatal(err)
	}
	byPatch, byTeam = map[string]string{}, map[string][]string{}
	for _, tk := range l.Items {
		d, err := a.Task(t.Context(), op, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range d.Tuban.History {
			byPatch[h.PatchID] = tk.ID
		}
		byTeam[tk.Team] = append(byTeam[tk.Team], tk.ID)
	}
	return byPatch, byTeam
}

// TestConsoleTeamScope: a patrol member logs in on a phone and sees only
// their team's tasks; another team's task URL says 无权限.
func TestConsoleTeamScope(t *testing.T) {
	s := newServer(t, false)
	_, byTeam := fixtureTasks(t, s.app)
	b := newBrowser(t, s, phoneW, phoneH)
	b.login("wang")
	b.open("#/tasks")
	b.waitFor(`document.querySelectorAll('.task-card').length > 0`, 20*time.Second)
	teams := eval[[]string](b, `[...document.querySelectorAll('.task-card')].map(e => e.dataset.team)`)
	if len(teams) != len(byTeam[fixture.TeamWest]) {
		t.Errorf("the patrol member sees %d task cards, want their team's %d", len(teams), len(byTeam[fixture.TeamWest]))
	}
	for _, tm := range teams {
		if tm != fixture.TeamWest {
			t.Errorf("a task of %s is listed for a member of %s", tm, fixture.TeamWest)
		}
	}
	if h := b.text("main h1"); !strings.Contains(h, "我的任务") || !strings.Contains(h, fixture.TeamWest) {
		t.Errorf("heading %q: want 我的任务（%s）", h, fixture.TeamWest)
	}
	if body := b.text("main"); strings.Contains(body, fixture.TeamEast) || strings.Contains(body, "13800000002") {
		t.Error("the other team's name or phone number is shown")
	}
	b.shot("phone_my_tasks")
	// Another team's task, by its URL.
	b.open("#/tasks/" + byTeam[fixture.TeamEast][0])
	b.waitFor(`!!document.querySelector('.denied h1')`, 20*time.Second)
	if h := b.text(".denied h1"); h != "无权限" {
		t.Errorf("another team's task shows %q, want 无权限", h)
	}
	b.shot("phone_other_team_denied")
	// The own team's task opens, with the navigation links.
	b.open("#/tasks/" + byTeam[fixture.TeamWest][0])
	b.waitFor(`!!document.querySelector('.nav-links a[href^="geo:"]')`, 20*time.Second)
	href := eval[string](b, `document.querySelector('.nav-links a[href^="geo:"]').getAttribute('href')`)
	if !strings.HasPrefix(href, "geo:30.") || !strings.Contains(href, ",114.") {
		t.Errorf("navigation link %q: want geo:lat,lon of the 图斑 (about 30.5°N 114.3°E)", href)
	}
}

// TestConsoleEvidence: a patrol member starts a task, uploads a field photo
// with GPS, sees its check at once, records the verdict and the task moves
// on.
func TestConsoleEvidence(t *testing.T) {
	s := newServer(t, false)
	byPatch, _ := fixtureTasks(t, s.app)
	id := byPatch["P1"]
	photo := filepath.Join(t.TempDir(), "IMG_0001.jpg")
	if err := os.WriteFile(photo, fixture.PhotoAt("P1", 7), 0o644); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, s, phoneW, phoneH)
	b.login("wang")
	b.open("#/tasks/" + id)
	headState := `(document.querySelector('.head-badges [data-state]') || {}).dataset?.state`
	b.waitFor(headState+` === 'pending'`, 20*time.Second)
	// 开始核查
	b.run(chromedp.Click(chromedp.CSS(`button.step[data-to=verifying]`)), chromedp.Click(chromedp.CSS(`form.step-form button[type=submit]`)))
	b.waitFor(headState+` === 'verifying'`, 20*time.Second)
	// A photo from the "camera" (the file input the camera and the album share).
	b.waitFor(`!!document.querySelector('#photo-input')`, 10*time.Second)
	b.run(chromedp.SetUploadFiles(chromedp.CSS(`#photo-input`), []string{photo}, chromedp.NodeReady))
	b.waitFor(`!!document.querySelector('.upload-results li[data-ok]')`, 30*time.Second)
	res := b.text(".upload-results")
	if !strings.Contains(res, "合格") || !strings.Contains(res, "IMG_0001.jpg") || strings.Contains(res, "不合格") {
		t.Errorf("upload check shows %q: want IMG_0001.jpg 合格", res)
	}
	b.run(chromedp.ScrollIntoView(chromedp.CSS(`.upload-results`)))
	b.shot("phone_evidence_checked")
	// The page reloads with the photo listed; then the verdict.
	b.waitFor(`document.querySelectorAll('li.photo[data-ok=true]').length === 1`, 20*time.Second)
	b.run(chromedp.Click(chromedp.CSS(`button.step[data-to=verified]`)))
	b.waitFor(`!!document.querySelector('select[name=verdict]')`, 10*time.Second)
	eval[bool](b, `(() => { const v = document.querySelector('select[name=verdict]'); v.value = 'illegal'; v.dispatchEvent(new Event('change'));
		const t = document.querySelector('select[name=violation_type]'); t.value = 'occupy'; return true; })()`)
	b.run(chromedp.SendKeys(chromedp.CSS(`form.step-form textarea[name=reason]`), "现场已硬化，未见用地手续"))
	b.run(chromedp.ScrollIntoView(chromedp.CSS(`form.step-form`)))
	b.shot("phone_verdict_form")
	b.run(chromedp.Click(chromedp.CSS(`form.step-form button[type=submit]`)))
	b.waitFor(headState+` === 'verified'`, 20*time.Second)
	eval[bool](b, `(window.scrollTo(0, 0), true)`)
	b.shot("phone_task_verified")
	d, err := s.app.Task(t.Context(), app.Operator("check"), id)
	if err != nil {
		t.Fatal(err)
	}
	if d.Task.State.Code != "verified" || d.Task.Verdict == nil || d.Task.Verdict.Code != "illegal" || len(d.Task.Evidence) != 1 || !d.Task.Evidence[0].OK {
		t.Errorf("task after the console: state %s, verdict %v, evidence %v", d.Task.State.Code, d.Task.Verdict, d.Task.Evidence)
	}
	if n := len(d.Task.History); n != 2 || !strings.Contains(d.Task.History[n-1].Actor, "wang") {
		t.Errorf("history %v: want two steps by wang", d.Task.History)
	}
}

// tap clicks the middle of the element sel after scrolling it to the
// middle of the viewport (chromedp.Click scrolls it to the top, under the
// sticky header, which then takes the click).
func (b *browser) tap(sel string) {
	b.t.Helper()
	r := eval[map[string]float64](b, `(() => { const e = document.querySelector(`+"`"+sel+"`"+`); e.scrollIntoView({block: 'center'});
		const r = e.getBoundingClientRect(); return {x: r.x + r.width / 2, y: r.y + r.height / 2}; })()`)
	b.run(chromedp.MouseClickXY(r["x"], r["y"]))
}

// box returns the page rectangle of the first element matching sel.
func box(b *browser, sel string) (x, y, w, h float64) {
	b.t.Helper()
	r := eval[map[string]float64](b, `(() => { const r = document.querySelector(`+"`"+sel+"`"+`).getBoundingClientRect(); return {x: r.x, y: r.y, w: r.width, h: r.height}; })()`)
	return r["x"], r["y"], r["w"], r["h"]
}

// nonBlank reports whether a PNG tile shows imagery: opaque pixels whose
// values vary.
func nonBlank(data []byte) (bool, string) {
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return false, err.Error()
	}
	var n, opaque int
	var sum, sum2 float64
	bd := img.Bounds()
	for y := bd.Min.Y; y < bd.Max.Y; y += 2 {
		for x := bd.Min.X; x < bd.Max.X; x += 2 {
			r, g, bl, a := img.At(x, y).RGBA()
			n++
			if a == 0 {
				continue
			}
			opaque++
			v := float64(r+g+bl) / 3 / 257
			sum += v
			sum2 += v * v
		}
	}
	if opaque == 0 {
		return false, "all transparent"
	}
	mean := sum / float64(opaque)
	sd := math.Sqrt(math.Max(0, sum2/float64(opaque)-mean*mean))
	return sd > 3, fmt.Sprintf("%d of %d pixels opaque, mean %.1f, sd %.1f", opaque, n, mean, sd)
}

// TestConsoleBatchJuelich: remote-sensing staff submit a batch on the
// registered Jülich pair, watch it finish, and compare the dates on the map:
// the tiles are real imagery and the swipe moves.
func TestConsoleBatchJuelich(t *testing.T) {
	s := newServer(t, true)
	op := app.Operator("setup")
	var ids []string
	for _, f := range []string{"LS20010525.tif", "LS20010626.tif"} {
		p, _ := filepath.Abs(filepath.Join("..", "..", "testdata", "juelich", f))
		im, _, err := s.app.RegisterImagery(t.Context(), op, p, "")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, im.ID)
	}
	b := newBrowser(t, s, desktopW, desktopH)
	b.login("rs")
	b.open("#/batches")
	b.waitFor(`!!document.querySelector('form.submit-batch select[name=before] option[value="`+ids[1]+`"]')`, 20*time.Second)
	b.run(chromedp.SendKeys(chromedp.CSS(`form.submit-batch input[name=name]`), "2001年于利希演示批次"))
	eval[bool](b, `(() => { const f = document.querySelector('form.submit-batch');
		f.before.value = '`+ids[0]+`'; f.after.value = '`+ids[1]+`'; return true; })()`)
	b.shot("desktop_batch_submit")
	b.run(chromedp.Click(chromedp.CSS(`form.submit-batch button[type=submit]`)))
	b.waitFor(`location.hash.startsWith('#/batches/b')`, 20*time.Second)
	b.shot("desktop_batch_running")
	b.waitFor(`!!document.querySelector('.badge[data-state=done]')`, 150*time.Second)
	batch := strings.TrimPrefix(eval[string](b, `location.hash`), "#/batches/")
	// The map shows the batch's imagery.
	b.waitFor(`document.querySelector('.mapbox') && document.querySelector('.mapbox').dataset.imagery === 'ok'`, 30*time.Second)
	b.run(chromedp.ScrollIntoView(chromedp.CSS(`.map-card`)))
	b.waitFor(`document.querySelectorAll('.map-stage canvas').length > 0`, 10*time.Second)
	time.Sleep(2 * time.Second) // tiles and 图斑 draw
	deadline := time.Now().Add(30 * time.Second)
	var bodies map[string][]byte
	for {
		bodies = b.tileBodies()
		nb, na := 0, 0
		for u, data := range bodies {
			if ok, _ := nonBlank(data); ok {
				if strings.Contains(u, "/before/") {
					nb++
				} else if strings.Contains(u, "/after/") {
					na++
				}
			}
		}
		if nb >= 2 && na >= 2 {
			break
		}
		if time.Now().After(deadline) {
			for u, data := range bodies {
				_, why := nonBlank(data)
				t.Logf("%s: %s", u, why)
			}
			t.Fatalf("tiles of the batch: %d before and %d after show imagery, want at least 2 of each", nb, na)
		}
		time.Sleep(500 * time.Millisecond)
	}
	for u := range bodies {
		if !strings.Contains(u, "/tiles/"+batch+"/") {
			t.Errorf("tile %s is not of batch %s", u, batch)
		}
	}
	b.shot("desktop_batch_swipe")
	// The swipe: drag the handle from the middle to a quarter of the map.
	sx, sy, sw, sh := box(b, ".map-stage")
	hx, hy, hw, hh := box(b, ".swipe-handle")
	before := eval[string](b, `document.querySelector('.mapbox').dataset.swipe`)
	strip := func() []byte {
		png, err := chromedp.Run(b.ctx, chromedp.Screenshot(chromedp.CSS(`.map-stage`)))
		if err != nil {
			t.Fatal(err)
		}
		return png
	}
	shotBefore := strip()
	cx, cy := hx+hw/2, hy+hh/2
	b.run(
		chromedp.MouseEvent(chromedp.MouseMoved, cx, cy),
		chromedp.MouseEvent(chromedp.MousePressed, cx, cy, chromedp.ButtonLeft),
		chromedp.MouseEvent(chromedp.MouseMoved, cx-sw*0.1, cy, chromedp.ButtonLeft),
		chromedp.MouseEvent(chromedp.MouseMoved, sx+sw*0.25, cy, chromedp.ButtonLeft),
		chromedp.MouseEvent(chromedp.MouseReleased, sx+sw*0.25, cy, chromedp.ButtonLeft),
	)
	after := eval[string](b, `document.querySelector('.mapbox').dataset.swipe`)
	if before != "0.50" || after < "0.22" || after > "0.28" {
		t.Errorf("swipe position %s → %s after dragging to a quarter of the map; want 0.50 → about 0.25", before, after)
	}
	time.Sleep(500 * time.Millisecond)
	// Between a quarter and half of the width the map now shows the after
	// image where it showed the before image.
	changed := stripDiff(t, shotBefore, strip(), 0.3, 0.45)
	if changed < 0.2 {
		t.Errorf("the map between 30 %% and 45 %% of its width changed in %.0f %% of its pixels after the swipe; want the other date", changed*100)
	}
	_ = sy
	_ = sh
	b.shot("desktop_batch_swipe_moved")
	// Side by side.
	b.run(chromedp.Click(chromedp.CSS(`.seg button[data-mode=side]`)))
	time.Sleep(1500 * time.Millisecond)
	if n := eval[int](b, `document.querySelectorAll('.map-side canvas').length`); n == 0 {
		t.Error("the side-by-side view draws no second map")
	}
	b.shot("desktop_batch_side_by_side")
	// A 图斑 of the batch on a phone: attributes, chips with their
	// 监测编号 and dates, the map.
	l, err := s.app.Tubans(t.Context(), op, app.TubanQuery{Batch: batch, Page: app.Page{Limit: 1000}})
	if err != nil || len(l.Items) == 0 {
		t.Fatalf("图斑 of %s: %v", batch, err)
	}
	// One near the middle of the scene (Jülich, 50.92°N 6.37°E), of some size.
	best := 0
	for i, it := range l.Items {
		d := math.Hypot(it.CenterLon-6.37, it.CenterLat-50.92)
		if it.Areas.JCMJ.Mu > 5 && d < math.Hypot(l.Items[best].CenterLon-6.37, l.Items[best].CenterLat-50.92) {
			best = i
		}
	}
	l.Items[0] = l.Items[best]
	p := newBrowser(t, s, phoneW, phoneH)
	p.login("rs")
	p.open("#/tubans/" + l.Items[0].ID)
	p.waitFor(`document.querySelectorAll('figure.chip img').length === 2 && [...document.querySelectorAll('figure.chip img')].every(i => i.complete && i.naturalWidth > 0)`, 30*time.Second)
	if cap := p.text("figure.chip figcaption"); !strings.Contains(cap, l.Items[0].JCBH) || !strings.Contains(cap, "前时相") {
		t.Errorf("chip caption %q: want 前时相 and the 监测编号 %s", cap, l.Items[0].JCBH)
	}
	p.run(chromedp.ScrollIntoView(chromedp.CSS(`.chips`)))
	p.shot("phone_tuban_chips")
	p.run(chromedp.ScrollIntoView(chromedp.CSS(`.map-card`)))
	time.Sleep(1500 * time.Millisecond)
	p.shot("phone_tuban_map")
}

// stripDiff returns the share of pixels that differ between two PNGs of the
// same size in the columns from x0 to x1 (fractions of the width).
func stripDiff(t *testing.T, a, b []byte, x0, x1 float64) float64 {
	t.Helper()
	ia, err := png.Decode(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	ib, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	bd := ia.Bounds()
	if bd != ib.Bounds() {
		t.Fatalf("screenshots differ in size: %v and %v", bd, ib.Bounds())
	}
	n, diff := 0, 0
	for y := bd.Min.Y; y < bd.Max.Y; y += 2 {
		for x := bd.Min.X + int(x0*float64(bd.Dx())); x < bd.Min.X+int(x1*float64(bd.Dx())); x += 2 {
			r1, g1, b1, _ := ia.At(x, y).RGBA()
			r2, g2, b2, _ := ib.At(x, y).RGBA()
			n++
			if absDiff(r1, r2)+absDiff(g1, g2)+absDiff(b1, b2) > 3*257*8 {
				diff++
			}
		}
	}
	return float64(diff) / float64(max(n, 1))
}

func absDiff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}

// TestConsoleOffice: the enforcement office reconciles a batch per patrol
// zone, sees every team's tasks with every export format, and reads the
// monthly report: its tables and charts as the server renders them.
func TestConsoleOffice(t *testing.T) {
	s := newServer(t, false)
	b := newBrowser(t, s, desktopW, desktopH)
	b.login("office")
	b.open("#/reconcile")
	b.waitFor(`!!document.querySelector('form.card select[name=batch] option[value="`+fixture.BatchID+`"]')`, 20*time.Second)
	b.run(chromedp.Click(chromedp.CSS(`form.card button[type=submit]`)))
	b.waitFor(`[...document.querySelectorAll('main h2')].some(h => h.textContent.startsWith('巡查应发现而未发现'))`, 30*time.Second)
	zones := b.text("main")
	for _, want := range []string{"城西片区", "城东片区", "对账_巡查区.xlsx", "发现率"} {
		if !strings.Contains(zones, want) {
			t.Errorf("the reconciliation page lacks %q", want)
		}
	}
	b.shot("desktop_reconcile")
	// Tasks of every team, with every export format.
	b.open("#/tasks")
	b.waitFor(`document.querySelectorAll('.task-card').length === 3`, 20*time.Second)
	formats := eval[[]string](b, `[...document.querySelectorAll('details.exports a[href^="/export/tasks?format="]')].map(a => new URL(a.href).searchParams.get('format'))`)
	if strings.Join(formats, ",") != "zip,xlsx,kml,kmz,gpx,geojson,shp" {
		t.Errorf("task export links %v, want zip, xlsx, kml, kmz, gpx, geojson and shp", formats)
	}
	b.run(chromedp.Click(chromedp.CSS(`details.exports summary`)))
	b.shot("desktop_office_tasks")
	// The same tasks on the map (the fixture county has no imagery: the
	// zones and 图斑 on a plain background).
	b.open("#/tasks?view=map")
	b.waitFor(`document.querySelectorAll('.map-stage canvas').length > 0 && document.querySelector('.mapbox').dataset.imagery === 'none'`, 20*time.Second)
	time.Sleep(1500 * time.Millisecond)
	b.shot("desktop_office_tasks_map")
	// The May report: the server's HTML in a sandboxed frame, styled (the
	// console's CSP lets its inline style through), with its six tables and
	// four charts.
	b.open("#/reports?period=2026-05")
	frame := `document.querySelector('iframe.report-frame')`
	b.waitFor(frame+` && `+frame+`.dataset.loaded === 'true'`, 60*time.Second)
	if h := b.text(".report-head h2"); h != "2026年5月卫片执法统计报表（月报）" {
		t.Errorf("report title %q", h)
	}
	doc := frame + `.contentDocument`
	titles := strings.Join(eval[[]string](b, `[...`+doc+`.querySelectorAll('section.table h2')].map(h => h.textContent)`), "\n")
	for _, want := range []string{"卫片图斑核查情况一览表", "违法线索统计表", "违法占用耕地面积比例", "执法指标", "动态巡查考核", "违法图斑清单"} {
		if !strings.Contains(titles, want) {
			t.Errorf("the report lacks the table %s: it has\n%s", want, titles)
		}
	}
	if n := eval[int](b, doc+`.querySelectorAll('figure.chart svg').length`); n != 4 {
		t.Errorf("the report shows %d charts, want 4", n)
	}
	if a := eval[string](b, `getComputedStyle(`+doc+`.querySelector('h1')).textAlign`); a != "center" {
		t.Errorf("the report's title is aligned %q: its style sheet did not apply", a)
	}
	if h := eval[float64](b, frame+`.getBoundingClientRect().height`); h < 1500 {
		t.Errorf("the report frame is %.0f px high: not fitted to the report", h)
	}
	if got := eval[string](b, `document.querySelector('select[name=kind]').value + ' ' + document.querySelector('select[name=month]').value`); got != "month 5" {
		t.Errorf("the period form shows %q for 2026-05, want month 5", got)
	}
	b.shot("desktop_report_month")
	b.run(chromedp.ScrollIntoView(chromedp.CSS(`.report-view`)))
	time.Sleep(300 * time.Millisecond)
	b.shot("desktop_report_charts")
	// A bad period is the server's message, not a broken page.
	b.open("#/reports?period=2026-13")
	b.waitFor(`!!document.querySelector('.report-head .error')`, 20*time.Second)
	if m := b.text(".report-head .error"); !strings.Contains(m, "统计期") {
		t.Errorf("bad period says %q", m)
	}
}

// TestConsoleOfficeDownloadsAnnualReport: the office picks the annual
// report in the form and downloads it as XLSX and PDF; the files are the
// report the server makes (the XLSX byte for byte), the PDF a PDF of
// several pages. On a phone the page still works.
func TestConsoleOfficeDownloadsAnnualReport(t *testing.T) {
	s := newServer(t, false)
	b := newBrowser(t, s, desktopW, desktopH)
	b.login("office")
	b.open("#/reports?period=2026-Q2")
	b.waitFor(`document.querySelector('iframe.report-frame')?.dataset.loaded === 'true'`, 60*time.Second)
	eval[bool](b, `(() => { const k = document.querySelector('select[name=kind]'); k.value = 'year'; k.dispatchEvent(new Event('change'));
		document.querySelector('input[name=year]').value = '2026'; return true; })()`)
	if hidden := eval[bool](b, `document.querySelector('select[name=quarter]').closest('label').hidden`); !hidden {
		t.Error("the quarter is still offered for an annual report")
	}
	b.run(chromedp.Click(chromedp.CSS(`form.report-form button[type=submit]`)))
	b.waitFor(`location.hash === '#/reports?period=2026'`, 10*time.Second)
	b.waitFor(`document.querySelector('iframe.report-frame')?.dataset.loaded === 'true' && document.querySelector('.report-head h2')?.textContent.includes('年报')`, 60*time.Second)
	b.shot("desktop_report_annual")

	name, data := b.download(`.report-downloads a[data-dl$="format=xlsx"]`, 60*time.Second)
	if name != "卫片执法统计报表_2026.xlsx" {
		t.Errorf("XLSX download named %q", name)
	}
	x, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the downloaded XLSX does not open: %v", err)
	}
	sheets := x.GetSheetList()
	title, _ := x.GetCellValue(sheets[0], "A1")
	if len(sheets) < 7 || sheets[len(sheets)-1] != "表6 违法图斑清单" || title != "2026年卫片执法统计报表（年报）" {
		t.Errorf("XLSX: sheets %v, first title %q", sheets, title)
	}
	x.Close()
	op := app.Principal{User: "check", Roles: []app.Role{app.RoleReviewer}}
	doc, err := s.app.Report(t.Context(), op, app.ReportRequest{Period: "2026"})
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := s.app.WriteReport(t.Context(), &want, doc, "xlsx"); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, want.Bytes()) {
		t.Error("the downloaded XLSX is not the report the server makes for 2026")
	}

	name, data = b.download(`.report-downloads a[data-dl$="format=pdf"]`, 120*time.Second)
	if name != "卫片执法统计报表_2026.pdf" || !bytes.HasPrefix(data, []byte("%PDF-")) {
		t.Errorf("PDF download %q starts %q, want %%PDF-", name, data[:min(8, len(data))])
	}
	if n := len(pdfPage.FindAll(data, -1)); n < 3 {
		t.Errorf("the PDF has %d pages, want the cover with the charts and the tables on the next pages", n)
	}
	if len(data) < 20000 {
		t.Errorf("the PDF has %d bytes: too small for the report's tables and charts", len(data))
	}
	// On a phone: the form, the downloads and the report (scrolled sideways).
	p := newBrowser(t, s, phoneW, phoneH)
	p.login("office")
	p.open("#/reports?period=2026")
	p.waitFor(`document.querySelector('iframe.report-frame')?.dataset.loaded === 'true'`, 60*time.Second)
	if w := eval[float64](p, `document.documentElement.scrollWidth`); w > phoneW+1 {
		t.Errorf("the reports page is %.0f px wide on a %d px phone", w, phoneW)
	}
	p.shot("phone_report_form")
	p.tap(`.report-frame-wrap`)
	p.shot("phone_report_frame")
}

// pdfPage matches a page object of a PDF.
var pdfPage = regexp.MustCompile(`/Type\s*/Page[^s]`)

// TestConsoleAdmin: an admin adds a patrol member, who can then log in and
// sees their team.
func TestConsoleAdmin(t *testing.T) {
	s := newServer(t, false)
	b := newBrowser(t, s, desktopW, desktopH)
	b.login("admin")
	b.open("#/admin/users")
	b.waitFor(`!!document.querySelector('form.card input[name=name]')`, 20*time.Second)
	b.run(
		chromedp.SendKeys(chromedp.CSS(`form.card input[name=name]`), "sun"),
		chromedp.SendKeys(chromedp.CSS(`form.card input[name=display]`), "孙七"),
		chromedp.SendKeys(chromedp.CSS(`form.card input[name=password]`), password),
		chromedp.SendKeys(chromedp.CSS(`form.card input[name=team]`), fixture.TeamEast),
		chromedp.Click(chromedp.CSS(`form.card button[type=submit]`)),
	)
	b.waitFor(`[...document.querySelectorAll('td')].some(td => td.textContent === '孙七')`, 20*time.Second)
	b.shot("desktop_admin_users")
	us, err := s.app.Users(t.Context(), app.Operator("check"))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, u := range us {
		found = found || (u.Name == "sun" && u.Team == fixture.TeamEast && len(u.Roles) == 1 && u.Roles[0] == app.RolePatrol)
	}
	if !found {
		t.Errorf("users after the console added sun: %+v", us)
	}
	p := newBrowser(t, s, phoneW, phoneH)
	p.login("sun")
	p.open("#/tasks")
	p.waitFor(`document.querySelectorAll('.task-card').length === 1`, 20*time.Second)
}
