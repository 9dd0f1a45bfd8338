package httpapi

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/paulmach/orb/geojson"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/weipian/weipian/app"
	"github.com/weipian/weipian/casework"
	"github.com/weipian/weipian/export"
	"github.com/weipian/weipian/pipeline"
)

// Request and response bodies of the routes (the OpenAPI schemas derive
// from them).
type (
	// LoginRequest logs in.
	LoginRequest struct {
		Name     string `json:"name"`
		Password string `json:"password"`
	}
	// PasswordRequest changes the caller's own password.
	PasswordRequest struct {
		Password string `json:"password"`
	}
	// Me is the logged-in user and what they may do.
	Me struct {
		User    string      `json:"user"`
		Display string      `json:"display"`
		Roles   []app.Coded `json:"roles"`
		Team    string      `json:"team"`
		Can     []string    `json:"can"`
	}
	// ImageryRequest registers an object as imagery.
	ImageryRequest struct {
		URI  string `json:"uri"`
		Name string `json:"name"`
	}
	// BatchRequest submits a batch.
	BatchRequest struct {
		Name     string   `json:"name"`
		Region   string   `json:"region"`
		Before   string   `json:"before"`
		After    string   `json:"after"`
		Bands    []string `json:"bands"`
		MMU      float64  `json:"mmu_m2"`
		TileSize int      `json:"tile_size"`
	}
	// BatchCreated is a submitted batch.
	BatchCreated struct {
		Batch   pipeline.Batch `json:"batch"`
		Created bool           `json:"created"`
	}
	// TransitionRequest moves a task on; fields take codes or zh-CN labels.
	TransitionRequest struct {
		To            string `json:"to"`
		From          string `json:"from"`
		Reason        string `json:"reason"`
		Verdict       string `json:"verdict"`
		ViolationType string `json:"violation_type"`
		ApprovalNo    string `json:"approval_no"`
		Rectification string `json:"rectification"`
		CaseNo        string `json:"case_no"`
	}
	// EvidenceResponse is the check of each uploaded photo and the task.
	EvidenceResponse struct {
		Photos []app.EvidenceResult `json:"photos"`
		Task   app.TaskView         `json:"task"`
	}
	// UserRequest adds a user.
	UserRequest struct {
		Name     string     `json:"name"`
		Display  string     `json:"display"`
		Password string     `json:"password"`
		Roles    []app.Role `json:"roles"`
		Team     string     `json:"team"`
	}
	// UserPatch changes a user; absent fields are left as they are.
	UserPatch struct {
		Display  *string    `json:"display,omitempty"`
		Password *string    `json:"password,omitempty"`
		Disabled *bool      `json:"disabled,omitempty"`
		Roles    []app.Role `json:"roles,omitempty"`
		Team     *string    `json:"team,omitempty"`
	}
	// ZoneLayerView is one version of a zone layer.
	ZoneLayerView struct {
		Kind       app.Coded         `json:"kind"`
		Version    int               `json:"version"`
		Name       string            `json:"name"`
		Source     string            `json:"source"`
		ImportedAt time.Time         `json:"imported_at"`
		Features   int               `json:"features"`
		Active     bool              `json:"active"`
		Fields     map[string]string `json:"fields"`
		Warnings   int               `json:"warnings"`
		Skipped    int               `json:"skipped"`
	}
	// ZoneProblemView is a problem of a zone import.
	ZoneProblemView struct {
		FeatureID int64  `json:"feature_id"`
		Field     string `json:"field"`
		Value     string `json:"value"`
		Problem   string `json:"problem"`
		Warning   bool   `json:"warning"`
	}
	// ZoneImportResponse is what a zone import did, or why it was refused.
	ZoneImportResponse struct {
		Imported bool              `json:"imported"`
		Layer    ZoneLayerView     `json:"layer"`
		Problems []ZoneProblemView `json:"problems"`
	}
	// JudgeSummary counts what judging a batch produced.
	JudgeSummary struct {
		Tubans        int `json:"tubans"`
		New           int `json:"new"`
		Suspected     int `json:"suspected"`
		Approved      int `json:"approved"`
		NotOfInterest int `json:"not_of_interest"`
		Tasks         int `json:"tasks"`
	}
	// ReconcileRequest reconciles a batch with the patrol ledger.
	ReconcileRequest struct {
		Batch  string `json:"batch"`
		Period string `json:"period"`
	}
	// ReconcileResponse counts the outcomes.
	ReconcileResponse struct {
		Batch  string         `json:"batch"`
		Period string         `json:"period"`
		Tubans int            `json:"tubans"`
		Counts map[string]int `json:"counts"`
		Zones  int            `json:"zones"`
		Files  []string       `json:"files"`
	}
	// XiafaImportResponse is what a 下发 import did, or why it refused.
	XiafaImportResponse struct {
		Imported bool               `json:"imported"`
		Batch    *pipeline.Batch    `json:"batch"`
		Patches  int                `json:"patches"`
		Linked   int                `json:"linked"`
		Tasks    int                `json:"tasks"`
		Problems []XiafaProblemView `json:"problems"`
	}
	// XiafaProblemView is one problem of a refused 下发 package.
	XiafaProblemView struct {
		FeatureID int64  `json:"feature_id"`
		JCBH      string `json:"jcbh"`
		Field     string `json:"field"`
		Value     string `json:"value"`
		Problem   string `json:"problem"`
	}
	// Health is the health check's answer.
	Health struct {
		Status string `json:"status"`
	}
)

func (s *Server) table() []route {
	return []route{
		{Method: "GET", Path: "/healthz", Tag: "system", Summary: "健康检查（state store reachable）", Public: true, Response: Health{}, Handler: s.health},
		{Method: "GET", Path: "/metrics", Tag: "system", Summary: "Prometheus metrics", Public: true, ResponseType: "text/plain", Handler: s.metrics},
		{Method: "GET", Path: "/openapi.json", Tag: "system", Summary: "本 API 的 OpenAPI 3 文档", Public: true, ResponseType: "application/json", Handler: s.openapiDoc},
		{Method: "GET", Path: "/docs", Tag: "system", Summary: "API 文档（HTML）", Public: true, ResponseType: "text/html", Handler: s.docs},

		{Method: "POST", Path: "/auth/login", Tag: "auth", Summary: "登录：返回令牌（Bearer）并设置会话 Cookie；失败次数受限", Public: true, Request: LoginRequest{}, Response: app.Session{}, Handler: s.login},
		{Method: "POST", Path: "/auth/logout", Tag: "auth", Summary: "退出登录", Response: Health{}, Handler: s.logout},
		{Method: "GET", Path: "/auth/me", Tag: "auth", Summary: "当前用户、角色与权限", Response: Me{}, Handler: s.me},
		{Method: "POST", Path: "/auth/password", Tag: "auth", Summary: "修改自己的密码（结束所有会话）", Request: PasswordRequest{}, Response: app.UserInfo{}, Handler: s.password},

		{Method: "GET", Path: "/imagery", Tag: "batches", Summary: "已登记影像", Response: []app.Imagery{}, Handler: s.imageryList},
		{Method: "POST", Path: "/imagery", Tag: "batches", Summary: "登记对象存储中的影像（s3://bucket/key；不接受服务器路径）", Request: ImageryRequest{}, Response: app.Imagery{}, Handler: s.imageryAdd},
		{Method: "GET", Path: "/batches", Tag: "batches", Summary: "批次列表（最新在前）", Query: pageParams, Response: app.List[pipeline.Batch]{}, Handler: s.batches},
		{Method: "POST", Path: "/batches", Tag: "batches", Summary: "提交批次：before/after 为已登记影像编号或 s3:// 对象", Request: BatchRequest{}, Response: BatchCreated{}, Handler: s.submit},
		{Method: "GET", Path: "/batches/{id}", Tag: "batches", Summary: "批次状态：瓦片进度、失败、预计剩余时间", Response: app.BatchStatus{}, Handler: s.batch},
		{Method: "POST", Path: "/batches/{id}/cancel", Tag: "batches", Summary: "取消未结束的批次", Response: pipeline.Batch{}, Handler: s.cancel},
		{Method: "GET", Path: "/batches/{id}/outputs/{name}", Tag: "batches", Summary: "下载批次输出（patches.geojson, patches.gpkg, summary.json, nonconcern.*）", ResponseType: "application/octet-stream", Handler: s.output},
		{Method: "POST", Path: "/batches/{id}/judge", Tag: "tubans", Summary: "重新研判已完成的批次（例如导入新图层后）", Response: JudgeSummary{}, Handler: s.judge},

		{Method: "GET", Path: "/zones", Tag: "zones", Summary: "各类图层的版本", Response: []ZoneLayerView{}, Handler: s.zones},
		{Method: "GET", Path: "/zones/{kind}", Tag: "zones", Summary: "某类图层当前版本的要素（GeoJSON，WGS84）", ResponseType: "application/geo+json", Handler: s.zoneFeatures},
		{Method: "POST", Path: "/zones/{kind}", Tag: "zones", Summary: "导入图层（multipart：file，以及 map, name, encoding, area_unit, skip_invalid, dry_run）", Upload: true, Response: ZoneImportResponse{}, Handler: s.zoneImport},

		{Method: "GET", Path: "/tubans", Tag: "tubans", Summary: "图斑列表与合计（format=geojson 时为 GeoJSON）", Query: append([][2]string{
			{"batch", "批次"}, {"township", "乡镇 XZQDM 或名称"}, {"tblx", "变化类型"}, {"judgement", "初判"},
			{"min_farmland_mu", "耕地面积下限（亩）"}, {"big", "只要百亩大图斑"}, {"team", "巡查组"}, {"source", "来源：自主监测、部、省 或 市"},
			{"format", "json 或 geojson"}}, pageParams...),
			Response: app.TubanList{}, Handler: s.tubans},
		{Method: "GET", Path: "/tubans/{id}", Tag: "tubans", Summary: "图斑详情（ID 或监测编号），含轮廓与历史", Response: app.TubanView{}, Handler: s.tuban},

		{Method: "GET", Path: "/teams", Tag: "tasks", Summary: "巡查组", Response: []string{}, Handler: s.teams},
		{Method: "GET", Path: "/tasks", Tag: "tasks", Summary: "核查任务（按紧急程度排序）与合计；巡查组成员只见本组", Query: append([][2]string{
			{"team", "巡查组"}, {"state", "状态（代码或中文）"}, {"batch", "批次"}, {"jcbh", "监测编号（前缀）"}, {"overdue", "只要逾期"}}, pageParams...),
			Response: app.TaskList{}, Handler: s.tasks},
		{Method: "GET", Path: "/tasks/{id}", Tag: "tasks", Summary: "任务及其图斑（ID 或监测编号）", Response: app.TaskDetail{}, Handler: s.task},
		{Method: "POST", Path: "/tasks/{id}/transitions", Tag: "tasks", Summary: "推进任务状态；办结或判定合法/伪变化需合格举证或执法审核角色", Request: TransitionRequest{}, Response: app.TaskView{}, Handler: s.transition},
		{Method: "POST", Path: "/tasks/{id}/evidence", Tag: "tasks", Summary: "上传举证照片（multipart，可多张，全部成功或全部不保存；或 JPEG 请求体加 ?name=）；?kind=drone 为无人机照片", Upload: true,
			Query: [][2]string{{"name", "照片文件名（JPEG 请求体时）"}, {"kind", "manual（人工，默认）或 drone（无人机）"}}, Response: EvidenceResponse{}, Handler: s.evidence},
		{Method: "PUT", Path: "/tasks/{id}/findings", Tag: "tasks", Summary: "填写核查情况（核实认定意见、现场核查描述、项目名称/主体、建设时间、批准机关/时间/面积、违法面积）", Request: app.FindingsRequest{}, Response: app.TaskView{}, Handler: s.findings},
		{Method: "GET", Path: "/tasks/{id}/evidence/{sha256}", Tag: "tasks", Summary: "举证照片原件（EXIF 完整）", ResponseType: "image/jpeg", Handler: s.photo},
		{Method: "GET", Path: "/export/tasks", Tag: "tasks", Summary: "导出任务（format=zip|xlsx|kml|kmz|gpx|geojson|shp）", Query: [][2]string{
			{"team", "巡查组"}, {"state", "状态"}, {"batch", "批次"}, {"format", app.ExportFormatNames}, {"chips", "XLSX 内嵌影像切片"},
			{"crs", "geojson/shp/zip 的坐标系：4490（默认）、gk 或 EPSG:4513–4554；kml/kmz/gpx 固定为 WGS84"}},
			ResponseType: "application/octet-stream", Handler: s.export},

		{Method: "POST", Path: "/ledger", Tag: "ledger", Summary: "导入巡查台帐与轨迹（multipart：files，以及 map, encoding, year, min_people）", Upload: true, Response: []app.LedgerFileResult{}, Handler: s.ledgerImport},
		{Method: "POST", Path: "/reconcile", Tag: "ledger", Summary: "批次图斑与巡查台帐对账；?file= 时返回该文件（对账_图斑.geojson 的坐标系见 ?crs=）", Request: ReconcileRequest{}, Response: ReconcileResponse{},
			Query: [][2]string{{"file", "对账_图斑.xlsx, 对账_图斑.geojson 或 对账_巡查区.xlsx"}, {"crs", "对账_图斑.geojson 的坐标系：4490（默认）、gk、EPSG:4513–4554 或 4326"}}, Handler: s.reconcile},

		{Method: "POST", Path: "/xiafa", Tag: "xiafa", Summary: "导入下发批次（multipart：files 为 .zip 或 .shp/.shx/.dbf/.prj/.cpg 或 .gpkg/.geojson；source 部/省/市，batch_name, map, encoding, tblx_codes, dry_run）", Upload: true, Response: XiafaImportResponse{}, Handler: s.xiafaImport},
		{Method: "GET", Path: "/xiafa/{id}/export", Tag: "xiafa", Summary: "下载下发批次的核查成果包（zip：矢量、Excel、举证照片、清单与校验和）",
			Query: [][2]string{{"format", "shp（默认，GBK）、gpkg 或 gdb"}, {"crs", "4490（默认）、gk 或 EPSG:4513–4554"}}, ResponseType: "application/zip", Handler: s.xiafaExport},
		{Method: "GET", Path: "/users", Tag: "admin", Summary: "用户（管理员）", Response: []app.UserInfo{}, Handler: s.users},
		{Method: "POST", Path: "/users", Tag: "admin", Summary: "添加用户（管理员）", Request: UserRequest{}, Response: app.UserInfo{}, Handler: s.userAdd},
		{Method: "PATCH", Path: "/users/{name}", Tag: "admin", Summary: "修改用户：密码、停用、角色、巡查组（管理员）", Request: UserPatch{}, Response: app.UserInfo{}, Handler: s.userPatch},
		{Method: "GET", Path: "/audit", Tag: "admin", Summary: "审计日志（管理员）", Query: append([][2]string{{"actor", "用户"}, {"action", "操作"}}, pageParams...),
			Response: app.List[app.AuditRecord]{}, Handler: s.audit},
	}
}

var pageParams = [][2]string{{"limit", "每页条数 1–1000（默认 100）"}, {"offset", "跳过条数"}}

func (s *Server) health(w http.ResponseWriter, r *http.Request, _ app.Principal) error {
	if err := s.app.Ping(r.Context()); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, Health{Status: "state store unreachable"})
		return nil
	}
	writeJSON(w, http.StatusOK, Health{Status: "ok"})
	return nil
}

func (s *Server) metrics(w http.ResponseWriter, r *http.Request, _ app.Principal) error {
	promhttp.HandlerFor(s.app.Registry(), promhttp.HandlerOpts{}).ServeHTTP(w, r)
	return nil
}

func (s *Server) login(w http.ResponseWriter, r *http.Request, p app.Principal) error {
	var req LoginRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if len(req.Name) > 64 || len(req.Password) > 200 {
		return &app.Error{Kind: app.KindInvalid, Message: "用户名或密码过长"}
	}
	se, err := s.app.Login(r.Context(), req.Name, req.Password, p.Addr)
	if err != nil {
		return err
	}
	secure := r.TLS != nil || (s.opt.TrustProxy && r.Header.Get("X-Forwarded-Proto") == "https")
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: se.Token, Path: "/", Expires: se.ExpiresAt,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode})
	writeJSON(w, http.StatusOK, se)
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, p app.Principal) error {
	tok := strings.TrimSpace(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	if tok == "" {
		if c, err := r.Cookie(sessionCookie); err == nil {
			tok = c.Value
		}
	}
	if err := s.app.Logout(r.Context(), p, tok); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	writeJSON(w, http.StatusOK, Health{Status: "ok"})
	return nil
}

func (s *Server) me(w http.ResponseWriter, r *http.Request, p app.Principal) error {
	m := Me{User: p.User, Display: p.Display, Team: p.Team, Roles: []app.Coded{}, Can: []string{}}
	for _, ro := range p.Roles {
		m.Roles = append(m.Roles, app.Coded{Code: string(ro), Label: ro.Label()})
	}
	for _, a := range app.Actions() {
		if p.Can(a) {
			m.Can = append(m.Can, string(a))
		}
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (s *Server) password(w http.ResponseWriter, r *http.Request, p app.Principal) error {
	var req PasswordRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	return reply(w, http.StatusOK)(s.app.ChangeUser(r.Context(), p, p.User, app.UserChange{Password: &req.Password}))
}

func (s *Server) imageryList(w http.ResponseWriter, r *http.Request, p app.Principal) error {
	return reply(w, http.StatusOK)(s.app.ImageryList(r.Context(), p))
}

func (s *Server) imageryAdd(w http.ResponseWriter, r *http.Request, p app.Principal) error {
	var req ImageryRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	im, created, err := s.app.RegisterImagery(r.Context(), p, req.URI, req.Name)
	if err != nil {
		return err
	}
	code := http.StatusOK
	if created {
		code = http.StatusCreated
	}
	writeJSON(w, code, im)
	return nil
}

func (s *Server) batches(w http.ResponseWriter, r *http.Request, p app.Principal) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	return reply(w, http.StatusOK)(s.app.Batches(r.Context(), p, pg))
}

func (s *Server) submit(w http.ResponseWriter, r *http.Request, p app.Principal) error {
	var req BatchRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	b, created, err := s.app.SubmitBatch(r.Context(), p, app.BatchRequest{Name: req.Name, Region: req.Region, Before: req.Before, After: req.After,
		Bands: req.Bands, MMU: req.MMU, TileSize: req.TileSize})
	if err != nil {
		return err
	}
	code := http.StatusOK
	if created {
		code = http.StatusCreated
	}
	writeJSON(w, code, BatchCreated{Batch: b, Created: created})
	return nil
}

func (s *Server) batch(w http.ResponseWriter, r *http.Request, p app.Principal) error {
	return reply(w, http.StatusOK)(s.app.Batch(r.Context(), p, r.PathValue("id")))
}

func (s *Server) cancel(w http.ResponseWriter, r *http.Request, p app.Principal) error {
	return reply(w, http.StatusOK)(s.app.CancelBatch(r.Context(), p, r.PathValue("id")))
}

func (s *Server) output(w http.ResponseWriter, r *http.Request, p app.Principal) error {
	name := r.PathValue("name")
	rd, err := s.app.BatchOutput(r.Context(), p, r.PathValue("id"), name)
	if err != nil {
		return err
	}
	defer rd.Close()
	ct := map[string]string{".geojson": "application/geo+json", ".gpkg": "application/geopackage+sqlite3", ".json": "application/json"}[filepath.Ext(name)]
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", attachment(name))
	_, err = io.Copy(w, rd)
	return ignoreWriteErr(err)
}

// ignoreWriteErr drops errors of a response already under way (the client
// went away): nothing can be written any more.
func ignoreWriteErr(error) error { return nil }

func attachment(name string) string {
	return mime.FormatMediaType("attachment", map[string]string{"filename": name})
}

func (s *Server) judge(w http.ResponseWriter, r *http.Request, p app.Principal) error {
	sum, err := s.app.Judge(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, judgeSummary(sum))
	return nil
}

func judgeSummary(s casework.Summary) JudgeSummary {
	return JudgeSummary{Tubans: s.Tubans, New: s.New, Suspected: s.Suspected, Approved: s.Approved, NotOfInterest: s.NotOfInterest, Tasks: s.Tasks}
}

func layerView(in pipeline.ZoneLayerInfo) ZoneLayerView {
	v := ZoneLayerView{Kind: app.Coded{Code: in.Kind.Code(), Label: in.Kind.String()}, Version: in.Version, Name: in.Name, Source: filepath.Base(in.Source),
		ImportedAt: in.ImportedAt, Features: in.Features, Active: in.Active, Fields: in.Fields}
	if v.Fields == nil {
		v.Fields = map[string]string{}
	}
	for _, p := range in.Problems {
		if p.Warning {
			v.Warnings++
		} else {
			v.Skipped++
		}
	}
	return v
}

func (s *Server) zones(w http.ResponseWriter, r *http.Request, p app.Principal) error {
	ls, err := s.app.ZoneLayers(r.Context(), p)
	if err != nil {
		return err
	}
	out := []ZoneLayerView{}
	for _, k := range pipeline.ZoneKinds() {
		for _, in := range ls[k] {
			out = append(out, layerView(in))
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func parseKind(s string) (pipeline.ZoneKind, error) {
	k, err := pipeline.ParseZoneKind(s)
	if err != nil {
		return k, &app.Error{Kind: app.KindNotFound, Message: fmt.Sprintf("图层类型 %q 不存在：应为 %s", s, app.ZoneKindList())}
	}
	return k, nil
}

func (s *Server) zoneFeatures(w http.ResponseWriter, r *http.Request, p app.Principal) error {
	k, err := parseKind(r.PathValue("kind"))
	if err != nil {
		return err
	}
	l, err := s.app.ActiveZones(r.Context(), p, k)
	if err != nil {
		return err
	}
	fc := geojson.NewFeatureCollection()
	for _, z := range l.Zones {
		f := geojson.NewFeature(z.Geometry)
		f.ID = z.ID
		f.Properties = geojson.Properties{"id": z.ID, "name": z.Label(), "xzqdm": z.XZQDM, "xzqmc": z.XZQMC, "grade": z.Grade,
			"team": z.Team, "person": z.Person, "contact": z.Contact, "approval_no": z.ApprovalNo, "dlbm": z.DLBM, "dlmc": z.DLMC}
		fc.Append(f)
	}
	w.Header().Set("Content-Type", "application/geo+json")
	data, err := fc.MarshalJSON()
	if err != nil {
		return err
	}
	w.Write(data)
	return nil
}

// stageUpload copies a multipart file part into dir under its own base
// name, and returns the path.
func stageUpload(dir string, part *multipart.Part) (string, error) {
	name := filepath.Base(strings.ReplaceAll(part.FileName(), "\\", "/"))
	if name == "." || name == "/" || name == "" {
		return "", &app.Error{Kind: app.KindInvalid, Message: "上传的文件没有文件名"}
	}
	path := filepath.Join(dir, name)
	if _, err := os.Stat(path); err == nil {
		return "", &app.Error{Kind: app.KindInvalid, Message: fmt.Sprintf("文件 %s 上传了两次", name)}
	}
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	_, err = io.Copy(f, part)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return path, err
}

// multipartReader returns the reader of a multipart/form-data request.
func multipartReader(r *http.Request) (*multipart.Reader, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, &app.Error{Kind: app.KindInvalid, Message: "请求应为 multipart/form-data 上传"}
	}
	return mr, nil
}

// readForm reads a multipart form: small fields into a map, files into
// dir (in order).
func readForm(r *http.Request, dir string, fileFields ...string) (map[string]string, []string, error) {
	mr, err := multipartReader(r)
	if err != nil {
		return nil, nil, err
	}
	fields := map[string]string{}
	var files []string
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) || isTimeout(err) {
				return nil, nil, err
			}
			return nil, nil, &app.Error{Kind: app.KindInvalid, Message: "multipart 请求体有误：" + err.Error()}
		}
		name := part.FormName()
		isFile := false
		for _, f := range fileFields {
			isFile = isFile || name == f
		}
		if isFile && part.FileName() != "" {
			p, err := stageUpload(dir, part)
			if err != nil {
				return nil, nil, err
			}
			files = append(files, p)
			continue
		}
		v, err := io.ReadAll(io.LimitReader(part, 8<<10))
		if err != nil {
			return nil, nil, err
		}
		fields[name] = string(v)
	}
	return fields, files, nil
}

func formBool(fields map[string]string, name string) (bool, error) {
	switch v := fields[name]; v {
	case "", "0", "false", "off":
		return false, nil
	case "1", "true", "on":
		return true, nil
	default:
		return false, &app.Error{Kind: app.KindInvalid, Message: fmt.Sprintf("字段 %s=%q：应为 true 或 false", name, v)}
	}
}

func (s *Server) zoneImport(w http.ResponseWriter, r *http.Request, p app.Principal) error {
	k, err := parseKind(r.PathValue("kind"))
	if err != nil {
		return err
	}
	if !p.Can(app.ActZoneImport) { // refuse before reading the upload
		return app.ErrForbidden
	}
	dir, err := os.MkdirTemp("", "weipian-zones-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fields, files, err := readForm(r, dir, "file")
	if err != nil {
		return err
	}
	if len(files) != 1 {
		return &app.Error{Kind: app.KindInvalid, Message: fmt.Sprintf("应上传一个图层文件（字段 file），收到 %d 个", len(files))}
	}
	skip, err := formBool(fields, "skip_invalid")
	if err != nil {
		return err
	}
	dry, err := formBool(fields, "dry_run")
	if err != nil {
		return err
	}
	res, err := s.app.ImportZones(r.Context(), p, app.ZoneImportRequest{Kind: k.String(), File: files[0], Source: filepath.Base(files[0]),
		Layer: fields["layer"], Map: fields["map"], Name: fields["name"], Encoding: fields["encoding"], AreaUnit: fields["area_unit"],
		SkipInvalid: skip, DryRun: dry})
	out := ZoneImportResponse{Imported: res.Imported, Problems: []ZoneProblemView{}}
	for _, pr := range res.Problems {
		out.Problems = append(out.Problems, ZoneProblemView{FeatureID: pr.FeatureID, Field: pr.Field, Value: pr.Value, Problem: pr.Problem, Warning: pr.Warning})
	}
	if err != nil {
		return refusal(w, err, out.Problems)
	}
	info := res.Layer.Info()
	info.Active = res.Imported
	out.Layer = layerView(info)
	code := http.StatusOK
	if res.Imported {
		code = http.StatusCreated
	}
	writeJSON(w, code, out)
	return nil
}

func (s *Server) tubanQuery(r *http.Request) (app.TubanQuery, error) {
	q := r.URL.Query()
	pg, err := page(r)
	if err != nil {
		return app.TubanQuery{}, err
	}
	big, err := queryBool(r, "big")
	if err != nil {
		return app.TubanQuery{}, err
	}
	tq := app.TubanQuery{Batch: q.Get("batch"), Township: q.Get("township"), TBLX: q.Get("tblx"), Judgement: q.Get("judgement"),
		Team: q.Get("team"), Source: q.Get("source"), Big: big, Page: pg}
	if v := q.Get("min_farmland_mu"); v != "" {
		if _, err := fmt.Sscan(v, &tq.MinFarmlandMu); err != nil {
			return tq, &app.Error{Kind: app.KindInvalid, Message: fmt.Sprintf("参数 min_farmland_mu=%q：应为数字", v)}
		}
	}
	return tq, nil
}

func (s *Server) tubans(w http.ResponseWriter, r *http.Request, p app.Principal) error {
	q, err := s.tubanQuery(r)
	if err != nil {
		return err
	}
	format := r.URL.Query().Get("format")
	switch format {
	case "", "json":
	case "geojson":
		q.WithGeometry = true
	default:
		return &app.Error{Kind: app.KindInvalid, Message: fmt.Sprintf("参数 format=%q：应为 json 或 geojson", format)}
	}
	l, err := s.app.Tubans(r.Context(), p, q)
	if err != nil {
		return err
	}
	if format != "geojson" {
		writeJSON(w, http.StatusOK, l)
		return nil
	}
	fc := geojson.NewFeatureCollection()
	for _, t := range l.Items {
		if t.Geometry == nil {
			continue
		}
		f := &geojson.Feature{Type: "Feature", ID: t.ID, Geometry: t.Geometry.Geometry(), Properties: geojson.Properties{
			"id": t.ID, "jcbh": t.JCBH, "xzqmc": t.XZQMC, "tblx": t.TBLX.Code, "tblx_label": t.TBLX.Label,
			"judgement": t.Judgement.Code, "judgement_label": t.Judgement.Label, "jcmj_mu": t.Areas.JCMJ.Mu,
			"jcgdmj_mu": t.Areas.JCGDMJ.Mu, "yjjbntmj_mu": t.Areas.YJJBNTMJ.Mu, "team": t.Team, "task_id": t.TaskID,
			"source": t.Source, "own_detection": t.OwnDetection}}
		fc.Append(f)
	}
	data, err := fc.MarshalJSON()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/geo+json")
	w.Write(data)
	return nil
}

func (s *Server) tuban(w http.ResponseWriter, r *http.Request, p app.Principal) error {
	return reply(w, http.StatusOK)(s.app.Tuban(r.Context(), p, r.PathValue("id")))
}

func (s *Server) teams(w http.ResponseWriter, r *http.Request, p app.Principal) error {
	return reply(w, http.StatusOK)(s.app.Teams(r.Context(), p))
}

func taskQuery(r *http.Request) (app.TaskQuery, error) {
	q := r.URL.Query()
	pg, err := page(r)
	if err != nil {
		return app.TaskQuery{}, err
	}
	od, err := queryBool(r, "overdue")
	if err != nil {
		return app.TaskQuery{}, err
	}
	return app.TaskQuery{Team: q.Get("team"), State: q.Get("state"), Batch: q.Get("batch"), JCBH: q.Get("jcbh"), Overdue: od, Page: pg}, nil
}

func (s *Server) tasks(w http.ResponseWriter, r *http.Request, p app.Principal) error {
	q, err := taskQuery(r)
	if err != nil {
		return err
	}
	return reply(w, http.StatusOK)(s.app.Tasks(r.Context(), p, q))
}

func (s *Server) task(w http.ResponseWriter, r *http.Request, p app.Principal) error {
	return reply(w, http.StatusOK)(s.app.Task(r.Context(), p, r.PathValue("id")))
}

func (s *Server) transition(w http.ResponseWriter, r *http.Request, p app.Principal) error {
	var req TransitionRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	return reply(w, http.StatusOK)(s.app.Transition(r.Context(), p, r.PathValue("id"), app.TransitionRequest(req)))
}

// evidence takes photos as multipart files (any field name), streamed to
// scratch files as they arrive, or one JPEG as the raw body with ?name=.
func (s *Server) evidence(w http.ResponseWriter, r *http.Request, p app.Principal) error {
	limit := s.app.EvidenceMaxBytes()
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "multipart/form-data" && r.ContentLength > limit {
		return &app.Error{Kind: app.KindTooLarge, Message: fmt.Sprintf("照片超过大小上限 %d MiB（too large）", limit>>20)}
	}
	up, err := s.app.NewEvidenceUpload(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	defer up.Close()
	if err := up.SetKind(r.URL.Query().Get("kind")); err != nil {
		return err
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "multipart/form-data" {
		mr, err := multipartReader(r)
		if err != nil {
			return err
		}
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				var mbe *http.MaxBytesError
				if errors.As(err, &mbe) || isTimeout(err) {
					return err
				}
				return &app.Error{Kind: app.KindInvalid, Message: "multipart 请求体有误：" + err.Error()}
			}
			if part.FileName() == "" {
				io.Copy(io.Discard, io.LimitReader(part, 8<<10))
				continue
			}
			if err := up.Add(part.FileName(), part); err != nil {
				return err
			}
		}
	} else {
		name := r.URL.Query().Get("name")
		if name == "" {
			return &app.Error{Kind: app.KindInvalid, Message: "请用 multipart/form-data 上传照片，或以 JPEG 为请求体并给出 ?name=IMG_0001.jpg"}
		}
		if err := up.Add(name, r.Body); err != nil {
			return err
		}
	}
	photos, t, err := up.Commit(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, EvidenceResponse{Photos: photos, Task: t})
	return nil
}

func (s *Server) findings(w http.ResponseWriter, r *http.Request, p app.Principal) error {
	var req app.FindingsRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	return reply(w, http.StatusOK)(s.app.SetFindings(r.Context(), p, r.PathValue("id"), req))
}

func (s *Server) photo(w http.ResponseWriter, r *http.Request, p app.Principal) error {
	rd, name, err := s.app.OpenEvidence(r.Context(), p, r.PathValue("id"), r.PathValue("sha256"))
	if err != nil {
		return err
	}
	defer rd.Close()
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": filepath.Base(name)}))
	w.Header().Set("Cache-Control", "private, max-age=86400")
	_, err = io.Copy(w, rd)
	return ignoreWriteErr(err)
}

func (s *Server) export(w http.ResponseWriter, r *http.Request, p app.Principal) error {
	q, err := taskQuery(r)
	if err != nil {
		return err
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "zip"
	}
	if app.ExportFormats[format] == nil {
		return &app.Error{Kind: app.KindInvalid, Message: fmt.Sprintf("导出格式 %q 未知：应为 %s", format, app.ExportFormatNames)}
	}
	chips, err := queryBool(r, "chips")
	if err != nil {
		return err
	}
	var opts []export.Option
	if c := r.URL.Query().Get("crs"); c != "" {
		if !app.ExportCRSFormats[format] {
			return &app.Error{Kind: app.KindInvalid, Message: fmt.Sprintf("%s 按规范为 WGS84，不接受 crs 参数", format)}
		}
		oc, err := app.ParseCRS(c)
		if err != nil {
			return err
		}
		if oc != nil {
			opts = append(opts, export.WithCRS(*oc))
		}
	}
	// Write to a scratch file first, so that an error is still an error
	// response and not half a file.
	f, err := os.CreateTemp("", "weipian-export-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if _, err := s.app.ExportTasks(r.Context(), p, q, format, chips, f, opts...); err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	name := "核查任务." + app.ExportExtensions[format]
	if q.Team != "" {
		name = q.Team + "_" + name
	}
	w.Header().Set("Content-Type", app.ExportContentTypes[format])
	w.Header().Set("Content-Disposition", attachment(name))
	_, err = io.Copy(w, f)
	return ignoreWriteErr(err)
}

func (s *Server) ledgerImport(w http.ResponseWriter, r *http.Request, p app.Principal) error {
	if !p.Can(app.ActLedgerImport) {
		return app.ErrForbidden
	}
	dir, err := os.MkdirTemp("", "weipian-ledger-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fields, files, err := readForm(r, dir, "files", "file")
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return &app.Error{Kind: app.KindInvalid, Message: "没有上传台帐或轨迹文件（字段 files）"}
	}
	req := app.LedgerImportRequest{Files: files, Map: fields["map"], Encoding: fields["encoding"]}
	for _, f := range files {
		req.Names = append(req.Names, filepath.Base(f))
	}
	if v := fields["year"]; v != "" {
		if _, err := fmt.Sscan(v, &req.Year); err != nil {
			return &app.Error{Kind: app.KindInvalid, Message: fmt.Sprintf("字段 year=%q：应为年份", v)}
		}
	}
	if v := fields["min_people"]; v != "" {
		if _, err := fmt.Sscan(v, &req.MinPeople); err != nil {
			return &app.Error{Kind: app.KindInvalid, Message: fmt.Sprintf("字段 min_people=%q：应为整数", v)}
		}
	}
	res, err := s.app.ImportLedger(r.Context(), p, req)
	if err != nil {
		return err
	}
	if res == nil {
		res = []app.LedgerFileResult{}
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) reconcile(w http.ResponseWriter, r *http.Request, p app.Principal) error {
	var req ReconcileRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Batch == "" {
		return &app.Error{Kind: app.KindInvalid, Message: "缺少批次 batch"}
	}
	file := r.URL.Query().Get("file")
	if file != "" {
		known := false
		for _, f := range app.ReconcileFiles {
			known = known || f == file
		}
		if !known {
			return &app.Error{Kind: app.KindInvalid, Message: fmt.Sprintf("参数 file=%q：应为 %s", file, strings.Join(app.ReconcileFiles, ", "))}
		}
	}
	outCRS, err := app.ParseCRS(r.URL.Query().Get("crs"))
	if err != nil {
		return err
	}
	rec, err := s.app.Reconcile(r.Context(), p, req.Batch, req.Period)
	if err != nil {
		return err
	}
	rec.UseCRS(outCRS)
	if file != "" {
		f, err := os.CreateTemp("", "weipian-reconcile-")
		if err != nil {
			return err
		}
		defer os.Remove(f.Name())
		defer f.Close()
		if err := rec.WriteFile(f, file); err != nil {
			return err
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		w.Header().Set("Content-Disposition", attachment(file))
		if strings.HasSuffix(file, ".xlsx") {
			w.Header().Set("Content-Type", app.ExportContentTypes["xlsx"])
		} else {
			w.Header().Set("Content-Type", "application/geo+json")
		}
		_, err = io.Copy(w, f)
		return ignoreWriteErr(err)
	}
	writeJSON(w, http.StatusOK, ReconcileResponse{Batch: req.Batch, Period: rec.Period.String(), Tubans: len(rec.Results), Counts: rec.Counts,
		Zones: len(rec.Zones), Files: app.ReconcileFiles})
	return nil
}

func (s *Server) users(w http.ResponseWriter, r *http.Request, p app.Principal) error {
	return reply(w, http.StatusOK)(s.app.Users(r.Context(), p))
}

func (s *Server) userAdd(w http.ResponseWriter, r *http.Request, p app.Principal) error {
	var req UserRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	return reply(w, http.StatusCreated)(s.app.AddUser(r.Context(), p, app.UserSpec{Name: req.Name, Display: req.Display, Password: req.Password, Roles: req.Roles, Team: req.Team}))
}

func (s *Server) userPatch(w http.ResponseWriter, r *http.Request, p app.Principal) error {
	var req UserPatch
	if err := decode(r, &req); err != nil {
		return err
	}
	u, err := s.app.ChangeUser(r.Context(), p, r.PathValue("name"), app.UserChange{Password: req.Password, Disabled: req.Disabled,
		Roles: req.Roles, Team: req.Team, Display: req.Display})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

func (s *Server) audit(w http.ResponseWriter, r *http.Request, p app.Principal) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	return reply(w, http.StatusOK)(s.app.Audit(r.Context(), p, app.AuditQuery{Actor: r.URL.Query().Get("actor"), Action: r.URL.Query().Get("action"), Page: pg}))
}

func (s *Server) xiafaImport(w http.ResponseWriter, r *http.Request, p app.Principal) error {
	if !p.Can(app.ActXiafaImport) {
		return app.ErrForbidden
	}
	dir, err := os.MkdirTemp("", "weipian-xiafa-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	pkg := filepath.Join(dir, "package")
	if err := os.Mkdir(pkg, 0o700); err != nil {
		return err
	}
	fields, files, err := readForm(r, pkg, "files", "file")
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return &app.Error{Kind: app.KindInvalid, Message: "没有上传下发包（字段 files）"}
	}
	path := pkg
	if len(files) == 1 {
		path = files[0]
	}
	dry, err := formBool(fields, "dry_run")
	if err != nil {
		return err
	}
	res, err := s.app.ImportXiafa(r.Context(), p, app.XiafaImportRequest{Path: path, Source: fields["source"], BatchName: fields["batch_name"],
		Map: fields["map"], Codes: fields["tblx_codes"], Encoding: fields["encoding"], Layer: fields["layer"], DryRun: dry})
	out := XiafaImportResponse{Imported: err == nil && !dry && res.Created, Patches: res.Patches, Linked: res.Linked, Tasks: res.Summary.Tasks,
		Problems: []XiafaProblemView{}}
	for _, pr := range res.Problems {
		out.Problems = append(out.Problems, XiafaProblemView{FeatureID: pr.FeatureID, JCBH: pr.JCBH, Field: pr.Field, Value: pr.Value, Problem: pr.Problem})
	}
	if err != nil {
		return refusal(w, err, out.Problems)
	}
	if res.Batch.ID != "" {
		b := res.Batch
		out.Batch = &b
	}
	code := http.StatusOK
	if out.Imported {
		code = http.StatusCreated
	}
	writeJSON(w, code, out)
	return nil
}

func (s *Server) xiafaExport(w http.ResponseWriter, r *http.Request, p app.Principal) error {
	dir, err := os.MkdirTemp("", "weipian-return-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "package")
	res, err := s.app.ExportXiafa(r.Context(), p, app.XiafaExportRequest{Batch: r.PathValue("id"), Out: out,
		Format: r.URL.Query().Get("format"), CRS: r.URL.Query().Get("crs")})
	if err != nil {
		return err
	}
	zf, err := os.Create(filepath.Join(dir, "package.zip"))
	if err != nil {
		return err
	}
	defer zf.Close()
	if err := zipDir(zf, out); err != nil {
		return err
	}
	if _, err := zf.Seek(0, io.SeekStart); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", attachment(res.Manifest.BatchName+"_核查成果.zip"))
	_, err = io.Copy(w, zf)
	return ignoreWriteErr(err)
}

// zipDir writes the files under dir into a zip with fixed times (the same
// package gives the same bytes).
func zipDir(w io.Writer, dir string) error {
	zw := zip.NewWriter(w)
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		return err
	}
	sort.Strings(files)
	for _, p := range files {
		rel, _ := filepath.Rel(dir, p)
		hw, err := zw.CreateHeader(&zip.FileHeader{Name: filepath.ToSlash(rel), Method: zip.Deflate, Modified: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		_, err = io.Copy(hw, f)
		f.Close()
		if err != nil {
			return err
		}
	}
	return zw.Close()
}

// reply writes a use case's result as JSON with code, or returns its error.
func reply(w http.ResponseWriter, code int) func(any, error) error {
	return func(v any, err error) error {
		if err != nil {
			return err
		}
		writeJSON(w, code, v)
		return nil
	}
}

// refusal answers an import refused with problems (feature or row level)
// as 400 with the problems beside the error; any other error goes to the
// error handler as it is.
func refusal[P any](w http.ResponseWriter, err error, problems []P) error {
	if len(problems) == 0 || app.KindOf(err) != app.KindInvalid {
		return err
	}
	writeJSON(w, http.StatusBadRequest, struct {
		ErrorBody
		Problems []P `json:"problems"`
	}{ErrorBody{ErrorDetail{Code: app.KindInvalid.Code(), Message: app.PublicMessage(err)}}, problems})
	return nil
}
