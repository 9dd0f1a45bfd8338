package app

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/weipian/weipian/ledger"
	"github.com/weipian/weipian/ledger/report"
	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/pipeline/crs"
	"github.com/weipian/weipian/pipeline/judge"
	"github.com/weipian/weipian/pipeline/reconcile"
	"github.com/weipian/weipian/pipeline/task"
	"github.com/weipian/weipian/store"
)

// LedgerImportRequest names ledger files (XLSX, CSV) and track files (GPX,
// KML/KMZ, GeoJSON) to import, with the options of the ledger reader.
type LedgerImportRequest struct {
	// Files are local files; Names, when set, are the names to record
	// (uploads), one per file.
	Files, Names []string
	// Map is a header mapping: 检查时间=巡查时间,人员=巡查人员.
	Map string
	// Sheets are the XLSX sheets to read (default: those with a header).
	Sheets []string
	// Encoding of CSV files: auto, utf-8 or gb18030.
	Encoding string
	// Year of dates written without one (0: from title, sheet or name).
	Year int
	// MinPeople is the least people on a patrol (0: 2).
	MinPeople int
}

// LedgerFileResult is what importing one file did.
type LedgerFileResult struct {
	File     string   `json:"file"`
	Kind     string   `json:"kind"` // ledger or track
	Tracks   int      `json:"tracks,omitempty"`
	Added    int      `json:"added"`
	Replaced int      `json:"replaced"`
	Same     int      `json:"unchanged"`
	Valid    int      `json:"valid"`
	Invalid  int      `json:"invalid"`
	Breaches int      `json:"breaches"`
	Problems []string `json:"problems"`
}

// IsTrackFile reports whether a file name is a GPS track.
func IsTrackFile(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".gpx", ".kml", ".kmz", ".geojson", ".json":
		return true
	}
	return false
}

// ImportLedger imports patrol ledgers and tracks, each file in one
// transaction: valid rows are kept, bad rows are reported by file, sheet,
// row and column; the same file twice adds nothing.
func (a *App) ImportLedger(ctx context.Context, p Principal, req LedgerImportRequest) ([]LedgerFileResult, error) {
	if err := p.authorize(ActLedgerImport); err != nil {
		a.audit(ctx, p, "ledger.import", strings.Join(req.Files, ","), outcomeOf(err), "")
		return nil, err
	}
	var opts []ledger.Option
	if req.Map != "" {
		m, err := ledger.ParseHeaderMap(req.Map)
		if err != nil {
			return nil, invalid("表头映射 map：%s", clean(err.Error()))
		}
		opts = append(opts, ledger.WithHeaderMap(m))
	}
	if len(req.Sheets) > 0 {
		opts = append(opts, ledger.WithSheets(req.Sheets...))
	}
	if req.Encoding != "" {
		enc, err := ledger.ParseEncoding(req.Encoding)
		if err != nil {
			return nil, invalid("%s", clean(err.Error()))
		}
		opts = append(opts, ledger.WithEncoding(enc))
	}
	if req.Year != 0 && (req.Year < 1990 || req.Year > 2100) {
		return nil, invalid("年份 %d：应为 1990–2100", req.Year)
	}
	if req.Year > 0 {
		opts = append(opts, ledger.WithYear(req.Year))
	}
	if req.MinPeople < 0 || req.MinPeople > 20 {
		return nil, invalid("最少巡查人数 %d：应为 1–20", req.MinPeople)
	}
	if req.MinPeople > 0 {
		opts = append(opts, ledger.WithMinPeople(req.MinPeople))
	}
	zs, err := a.zoneSet(ctx)
	if err != nil {
		return nil, err
	}
	if zones := patrolZones(zs); len(zones) > 0 {
		var names []string
		for _, z := range zones {
			names = append(names, z.Name)
		}
		opts = append(opts, ledger.WithZones(names...))
	}
	if b, ok := countyBound(zs); ok {
		opts = append(opts, ledger.WithCountyBound(b))
	}
	now := store.FormatTime(a.now())
	var out []LedgerFileResult
	for i, f := range req.Files {
		name := filepath.Base(f)
		if i < len(req.Names) && req.Names[i] != "" {
			name = req.Names[i]
		}
		res := LedgerFileResult{File: name, Problems: []string{}}
		err := a.audited(ctx, p, "ledger.import", name, func() (string, error) {
			if IsTrackFile(f) {
				res.Kind = "track"
				tracks, err := ledger.ReadTrackFile(ctx, f)
				if err != nil {
					return "", a.fileError(err, f, name)
				}
				added, err := a.store.ImportTracks(ctx, tracks, now)
				if err != nil {
					return "", err
				}
				res.Tracks, res.Added = len(tracks), added
				for _, tr := range tracks {
					for _, w := range tr.Warnings {
						res.Problems = append(res.Problems, strings.ReplaceAll(w.Error(), f, name))
					}
				}
				return fmt.Sprintf("%d tracks, %d new", len(tracks), added), nil
			}
			res.Kind = "ledger"
			lr, err := ledger.ReadFile(ctx, f, opts...)
			if err != nil {
				return "", a.fileError(err, f, name)
			}
			st, err := a.store.ImportLedger(ctx, lr.Entries, now)
			if err != nil {
				return "", err
			}
			res.Valid, res.Added, res.Replaced, res.Same = len(lr.Entries), st.Added, st.Replaced, st.Unchanged
			res.Invalid, res.Breaches = len(lr.Invalid()), len(lr.Breaches())
			for _, pr := range lr.Problems {
				res.Problems = append(res.Problems, strings.ReplaceAll(pr.Error(), f, name))
			}
			return fmt.Sprintf("%d valid (%d new, %d corrected), %d refused", res.Valid, st.Added, st.Replaced, res.Invalid), nil
		})
		if err != nil {
			return out, err
		}
		out = append(out, res)
	}
	return out, nil
}

// fileError makes a reader's error a user's error naming the file as the
// user knows it.
func (a *App) fileError(err error, path, name string) error {
	if KindOf(err) == KindInternal {
		if _, statErr := os.Stat(path); statErr != nil {
			return invalid("文件 %s 无法读取", name)
		}
		return &Error{Kind: KindInvalid, Message: strings.ReplaceAll(clean(err.Error()), path, name), err: err}
	}
	return &Error{Kind: KindOf(err), Message: strings.ReplaceAll(PublicMessage(err), path, name), err: err}
}

// patrolZones returns the 巡查区 layer.
func patrolZones(zs judge.Zones) []pipeline.Zone { return zs.Layers[pipeline.ZonePatrol] }

// countyBound returns the bounding box of the 行政区 layer, when there is one.
func countyBound(zs judge.Zones) (b orb.Bound, ok bool) {
	for i, z := range zs.Layers[pipeline.ZoneAdmin] {
		if i == 0 {
			b = z.Geometry.Bound()
		} else {
			b = b.Union(z.Geometry.Bound())
		}
		ok = true
	}
	return b, ok
}

// Reconciliation is a batch's 图斑 checked against the patrol ledger and
// tracks, with the per-zone assessment of a month.
type Reconciliation struct {
	Batch  pipeline.Batch
	Period reconcile.Period
	// Results are the 图斑 of the period (by reconcile.PeriodDay, the rule
	// of the per-zone figures too); Checked counts every 图斑 of the batch
	// reconciled (and recorded on the 图斑).
	Results []reconcile.PatchResult
	Checked int
	Zones   []reconcile.ZoneResult
	// Counts are the outcomes' counts in Results by zh-CN label.
	Counts map[string]int
	crs    crs.CRS
	info   map[string]report.PatchInfo
}

// Reconcile checks a batch's 图斑 against the patrol ledger and tracks
// (巡查已发现 / 巡查应发现而未发现 / 未巡查覆盖), assesses the patrol zones
// for a month (period "YYYY-MM"; "" = the month of the batch's latest
// 后时相) and records the outcome on each 图斑.
func (a *App) Reconcile(ctx context.Context, p Principal, batchID, period string) (*Reconciliation, error) {
	var rec *Reconciliation
	err := a.audited(ctx, p, "reconcile", batchID, func() (string, error) {
		if err := p.authorize(ActReconcile); err != nil {
			return "", err
		}
		b, err := a.store.GetBatch(ctx, batchID)
		if err != nil {
			return "", wrapNotFound(err, "批次", batchID)
		}
		tubans, err := a.store.TubansOfBatch(ctx, batchID)
		if err != nil {
			return "", err
		}
		loc := task.ChinaTime()
		flagged := b.FinishedAt
		if flagged.IsZero() {
			flagged = a.now()
		}
		in := reconcile.Input{}
		for _, t := range tubans {
			in.Patches = append(in.Patches, reconcile.PatchOf(t, flagged, loc))
		}
		zs, err := a.zoneSet(ctx)
		if err != nil {
			return "", err
		}
		in.Zones = patrolZones(zs)
		entries, err := a.store.LedgerEntries(ctx)
		if err != nil {
			return "", err
		}
		in.Entries = ledger.Domain(entries)
		tracks, err := a.store.Tracks(ctx)
		if err != nil {
			return "", err
		}
		for i := range tracks {
			in.Tracks = append(in.Tracks, tracks[i].Domain())
		}
		rules := a.judgeCfg.Rules
		opts := []reconcile.Option{reconcile.WithLocation(loc), reconcile.WithWorkdays(func(t time.Time) bool {
			return rules.Calendar.IsWorkingDay(task.DateOf(t, loc))
		})}
		results, err := reconcile.Run(ctx, in, opts...)
		if err != nil {
			return "", err
		}
		var per reconcile.Period
		if period != "" {
			if per, err = reconcile.ParseMonth(period, loc); err != nil {
				return "", invalid("期间 %q：应为 YYYY-MM", period)
			}
		} else {
			// The month the batch monitors: that of its latest 后时相 (the
			// period rule of both sheets, reconcile.PeriodDay).
			last := flagged
			for i := range results {
				if i == 0 || reconcile.PeriodDay(&results[i]).After(last) {
					last = reconcile.PeriodDay(&results[i])
				}
			}
			per = reconcile.Month(last.In(loc).Year(), last.In(loc).Month(), loc)
		}
		zoneResults, err := reconcile.Assess(ctx, in, results, per, opts...)
		if err != nil {
			return "", err
		}
		checks := map[string]*pipeline.PatrolCheck{}
		now := a.now().UTC()
		for i := range results {
			r := &results[i]
			checks[r.Patch.ID] = &pipeline.PatrolCheck{Outcome: r.Outcome.Label(), Detail: patrolDetail(r, loc), Period: per.String(), CheckedAt: now}
		}
		if err := a.store.UpdateTubanPatrol(ctx, checks, store.FormatTime(now)); err != nil {
			return "", err
		}
		// Both sheets show the period's 图斑, by the same rule.
		inPeriod := reconcile.InPeriod(results, per, loc)
		counts := map[string]int{}
		for i := range inPeriod {
			counts[inPeriod[i].Outcome.Label()]++
		}
		info := map[string]report.PatchInfo{}
		for _, t := range tubans {
			info[t.ID] = report.PatchInfo{Zone: t.PatrolZone, Township: t.XZQMC, JCMJ: t.JCMJ, JCGDMJ: t.JCGDMJ, YJJBNTMJ: t.YJJBNTMJ}
		}
		rec = &Reconciliation{Batch: b, Period: per, Results: inPeriod, Checked: len(results), Zones: zoneResults, Counts: counts, info: info, crs: a.outCRS}
		return fmt.Sprintf("%s: %v", per, counts), nil
	})
	return rec, err
}

// patrolDetail says in Chinese what reconciliation found for one 图斑.
func patrolDetail(r *reconcile.PatchResult, loc *time.Location) string {
	switch {
	case r.Found != nil:
		return fmt.Sprintf("台帐%s已记录（共%d条）", r.Found.Ref, r.Matches)
	case r.Closest != nil:
		return fmt.Sprintf("%s %s 经过，距图斑%.0f米，台帐未记录", r.Closest.Time.In(loc).Format("2006-01-02 15:04"), r.Closest.Ref, r.Closest.DistanceM)
	}
	return fmt.Sprintf("变化期内无巡查经过（巡查区台帐%d条）", r.ZoneEntries)
}

// ParseCRS reads an output CRS given by a user (a name crs.Parse reads);
// "" is nil: the deployment's. A bad name is KindInvalid.
func ParseCRS(name string) (*crs.CRS, error) {
	if strings.TrimSpace(name) == "" {
		return nil, nil
	}
	c, err := crs.Parse(name)
	if err != nil {
		return nil, invalid("坐标系 crs=%q：应为 %s", name, crs.Names)
	}
	return &c, nil
}

// UseCRS sets the CRS of 对账_图斑.geojson (default: the deployment's);
// nil keeps it.
func (r *Reconciliation) UseCRS(c *crs.CRS) {
	if c != nil {
		r.crs = *c
	}
}

// ReconcileFiles are the files a reconciliation writes.
var ReconcileFiles = []string{"对账_图斑.xlsx", "对账_图斑.geojson", "对账_巡查区.xlsx"}

// WriteFile writes one of ReconcileFiles to w.
func (r *Reconciliation) WriteFile(w io.Writer, name string) error {
	title := report.WithTitle(fmt.Sprintf("%s 卫片图斑与动态巡查对账（%s）", r.Batch.Spec.Name, r.Period))
	switch name {
	case "对账_图斑.xlsx":
		return report.PatchesXLSX(w, r.Results, title, report.WithPatchInfo(r.info))
	case "对账_图斑.geojson":
		return report.PatchesGeoJSON(w, r.Results, title, report.WithPatchInfo(r.info), report.WithCRS(r.crs))
	case "对账_巡查区.xlsx":
		return report.ZonesXLSX(w, r.Zones, title)
	}
	return notFound("对账文件", name, nil)
}
