package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/paulmach/orb"
	"github.com/spf13/cobra"

	"github.com/weipian/weipian/detect"
	"github.com/weipian/weipian/export"
	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/pipeline/geodesy"
	"github.com/weipian/weipian/pipeline/task"
	"github.com/weipian/weipian/raster"
	"github.com/weipian/weipian/store"
	"github.com/weipian/weipian/tiles/chip"
)

func (a *app) tasksCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "tasks", Short: "Verification tasks (核查任务): list, show, export for field devices, record findings"}
	var cfg config
	var f store.TaskFilter
	list := &cobra.Command{
		Use:   "list [--team T] [--state S] [--batch ID]",
		Short: "List tasks, most urgent first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := a.open(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer s.close()
			if f.State != "" {
				st, err := task.ParseState(f.State)
				if err != nil {
					return usageError{err}
				}
				f.State = string(st)
			}
			ts, err := s.store.Tasks(cmd.Context(), f)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "监测编号\t巡查组\t状态\t核查期限\t巡查对账\t优先原因\t任务ID")
			for _, t := range ts {
				patrol := "未对账"
				if tb, err := s.store.Tuban(cmd.Context(), t.TubanID); err == nil && tb.Patrol != nil {
					patrol = tb.Patrol.Outcome
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.JCBH, t.Team, t.State, t.DueVerify, patrol, t.PriorityReason, t.ID)
			}
			return tw.Flush()
		},
	}
	cfg.flags(list)
	list.Flags().StringVar(&f.Team, "team", "", "patrol team (巡查组)")
	list.Flags().StringVar(&f.State, "state", "", "state, e.g. 待核查")
	list.Flags().StringVar(&f.BatchID, "batch", "", "only tasks of 图斑 seen by this batch")

	var scfg config
	show := &cobra.Command{
		Use:   "show ID|JCBH",
		Short: "Show a task with its 图斑, history and evidence (JSON)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.open(cmd.Context(), scfg)
			if err != nil {
				return err
			}
			defer s.close()
			t, err := s.store.Task(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			tb, err := s.store.Tuban(cmd.Context(), t.TubanID)
			if err != nil {
				return err
			}
			enc := json.NewEncoder(a.stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(map[string]any{"task": t, "tuban": tb})
		},
	}
	cfg0 := &scfg
	cfg0.flags(show)

	cmd.AddCommand(list, show, a.tasksExportCmd(), a.tasksTransitionCmd(), a.tasksEvidenceCmd())
	return cmd
}

func (a *app) tasksExportCmd() *cobra.Command {
	var cfg config
	var f store.TaskFilter
	var format, out string
	var chips bool
	cmd := &cobra.Command{
		Use:   "export --team T --format zip|xlsx|kml|gpx|geojson --out FILE",
		Short: "Export tasks for field devices (GeoJSON, KML, GPX waypoints, XLSX; zip: all four plus image chips)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usageError{errors.New("tasks export needs --out")}
			}
			ctx := cmd.Context()
			s, err := a.open(ctx, cfg)
			if err != nil {
				return err
			}
			defer s.close()
			ts, err := s.store.Tasks(ctx, f)
			if err != nil {
				return err
			}
			rows, err := s.cases.Rows(ctx, ts)
			if err != nil {
				return err
			}
			if chips || format == "zip" {
				if err := s.addChips(ctx, ts, rows); err != nil {
					return err
				}
			}
			write := map[string]func(io.Writer, []export.Row, ...export.Option) error{
				"geojson": export.GeoJSON, "kml": export.KML, "gpx": export.GPX, "xlsx": export.XLSX, "zip": export.Bundle,
			}[format]
			if write == nil {
				return usageError{fmt.Errorf("--format %q: want zip, xlsx, kml, gpx or geojson", format)}
			}
			opt := export.WithDate(time.Now().In(task.ChinaTime()).Format("2006-01-02"))
			if err := writeFileAtomic(out, func(w *os.File) error { return write(w, rows, opt) }); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%d 个核查任务已导出到 %s\n", len(rows), out)
			return nil
		},
	}
	cfg.flags(cmd)
	cmd.Flags().StringVar(&f.Team, "team", "", "patrol team (巡查组)")
	cmd.Flags().StringVar(&f.State, "state", "", "state")
	cmd.Flags().StringVar(&f.BatchID, "batch", "", "batch")
	cmd.Flags().StringVar(&format, "format", "zip", "zip, xlsx, kml, gpx or geojson")
	cmd.Flags().StringVar(&out, "out", "", "output file")
	cmd.Flags().BoolVar(&chips, "chips", false, "embed before/after image chips in the XLSX (always in zip)")
	return cmd
}

// addChips renders the before/after chips of each row from its 图斑's
// latest batch imagery.
func (s *system) addChips(ctx context.Context, ts []*task.Task, rows []export.Row) error {
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
		tb, err := s.store.Tuban(ctx, t.TubanID)
		if err != nil {
			return err
		}
		so := scenes[tb.LastBatch]
		if so == nil {
			r, err := s.blobs.Get(ctx, "batches/"+tb.LastBatch+"/scene.json")
			if err != nil {
				return err
			}
			data, err := io.ReadAll(r)
			r.Close()
			if err != nil {
				return err
			}
			sc, err := detect.DecodeScene(data)
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

func (a *app) tasksTransitionCmd() *cobra.Command {
	var cfg config
	var to, by, reason, verdict, vtype, approval, rect, caseNo string
	cmd := &cobra.Command{
		Use:   "transition ID|JCBH --to STATE --by NAME [--reason …] [--verdict 违法 --type 违法占地 | --verdict 合法 --approval 批准文号]",
		Short: "Move a task on (核查中, 已核查 with a 判定, 已制止, 已立案, 整改中, 已办结); illegal moves are refused",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if to == "" || by == "" {
				return usageError{errors.New("transition needs --to and --by")}
			}
			tr, err := transitionOf(to, by, reason, verdict, vtype, approval, rect, caseNo)
			if err != nil {
				return usageError{err}
			}
			s, err := a.open(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer s.close()
			t, err := s.store.Task(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			t, err = s.cases.Transition(cmd.Context(), t.ID, tr)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%s：%s\n", t.JCBH, t.State)
			return nil
		},
	}
	cfg.flags(cmd)
	f := cmd.Flags()
	f.StringVar(&to, "to", "", "new state, e.g. 核查中, 已核查, 已制止, 已立案, 整改中, 已办结")
	f.StringVar(&by, "by", "", "who (required)")
	f.StringVar(&reason, "reason", "", "why")
	f.StringVar(&verdict, "verdict", "", "判定 with 已核查: 合法, 违法, 伪变化, 设施农用地, 农村道路, 其他")
	f.StringVar(&vtype, "type", "", "违法类型 for 违法: 违法占地, 违法批地, 违法转让, 其他")
	f.StringVar(&approval, "approval", "", "批准文号 for 合法")
	f.StringVar(&rect, "rectification", "", "整改方式 with 整改中: 拆除复耕 or 补办手续")
	f.StringVar(&caseNo, "case-no", "", "立案编号 with 已立案")
	return cmd
}

func (a *app) tasksEvidenceCmd() *cobra.Command {
	var cfg config
	var by string
	cmd := &cobra.Command{
		Use:   "evidence ID|JCBH PHOTO... --by NAME",
		Short: "Attach field photos: EXIF position, direction and time are read and checked against the 图斑",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if by == "" {
				return usageError{errors.New("evidence needs --by")}
			}
			s, err := a.open(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer s.close()
			t, err := s.store.Task(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			for _, p := range args[1:] {
				data, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				f, _, err := s.cases.AddEvidence(cmd.Context(), s.blobs, t.ID, filepath.Base(p), data, by)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "%s：%s\n", filepath.Base(p), f.Summary())
			}
			return nil
		},
	}
	cfg.flags(cmd)
	cmd.Flags().StringVar(&by, "by", "", "who took or uploads the photos")
	return cmd
}

func (a *app) tubanCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "tuban", Short: "图斑: the monitored change patches across batches"}
	var cfg config
	var batch string
	list := &cobra.Command{
		Use:   "list [--batch ID]",
		Short: "List 图斑 (with their change type, areas in 亩, pre-judgement and patrol reconciliation)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := a.open(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer s.close()
			var ts []pipeline.Tuban
			if batch != "" {
				ts, err = s.store.TubansOfBatch(cmd.Context(), batch)
			} else {
				ts, err = s.store.AllTubans(cmd.Context())
			}
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "监测编号\t乡镇\t变化类型\t监测面积(亩)\t耕地(亩)\t永久基本农田(亩)\t初判\t巡查对账")
			for _, t := range ts {
				pc := ""
				if t.Patrol != nil {
					pc = t.Patrol.Outcome
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f\t%.2f\t%.2f\t%s\t%s\n", t.JCBH, t.XZQMC, t.TBLX, geodesy.Mu(t.JCMJ), geodesy.Mu(t.JCGDMJ), geodesy.Mu(t.YJJBNTMJ), t.Judgement, pc)
			}
			return tw.Flush()
		},
	}
	cfg.flags(list)
	list.Flags().StringVar(&batch, "batch", "", "only the 图斑 this batch saw")
	var jcfg config
	judgeCmd := &cobra.Command{
		Use:   "judge --batch ID",
		Short: "Judge a finished batch again (e.g. after importing new zone layers)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if batch == "" {
				return usageError{errors.New("tuban judge needs --batch")}
			}
			s, err := a.open(cmd.Context(), jcfg)
			if err != nil {
				return err
			}
			defer s.close()
			sum, err := s.cases.Judge(cmd.Context(), batch)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%d 个图斑（新增 %d）：疑似违法 %d，已有用地手续 %d，非关注变化 %d；核查任务 %d\n",
				sum.Tubans, sum.New, sum.Suspected, sum.Approved, sum.NotOfInterest, sum.Tasks)
			return nil
		},
	}
	jcfg.flags(judgeCmd)
	judgeCmd.Flags().StringVar(&batch, "batch", "", "batch ID")
	cmd.AddCommand(list, judgeCmd)
	return cmd
}
