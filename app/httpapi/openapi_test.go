package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/weipian/weipian/app"
	"github.com/weipian/weipian/app/fixture"
	"github.com/weipian/weipian/app/httpapi"
)

// TestOpenAPIMatchesTheRoutes loads /openapi.json as a client would,
// validates it, checks that every documented operation is served (no 404
// or 405 from the router), and validates real responses of the API against
// the document's schemas. The server has the console's routes, as `weipian
// serve` wires it: they are documented too.
func TestOpenAPIMatchesTheRoutes(t *testing.T) {
	e := newEnvFor(t, app.Config{}, func(a *app.App) httpapi.Options {
		return httpapi.Options{Extra: httpapi.ConsoleRoutes(app.NewTiles(a, app.TileOptions{}))}
	})
	anon := &client{e: e}
	code, body := anon.do("GET", "/openapi.json", "")
	if code != 200 {
		t.Fatalf("GET /openapi.json: %d", code)
	}
	doc, err := openapi3.NewLoader().LoadFromData(body)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the OpenAPI document is invalid: %v", err)
	}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	admin := e.login("admin")
	// Every documented operation is routed: the mux answers with the
	// handler (any status but the mux's own 404/405 text).
	n := 0
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			n++
			p := strings.NewReplacer("{id}", "nope", "{name}", "nope", "{kind}", "耕地", "{sha256}", "0", "{batch}", "nope", "{date}", "before.png",
				"{z}", "0", "{x}", "0", "{y}", "0.png").Replace(path)
			var rb io.Reader
			ct := ""
			if method == "POST" || method == "PATCH" {
				rb, ct = strings.NewReader("{}"), "application/json"
			}
			code, body, _ := admin.req(method, p, rb, ct)
			if code == 405 || (code == 404 && !json.Valid(body)) {
				t.Errorf("%s %s is documented but not served: %d %s", method, path, code, body)
			}
		}
	}
	if n < 30 {
		t.Errorf("only %d operations documented", n)
	}
	// The console's routes are among them, with their path parameters.
	for _, op := range []struct{ method, path string }{
		{"GET", "/console/vocabulary"}, {"GET", "/tiles/{batch}"}, {"GET", "/tiles/{batch}/{date}/{z}/{x}/{y}"},
		{"GET", "/tubans/{id}/chips/{date}"}, {"POST", "/reconcile/view"}, {"GET", "/xiafa"},
	} {
		item := doc.Paths.Value(op.path)
		if item == nil || item.GetOperation(op.method) == nil {
			t.Errorf("%s %s is served but not documented", op.method, op.path)
		}
	}
	// Real responses conform to the schemas.
	office := e.login("office")
	d := e.eastTuban()
	for _, tc := range []struct {
		c            *client
		method, path string
		body         string
	}{
		{office, "GET", "/tasks", ""}, {office, "GET", "/tasks?state=pending&limit=1", ""}, {office, "GET", "/tasks/" + e.east[0], ""},
		{office, "GET", "/tubans", ""}, {office, "GET", "/tubans/" + d, ""}, {office, "GET", "/batches", ""},
		{office, "GET", "/batches/" + fixture.BatchID, ""}, {office, "GET", "/zones", ""}, {office, "GET", "/teams", ""},
		{office, "GET", "/auth/me", ""}, {office, "GET", "/imagery", ""}, {admin, "GET", "/users", ""}, {admin, "GET", "/audit", ""},
		{office, "POST", "/tasks/" + e.east[0] + "/transitions", `{"to":"核查中"}`},
		{office, "POST", "/tasks/" + e.east[0] + "/transitions", `{"to":"已办结"}`},
		{office, "GET", "/tasks/nope", ""}, {anon, "GET", "/tasks", ""},
		{office, "POST", "/reconcile", `{"batch":"` + fixture.BatchID + `","period":"2026-05"}`},
		{office, "POST", "/reconcile/view", `{"batch":"` + fixture.BatchID + `","period":"2026-05"}`},
		{office, "GET", "/console/vocabulary", ""}, {office, "GET", "/xiafa", ""}, {anon, "GET", "/console/vocabulary", ""},
		{office, "GET", "/tiles/" + fixture.BatchID, ""}, {office, "GET", "/tubans/" + d + "/chips/after.png", ""},
		{office, "GET", "/tiles/" + fixture.BatchID + "/after/12/3348/1693.png", ""},
		{admin, "POST", "/users", `{"name":"new1","password":"` + password + `","roles":["viewer"]}`},
	} {
		req, _ := http.NewRequest(tc.method, e.srv.URL+tc.path, strings.NewReader(tc.body))
		if tc.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if tc.c.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.c.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		rbody, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		route, params, err := router.FindRoute(req)
		if err != nil {
			t.Errorf("%s %s: no documented route: %v", tc.method, tc.path, err)
			continue
		}
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
			Body: io.NopCloser(bytes.NewReader(rbody)), Options: &openapi3filter.Options{IncludeResponseStatus: true}}
		if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
			t.Errorf("%s %s (%d) does not match the document: %v", tc.method, tc.path, resp.StatusCode, firstLine(err.Error()))
		}
	}
}

// TestOpenAPIValidatorBites makes sure the response validation above can
// fail: a body of the wrong shape for GET /tasks is refused.
func TestOpenAPIValidatorBites(t *testing.T) {
	e := newEnv(t, httpapi.Options{}, app.Config{})
	_, body := (&client{e: e}).do("GET", "/openapi.json", "")
	doc, err := openapi3.NewLoader().LoadFromData(body)
	if err != nil {
		t.Fatal(err)
	}
	router, _ := legacy.NewRouter(doc)
	req, _ := http.NewRequest("GET", e.srv.URL+"/tasks", nil)
	route, params, err := router.FindRoute(req)
	if err != nil {
		t.Fatal(err)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route}
	for _, bad := range []string{`{"items": "x", "total": 1}`, `{"items": [{"rank": "first"}], "total": 1}`} {
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: 200,
			Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(bad))}
		if err := openapi3filter.ValidateResponse(context.Background(), out); err == nil {
			t.Errorf("a wrong body passed validation: %s", bad)
		}
	}
}

func firstLine(s string) string {
	if i := strings.Index(s, "\n"); i >= 0 && i < 400 {
		return s[:i]
	}
	return s[:min(len(s), 400)]
}
