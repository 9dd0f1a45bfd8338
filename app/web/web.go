// Package web embeds the web console (卫片执法控制台) and serves it: the
// built single-page app (app/web/dist, made from app/web/src by `make web`
// with esbuild and OpenLayers from npm) is compiled into the binary, so a
// bureau's server needs no network access and the browser loads nothing from
// outside weipian (a Content-Security-Policy says so).
//
// The checkout holds no build output: dist/ has only a placeholder, so
// `go build ./...` and `go vet ./...` work before the web build, and the
// console then answers "控制台未构建：运行 make web".
package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

//go:embed all:dist
var dist embed.FS

// CSP is the console's Content-Security-Policy: scripts, styles, images,
// fonts and requests only from weipian itself (styles may be set inline by
// the map library; images may be data: and blob: URLs made in the page).
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
	"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// asset is one file of the console, with its ETag and a gzip copy when that
// is smaller.
type asset struct {
	data, gz []byte
	etag     string
	ctype    string
}

var (
	loadOnce sync.Once
	embedded map[string]*asset
)

func loadEmbedded() {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		embedded = map[string]*asset{}
		return
	}
	embedded = load(sub)
}

// load reads the console's files from fsys, keyed by their URL path.
func load(sub fs.FS) map[string]*asset {
	assets := map[string]*asset{}
	fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(path.Base(p), ".") {
			return nil
		}
		data, err := fs.ReadFile(sub, p)
		if err != nil {
			return nil
		}
		sum := sha256.Sum256(data)
		a := &asset{data: data, etag: `"` + hex.EncodeToString(sum[:8]) + `"`, ctype: contentType(p)}
		if strings.HasPrefix(a.ctype, "text/") || strings.Contains(a.ctype, "javascript") || strings.Contains(a.ctype, "json") {
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
			zw.Write(data)
			zw.Close()
			if buf.Len() < len(data) {
				a.gz = buf.Bytes()
			}
		}
		assets["/"+p] = a
		return nil
	})
	return assets
}

func contentType(p string) string {
	switch path.Ext(p) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".txt", ".md":
		return "text/plain; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	case ".json":
		return "application/json"
	}
	return "application/octet-stream"
}

// Built reports whether the console's assets were built into the binary.
func Built() bool {
	loadOnce.Do(loadEmbedded)
	return embedded["/index.html"] != nil
}

// notBuilt is the page served when the binary holds no console.
const notBuilt = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>卫片执法</title></head>
<body style="font-family:sans-serif;padding:2rem"><h1>控制台未构建：运行 make web</h1>
<p>This weipian binary was built without the web console. Run <code>make web</code> (or <code>make build</code>) and rebuild.
The HTTP API works: see <a href="/docs">/docs</a>.</p></body></html>`

// Handler serves the console: "/" is the app (index.html), "/assets/…" its
// files, revalidated by ETag. Other paths are 404 with the API's JSON
// error body, so that a client asking for a route this server lacks gets
// an answer it can read.
func Handler() http.Handler {
	loadOnce.Do(loadEmbedded)
	return handler(embedded)
}

func handler(assets map[string]*asset) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		p := r.URL.Path
		if p == "/" || p == "/index.html" {
			h.Set("Content-Security-Policy", CSP)
			a := assets["/index.html"]
			if a == nil {
				h.Set("Content-Type", "text/html; charset=utf-8")
				h.Set("Cache-Control", "no-store")
				w.WriteHeader(http.StatusServiceUnavailable)
				w.Write([]byte(notBuilt))
				return
			}
			serve(w, r, a)
			return
		}
		if a := assets[p]; a != nil && strings.HasPrefix(p, "/assets/") {
			serve(w, r, a)
			return
		}
		h.Set("Content-Type", "application/json; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"error":{"code":"not_found","message":"路径不存在（not found）"}}` + "\n"))
	})
}

func serve(w http.ResponseWriter, r *http.Request, a *asset) {
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("ETag", a.etag)
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Add("Vary", "Accept-Encoding")
	data := a.data
	if a.gz != nil && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		h.Set("Content-Encoding", "gzip")
		data = a.gz
	}
	// ServeContent answers If-None-Match with 304 from the ETag header.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
}
