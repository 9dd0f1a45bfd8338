package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/spf13/cobra"

	"github.com/weipian/weipian/ledger"
	"github.com/weipian/weipian/ledger/report"
	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/pipeline/judge"
	"github.com/weipian/weipian/pipeline/reconcile"
	"github.com/weipian/weipian/pipeline/task"
	"github.com/weipian/weipian/store"
)

func (a *app) ledgerCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "ledger", Short: "Import ground-patrol ledgers (巡查台帐) and GPS patrol tracks"}
	var cfg config
	var mapping, sheets, encoding string
	var year, minPeople int
	imp := &cobra.Command{
		Use:   "import FILE...",
		Short: "Import ledgers (XLSX, CSV in UTF-8 or GB18030) and tracks (GPX, KML/KMZ, GeoJSON lines)",
		Long: `Import reads patrol ledgers with the seeds' columns (巡查时间, 巡查人员,
巡查区域/路线, 巡查项目, 违法主体或名称, 违法地点, 违法现状, 制止措施, 制止效果,
后续处理情况), and GPS tracks of the patrol routes. Every problem names the file,
sheet, row, column and value and says what was expected; valid rows are kept
and bad rows reported. Importing the same file twice adds nothing; a corrected
row replaces the old one.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			ctx := cmd.Context()
			var opts []ledger.Option
			if mapping != "" {
				m, err := ledger.ParseHeaderMap(mapping)
				if err != nil {
					return usageError{err}
				}
				opts = append(opts, ledger.WithHeaderMap(m))
			}
			if sheets != "" {
				opts = append(opts, ledger.WithSheets(splitBands(sheets)...))
			}
			switch strings.ToLower(encoding) {
			case "", "auto":
			case "utf-8", "utf8":
				opts = append(opts, ledger.WithEncoding(ledger.EncodingUTF8))
			case "gb18030", "gbk", "gb2312":
				opts = append(opts, ledger.WithEncoding(ledger.EncodingGB18030))
			default:
				return usageError{fmt.Errorf("--encoding %q: want auto, utf-8 or gb18030", encoding)}
			}
			if year > 0 {
				opts = append(opts, ledger.WithYear(year))
			}
			if minPeople > 0 {
				opts = append(opts, ledger.WithMinPeople(minPeople))
			}
			s, err := a.open(ctx, cfg)
			if err != nil {
				return err
			}
			defer s.close()
			zs, err := s.zones(ctx)
			if err != nil {
				return err
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
			now := store.FormatTime(time.Now())
			refused := 0
			for _, f := range files {
				switch strings.ToLower(filepath.Ext(f)) {
				case ".gpx", ".kml", ".kmz", ".geojson", ".json":
					tracks, err := ledger.ReadTrackFile(ctx, f)
					if err != nil {
						return err
					}
					added, err := s.store.ImportTracks(ctx, tracks, now)
					if err != nil {
						return err
					}
					fmt.Fprintf(a.stdout, "%s：%d 条轨迹，新增 %d 条\n", filepath.Base(f), len(tracks), added)
				default:
					res, err := ledger.ReadFile(ctx, f, opts...)
					if err != nil {
						return err
					}
					st, err := s.store.ImportLedger(ctx, res.Entries, now)
					if err != nil {
						return err
					}
					inv, br := res.Invalid(), res.Breaches()
					refused += len(inv)
					fmt.Fprintf(a.stdout, "%s：有效 %d 行（新增 %d，更正 %d，已有 %d），有错误未导入 %d 行，违规 %d 处\n",
						filepath.Base(f), len(res.Entries), st.Added, st.Replaced, st.Unchanged, len(inv), len(br))
					for _, p := range res.Problems {
						fmt.Fprintf(a.stdout, "  %s\n", p.Error())
					}
				}
			}
			if refused > 0 {
				fmt.Fprintf(a.stdout, "共 %d 行有错误未导入：请按上列提示改正后重新导入（已导入的行不会重复）。\n", refused)
			}
			return nil
		},
	}
	cfg.flags(imp)
	imp.Flags().StringVar(&mapping, "map", "", "header mapping for this office's own column names, e.g. 检查时间=巡查时间,人员=巡查人员")
	imp.Flags().StringVar(&sheets, "sheets", "", "XLSX sheets to read (default: every sheet with a ledger header)")
	imp.Flags().StringVar(&encoding, "encoding", "auto", "CSV encoding: auto, utf-8 or gb18030")
	imp.Flags().IntVar(&year, "year", 0, "year of dates written without one (default: from the title, sheet or file name)")
	imp.Flags().IntVar(&minPeople, "min-people", 2, "the least people on a patrol (the 2-person rule)")
	cmd.AddCommand(imp)
	return cmd
}

// patrolZones returns the 巡查区 layer as reconciliation zones.
func patrolZones(zs judge.Zones) []reconcile.Zone {
	var out []reconcile.Zone
	for _, z := range zs.Layers["巡查区"] {
		out = append(out, reconcile.Zone{ID: z.ID, Name: z.Name, Grade: reconcile.Grade(z.Grade), Team: z.Team, Geometry: z.Geometry})
	}
	return out
}

// countyBound returns the bounding box of the 行政区 layer, when there is one.
func countyBound(zs judge.Zones) (b orb.Bound, ok bool) {
	for i, z := range zs.Layers["行政区"] {
		if i == 0 {
			b = z.Geometry.Bound()
		} else {
			b = b.Union(z.Geometry.Bound())
		}
		ok = true
	}
	return b, ok
}

func (a *app) reconcileCmd() *cobra.Command {
	var cfg config
	var batchID, period, out string
	cmd := &cobra.Command{
		Use:   "reconcile --batch ID [--period 2026-05] [--out DIR]",
		Short: "Check a batch's 图斑 against the patrol ledger and tracks (巡查已发现/应发现而未发现/未巡查覆盖)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if batchID == "" {
				return usageError{errors.New("reconcile needs --batch")}
			}
			ctx := cmd.Context()
			s, err := a.open(ctx, cfg)
			if err != nil {
				return err
			}
			defer s.close()
			b, err := s.store.GetBatch(ctx, batchID)
			if err != nil {
				return err
			}
			tubans, err := s.store.TubansOfBatch(ctx, batchID)
			if err != nil {
				return err
			}
			loc := task.ChinaTime()
			flagged := b.FinishedAt
			if flagged.IsZero() {
				flagged = time.Now()
			}
			in := reconcile.Input{}
			for _, t := range tubans {
				p := reconcile.Patch{ID: t.ID, JCBH: t.JCBH, Geometry: t.Geometry, PatrolZoneID: t.PatrolZoneID,
					Suspected: t.Judgement == pipeline.JudgeSuspected, FlaggedAt: flagged}
				p.QSX, _ = time.ParseInLocation("2006-01-02", t.QSX, loc)
				p.HSX, _ = time.ParseInLocation("2006-01-02", t.HSX, loc)
				in.Patches = append(in.Patches, p)
			}
			zs, err := s.zones(ctx)
			if err != nil {
				return err
			}
			in.Zones = patrolZones(zs)
			entries, err := s.store.LedgerEntries(ctx)
			if err != nil {
				return err
			}
			in.Entries = ledger.Domain(entries)
			tracks, err := s.store.Tracks(ctx)
			if err != nil {
				return err
			}
			for i := range tracks {
				in.Tracks = append(in.Tracks, tracks[i].Domain())
			}
			rules := task.DefaultRules()
			opts := []reconcile.Option{reconcile.WithLocation(loc), reconcile.WithWorkdays(func(t time.Time) bool {
				return rules.Calendar.IsWorkingDay(task.DateOf(t, loc))
			})}
			results, err := reconcile.Run(ctx, in, opts...)
			if err != nil {
				return err
			}
			var p reconcile.Period
			if period != "" {
				if p, err = reconcile.ParseMonth(period, loc); err != nil {
					return usageError{err}
				}
			} else {
				p = reconcile.Month(flagged.In(loc).Year(), flagged.In(loc).Month(), loc)
			}
			zoneResults, err := reconcile.Assess(ctx, in, results, p, opts...)
			if err != nil {
				return err
			}
			if out == "" {
				out = "reconcile-" + batchID
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
			title := report.WithTitle(fmt.Sprintf("%s 卫片图斑与动态巡查对账（%s）", b.Spec.Name, p))
			for _, f := range []struct {
				name  string
				write func(*os.File) error
			}{
				{"对账_图斑.xlsx", func(w *os.File) error { return report.PatchesXLSX(w, results, title) }},
				{"对账_图斑.geojson", func(w *os.File) error { return report.PatchesGeoJSON(w, results, title) }},
				{"对账_巡查区.xlsx", func(w *os.File) error { return report.ZonesXLSX(w, zoneResults, title) }},
			} {
				if err := writeFileAtomic(filepath.Join(out, f.name), f.write); err != nil {
					return err
				}
			}
			checks := map[string]*pipeline.PatrolCheck{}
			counts := map[string]int{}
			now := time.Now().UTC()
			for _, r := range results {
				o := r.Outcome.Label()
				counts[o]++
				checks[r.Patch.ID] = &pipeline.PatrolCheck{Outcome: o, Detail: patrolDetail(&r, loc), Period: p.String(), CheckedAt: now}
			}
			if err := s.store.UpdateTubanPatrol(ctx, checks, store.FormatTime(now)); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%d 个图斑：巡查已发现 %d，巡查应发现而未发现 %d，未巡查覆盖 %d；%d 个巡查区（%s）。结果在 %s\n",
				len(results), counts["巡查已发现"], counts["巡查应发现而未发现"], counts["未巡查覆盖"], len(zoneResults), p, out)
			return nil
		},
	}
	cfg.flags(cmd)
	cmd.Flags().StringVar(&batchID, "batch", "", "batch ID")
	cmd.Flags().StringVar(&period, "period", "", "month of the per-zone assessment, e.g. 2026-05 (default: the batch's month)")
	cmd.Flags().StringVar(&out, "out", "", "output directory (default reconcile-<batch>)")
	return cmd
}

// writeFileAtomic writes a file through a temporary name and a rename.
func writeFileAtomic(path string, write func(*os.File) error) error {
	tmp := path + ".part"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
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
