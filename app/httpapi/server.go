// Package httpapi is weipian's HTTP API: a thin adapter over package app.
// Requests are authenticated (a bearer token, or a session cookie with a
// CSRF header for unsafe methods), bodies are bounded in size and in time,
// errors are JSON with an English code and a zh-CN message, and the routes
// are described by an OpenAPI document generated from the same table that
// registers them (/openapi.json).
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/weipian/weipian/app"
)

// Options configure the API. Zero values are the documented defaults.
type Options struct {
	// MaxJSONBytes bounds a JSON request body (0 = 1 MiB).
	MaxJSONBytes int64
	// MaxUploadBytes bounds an upload of zone layers or ledgers (0 = 256 MiB).
	MaxUploadBytes int64
	// BodyTimeout is how long a client may take to send a JSON body
	// (0 = 30 s); UploadTimeout the same for uploads (0 = 10 min).
	BodyTimeout, UploadTimeout time.Duration
	// TrustProxy takes the client address from X-Forwarded-For and the
	// scheme from X-Forwarded-Proto (behind a reverse proxy only).
	TrustProxy bool
	// Console serves the web console at / (nil: none).
	Console http.Handler
	// Extra registers further routes (e.g. the console's, ConsoleRoutes):
	// routes added with Server.register are documented in /openapi.json
	// like the API's own; handlers put on the mux directly (with
	// Server.Authed) are not.
	Extra func(s *Server, mux *http.ServeMux)
	// Log receives request errors (nil: slog.Default()).
	Log *slog.Logger
}

// Server is the HTTP API over an App. It is an http.Handler, safe for
// concurrent use.
type Server struct {
	app    *app.App
	opt    Options
	mux    *http.ServeMux
	routes []route
	log    *slog.Logger
	reqID  atomic.Uint64

	// The OpenAPI document, made on first request (all routes are
	// registered by then).
	openapiOnce sync.Once
	openapiJSON []byte
	openapiErr  error
}

// New returns the API of a. The caller serves it with an http.Server whose
// ReadHeaderTimeout is set (see NewHTTPServer).
func New(a *app.App, opt Options) *Server {
	if opt.MaxJSONBytes <= 0 {
		opt.MaxJSONBytes = 1 << 20
	}
	if opt.MaxUploadBytes <= 0 {
		opt.MaxUploadBytes = 256 << 20
	}
	if opt.BodyTimeout <= 0 {
		opt.BodyTimeout = 30 * time.Second
	}
	if opt.UploadTimeout <= 0 {
		opt.UploadTimeout = 10 * time.Minute
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	s := &Server{app: a, opt: opt, mux: http.NewServeMux(), log: opt.Log}
	s.register(s.table()...)
	s.register(s.reportRoutes()...)
	s.register(s.xiafaRoutes()...)
	if opt.Extra != nil {
		opt.Extra(s, s.mux)
	}
	if opt.Console != nil {
		s.mux.Handle("GET /", opt.Console)
	} else {
		s.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/docs", http.StatusFound)
		})
	}
	return s
}

// NewHTTPServer returns an http.Server for h with the timeouts a server on
// a bureau's network needs: headers within 10 s, idle connections closed
// after 2 minutes, headers at most 64 KiB. Body deadlines are set per route.
func NewHTTPServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic in handler", "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
			writeError(w, &app.Error{Kind: app.KindInternal, Message: "内部错误（internal error）"})
		}
	}()
	s.mux.ServeHTTP(w, r)
}

// register serves routes and documents them.
func (s *Server) register(rts ...route) {
	for _, rt := range rts {
		s.mux.Handle(rt.Method+" "+rt.Path, s.wrap(rt))
		s.routes = append(s.routes, rt)
	}
}

// route is one endpoint: how it is registered, documented and called.
type route struct {
	Method, Path string
	// Params describe path parameters that need it: name, description
	// and the pattern of the value (e.g. a tile row with its .png).
	Params  [][3]string
	Summary string
	Tag     string
	// Public routes need no login.
	Public bool
	// Upload routes get the upload size and time limits.
	Upload bool
	// Query lists the query parameters (name: description).
	Query [][2]string
	// Request and Response are example values of the JSON bodies, for
	// the OpenAPI schemas (nil: none, or not JSON).
	Request, Response any
	// ResponseType is the content type of a non-JSON response.
	ResponseType string
	Handler      func(w http.ResponseWriter, r *http.Request, p app.Principal) error
}

// principalKey carries the authenticated principal in a request's context.
type principalKey struct{}

// sessionCookie is the cookie of the web console's session.
const sessionCookie = "weipian_session"

// clientAddr is the request's client address.
func (s *Server) clientAddr(r *http.Request) string {
	if s.opt.TrustProxy {
		if f := r.Header.Get("X-Forwarded-For"); f != "" {
			return strings.TrimSpace(strings.Split(f, ",")[0])
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// authenticate returns the request's principal: a bearer token, or the
// session cookie (then unsafe methods need the session's X-CSRF-Token).
func (s *Server) authenticate(r *http.Request) (app.Principal, error) {
	tok, cookie := "", false
	if h := r.Header.Get("Authorization"); h != "" {
		t, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return app.Principal{}, app.ErrUnauthenticated
		}
		tok = strings.TrimSpace(t)
	} else if c, err := r.Cookie(sessionCookie); err == nil {
		tok, cookie = c.Value, true
	}
	if tok == "" {
		return app.Principal{}, app.ErrUnauthenticated
	}
	p, csrf, err := s.app.Authenticate(r.Context(), tok, s.clientAddr(r))
	if err != nil {
		return p, err
	}
	if cookie && r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodOptions {
		if !app.CheckCSRF(csrf, r.Header.Get("X-CSRF-Token")) {
			return app.Principal{}, &app.Error{Kind: app.KindForbidden, Message: "缺少或错误的 X-CSRF-Token（CSRF check failed）"}
		}
	}
	return p, nil
}

// Authed wraps a handler of further routes (Options.Extra) with the API's
// authentication and error handling.
func (s *Server) Authed(h func(w http.ResponseWriter, r *http.Request, p app.Principal) error) http.Handler {
	return s.wrap(route{Handler: h})
}

// wrap applies a route's authentication, limits and error mapping.
func (s *Server) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := s.reqID.Add(1)
		w.Header().Set("X-Request-Id", strconv.FormatUint(id, 10))
		limit, timeout := s.opt.MaxJSONBytes, s.opt.BodyTimeout
		if rt.Upload {
			limit, timeout = s.opt.MaxUploadBytes, s.opt.UploadTimeout
		}
		// The body must arrive in time: a client that promises a body
		// and never sends it is cut off.
		rc := http.NewResponseController(w)
		_ = rc.SetReadDeadline(time.Now().Add(timeout))
		if r.ContentLength > limit {
			writeError(w, &app.Error{Kind: app.KindTooLarge, Message: fmt.Sprintf("请求体超过上限 %d MiB（too large）", limit>>20)})
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		var p app.Principal
		if !rt.Public {
			var err error
			if p, err = s.authenticate(r); err != nil {
				s.fail(w, r, id, err)
				return
			}
			r = r.WithContext(context.WithValue(r.Context(), principalKey{}, p))
		} else {
			p = app.Principal{Source: "http", Addr: s.clientAddr(r)}
		}
		if err := rt.Handler(w, r, p); err != nil {
			s.fail(w, r, id, err)
		}
	})
}

// fail writes an error response; internal errors are logged with the
// request ID, never shown.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, id uint64, err error) {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		err = &app.Error{Kind: app.KindTooLarge, Message: fmt.Sprintf("请求体超过上限 %d MiB（too large）", mbe.Limit>>20)}
	case isTimeout(err):
		err = &app.Error{Kind: app.KindInvalid, Message: "请求体发送超时（request body timeout）"}
	}
	k := app.KindOf(err)
	if k == app.KindInternal {
		s.log.Error("request failed", "id", id, "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeError(w, err)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// statusOf maps an error kind to its HTTP status.
func statusOf(k app.Kind) int {
	return map[app.Kind]int{
		app.KindInternal: http.StatusInternalServerError, app.KindInvalid: http.StatusBadRequest,
		app.KindUnauthenticated: http.StatusUnauthorized, app.KindForbidden: http.StatusForbidden,
		app.KindNotFound: http.StatusNotFound, app.KindConflict: http.StatusConflict,
		app.KindTooLarge: http.StatusRequestEntityTooLarge, app.KindRateLimited: http.StatusTooManyRequests,
		app.KindBusy: http.StatusServiceUnavailable,
	}[k]
}

// ErrorBody is the body of every error response.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is an error's English code and zh-CN message.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func writeError(w http.ResponseWriter, err error) {
	k := app.KindOf(err)
	switch k {
	case app.KindBusy:
		after := 5 * time.Second
		var ra interface{ RetryAfter() time.Duration }
		if errors.As(err, &ra) && ra.RetryAfter() > 0 {
			after = ra.RetryAfter()
		}
		w.Header().Set("Retry-After", strconv.Itoa(int(after.Seconds()+0.5)))
	case app.KindUnauthenticated:
		w.Header().Set("WWW-Authenticate", `Bearer realm="weipian"`)
	}
	writeJSON(w, statusOf(k), ErrorBody{Error: ErrorDetail{Code: k.Code(), Message: app.PublicMessage(err)}})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// decode reads a JSON body into v, refusing unknown fields and trailing data.
func decode(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return &app.Error{Kind: app.KindInvalid, Message: "请求体应为 JSON（Content-Type: application/json）"}
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) || isTimeout(err) {
			return err
		}
		return &app.Error{Kind: app.KindInvalid, Message: "请求体不是有效的 JSON：" + strings.TrimPrefix(err.Error(), "json: ")}
	}
	if dec.More() {
		return &app.Error{Kind: app.KindInvalid, Message: "请求体在 JSON 之后还有内容"}
	}
	return nil
}

// queryInt reads an integer query parameter within [lo, hi] (def if absent).
func queryInt(r *http.Request, name string, def, lo, hi int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, &app.Error{Kind: app.KindInvalid, Message: fmt.Sprintf("参数 %s=%q：应为 %d–%d 的整数", name, v, lo, hi)}
	}
	return n, nil
}

func queryBool(r *http.Request, name string) (bool, error) {
	switch v := r.URL.Query().Get(name); v {
	case "", "0", "false":
		return false, nil
	case "1", "true":
		return true, nil
	default:
		return false, &app.Error{Kind: app.KindInvalid, Message: fmt.Sprintf("参数 %s=%q：应为 true 或 false", name, v)}
	}
}

// page reads limit and offset.
func page(r *http.Request) (app.Page, error) {
	l, err := queryInt(r, "limit", 100, 1, app.MaxPageLimit)
	if err != nil {
		return app.Page{}, err
	}
	o, err := queryInt(r, "offset", 0, 0, 1<<30)
	return app.Page{Limit: l, Offset: o}, err
}
