package httpapi_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weipian/weipian/app"
	"github.com/weipian/weipian/app/fixture"
	"github.com/weipian/weipian/app/httpapi"
	"github.com/weipian/weipian/store"
	_ "modernc.org/sqlite"
)

// env is a running API over the fixture county, with one user per role.
type env struct {
	t    *testing.T
	app  *app.App
	srv  *httptest.Server
	data string
	// tasks by fixture patch ID
	west, east []string
}

const password = "correct horse battery"

var users = []app.UserSpec{
	{Name: "admin", Roles: []app.Role{app.RoleAdmin}},
	{Name: "rs", Roles: []app.Role{app.RoleRemoteSensing}},
	{Name: "office", Roles: []app.Role{app.RoleReviewer}},
	{Name: "viewer", Roles: []app.Role{app.RoleViewer}},
	{Name: "wang", Display: "王五", Roles: []app.Role{app.RolePatrol}, Team: fixture.TeamWest},
	{Name: "zhao", Display: "赵六", Roles: []app.Role{app.RolePatrol}, Team: fixture.TeamEast},
}

func newEnv(t *testing.T, opt httpapi.Options, cfg app.Config) *env {
	t.Helper()
	return newEnvFor(t, cfg, func(*app.App) httpapi.Options { return opt })
}

// newEnvFor is newEnv with options that need the App (e.g. the console's
// routes, which need its tiles).
func newEnvFor(t *testing.T, cfg app.Config, options func(*app.App) httpapi.Options) *env {
	t.Helper()
	dir := t.TempDir()
	cfg.DB, cfg.Data = filepath.Join(dir, "state.db"), filepath.Join(dir, "data")
	cfg.PasswordCost = 4 // bcrypt.MinCost: the tests log in often, and -race slows bcrypt down
	a, err := app.Open(t.Context(), cfg)
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
	srv := httptest.NewServer(httpapi.New(a, options(a)))
	t.Cleanup(srv.Close)
	e := &env{t: t, app: a, srv: srv, data: cfg.Data}
	l, err := a.Tasks(t.Context(), op, app.TaskQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range l.Items {
		if tk.Team == fixture.TeamWest {
			e.west = append(e.west, tk.ID)
		} else {
			e.east = append(e.east, tk.ID)
		}
	}
	if len(e.west) != 2 || len(e.east) != 1 {
		t.Fatalf("fixture tasks: west %v east %v, want 2 and 1", e.west, e.east)
	}
	return e
}

// client is a logged-in user (bearer token); token "" is anonymous.
type client struct {
	e     *env
	token string
}

func (e *env) login(name string) *client {
	e.t.Helper()
	code, body := (&client{e: e}).do("POST", "/auth/login", `{"name":"`+name+`","password":"`+password+`"}`)
	if code != 200 {
		e.t.Fatalf("login %s: %d %s", name, code, body)
	}
	var se app.Session
	json.Unmarshal(body, &se)
	return &client{e: e, token: se.Token}
}

func (c *client) req(method, path string, body io.Reader, ctype string) (int, []byte, http.Header) {
	c.e.t.Helper()
	req, err := http.NewRequest(method, c.e.srv.URL+path, body)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

func (c *client) do(method, path, body string) (int, []byte) {
	var r io.Reader
	ct := ""
	if body != "" {
		r, ct = strings.NewReader(body), "application/json"
	}
	code, b, _ := c.req(method, path, r, ct)
	return code, b
}

// upload posts files as multipart/form-data.
func (c *client) upload(path string, files map[string][]byte) (int, []byte) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	// a fixed order: photo names sort as given
	for i := 0; i < len(names); i++ {
		for j := i + 1; j < len(names); j++ {
			if names[j] < names[i] {
				names[i], names[j] = names[j], names[i]
			}
		}
	}
	for _, n := range names {
		w, _ := mw.CreateFormFile("photos", n)
		w.Write(files[n])
	}
	mw.Close()
	code, b, _ := c.req("POST", path, &buf, mw.FormDataContentType())
	return code, b
}

func errorCode(t *testing.T, body []byte) string {
	t.Helper()
	var eb httpapi.ErrorBody
	if err := json.Unmarshal(body, &eb); err != nil {
		t.Fatalf("error body is not JSON: %s", body)
	}
	for _, p := range []string{"store:", "pipeline:", "task:", "judge:", "app:", "/tmp/", "no such file"} {
		if strings.Contains(eb.Error.Message, p) {
			t.Errorf("error message leaks %q: %s", p, eb.Error.Message)
		}
	}
	return eb.Error.Code
}

func TestAnonymousIs401(t *testing.T) {
	e := newEnv(t, httpapi.Options{}, app.Config{})
	anon := &client{e: e}
	for _, p := range []string{"/tasks", "/tubans", "/batches", "/zones", "/users", "/audit", "/tasks/" + e.west[0], "/export/tasks"} {
		code, body := anon.do("GET", p, "")
		if code != 401 || errorCode(t, body) != "unauthenticated" {
			t.Errorf("GET %s anonymous: %d %s, want 401", p, code, body)
		}
	}
	code, _ := anon.do("POST", "/tasks/"+e.west[0]+"/transitions", `{"to":"核查中"}`)
	if code != 401 {
		t.Errorf("anonymous transition: %d, want 401", code)
	}
	bad := &client{e: e, token: "not-a-token"}
	if code, _ := bad.do("GET", "/tasks", ""); code != 401 {
		t.Errorf("bad token: %d, want 401", code)
	}
	for _, p := range []string{"/healthz", "/openapi.json", "/docs"} {
		if code, _ := anon.do("GET", p, ""); code != 200 {
			t.Errorf("GET %s: %d, want 200 (public)", p, code)
		}
	}
}

func TestTeamScope(t *testing.T) {
	e := newEnv(t, httpapi.Options{}, app.Config{})
	wang := e.login("wang")
	code, body := wang.do("GET", "/tasks", "")
	if code != 200 {
		t.Fatalf("GET /tasks: %d %s", code, body)
	}
	var l app.TaskList
	json.Unmarshal(body, &l)
	if l.Total != 2 || len(l.Items) != 2 {
		t.Fatalf("patrol member sees %d tasks, want the 2 of their team", l.Total)
	}
	for _, tk := range l.Items {
		if tk.Team != fixture.TeamWest {
			t.Errorf("patrol member of %s sees a task of %s", fixture.TeamWest, tk.Team)
		}
	}
	if bytes.Contains(body, []byte("13800000002")) {
		t.Error("another team's phone number is shown")
	}
	code, body = wang.do("GET", "/tasks/"+e.east[0], "")
	if code != 403 || errorCode(t, body) != "forbidden" || !strings.Contains(string(body), "无权限") {
		t.Errorf("another team's task: %d %s, want 403 无权限", code, body)
	}
	if code, _ := wang.do("POST", "/tasks/"+e.east[0]+"/transitions", `{"to":"核查中"}`); code != 403 {
		t.Errorf("another team's transition: %d, want 403", code)
	}
	if code, _ := wang.do("GET", "/tasks?team="+url.QueryEscape(fixture.TeamEast), ""); code != 403 {
		t.Errorf("another team's list: %d, want 403", code)
	}
	code, body = wang.do("GET", "/tubans", "")
	var tl app.TubanList
	json.Unmarshal(body, &tl)
	if code != 200 || tl.Total != 2 {
		t.Errorf("patrol member sees %d 图斑, want their team's 2", tl.Total)
	}
	code, body, _ = wang.req("GET", "/export/tasks?format=geojson", nil, "")
	if code != 200 || bytes.Contains(body, []byte(fixture.TeamEast)) {
		t.Errorf("export as a patrol member: %d, contains the other team: %v", code, bytes.Contains(body, []byte(fixture.TeamEast)))
	}
	// The viewer reads everything, changes nothing, and sees no phone numbers.
	viewer := e.login("viewer")
	code, body = viewer.do("GET", "/tasks/"+e.east[0], "")
	if code != 200 || bytes.Contains(body, []byte("13800000002")) {
		t.Errorf("viewer task: %d; phone shown: %v", code, bytes.Contains(body, []byte("13800000002")))
	}
	if code, _ := viewer.do("POST", "/tasks/"+e.east[0]+"/transitions", `{"to":"核查中"}`); code != 403 {
		t.Errorf("viewer transition: %d, want 403", code)
	}
	if code, _ := wang.do("GET", "/users", ""); code != 403 {
		t.Errorf("patrol member GET /users: %d, want 403", code)
	}
}

func TestTransitionsNeedEvidenceOrReviewer(t *testing.T) {
	e := newEnv(t, httpapi.Options{}, app.Config{})
	wang := e.login("wang")
	id := e.west[0]
	if code, body := wang.do("POST", "/tasks/"+id+"/transitions", `{"to":"已办结"}`); code != 403 && code != 409 {
		t.Errorf("待核查 → 已办结: %d %s, want refused", code, body)
	}
	if code, body := wang.do("POST", "/tasks/"+id+"/transitions", `{"to":"verifying","reason":"到现场"}`); code != 200 {
		t.Fatalf("→ 核查中: %d %s", code, body)
	}
	code, body := wang.do("POST", "/tasks/"+id+"/transitions", `{"to":"已核查","verdict":"伪变化"}`)
	if code != 403 || !strings.Contains(string(body), "举证") {
		t.Errorf("伪变化 without evidence by a patrol member: %d %s, want 403 naming the evidence", code, body)
	}
	var d app.TaskDetail
	_, body = wang.do("GET", "/tasks/"+id, "")
	json.Unmarshal(body, &d)
	if d.Task.State.Code != "verifying" {
		t.Errorf("a refused step changed the task: %s", d.Task.State.Code)
	}
	// With a checked photo the patrol member may.
	patch := d.Tuban.History[0].PatchID
	if code, body := wang.upload("/tasks/"+id+"/evidence", map[string][]byte{"IMG_0001.jpg": fixture.PhotoAt(patch, 1)}); code != 200 {
		t.Fatalf("evidence: %d %s", code, body)
	}
	if code, body := wang.do("POST", "/tasks/"+id+"/transitions", `{"to":"已核查","verdict":"伪变化"}`); code != 200 {
		t.Errorf("伪变化 with a checked photo: %d %s", code, body)
	}
	// The reviewer may close without evidence.
	office := e.login("office")
	id2 := e.west[1]
	for _, step := range []string{`{"to":"核查中"}`, `{"to":"已核查","verdict":"合法","approval_no":"鄂政地〔2026〕9号"}`, `{"to":"已办结"}`} {
		if code, body := office.do("POST", "/tasks/"+id2+"/transitions", step); code != 200 {
			t.Errorf("reviewer %s: %d %s", step, code, body)
		}
	}
	// History records who, by the login, not a free-text "by".
	_, body = office.do("GET", "/tasks/"+id2, "")
	json.Unmarshal(body, &d)
	if n := len(d.Task.History); n != 3 || d.Task.History[0].Actor != "office" {
		t.Errorf("history %+v, want 3 steps by office", d.Task.History)
	}
	if code, body := office.do("POST", "/tasks/"+id2+"/transitions", `{"to":"核查中","by":"someone else"}`); code != 400 {
		t.Errorf("unknown field by: %d %s, want 400", code, body)
	}
}

func TestEvidenceAllOrNothingAndLimits(t *testing.T) {
	e := newEnv(t, httpapi.Options{}, app.Config{EvidenceMaxBytes: 256 << 10})
	wang := e.login("wang")
	id := e.west[0]
	if code, body := wang.upload("/tasks/"+id+"/evidence", map[string][]byte{"a.jpg": fixture.PhotoAt("P1", 1)}); code != 409 {
		t.Errorf("evidence on a task still 待核查: %d %s, want 409", code, body)
	}
	wang.do("POST", "/tasks/"+id+"/transitions", `{"to":"核查中"}`)
	evidenceFiles := func() int {
		n := 0
		filepath.Walk(filepath.Join(e.data, "evidence"), func(p string, info os.FileInfo, err error) error {
			if err == nil && !info.IsDir() {
				n++
			}
			return nil
		})
		return n
	}
	// A second file that is not a JPEG refuses the whole upload.
	code, body := wang.upload("/tasks/"+id+"/evidence", map[string][]byte{"a.jpg": fixture.PhotoAt("P1", 1), "b.jpg": []byte("not a jpeg at all")})
	if code != 400 || evidenceFiles() != 0 {
		t.Errorf("mixed upload: %d %s, %d files stored; want 400 and none", code, body, evidenceFiles())
	}
	// Oversized: 413, nothing stored.
	big := append(fixture.PhotoAt("P1", 2), make([]byte, 300<<10)...)
	code, body = wang.upload("/tasks/"+id+"/evidence", map[string][]byte{"big.jpg": big})
	if code != 413 || evidenceFiles() != 0 {
		t.Errorf("oversized: %d %s, %d files; want 413 and none", code, body, evidenceFiles())
	}
	code, _, _ = wang.req("POST", "/tasks/"+id+"/evidence?name=big.jpg", bytes.NewReader(big), "image/jpeg")
	if code != 413 || evidenceFiles() != 0 {
		t.Errorf("oversized raw body: %d, want 413", code)
	}
	// Two photos at once, and a raw-body upload.
	code, body = wang.upload("/tasks/"+id+"/evidence", map[string][]byte{"c.jpg": fixture.PhotoAt("P1", 3), "d.jpg": fixture.PhotoAt("P1", 4)})
	if code != 200 || evidenceFiles() != 2 {
		t.Fatalf("two photos: %d %s, %d files", code, body, evidenceFiles())
	}
	var er httpapi.EvidenceResponse
	json.Unmarshal(body, &er)
	if len(er.Photos) != 2 || !er.Photos[0].OK || len(er.Task.Evidence) != 2 {
		t.Errorf("evidence response %+v", er.Photos)
	}
	noExif := fixture.Photo(fixture.PhotoSpec{NoEXIF: true, Seed: 9})
	code, body, _ = wang.req("POST", "/tasks/"+id+"/evidence?name=noexif.jpg", bytes.NewReader(noExif), "image/jpeg")
	json.Unmarshal(body, &er)
	if code != 200 || len(er.Photos) != 1 || er.Photos[0].OK {
		t.Errorf("photo without EXIF: %d %s, want stored but flagged (not 合格)", code, body)
	}
	// The photo is served back byte for byte (EXIF intact).
	sha := er.Task.Evidence[0].SHA256
	code, got, _ := wang.req("GET", "/tasks/"+id+"/evidence/"+sha, nil, "")
	if code != 200 || !bytes.Equal(got, fixture.PhotoAt("P1", 3)) && !bytes.Equal(got, fixture.PhotoAt("P1", 4)) {
		t.Errorf("GET photo: %d, %d bytes, not the upload", code, len(got))
	}
	// Another team cannot upload.
	zhao := e.login("zhao")
	if code, _ := zhao.upload("/tasks/"+id+"/evidence", map[string][]byte{"z.jpg": fixture.PhotoAt("P1", 5)}); code != 403 {
		t.Errorf("another team's evidence upload: %d, want 403", code)
	}
}

func TestPathProbesAndTraversal(t *testing.T) {
	e := newEnv(t, httpapi.Options{}, app.Config{})
	rs := e.login("rs")
	var first string
	for _, in := range []string{"/etc/passwd", "/nonexistent/secret.tif", "../../etc/shadow", "file:///etc/passwd"} {
		code, body := rs.do("POST", "/batches", `{"name":"探测","before":"`+in+`","after":"`+in+`"}`)
		if code != 400 || errorCode(t, body) != "invalid" {
			t.Errorf("before %q: %d %s, want 400", in, code, body)
		}
		var eb httpapi.ErrorBody
		json.Unmarshal(body, &eb)
		if strings.Contains(eb.Error.Message, in) {
			t.Errorf("the error repeats the path %q: %s", in, eb.Error.Message)
		}
		if first == "" {
			first = eb.Error.Message
		} else if eb.Error.Message != first {
			t.Errorf("existing and missing paths give different answers: %q vs %q", first, eb.Error.Message)
		}
	}
	for _, p := range []string{"/batches/..%2F..%2Fsecret/outputs/summary.json", "/batches/" + fixture.BatchID + "/outputs/..%2F..%2Fstate.db",
		"/batches/x/outputs/summary.json", "/tasks/..%2F..", "/zones/..%2Fetc"} {
		code, body := rs.do("GET", p, "")
		if code < 400 || code >= 500 {
			t.Errorf("GET %s: %d %s, want a 4xx", p, code, body)
		}
	}
	if code, _ := e.login("wang").do("POST", "/batches", `{"name":"x","before":"img-1","after":"img-2"}`); code != 403 {
		t.Errorf("a patrol member submits a batch: %d, want 403", code)
	}
}

func TestSlowBodyIsCutOff(t *testing.T) {
	e := newEnv(t, httpapi.Options{BodyTimeout: 300 * time.Millisecond}, app.Config{})
	tok := e.login("office").token
	u, _ := url.Parse(e.srv.URL)
	conns := make([]net.Conn, 20)
	for i := range conns {
		c, err := net.Dial("tcp", u.Host)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "POST /tasks/%s/transitions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"to\":", e.west[0], tok)
		conns[i] = c
	}
	for i, c := range conns {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		b, err := io.ReadAll(c)
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatalf("connection %d still open after 10 s: the body timeout does not cut slow clients off", i)
		}
		if len(b) > 0 && !bytes.Contains(b, []byte(" 400 ")) && !bytes.Contains(b, []byte(" 408 ")) {
			t.Errorf("connection %d answered %q", i, b[:min(len(b), 40)])
		}
	}
}

func TestConcurrentTransitionsOneWinner(t *testing.T) {
	e := newEnv(t, httpapi.Options{}, app.Config{})
	office := e.login("office")
	var wg sync.WaitGroup
	codes := make(chan int, 20)
	for range 20 {
		wg.Go(func() {
			code, _ := office.do("POST", "/tasks/"+e.east[0]+"/transitions", `{"to":"核查中","from":"待核查"}`)
			codes <- code
		})
	}
	wg.Wait()
	close(codes)
	n := map[int]int{}
	for c := range codes {
		n[c]++
	}
	if n[200] != 1 || n[409] != 19 {
		t.Errorf("20 concurrent transitions: %v, want one 200 and 19 409", n)
	}
}

func TestLoginLimitsAndCSRF(t *testing.T) {
	e := newEnv(t, httpapi.Options{}, app.Config{})
	anon := &client{e: e}
	for i := range 5 {
		code, body := anon.do("POST", "/auth/login", `{"name":"wang","password":"wrong password"}`)
		if code != 401 {
			t.Fatalf("wrong password %d: %d %s", i, code, body)
		}
	}
	code, body := anon.do("POST", "/auth/login", `{"name":"wang","password":"`+password+`"}`)
	if code != 429 || errorCode(t, body) != "rate_limited" {
		t.Errorf("after 5 failures: %d %s, want 429", code, body)
	}
	// Unknown users are refused the same way.
	code, body = anon.do("POST", "/auth/login", `{"name":"nobody","password":"whatever1"}`)
	if code != 401 || !strings.Contains(string(body), "用户名或密码错误") {
		t.Errorf("unknown user: %d %s", code, body)
	}
	// Cookie sessions need the CSRF header on unsafe methods.
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	resp, err := hc.Post(e.srv.URL+"/auth/login", "application/json", strings.NewReader(`{"name":"office","password":"`+password+`"}`))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("cookie login: %v %v", err, resp.StatusCode)
	}
	var se app.Session
	json.NewDecoder(resp.Body).Decode(&se)
	resp.Body.Close()
	if ck := resp.Header.Get("Set-Cookie"); !strings.Contains(ck, "HttpOnly") || !strings.Contains(ck, "SameSite=Strict") {
		t.Errorf("session cookie %q: want HttpOnly and SameSite=Strict", ck)
	}
	if resp, _ := hc.Get(e.srv.URL + "/tasks"); resp.StatusCode != 200 {
		t.Errorf("GET with the cookie: %d", resp.StatusCode)
	}
	post := func(csrf string) int {
		req, _ := http.NewRequest("POST", e.srv.URL+"/tasks/"+e.east[0]+"/transitions", strings.NewReader(`{"to":"核查中"}`))
		req.Header.Set("Content-Type", "application/json")
		if csrf != "" {
			req.Header.Set("X-CSRF-Token", csrf)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if c := post(""); c != 403 {
		t.Errorf("cookie POST without CSRF header: %d, want 403", c)
	}
	if c := post("forged"); c != 403 {
		t.Errorf("cookie POST with a forged CSRF header: %d, want 403", c)
	}
	if c := post(se.CSRF); c != 200 {
		t.Errorf("cookie POST with the CSRF header: %d, want 200", c)
	}
}

func TestUsersAndAudit(t *testing.T) {
	e := newEnv(t, httpapi.Options{}, app.Config{})
	admin := e.login("admin")
	code, body := admin.do("POST", "/users", `{"name":"li","display":"李四","password":"short","roles":["patrol"],"team":"城西巡查组"}`)
	if code != 400 {
		t.Errorf("short password: %d %s", code, body)
	}
	code, body = admin.do("POST", "/users", `{"name":"li","display":"李四","password":"`+password+`","roles":["patrol"],"team":"城西巡查组"}`)
	if code != 201 {
		t.Fatalf("add user: %d %s", code, body)
	}
	if code, _ := admin.do("POST", "/users", `{"name":"li","password":"`+password+`","roles":["viewer"]}`); code != 409 {
		t.Errorf("duplicate user: %d, want 409", code)
	}
	li := e.login("li")
	if code, _ := li.do("GET", "/tasks", ""); code != 200 {
		t.Fatal("new user cannot read")
	}
	if code, body := admin.do("PATCH", "/users/li", `{"disabled":true}`); code != 200 {
		t.Fatalf("disable: %d %s", code, body)
	}
	if code, _ := li.do("GET", "/tasks", ""); code != 401 {
		t.Errorf("a disabled user's session: %d, want 401", code)
	}
	if code, _ := e.login("office").do("GET", "/audit", ""); code != 403 {
		t.Errorf("non-admin audit: %d, want 403", code)
	}
	code, body = admin.do("GET", "/audit?limit=200", "")
	var l app.List[app.AuditRecord]
	json.Unmarshal(body, &l)
	seen := map[string]bool{}
	for _, r := range l.Items {
		seen[r.Action+":"+r.Outcome] = true
		if r.Source == "http" && r.Addr == "" && r.Action != "login" {
			t.Errorf("audit record without address: %+v", r)
		}
	}
	for _, want := range []string{"user.add:ok", "user.add:refused", "user.disable:ok", "login:ok"} {
		if !seen[want] {
			t.Errorf("audit log lacks %s (has %v)", want, seen)
		}
	}
	// The log is append-only, in the database too.
	for _, q := range []string{`DELETE FROM audit`, `UPDATE audit SET actor = 'x'`} {
		err := e.app.Store().Tx(context.Background(), func(tx *store.Tx) error { _, err := tx.ExecContext(context.Background(), q); return err })
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want refused (append-only)", q, err)
		}
	}
}

func TestJSONShape(t *testing.T) {
	e := newEnv(t, httpapi.Options{}, app.Config{})
	office := e.login("office")
	for _, p := range []string{"/tasks", "/tasks?state=closed", "/tubans", "/tubans/" + e.eastTuban(), "/batches", "/zones", "/tasks/" + e.west[0], "/batches/" + fixture.BatchID, "/teams", "/imagery", "/auth/me"} {
		code, body := office.do("GET", p, "")
		if code != 200 {
			t.Errorf("GET %s: %d %s", p, code, body)
			continue
		}
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatalf("GET %s: not JSON", p)
		}
		checkKeys(t, p, v)
	}
	code, body := office.do("GET", "/tasks?state=closed", "")
	if code != 200 || !bytes.Contains(body, []byte(`"items": []`)) {
		t.Errorf("empty list: %s", body)
	}
	// Codes with labels, and a rank instead of an opaque priority.
	_, body = office.do("GET", "/tasks", "")
	if !bytes.Contains(body, []byte(`"code": "pending"`)) || !bytes.Contains(body, []byte(`"label": "待核查"`)) || !bytes.Contains(body, []byte(`"rank": 1`)) {
		t.Errorf("task JSON lacks codes, labels or rank:\n%s", body[:min(len(body), 800)])
	}
	if bytes.Contains(body, []byte(`"priority"`)) {
		t.Error("the opaque priority number is exposed")
	}
}

func (e *env) eastTuban() string {
	d, err := e.app.Task(e.t.Context(), app.Operator("t"), e.east[0])
	if err != nil {
		e.t.Fatal(err)
	}
	return d.Tuban.JCBH
}

// checkKeys fails on JSON object keys that are not snake_case.
func checkKeys(t *testing.T, path string, v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			if listKeys[k] {
				if _, ok := c.([]any); !ok {
					t.Errorf("GET %s: %q is %v, want a list ([] when empty)", path, k, c)
				}
			}
			if k != strings.ToLower(k) || strings.ContainsAny(k, " -") {
				if !isDataKey(k) {
					t.Errorf("GET %s: key %q is not snake_case", path, k)
				}
			}
			checkKeys(t, path, c)
		}
	case []any:
		for _, c := range x {
			checkKeys(t, path, c)
		}
	}
}

// listKeys are the keys whose values are lists.
var listKeys = map[string]bool{"items": true, "history": true, "evidence": true, "approval_nos": true, "failed_tiles": true,
	"flags": true, "roles": true, "alt_jcbh": true, "can": true, "band_names": true, "photos": true, "problems": true}

// isDataKey allows the keys that are data, not field names: zone kinds
// and counts by zh-CN label.
func isDataKey(k string) bool {
	for _, r := range k {
		if r > 0x2E80 {
			return true
		}
	}
	return false
}

func TestBoundedLoadNo5xx(t *testing.T) {
	if testing.Short() {
		t.Skip("load run")
	}
	e := newEnv(t, httpapi.Options{}, app.Config{})
	tokens := []*client{e.login("office"), e.login("wang"), e.login("zhao"), e.login("viewer")}
	paths := []string{"/tasks", "/tubans", "/batches", "/tasks/" + e.west[0], "/tubans?format=geojson", "/zones", "/teams", "/auth/me", "/tasks/nope"}
	const total, inflight = 2000, 50
	var mu sync.Mutex
	codes := map[int]int{}
	sem := make(chan struct{}, inflight)
	var wg sync.WaitGroup
	for i := range total {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			c := tokens[i%len(tokens)]
			var code int
			if i%10 == 9 {
				code, _ = c.do("POST", "/tasks/"+e.east[0]+"/transitions", `{"to":"核查中","from":"待核查"}`)
			} else {
				code, _ = c.do("GET", paths[i%len(paths)], "")
			}
			mu.Lock()
			codes[code]++
			mu.Unlock()
		})
	}
	wg.Wait()
	n5 := 0
	for c, n := range codes {
		if c >= 500 {
			n5 += n
		}
	}
	t.Logf("%d requests, %d in flight: %v", total, inflight, codes)
	if n5 > 0 {
		t.Errorf("%d responses were 5xx: %v", n5, codes)
	}
}

// TestBusyDatabaseIs503: while another process holds the SQLite write lock
// (a long CLI import), writes answer 503 with Retry-After after a bounded
// wait, and reads go on.
func TestBusyDatabaseIs503(t *testing.T) {
	e := newEnv(t, httpapi.Options{}, app.Config{BusyTimeout: 300 * time.Millisecond})
	office := e.login("office")
	db, err := sql.Open("sqlite", filepath.Join(filepath.Dir(e.data), "state.db")+"?_pragma=busy_timeout(100)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	code, body, h := office.req("POST", "/tasks/"+e.east[0]+"/transitions", strings.NewReader(`{"to":"核查中"}`), "application/json")
	if code != 503 || h.Get("Retry-After") == "" || errorCode(t, body) != "busy" {
		t.Errorf("write while locked: %d %s (Retry-After %q), want 503 busy", code, body, h.Get("Retry-After"))
	}
	if code, _ := office.do("GET", "/tasks", ""); code != 200 {
		t.Errorf("read while locked: %d, want 200", code)
	}
	conn.ExecContext(t.Context(), "ROLLBACK")
	conn.Close()
	if code, body := office.do("POST", "/tasks/"+e.east[0]+"/transitions", `{"to":"核查中"}`); code != 200 {
		t.Errorf("after the lock: %d %s", code, body)
	}
}
