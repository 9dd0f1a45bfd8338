package httpapi

import (
	"bytes"
	"net/http"
	"slices"
	"strings"

	"github.com/weipian/weipian/app"
)

// reportRoutes are the routes of the statistics reports.
func (s *Server) reportRoutes() []route {
	return []route{
		{Method: "GET", Path: "/reports", Tag: "reports", Summary: "卫片执法统计报表（月报、季报、年报）：format=json（默认）、xlsx、html 或 pdf",
			Query: [][2]string{{"period", "统计期：2026（年报）、2026-Q2（季报）或 2026-05（月报）"}, {"region", "行政区代码（县或乡镇）前缀"},
				{"batch", "只统计这些批次的图斑（可重复）"}, {"as_of", "截至日期 YYYY-MM-DD（默认统计期末，统计期未结束时为今天）"},
				{"format", "json、xlsx、html 或 pdf"}},
			Response: app.ReportJSON{}, Handler: s.report},
	}
}

func (s *Server) report(w http.ResponseWriter, r *http.Request, p app.Principal) error {
	q := r.URL.Query()
	format := strings.ToLower(q.Get("format"))
	if format == "" {
		format = "json"
	}
	if !slices.Contains(app.ReportFormats, format) {
		return &app.Error{Kind: app.KindInvalid, Message: "参数 format=" + q.Get("format") + "：应为 " + strings.Join(app.ReportFormats, "、")}
	}
	doc, err := s.app.Report(r.Context(), p, app.ReportRequest{Period: q.Get("period"), Region: q.Get("region"), Batches: q["batch"], AsOf: q.Get("as_of")})
	if err != nil {
		return err
	}
	// Made whole before anything is sent, so that a failure is an error
	// response, not a cut file.
	var buf bytes.Buffer
	if err := s.app.WriteReport(r.Context(), &buf, doc, format); err != nil {
		return err
	}
	w.Header().Set("Content-Type", app.ReportContentTypes[format])
	if format != "json" {
		w.Header().Set("Content-Disposition", attachment(doc.FileBase()+"."+format))
	}
	if format == "html" {
		// The page is self-contained: no script, no outside resource.
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
	}
	_, err = w.Write(buf.Bytes())
	return ignoreWriteErr(err)
}
