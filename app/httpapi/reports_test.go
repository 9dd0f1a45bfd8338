package httpapi_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/weipian/weipian/app"
	"github.com/weipian/weipian/app/httpapi"
)

// TestReports: GET /reports in each format, and its refusals.
func TestReports(t *testing.T) {
	e := newEnv(t, httpapi.Options{}, app.Config{Report: app.ReportConfig{Unit: "测试县自然资源局"}})
	office := e.login("office")
	code, body, _ := office.req("GET", "/reports?period=2026-Q2", nil, "")
	var r app.ReportJSON
	if code != 200 || json.Unmarshal(body, &r) != nil || r.Period != "2026-Q2" || r.Meta.Unit != "测试县自然资源局" || r.Report.Total.Total.N != 3 {
		t.Fatalf("json: %d %s", code, body[:min(300, len(body))])
	}
	code, body, h := office.req("GET", "/reports?period=2026&format=xlsx", nil, "")
	if code != 200 || h.Get("Content-Type") != app.ReportContentTypes["xlsx"] || !strings.Contains(h.Get("Content-Disposition"), "attachment") {
		t.Fatalf("xlsx: %d %v", code, h)
	}
	if f, err := excelize.OpenReader(bytes.NewReader(body)); err != nil || len(f.GetSheetList()) != 11 {
		t.Errorf("xlsx: %v, want the 11 sheets (说明, 表1-1…表6 with 表4-2)", err)
		if err == nil {
			t.Errorf("sheets: %v", f.GetSheetList())
		}
	}
	code, body, h = e.login("viewer").req("GET", "/reports?period=2026-05&format=html", nil, "")
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") || !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") ||
		!bytes.Contains(body, []byte("2026年5月卫片执法统计报表（月报）")) {
		t.Errorf("html: %d %v", code, h)
	}
	for _, tc := range []struct {
		c    *client
		path string
		want int
	}{
		{e.login("wang"), "/reports?period=2026", 403},
		{&client{e: e}, "/reports?period=2026", 401},
		{office, "/reports", 400},
		{office, "/reports?period=2026-13", 400},
		{office, "/reports?period=2026&format=doc", 400},
		{office, "/reports?period=2026&batch=nope", 404},
	} {
		if code, body := tc.c.do("GET", tc.path, ""); code != tc.want || !json.Valid(body) {
			t.Errorf("GET %s: %d %s, want %d", tc.path, code, body, tc.want)
		}
	}
}
