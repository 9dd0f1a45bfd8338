package httpapi

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"reflect"
	"regexp"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3gen"
	"github.com/paulmach/orb/geojson"

	"github.com/weipian/weipian/app"
)

// OpenAPI returns the API's OpenAPI 3.0 document, generated from the route
// table that registers the handlers, so the two cannot drift apart.
func (s *Server) OpenAPI() (*openapi3.T, error) {
	doc := &openapi3.T{
		OpenAPI: "3.0.3",
		Info: &openapi3.Info{Title: "weipian 卫片执法 API", Version: "1",
			Description: "Authenticate with POST /auth/login, then send `Authorization: Bearer <token>`. " +
				"Browsers may use the session cookie instead; unsafe methods then need the `X-CSRF-Token` header (csrf_token from the login). " +
				"Errors are `{\"error\": {\"code\", \"message\"}}`; lists are `{\"items\", \"total\", \"limit\", \"offset\"}`."},
		Paths: openapi3.NewPaths(),
		Components: &openapi3.Components{
			Schemas: openapi3.Schemas{},
			SecuritySchemes: openapi3.SecuritySchemes{
				"bearer": &openapi3.SecuritySchemeRef{Value: openapi3.NewJWTSecurityScheme().WithBearerFormat("opaque")},
				"cookie": &openapi3.SecuritySchemeRef{Value: openapi3.NewSecurityScheme().WithType("apiKey").WithIn("cookie").WithName(sessionCookie)},
			},
		},
		Security: openapi3.SecurityRequirements{{"bearer": {}}, {"cookie": {}}},
	}
	gen := openapi3gen.NewGenerator(openapi3gen.SchemaCustomizer(customizeSchema))
	schema := func(v any) (*openapi3.SchemaRef, error) {
		return gen.NewSchemaRefForValue(v, doc.Components.Schemas)
	}
	errSchema, err := schema(ErrorBody{})
	if err != nil {
		return nil, err
	}
	pathParam := regexp.MustCompile(`\{([a-z0-9_]+)\}`)
	for _, rt := range s.routes {
		op := &openapi3.Operation{Summary: rt.Summary, Tags: []string{rt.Tag},
			OperationID: strings.ToLower(rt.Method) + strings.NewReplacer("/", "_", "{", "", "}", "", ".", "_").Replace(rt.Path),
			Responses:   openapi3.NewResponses()}
		if rt.Public {
			op.Security = &openapi3.SecurityRequirements{}
		}
		for _, m := range pathParam.FindAllStringSubmatch(rt.Path, -1) {
			p := openapi3.NewPathParameter(m[1]).WithSchema(openapi3.NewStringSchema())
			for _, d := range rt.Params {
				if d[0] == m[1] {
					p = p.WithDescription(d[1]).WithSchema(openapi3.NewStringSchema().WithPattern(d[2]))
				}
			}
			op.AddParameter(p)
		}
		for _, q := range rt.Query {
			op.AddParameter(openapi3.NewQueryParameter(q[0]).WithDescription(q[1]).WithSchema(openapi3.NewStringSchema()))
		}
		if rt.Request != nil {
			sr, err := schema(rt.Request)
			if err != nil {
				return nil, fmt.Errorf("%s %s request: %w", rt.Method, rt.Path, err)
			}
			op.RequestBody = &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().WithRequired(true).WithJSONSchemaRef(sr)}
		} else if rt.Upload {
			op.RequestBody = &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().WithRequired(true).
				WithContent(openapi3.NewContentWithFormDataSchema(openapi3.NewObjectSchema()))}
		}
		ok := openapi3.NewResponse().WithDescription("OK")
		switch {
		case rt.Response != nil:
			sr, err := schema(rt.Response)
			if err != nil {
				return nil, fmt.Errorf("%s %s response: %w", rt.Method, rt.Path, err)
			}
			ok.WithJSONSchemaRef(sr)
		case rt.ResponseType != "":
			ok.WithContent(openapi3.Content{rt.ResponseType: openapi3.NewMediaType().WithSchema(openapi3.NewStringSchema().WithFormat("binary"))})
		}
		okCode := 200
		if rt.Method == "POST" && (rt.Path == "/batches" || rt.Path == "/xiafa" || rt.Path == "/imagery" || rt.Path == "/users" || strings.HasPrefix(rt.Path, "/zones/")) {
			op.AddResponse(201, openapi3.NewResponse().WithDescription("Created").WithContent(ok.Content))
		}
		op.AddResponse(okCode, ok)
		for _, c := range []int{400, 401, 403, 404, 409, 413, 429, 500, 503} {
			if rt.Public && (c == 401 || c == 403) {
				continue
			}
			op.AddResponse(c, openapi3.NewResponse().WithDescription(http.StatusText(c)).WithJSONSchemaRef(errSchema))
		}
		doc.AddOperation(rt.Path, rt.Method, op)
	}
	return doc, nil
}

// customizeSchema marks pointer fields nullable and describes GeoJSON
// geometries as objects.
func customizeSchema(name string, t reflect.Type, tag reflect.StructTag, schema *openapi3.Schema) error {
	if t == reflect.TypeOf(geojson.Geometry{}) || t == reflect.TypeOf(&geojson.Geometry{}) {
		*schema = *openapi3.NewObjectSchema().WithAnyAdditionalProperties()
		schema.Description = "GeoJSON geometry (WGS84)"
		schema.Nullable = t.Kind() == reflect.Pointer
		return nil
	}
	if t.Kind() == reflect.Pointer {
		schema.Nullable = true
	}
	if strings.Contains(tag.Get("json"), "omitzero") || strings.Contains(tag.Get("json"), "omitempty") {
		return nil
	}
	return nil
}

func (s *Server) openapiDoc(w http.ResponseWriter, r *http.Request, _ app.Principal) error {
	s.openapiOnce.Do(func() {
		doc, err := s.OpenAPI()
		if err != nil {
			s.openapiErr = err
			return
		}
		s.openapiJSON, s.openapiErr = json.MarshalIndent(doc, "", "  ")
	})
	if s.openapiErr != nil {
		return s.openapiErr
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(s.openapiJSON)
	return nil
}

// docs is a plain HTML index of the routes (the console has the full UI).
func (s *Server) docs(w http.ResponseWriter, r *http.Request, _ app.Principal) error {
	var b strings.Builder
	b.WriteString(`<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>weipian API</title>
<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em}td{padding:.2em .6em;vertical-align:top}code{white-space:nowrap}</style>
<h1>weipian 卫片执法 API</h1><p>机器可读文档：<a href="/openapi.json">/openapi.json</a>（OpenAPI 3）。先 <code>POST /auth/login</code> 取得令牌，再以 <code>Authorization: Bearer …</code> 调用。</p><table>`)
	for _, rt := range s.routes {
		auth := "需登录"
		if rt.Public {
			auth = "公开"
		}
		fmt.Fprintf(&b, "<tr><td><code>%s %s</code></td><td>%s</td><td>%s</td></tr>\n", rt.Method, html.EscapeString(rt.Path), html.EscapeString(rt.Summary), auth)
	}
	b.WriteString("</table></html>\n")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write([]byte(b.String()))
	return nil
}
