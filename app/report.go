package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/weipian/weipian/ledger"
	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/pipeline/overlay"
	"github.com/weipian/weipian/pipeline/reconcile"
	"github.com/weipian/weipian/pipeline/stats"
	"github.com/weipian/weipian/pipeline/task"
	"github.com/weipian/weipian/reportdoc"
	"github.com/weipian/weipian/store"
)

// ReportConfig holds the local rules of the reports; zero fields take the
// practice's defaults (see package stats).
type ReportConfig struct {
	// Unit is the 填报单位 printed on every table ("" leaves a blank).
	Unit string
	// Lines are the 违法占用耕地面积比例 lines (default: 15 %).
	Lines []stats.Line
	// BigMu is the 耕地 area of a 百亩大图斑 (default 100 亩).
	BigMu float64
	// Assess holds the deductions and manual marks of the patrol assessment.
	Assess stats.AssessConfig
	// Browser is the Chromium that prints PDFs ("" = found on the PATH).
	Browser string
}

// ReportRequest asks for the report of a period.
type ReportRequest struct {
	// Period is 2026 (年报), 2026-Q2 (季报) or 2026-05 (月报).
	Period string
	// Region keeps the 图斑 whose XZQDM starts with it (a county or a
	// township code); "" keeps all.
	Region string
	// Batches keeps the 图斑 seen by these batches; none keeps all.
	Batches []string
	// AsOf is the day deadlines are judged at (YYYY-MM-DD); "" is the
	// period's last day, or today while the period runs.
	AsOf string
}

// ReportFormats are the formats a report is written in.
var ReportFormats = []string{"json", "xlsx", "html", "pdf"}

// ReportContentTypes are their media types.
var ReportContentTypes = map[string]string{
	"json": "application/json",
	"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"html": "text/html; charset=utf-8",
	"pdf":  "application/pdf",
}

// Report computes the statistics report of a period from the state store:
// the 图斑 of the region and batches asked for, their tasks, the approvals
// and 耕地 layers (for the 15 % ratio), the patrol zones with the ledger
// and tracks (for the assessment). Viewers, reviewers, remote-sensing staff
// and administrators may read it; patrol members may not (it covers every
// team).
func (a *App) Report(ctx context.Context, p Principal, req ReportRequest) (*reportdoc.Document, error) {
	if err := p.authorize(ActReportRead); err != nil {
		return nil, err
	}
	per, err := stats.ParsePeriod(req.Period)
	if err != nil {
		return nil, invalid("统计期 period=%q：应为年（2026）、季度（2026-Q2）或月份（2026-05）", req.Period)
	}
	region := strings.TrimSpace(req.Region)
	if region != "" && (len(region) > 12 || strings.Trim(region, "0123456789") != "") {
		return nil, invalid("行政区代码 region=%q：应为数字（县 6 位、乡镇 9 位）", req.Region)
	}
	loc := task.ChinaTime()
	asOf, err := a.reportAsOf(per, req.AsOf, loc)
	if err != nil {
		return nil, err
	}
	cfg := a.cfg.Report
	doc := &reportdoc.Document{Meta: reportdoc.Meta{Unit: cfg.Unit}}

	// The 图斑.
	var tubans []pipeline.Tuban
	batchNames := map[string]string{}
	batchName := func(id string) string {
		if n, ok := batchNames[id]; ok {
			return n
		}
		n := id
		if b, err := a.store.GetBatch(ctx, id); err == nil && b.Spec.Name != "" {
			n = b.Spec.Name
		}
		batchNames[id] = n
		return n
	}
	if len(req.Batches) > 0 {
		seen := map[string]bool{}
		for _, id := range req.Batches {
			b, err := a.store.GetBatch(ctx, id)
			if err != nil {
				return nil, wrapNotFound(err, "批次", id)
			}
			doc.Meta.Batches = append(doc.Meta.Batches, cmpOr(b.Spec.Name, id))
			ts, err := a.store.TubansOfBatch(ctx, id)
			if err != nil {
				return nil, err
			}
			for _, t := range ts {
				if !seen[t.ID] {
					seen[t.ID] = true
					tubans = append(tubans, t)
				}
			}
		}
		slices.SortFunc(tubans, func(x, y pipeline.Tuban) int { return strings.Compare(x.JCBH, y.JCBH) })
	} else if tubans, err = a.store.AllTubans(ctx); err != nil {
		return nil, err
	}
	tasks, err := a.store.Tasks(ctx, store.TaskFilter{})
	if err != nil {
		return nil, err
	}
	byTuban := map[string]*task.Task{}
	for _, t := range tasks {
		byTuban[t.TubanID] = t
	}
	in := stats.Input{Period: per, AsOf: asOf}
	var geoms []orb.Polygon
	for _, t := range tubans {
		if region != "" && !strings.HasPrefix(t.XZQDM, region) {
			continue
		}
		st := stats.Tuban{ID: t.ID, JCBH: t.JCBH, XZQDM: t.XZQDM, Township: t.XZQMC, Batch: batchName(t.FirstBatch),
			Day: a.periodDay(ctx, t, loc), TBLX: t.TBLX, JCMJ: t.JCMJ, JCGDMJ: t.JCGDMJ, YJJBNTMJ: t.YJJBNTMJ,
			PatrolZone: t.PatrolZone, Team: t.Team}
		if t.XZQMC == "" {
			// The batch's or issuer's county code: in no township.
			st.XZQDM = ""
		}
		if is := t.Issued; is != nil {
			st.Source = is.Source
			st.OwnFound = len(t.AltJCBH) > 0 || t.FirstBatch != is.Batch
			st.Batch = cmpOr(is.BatchName, batchName(is.Batch))
		}
		if t.Patrol != nil {
			st.Patrol = t.Patrol.Outcome
		}
		if tk := byTuban[t.ID]; tk != nil {
			st.Task = stats.TaskOf(tk)
		}
		in.Tubans = append(in.Tubans, st)
		geoms = append(geoms, t.Geometry)
	}

	// The zone layers.
	admin, _ := a.activeLayer(ctx, pipeline.ZoneAdmin)
	regionShapes := orb.MultiPolygon{}
	for _, z := range admin.Zones {
		if region != "" && strings.HasPrefix(z.XZQDM, region) {
			regionShapes = append(regionShapes, z.Geometry...)
		}
	}
	inRegion := func(g orb.MultiPolygon, xzqdm string) bool {
		switch {
		case region == "":
			return true
		case xzqdm != "":
			return strings.HasPrefix(xzqdm, region)
		case len(regionShapes) == 0 || len(g) == 0:
			return true
		}
		return planar.MultiPolygonContains(regionShapes, g.Bound().Center())
	}
	if err := a.reportRatio(ctx, &in, per, inRegion); err != nil {
		return nil, err
	}
	patrol, hasPatrol := a.activeLayer(ctx, pipeline.ZonePatrol)
	if hasPatrol {
		if err := a.reportPatrol(ctx, &in, patrol, per, asOf, loc, inRegion); err != nil {
			return nil, err
		}
	}

	doc.Report = stats.Compute(in, stats.Config{Lines: cfg.Lines, BigMu: cfg.BigMu, Assess: cfg.Assess})

	// What the small map shows.
	for _, z := range admin.Zones {
		if inRegion(z.Geometry, z.XZQDM) {
			doc.Map.Townships = append(doc.Map.Townships, reportdoc.Shape{Name: z.Label(), Geometry: z.Geometry})
		}
	}
	for _, z := range patrol.Zones {
		if inRegion(z.Geometry, z.XZQDM) {
			doc.Map.Zones = append(doc.Map.Zones, reportdoc.Shape{Name: z.Label(), Geometry: z.Geometry})
		}
	}
	for i := range in.Tubans {
		t := &in.Tubans[i]
		if !per.Contains(t.Day) || (t.Task == nil && !t.Issued()) || len(geoms[i]) == 0 {
			continue
		}
		class := "未核实"
		switch {
		case t.Task.Illegal():
			class = "违法"
		case t.Task.Verified() && t.Task.Verdict == task.VerdictLegal:
			class = "合法"
		case t.Task.Verified():
			class = "其他"
		}
		doc.Map.Tubans = append(doc.Map.Tubans, reportdoc.Shape{Name: t.JCBH, Class: class, Geometry: orb.MultiPolygon{geoms[i]}})
	}
	doc.Meta.Region = a.regionLabel(region, admin)
	return doc, nil
}

func cmpOr(s, def string) string {
	if s != "" {
		return s
	}
	return def
}

// reportAsOf is the day the report stands at.
func (a *App) reportAsOf(per stats.Period, s string, loc *time.Location) (time.Time, error) {
	if s != "" {
		d, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(s), loc)
		if err != nil {
			return time.Time{}, invalid("截至日期 as_of=%q：应为 YYYY-MM-DD", s)
		}
		return d, nil
	}
	last := per.End(loc).AddDate(0, 0, -1)
	today := a.now().In(loc)
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, loc)
	if today.Before(last) {
		return today, nil
	}
	return last, nil
}

// periodDay is the 统计日期 of a 图斑: the day that puts it in a period,
// by the rule of the reconciliation sheets (reconcile.PeriodDay): its
// 后时相, else the issued 后时相 or issue date, else the day its first
// batch finished.
func (a *App) periodDay(ctx context.Context, t pipeline.Tuban, loc *time.Location) string {
	for _, d := range []string{t.HSX, issuedField(t, "hsx"), issuedField(t, "xfsj")} {
		if v, err := pipeline.ParseZoneDate(d); err == nil {
			return v
		}
	}
	if b, err := a.store.GetBatch(ctx, t.FirstBatch); err == nil && !b.FinishedAt.IsZero() {
		return b.FinishedAt.In(loc).Format("2006-01-02")
	}
	return ""
}

func issuedField(t pipeline.Tuban, f string) string {
	if t.Issued == nil {
		return ""
	}
	if f == "hsx" {
		return t.Issued.HSX
	}
	return t.Issued.XFSJ
}

// activeLayer returns the active layer of kind, and whether there is one.
func (a *App) activeLayer(ctx context.Context, kind pipeline.ZoneKind) (pipeline.ZoneLayer, bool) {
	l, err := a.store.ActiveZones(ctx, kind)
	if err != nil {
		return pipeline.ZoneLayer{Kind: kind}, false
	}
	return l, true
}

func layerText(l pipeline.ZoneLayer) string {
	s := fmt.Sprintf("%s 第%d版", l.Kind, l.Version)
	if l.Name != "" {
		s += "「" + l.Name + "」"
	}
	if !l.ImportedAt.IsZero() {
		s += "（" + l.ImportedAt.In(task.ChinaTime()).Format("2006-01-02") + " 导入，" + strconv.Itoa(len(l.Zones)) + " 个要素）"
	}
	return s
}

// reportRatio fills the denominator of the 违法占用耕地面积比例: the
// approvals of the period that make construction land (stats.
// NewConstruction), and their area on the active 耕地 layer, overlaps
// counted once.
func (a *App) reportRatio(ctx context.Context, in *stats.Input, per stats.Period, inRegion func(orb.MultiPolygon, string) bool) error {
	approvals, hasApprovals := a.activeLayer(ctx, pipeline.ZoneApproval)
	farmland, hasFarmland := a.activeLayer(ctx, pipeline.ZoneCultivated)
	in.NoApprovals = !hasApprovals
	if hasApprovals {
		in.Layers = append(in.Layers, layerText(approvals))
	}
	if hasFarmland {
		in.Layers = append(in.Layers, layerText(farmland))
	} else {
		in.Layers = append(in.Layers, "耕地图层未导入：批准用地占用耕地面积记为 0")
	}
	var picked []pipeline.Zone
	for _, z := range approvals.Zones {
		if stats.NewConstruction(string(z.ApprovalType), z.ValidFrom, per) && inRegion(z.Geometry, z.XZQDM) {
			picked = append(picked, z)
		}
	}
	if len(picked) == 0 {
		return nil
	}
	var layer *overlay.Layer
	if hasFarmland {
		feats := make([]overlay.Feature, 0, len(farmland.Zones))
		for _, z := range farmland.Zones {
			feats = append(feats, overlay.Feature{ID: strconv.FormatInt(z.ID, 10), Geometry: z.Geometry})
		}
		var err error
		if layer, err = overlay.NewLayer(feats); err != nil {
			return fmt.Errorf("app: 耕地 layer for the report: %w", err)
		}
	}
	var union orb.MultiPolygon
	for _, z := range picked {
		ap := stats.Approval{No: z.ApprovalNo, Type: string(z.ApprovalType), ValidFrom: z.ValidFrom, ValidTo: z.ValidTo}
		if layer != nil {
			res, err := layer.OverlayMulti(z.Geometry)
			if err != nil {
				return fmt.Errorf("app: approval %s on 耕地: %w", z.ApprovalNo, err)
			}
			ap.FarmlandM2 = res.Covered
		}
		in.Approvals = append(in.Approvals, ap)
		union = append(union, z.Geometry...)
	}
	if layer != nil {
		res, err := layer.OverlayMulti(union)
		if err != nil {
			return fmt.Errorf("app: approvals on 耕地: %w", err)
		}
		in.ApprovedFarmM2 = res.Covered
	}
	return nil
}

// reportPatrol assesses the patrol zones over the period from the ledger
// and the tracks (the 图斑 figures come from the outcomes recorded on the
// 图斑 by the last reconciliation).
func (a *App) reportPatrol(ctx context.Context, in *stats.Input, layer pipeline.ZoneLayer, per stats.Period, asOf time.Time,
	loc *time.Location, inRegion func(orb.MultiPolygon, string) bool) error {
	var zs []reconcile.Zone
	person := map[string]string{}
	for _, z := range layer.Zones {
		if !inRegion(z.Geometry, z.XZQDM) {
			continue
		}
		zs = append(zs, z)
		person[z.Name] = z.Person
	}
	if len(zs) == 0 {
		return nil
	}
	entries, err := a.store.LedgerEntries(ctx)
	if err != nil {
		return err
	}
	tracks, err := a.store.Tracks(ctx)
	if err != nil {
		return err
	}
	rin := reconcile.Input{Zones: zs, Entries: ledger.Domain(entries)}
	for i := range tracks {
		rin.Tracks = append(rin.Tracks, tracks[i].Domain())
	}
	rules := a.judgeCfg.Rules
	// A period that runs is judged up to its as-of day.
	to := per.End(loc)
	if next := asOf.AddDate(0, 0, 1); next.Before(to) {
		to = next
	}
	if !to.After(per.Start(loc)) {
		return nil // the period has not begun
	}
	end := to.Add(-time.Second)
	res, err := reconcile.Assess(ctx, rin, nil, reconcile.Period{From: per.Start(loc), To: to},
		reconcile.WithLocation(loc), reconcile.WithNow(func() time.Time { return end }),
		reconcile.WithWorkdays(func(t time.Time) bool { return rules.Calendar.IsWorkingDay(task.DateOf(t, loc)) }))
	if err != nil {
		if errors.Is(err, pipeline.ErrInvalid) {
			return invalid("巡查区图层：%s", clean(err.Error()))
		}
		return err
	}
	for _, r := range res {
		in.Zones = append(in.Zones, stats.PatrolZone{ZoneResult: r, Person: person[r.Name]})
	}
	return nil
}

// regionLabel names the area reported on.
func (a *App) regionLabel(region string, admin pipeline.ZoneLayer) string {
	if region == "" {
		n := 0
		for _, z := range admin.Zones {
			if z.XZQDM != "" {
				n++
			}
		}
		if n > 0 {
			return fmt.Sprintf("全部（%d个乡镇）", n)
		}
		return "全部"
	}
	for _, z := range admin.Zones {
		if z.XZQDM == region {
			return z.Label() + "（" + region + "）"
		}
	}
	return "行政区代码 " + region
}

// ReportJSON is the report as the API's JSON format gives it.
type ReportJSON struct {
	Title  string         `json:"title"`
	Period string         `json:"period"`
	Meta   reportdoc.Meta `json:"meta"`
	Report stats.Report   `json:"report"`
}

// WriteReport writes a report in one of ReportFormats.
func (a *App) WriteReport(ctx context.Context, w io.Writer, doc *reportdoc.Document, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(ReportJSON{Title: doc.Title(), Period: doc.Report.Period.String(), Meta: doc.Meta, Report: doc.Report})
	case "xlsx":
		return reportdoc.WriteXLSX(w, doc)
	case "html":
		return reportdoc.WriteHTML(w, doc)
	case "pdf":
		err := reportdoc.WritePDF(ctx, w, doc, reportdoc.PDFOptions{Browser: a.cfg.Report.Browser})
		if errors.Is(err, reportdoc.ErrNoBrowser) {
			return &Error{Kind: KindInternal, Message: "生成 PDF 需要 Chromium：本机未安装（scripts/setup.sh report，或设置 WEIPIAN_CHROMIUM）", err: err}
		}
		return err
	}
	return invalid("格式 format=%q：应为 %s", format, strings.Join(ReportFormats, "、"))
}
