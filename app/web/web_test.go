package web

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func get(t *testing.T, h http.Handler, path string, hdr ...string) *http.Response {
	t.Helper()
	r := httptest.NewRequest("GET", path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

func body(t *testing.T, r *http.Response) string {
	t.Helper()
	rd := io.Reader(r.Body)
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			t.Fatal(err)
		}
		rd = zr
	}
	b, err := io.ReadAll(rd)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A binary built before `make web` says so at /, and the API's clients get
// JSON 404s for other paths.
func TestNotBuilt(t *testing.T) {
	h := handler(load(fstest.MapFS{".gitkeep": {}}))
	r := get(t, h, "/")
	if b := body(t, r); r.StatusCode != http.StatusServiceUnavailable || !strings.Contains(b, "控制台未构建：运行 make web") {
		t.Errorf("/ without a build: %d %q", r.StatusCode, b)
	}
	r = get(t, h, "/no-such-route")
	if b := body(t, r); r.StatusCode != http.StatusNotFound || !strings.Contains(b, `"code":"not_found"`) {
		t.Errorf("/no-such-route: %d %q, want a JSON 404", r.StatusCode, b)
	}
}

func TestServesBuild(t *testing.T) {
	js := strings.Repeat("console.log('卫片执法');\n", 200)
	h := handler(load(fstest.MapFS{
		"index.html":    {Data: []byte("<!doctype html><title>卫片执法</title>")},
		"assets/app.js": {Data: []byte(js)},
		".gitkeep":      {},
	}))
	r := get(t, h, "/")
	if r.StatusCode != 200 || !strings.Contains(body(t, r), "卫片执法") {
		t.Fatalf("/: %d", r.StatusCode)
	}
	csp := r.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "connect-src 'self'") || strings.Contains(csp, "http") {
		t.Errorf("CSP %q: want everything from weipian only", csp)
	}
	r = get(t, h, "/assets/app.js", "Accept-Encoding", "gzip")
	etag := r.Header.Get("ETag")
	if r.StatusCode != 200 || r.Header.Get("Content-Encoding") != "gzip" || body(t, r) != js || etag == "" {
		t.Errorf("app.js: %d, encoding %q, etag %q", r.StatusCode, r.Header.Get("Content-Encoding"), etag)
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/javascript") {
		t.Errorf("app.js type %q", r.Header.Get("Content-Type"))
	}
	r = get(t, h, "/assets/app.js", "If-None-Match", etag)
	if r.StatusCode != http.StatusNotModified {
		t.Errorf("app.js with its ETag: %d, want 304", r.StatusCode)
	}
	for _, p := range []string{"/assets/missing.js", "/.gitkeep", "/assets/../index.html", "/tasks"} {
		if r := get(t, h, p); r.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, r.StatusCode)
		}
	}
}
