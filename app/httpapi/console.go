package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/weipian/weipian/app"
	"github.com/weipian/weipian/tiles/xyz"
)

// ConsoleRoutes returns the routes the web console needs beyond the API's
// table, for Options.Extra: its vocabulary, the map tiles of a batch's
// imagery, a 图斑's image chips and the reconciliation as a table. All
// need a login, and all are in /openapi.json.
//
//	GET  /console/vocabulary                       codes and labels, task steps
//	GET  /tiles/{batch}                            bounds, zoom range, dates (TileInfo)
//	GET  /tiles/{batch}/{date}/{z}/{x}/{y}.png     XYZ tile (date: before|after)
//	GET  /tubans/{id}/chips/{date}.png             image chip of a 图斑
//
// The mux matches a whole path segment, so {y} and {date} of the last two
// hold the ".png" (the documents say so by the parameters' patterns).
//
//	POST /reconcile/view                           reconcile; per-zone figures and 巡查应发现而未发现 as JSON
func ConsoleRoutes(t *app.Tiles) func(s *Server, mux *http.ServeMux) {
	return func(s *Server, _ *http.ServeMux) {
		s.register(s.consoleRoutes(t)...)
	}
}

func (s *Server) consoleRoutes(t *app.Tiles) []route {
	return []route{
		{Method: "GET", Path: "/console/vocabulary", Tag: "console", Summary: "控制台词表：各代码的中文名称、任务流转步骤、核实认定意见、举证照片类型、导出格式",
			Response: app.Vocabulary{}, Handler: func(w http.ResponseWriter, r *http.Request, p app.Principal) error {
				writeJSON(w, http.StatusOK, app.ConsoleVocabulary())
				return nil
			}},
		{Method: "GET", Path: "/tiles/{batch}", Tag: "console", Summary: "批次影像瓦片信息：范围（WGS84）、缩放级别、前后时相日期",
			Response: app.TileInfo{}, Handler: func(w http.ResponseWriter, r *http.Request, p app.Principal) error {
				return reply(w, http.StatusOK)(t.Info(r.Context(), p, r.PathValue("batch")))
			}},
		{Method: "GET", Path: "/tiles/{batch}/{date}/{z}/{x}/{y}", Tag: "console", Params: tileParams,
			Summary:      "批次影像 XYZ 瓦片（Web 墨卡托，256×256 PNG；date 为 before 前时相或 after 后时相；支持 If-None-Match）",
			ResponseType: "image/png", Handler: func(w http.ResponseWriter, r *http.Request, p app.Principal) error {
				return s.tile(t, w, r, p)
			}},
		{Method: "GET", Path: "/tubans/{id}/chips/{date}", Tag: "console", Params: [][3]string{{"date", "before.png（前时相）或 after.png（后时相）", `^(before|after)\.png$`}},
			Summary: "图斑影像切片（date 为 before 或 after），标注监测编号、日期与坐标", ResponseType: "image/png", Handler: s.chip},
		{Method: "POST", Path: "/reconcile/view", Tag: "console", Summary: "对账结果表：各巡查区的频次、发现率与巡查应发现而未发现的图斑",
			Request: ReconcileRequest{}, Response: app.ReconcileView{}, Handler: s.reconcileView},
	}
}

var tileParams = [][3]string{{"date", "before（前时相）或 after（后时相）", "^(before|after)$"}, {"z", "缩放级别", "^[0-9]+$"},
	{"x", "列号", "^[0-9]+$"}, {"y", "行号加 .png，如 1693.png", `^[0-9]+\.png$`}}

// tileCoords parses date, z, x and y ("y.png") of a tile request.
func tileCoords(r *http.Request) (xyz.Date, [3]int, error) {
	var zxy [3]int
	d, err := xyz.ParseDate(r.PathValue("date"))
	if err != nil {
		return d, zxy, &app.Error{Kind: app.KindInvalid, Message: "时相应为 before（前时相）或 after（后时相）"}
	}
	ys, ok := strings.CutSuffix(r.PathValue("y"), ".png")
	if !ok {
		return d, zxy, &app.Error{Kind: app.KindNotFound, Message: "瓦片应为 {z}/{x}/{y}.png"}
	}
	for i, v := range []string{r.PathValue("z"), r.PathValue("x"), ys} {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 1<<30 {
			return d, zxy, &app.Error{Kind: app.KindInvalid, Message: "瓦片坐标 z/x/y 应为非负整数"}
		}
		zxy[i] = n
	}
	return d, zxy, nil
}

func (s *Server) tile(t *app.Tiles, w http.ResponseWriter, r *http.Request, p app.Principal) error {
	d, c, err := tileCoords(r)
	if err != nil {
		return err
	}
	batch := r.PathValue("batch")
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		etag, err := t.TileETag(r.Context(), p, batch, d, c[0], c[1], c[2])
		if err != nil {
			return err
		}
		if etagMatch(inm, etag) {
			w.Header().Set("ETag", etag)
			w.Header().Set("Cache-Control", "private, max-age=3600")
			w.WriteHeader(http.StatusNotModified)
			return nil
		}
	}
	tile, err := t.Tile(r.Context(), p, batch, d, c[0], c[1], c[2])
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "image/png")
	h.Set("ETag", tile.ETag)
	h.Set("Cache-Control", "private, max-age=3600")
	data := tile.PNG
	if tile.Blank {
		h.Set("X-Tile-Blank", "1")
		data = xyz.BlankPNG
	}
	h.Set("Content-Length", strconv.Itoa(len(data)))
	w.Write(data)
	return nil
}

// etagMatch reports whether an If-None-Match header lists etag.
func etagMatch(header, etag string) bool {
	for _, v := range strings.Split(header, ",") {
		v = strings.TrimPrefix(strings.TrimSpace(v), "W/")
		if v == etag || v == "*" {
			return true
		}
	}
	return false
}

func (s *Server) chip(w http.ResponseWriter, r *http.Request, p app.Principal) error {
	name, ok := strings.CutSuffix(r.PathValue("date"), ".png")
	if !ok {
		return &app.Error{Kind: app.KindNotFound, Message: "切片应为 before.png 或 after.png"}
	}
	d, err := xyz.ParseDate(name)
	if err != nil {
		return &app.Error{Kind: app.KindInvalid, Message: "时相应为 before（前时相）或 after（后时相）"}
	}
	before, after, err := s.app.TubanChips(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	data := before
	if d == xyz.After {
		data = after
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, max-age=600")
	w.Write(data)
	return nil
}

func (s *Server) reconcileView(w http.ResponseWriter, r *http.Request, p app.Principal) error {
	var req ReconcileRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Batch == "" {
		return &app.Error{Kind: app.KindInvalid, Message: "缺少批次 batch"}
	}
	rec, err := s.app.Reconcile(r.Context(), p, req.Batch, req.Period)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rec.View())
	return nil
}
