package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/paulmach/orb"

	"github.com/weipian/weipian/detect"
	"github.com/weipian/weipian/export"
	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/pipeline/task"
	"github.com/weipian/weipian/raster"
	"github.com/weipian/weipian/store"
	"github.com/weipian/weipian/tiles/chip"
)

// TaskQuery selects verification tasks. Empty fields select all; a patrol
// member's query is limited to their own team whatever Team says.
type TaskQuery struct {
	Team, State, Batch string
	// JCBH keeps the task of one 图斑 (or those whose JCBH starts with it).
	JCBH    string
	Overdue bool
	Page
}

// TaskTotals sums a list of tasks.
type TaskTotals struct {
	Count    int            `json:"count"`
	Overdue  int            `json:"overdue"`
	ByState  map[string]int `json:"by_state"`
	JCMJ     Area           `json:"jcmj"`
	JCGDMJ   Area           `json:"jcgdmj"`
	YJJBNTMJ Area           `json:"yjjbntmj"`
}

// TaskList is a page of tasks, most urgent first, with the totals of every
// match.
type TaskList struct {
	List[TaskView]
	Totals TaskTotals `json:"totals"`
}

func (a *App) today() task.Date { return task.DateOf(a.now(), task.ChinaTime()) }

// scopeTeam applies the principal's team scope to a requested team. A
// patrol member asking for another team's list gets ErrForbidden.
func scopeTeam(p Principal, team string) (string, error) {
	if own, scoped := p.TeamScope(); scoped {
		if team != "" && team != own {
			return "", ErrForbidden
		}
		return own, nil
	}
	return team, nil
}

// tasks returns the matching tasks, most urgent first, and each task's
// rank within its team.
func (a *App) tasks(ctx context.Context, p Principal, q TaskQuery) ([]*task.Task, map[string]int, error) {
	if err := p.authorize(ActTaskRead); err != nil {
		return nil, nil, err
	}
	team, err := scopeTeam(p, q.Team)
	if err != nil {
		return nil, nil, err
	}
	f := store.TaskFilter{Team: team, BatchID: q.Batch}
	if q.State != "" {
		st, err := task.ParseState(q.State)
		if err != nil {
			return nil, nil, invalid("状态 %q 未知：应为 %s", q.State, stateList())
		}
		f.State = string(st)
	}
	if q.Batch != "" {
		if _, err := a.store.GetBatch(ctx, q.Batch); err != nil {
			return nil, nil, wrapNotFound(err, "批次", q.Batch)
		}
	}
	ts, err := a.store.Tasks(ctx, f)
	if err != nil {
		return nil, nil, err
	}
	// Ranks are within each team's whole queue, whatever the filter.
	rank := map[string]int{}
	perTeam := map[string]int{}
	all := ts
	if f.State != "" || f.BatchID != "" {
		if all, err = a.store.Tasks(ctx, store.TaskFilter{Team: team}); err != nil {
			return nil, nil, err
		}
	}
	for _, t := range all {
		perTeam[t.Team]++
		rank[t.ID] = perTeam[t.Team]
	}
	today := a.today()
	out := ts[:0]
	for _, t := range ts {
		if q.JCBH != "" && !strings.HasPrefix(t.JCBH, q.JCBH) {
			continue
		}
		if q.Overdue && !Overdue(t, today) {
			continue
		}
		out = append(out, t)
	}
	return out, rank, nil
}

func stateList() string {
	var s []string
	for _, st := range task.States() {
		s = append(s, st.Label()+" ("+string(st)+")")
	}
	return strings.Join(s, ", ")
}

// Tasks lists verification tasks, most urgent first, with totals.
func (a *App) Tasks(ctx context.Context, p Principal, q TaskQuery) (TaskList, error) {
	pg, err := q.Page.norm()
	if err != nil {
		return TaskList{}, err
	}
	ts, rank, err := a.tasks(ctx, p, q)
	if err != nil {
		return TaskList{}, err
	}
	today := a.today()
	views := make([]TaskView, 0, len(ts))
	tot := TaskTotals{ByState: map[string]int{}}
	var sumJ, sumG, sumY areaSum
	for _, t := range ts {
		views = append(views, taskView(t, rank[t.ID], "", today))
		tot.Count++
		tot.ByState[t.State.Label()]++
		if Overdue(t, today) {
			tot.Overdue++
		}
		sumJ.add(t.AreaM2)
		sumG.add(t.FarmlandM2)
		sumY.add(t.BasicFarmlandM2)
	}
	tot.JCMJ, tot.JCGDMJ, tot.YJJBNTMJ = sumJ.area(), sumG.area(), sumY.area()
	out := TaskList{List: paginate(views, pg), Totals: tot}
	// The patrol reconciliation of each 图斑 on the page.
	for i := range out.Items {
		if tb, err := a.store.Tuban(ctx, out.Items[i].TubanID); err == nil && tb.Patrol != nil {
			out.Items[i].Patrol = tb.Patrol.Outcome
		}
	}
	return out, nil
}

// loadTask returns a task (by ID or JCBH) the principal may see.
func (a *App) loadTask(ctx context.Context, p Principal, id string) (*task.Task, error) {
	if err := p.authorize(ActTaskRead); err != nil {
		return nil, err
	}
	t, err := a.store.Task(ctx, id)
	if err != nil {
		return nil, wrapNotFound(err, "任务", id)
	}
	if team, scoped := p.TeamScope(); scoped && t.Team != team {
		return nil, ErrForbidden
	}
	return t, nil
}

// TaskDetail is a task with its 图斑.
type TaskDetail struct {
	Task  TaskView  `json:"task"`
	Tuban TubanView `json:"tuban"`
}

// Task returns a task and its 图斑.
func (a *App) Task(ctx context.Context, p Principal, id string) (TaskDetail, error) {
	t, err := a.loadTask(ctx, p, id)
	if err != nil {
		return TaskDetail{}, err
	}
	tb, err := a.store.Tuban(ctx, t.TubanID)
	if err != nil {
		return TaskDetail{}, wrapNotFound(err, "图斑", t.TubanID)
	}
	rank := 0
	if ts, err := a.store.Tasks(ctx, store.TaskFilter{Team: t.Team}); err == nil {
		for i, x := range ts {
			if x.ID == t.ID {
				rank = i + 1
			}
		}
	}
	patrol := ""
	if tb.Patrol != nil {
		patrol = tb.Patrol.Outcome
	}
	return TaskDetail{Task: taskView(t, rank, patrol, a.today()), Tuban: tubanView(tb, p, true)}, nil
}

// TransitionRequest moves a task on. Fields take codes or zh-CN labels.
type TransitionRequest struct {
	To            string
	From          string // the state the actor saw (optional; a stale view is refused)
	Reason        string
	Verdict       string
	ViolationType string
	ApprovalNo    string
	Rectification string
	CaseNo        string
}

func (r TransitionRequest) parse(actor string) (task.Transition, error) {
	if r.To == "" {
		return task.Transition{}, invalid("缺少目标状态 to：%s", stateList())
	}
	for _, f := range []struct{ name, v string }{{"reason", r.Reason}, {"approval_no", r.ApprovalNo}, {"case_no", r.CaseNo}} {
		if len([]rune(f.v)) > 2000 {
			return task.Transition{}, invalid("%s 过长（at most 2000 characters）", f.name)
		}
	}
	st, err := task.ParseState(r.To)
	if err != nil {
		return task.Transition{}, invalid("目标状态 %q 未知：应为 %s", r.To, stateList())
	}
	tr := task.Transition{To: st, Actor: actor, Reason: r.Reason, ApprovalNo: r.ApprovalNo, CaseNo: r.CaseNo}
	if r.From != "" {
		if tr.From, err = task.ParseState(r.From); err != nil {
			return tr, invalid("原状态 %q 未知", r.From)
		}
	}
	if r.Verdict != "" {
		if tr.Verdict, err = task.ParseVerdict(r.Verdict); err != nil {
			return tr, invalid("判定 %q 未知：应为 合法, 违法, 伪变化, 设施农用地, 农村道路, 其他", r.Verdict)
		}
	}
	if r.ViolationType != "" {
		if tr.ViolationType, err = task.ParseViolationType(r.ViolationType); err != nil {
			return tr, invalid("违法类型 %q 未知：应为 违法占地, 违法批地, 违法转让, 其他", r.ViolationType)
		}
	}
	if r.Rectification != "" {
		if tr.Rectification, err = task.ParseRectification(r.Rectification); err != nil {
			return tr, invalid("整改方式 %q 未知：应为 拆除复耕 或 补办手续", r.Rectification)
		}
	}
	return tr, nil
}

// needsReview reports whether a step closes a task or clears it (合法,
// 伪变化): the practice wants evidence for it, or a reviewer's decision.
func needsReview(tr task.Transition) bool {
	return tr.To == task.Closed || (tr.To == task.Verified && (tr.Verdict == task.VerdictLegal || tr.Verdict == task.VerdictFalseChange))
}

// hasGoodEvidence reports whether a task has a field photo that passed its
// checks (GPS present, near the 图斑).
func hasGoodEvidence(t *task.Task) bool {
	for _, e := range t.Evidence {
		if len(e.Flags) == 0 && e.HasGPS {
			return true
		}
	}
	return false
}

// Transition moves a task through its life cycle. The step is recorded with
// the principal as actor; illegal steps are refused (KindConflict) and
// change nothing. Closing a task, or judging it 合法 or 伪变化, needs a
// checked field photo or the reviewer role.
func (a *App) Transition(ctx context.Context, p Principal, id string, req TransitionRequest) (TaskView, error) {
	var out TaskView
	err := a.audited(ctx, p, "task.transition", id, func() (string, error) {
		if err := p.authorize(ActTaskTransition); err != nil {
			return "", err
		}
		tr, err := req.parse(p.Actor())
		if err != nil {
			return "", err
		}
		cur, err := a.loadTask(ctx, p, id)
		if err != nil {
			return "", err
		}
		tr.At = a.now()
		t, err := a.store.UpdateTask(ctx, cur.ID, func(t *task.Task) error {
			if team, scoped := p.TeamScope(); scoped && t.Team != team {
				return ErrForbidden
			}
			if needsReview(tr) && !hasGoodEvidence(t) && !p.Can(ActTaskReview) {
				return errorf(KindForbidden, "%s需要合格的现场举证照片（有GPS且在图斑附近），或由执法审核人员办理", stepName(tr))
			}
			if tr.From == "" {
				tr.From = t.State
			}
			if err := a.judgeCfg.Rules.Apply(t, tr); err != nil {
				var te *task.TransitionError
				if errors.As(err, &te) {
					return &Error{Kind: KindConflict, Message: fmt.Sprintf("不能从%s转为%s：%s", te.From, te.To, te.Problem), err: err}
				}
				return &Error{Kind: KindConflict, Message: clean(err.Error()), err: err}
			}
			return nil
		}, store.FormatTime(a.now()))
		if err != nil {
			return "", err
		}
		out = taskView(t, 0, "", a.today())
		return fmt.Sprintf("%s → %s %s", tr.From, tr.To, tr.Verdict), nil
	})
	return out, err
}

func stepName(tr task.Transition) string {
	if tr.To == task.Closed {
		return "办结任务"
	}
	return "判定为" + tr.Verdict.Label()
}

// ExportFormats are the task export formats (shp: a zipped Shapefile).
var ExportFormats = map[string]func(io.Writer, []export.Row, ...export.Option) error{
	"geojson": export.GeoJSON, "kml": export.KML, "kmz": export.KMZ, "gpx": export.GPX, "xlsx": export.XLSX,
	"shp": export.Shapefile, "zip": export.Bundle,
}

// ExportFormatNames lists the export formats, for messages and help.
const ExportFormatNames = "zip, xlsx, kml, kmz, gpx, geojson, shp"

// ExportContentTypes are the MIME types of the export formats.
var ExportContentTypes = map[string]string{"geojson": "application/geo+json", "kml": "application/vnd.google-earth.kml+xml",
	"kmz": "application/vnd.google-earth.kmz", "gpx": "application/gpx+xml",
	"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "shp": "application/zip", "zip": "application/zip"}

// ExportExtensions are the file name extensions of the export formats
// (a zipped Shapefile is .shp.zip).
var ExportExtensions = map[string]string{"geojson": "geojson", "kml": "kml", "kmz": "kmz", "gpx": "gpx", "xlsx": "xlsx",
	"shp": "shp.zip", "zip": "zip"}

// ExportCRSFormats are the formats whose coordinates export.WithCRS sets
// (zip: its GeoJSON and Shapefile); KML, KMZ and GPX are WGS84 by their
// specifications.
var ExportCRSFormats = map[string]bool{"geojson": true, "shp": true, "zip": true}

// ExportTasks writes the matching tasks for field devices in a format
// (zip: every format plus image chips; kmz carries the chips too). It
// returns how many were written. opts are passed to the writer, e.g.
// export.WithCRS(crs.CGCS2000) for GeoJSON, Shapefile and zip.
func (a *App) ExportTasks(ctx context.Context, p Principal, q TaskQuery, format string, chips bool, w io.Writer, opts ...export.Option) (int, error) {
	write := ExportFormats[format]
	if write == nil {
		return 0, invalid("导出格式 %q 未知：应为 %s", format, ExportFormatNames)
	}
	ts, rank, err := a.tasks(ctx, p, q)
	if err != nil {
		return 0, err
	}
	rows, err := a.exportRows(ctx, p, ts, rank)
	if err != nil {
		return 0, err
	}
	if chips || format == "zip" || format == "kmz" {
		if err := a.addChips(ctx, ts, rows); err != nil {
			return 0, err
		}
	}
	opt := export.WithDate(a.now().In(task.ChinaTime()).Format("2006-01-02"))
	base := []export.Option{opt, export.WithContext(ctx)}
	if ExportCRSFormats[format] {
		base = append(base, export.WithCRS(a.outCRS))
	}
	if err := write(w, rows, append(base, opts...)...); err != nil {
		return 0, err
	}
	a.audit(ctx, p, "tasks.export", q.Team, "ok", fmt.Sprintf("%s, %d tasks", format, len(rows)))
	return len(rows), nil
}

// exportRows builds the export rows of tasks with their 图斑's attributes.
func (a *App) exportRows(ctx context.Context, p Principal, tasks []*task.Task, rank map[string]int) ([]export.Row, error) {
	rows := make([]export.Row, 0, len(tasks))
	for _, t := range tasks {
		tb, err := a.store.Tuban(ctx, t.TubanID)
		if err != nil {
			return nil, err
		}
		contact := tb.Contact
		if !p.SeesContacts() {
			contact = maskContact(contact)
		}
		verdict := ""
		if t.Verdict != "" {
			verdict = t.Verdict.Label()
		}
		rows = append(rows, export.Row{
			JCBH: tb.JCBH, XZQDM: tb.XZQDM, Township: tb.XZQMC, TBLX: tb.TBLX,
			AreaM2: tb.JCMJ, FarmlandM2: tb.JCGDMJ, BasicFarmlandM2: tb.YJJBNTMJ,
			Lon: tb.CenterLon, Lat: tb.CenterLat, QSX: tb.QSX, HSX: tb.HSX,
			Prejudgement: tb.Judgement, Zone: tb.PatrolZone, Team: t.Team, Person: tb.Person, Contact: contact,
			Priority: rank[t.ID], PriorityReason: t.PriorityReason, DueVerify: t.DueVerify.String(),
			State: t.State.String(), Verdict: verdict, Geometry: tb.Geometry,
			Evidence: a.exportPhotos(t),
		})
	}
	return rows, nil
}

// exportPhotos lists a task's evidence photos for the exports; the bundle
// reads them from the blob store.
func (a *App) exportPhotos(t *task.Task) []export.Photo {
	out := make([]export.Photo, 0, len(t.Evidence))
	for _, e := range t.Evidence {
		key := evidenceKey(e)
		out = append(out, export.Photo{Name: path.Base(e.Name), SHA256: e.SHA256, TakenAt: e.TakenAt, HasGPS: e.HasGPS, Lon: e.Lon, Lat: e.Lat,
			DistanceM: e.DistanceM, HasDirection: e.HasDirection, DirectionDeg: e.DirectionDeg, Flags: e.Flags,
			AddedBy: e.AddedBy, AddedAt: e.AddedAt,
			Open: func(ctx context.Context) (io.ReadCloser, error) { return a.blobs.Get(ctx, key) }})
	}
	return out
}

// addChips renders the before/after chips of each row from its 图斑's
// latest batch imagery.
func (a *App) addChips(ctx context.Context, ts []*task.Task, rows []export.Row) error {
	type sceneOf struct {
		scene *detect.Scene
		inv   *raster.Transformer // lon/lat → the scene's CRS
	}
	scenes := map[string]*sceneOf{}
	defer func() {
		for _, sc := range scenes {
			sc.inv.Close()
		}
	}()
	for i, t := range ts {
		tb, err := a.store.Tuban(ctx, t.TubanID)
		if err != nil {
			return err
		}
		so := scenes[tb.LastBatch]
		if so == nil {
			sc, err := a.scene(ctx, tb.LastBatch)
			if err != nil {
				return err
			}
			inv, err := raster.NewInverseTransformer(sc.Grid.WKT)
			if err != nil {
				return err
			}
			so = &sceneOf{scene: sc, inv: inv}
			scenes[tb.LastBatch] = so
		}
		sc, inv := so.scene, so.inv
		poly := make(orb.Polygon, len(tb.Geometry))
		for k, ring := range tb.Geometry {
			xs, ys := make([]float64, len(ring)), make([]float64, len(ring))
			for j, p := range ring {
				xs[j], ys[j] = p[0], p[1]
			}
			if err := inv.ToCRS(xs, ys); err != nil {
				return err
			}
			poly[k] = make(orb.Ring, len(ring))
			for j := range ring {
				poly[k][j] = orb.Point{xs[j], ys[j]}
			}
		}
		px, err := chip.PixelPolygon(sc.Grid, poly)
		if err != nil {
			return err
		}
		bands, err := chip.BandsFromNames(sc.BandNames)
		if err != nil {
			return err
		}
		rows[i].ChipBefore, rows[i].ChipAfter, err = chip.ChipPair(ctx, sc.Before, sc.After, sc.Grid, bands, px, chip.ChipOptions{})
		if err != nil {
			return err
		}
	}
	return nil
}

// scene loads a batch's ingested scene.
func (a *App) scene(ctx context.Context, batchID string) (*detect.Scene, error) {
	r, err := a.blobs.Get(ctx, "batches/"+batchID+"/scene.json")
	if err != nil {
		return nil, wrapNotFound(err, "批次影像", batchID)
	}
	data, err := io.ReadAll(io.LimitReader(r, 64<<20))
	r.Close()
	if err != nil {
		return nil, err
	}
	return detect.DecodeScene(data)
}

var _ = pipeline.ErrInvalid
