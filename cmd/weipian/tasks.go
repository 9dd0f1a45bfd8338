package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/weipian/weipian/app"
	"github.com/weipian/weipian/export"
	"github.com/weipian/weipian/pipeline/crs"
)

func (a *cli) tasksCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "tasks", Short: "Verification tasks (核查任务): list, show, export for field devices, record findings"}
	var q app.TaskQuery
	var asJSON bool
	list := &cobra.Command{
		Use:   "list [--team T] [--state S] [--batch ID] [--overdue]",
		Short: "List tasks, most urgent first, with totals",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer s.Close()
			q.Page = app.Page{Limit: app.MaxPageLimit}
			ts, err := s.Tasks(cmd.Context(), operator(""), q)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(a.stdout, ts)
			}
			rows := [][]string{{"序号", "监测编号", "巡查组", "状态", "核查期限", "监测面积(亩)", "耕地(亩)", "永久基本农田(亩)", "巡查对账", "优先原因", "任务ID"}}
			for _, t := range ts.Items {
				due := t.DueVerify
				if t.Overdue {
					due += " 已逾期"
				}
				patrol := t.Patrol
				if patrol == "" {
					patrol = "未对账"
				}
				rows = append(rows, []string{fmt.Sprint(t.Rank), t.JCBH, t.Team, t.State.Label, due, mu(t.Areas.JCMJ.Mu), mu(t.Areas.JCGDMJ.Mu),
					mu(t.Areas.YJJBNTMJ.Mu), patrol, t.PriorityReason, t.ID})
			}
			tot := ts.Totals
			rows = append(rows, []string{"合计", fmt.Sprintf("%d 个任务", tot.Count), "", fmt.Sprintf("逾期 %d", tot.Overdue), "",
				mu(tot.JCMJ.Mu), mu(tot.JCGDMJ.Mu), mu(tot.YJJBNTMJ.Mu), "", "", ""})
			writeTable(a.stdout, rows)
			if len(ts.Items) < tot.Count {
				fmt.Fprintf(a.stdout, "（只列出前 %d 个）\n", len(ts.Items))
			}
			return nil
		},
	}
	list.Flags().StringVar(&q.Team, "team", "", "patrol team (巡查组)")
	list.Flags().StringVar(&q.State, "state", "", "state, e.g. 待核查 or pending")
	list.Flags().StringVar(&q.Batch, "batch", "", "only tasks of 图斑 seen by this batch")
	list.Flags().BoolVar(&q.Overdue, "overdue", false, "only overdue tasks")
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON (as the HTTP API)")

	show := &cobra.Command{
		Use:   "show ID|JCBH",
		Short: "Show a task with its 图斑, history and evidence (JSON)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer s.Close()
			d, err := s.Task(cmd.Context(), operator(""), args[0])
			if err != nil {
				return err
			}
			return printJSON(a.stdout, d)
		},
	}
	cmd.AddCommand(list, show, a.tasksExportCmd(), a.tasksTransitionCmd(), a.tasksEvidenceCmd(), a.tasksFindingsCmd())
	return cmd
}

func mu(v float64) string { return fmt.Sprintf("%.2f", v) }

func (a *cli) tasksExportCmd() *cobra.Command {
	var q app.TaskQuery
	var format, out, crsName string
	var chips bool
	cmd := &cobra.Command{
		Use:   "export --team T --format zip|xlsx|kml|kmz|gpx|geojson|shp [--crs 4490|gk|EPSG:4526|…] --out FILE",
		Short: "Export tasks for field devices (GeoJSON, KML, KMZ, GPX, XLSX, zipped GBK Shapefile; zip: all of them plus image chips and evidence photos)",
		Long: `Export tasks for field devices. Formats: geojson, kml, kmz (KML with local icons and the
image chips inside), gpx (centre waypoints, outlines as routes and tracks), xlsx, shp (a zipped
Shapefile with GBK attributes and short field names, for field GIS apps) and zip (all of them,
with the chips and evidence photos). Nothing loads from the network.

--crs sets the coordinates of geojson and shp (and of those in zip): ` + crs.Names + `.
Default: WGS84 for GeoJSON (RFC 7946), CGCS2000 (EPSG:4490) for the Shapefile. KML, KMZ and GPX
are WGS84 by their specifications and take no --crs.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usageError{errors.New("tasks export needs --out")}
			}
			if app.ExportFormats[format] == nil {
				return usageError{fmt.Errorf("--format %q: want %s", format, app.ExportFormatNames)}
			}
			var opts []export.Option
			if crsName != "" {
				if !app.ExportCRSFormats[format] {
					return usageError{fmt.Errorf("--crs: %s is WGS84 by its specification; --crs applies to geojson, shp and zip", format)}
				}
				c, err := crs.Parse(crsName)
				if err != nil {
					return usageError{fmt.Errorf("--crs: %w", err)}
				}
				opts = append(opts, export.WithCRS(c))
			}
			ctx := cmd.Context()
			s, err := a.open(ctx)
			if err != nil {
				return err
			}
			defer s.Close()
			n := 0
			err = writeFileAtomic(out, func(w *os.File) error {
				var err error
				n, err = s.ExportTasks(ctx, operator(""), q, format, chips, w, opts...)
				return err
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%d 个核查任务已导出到 %s\n", n, out)
			return nil
		},
	}
	cmd.Flags().StringVar(&q.Team, "team", "", "patrol team (巡查组)")
	cmd.Flags().StringVar(&q.State, "state", "", "state")
	cmd.Flags().StringVar(&q.Batch, "batch", "", "batch")
	cmd.Flags().StringVar(&format, "format", "zip", app.ExportFormatNames+" (shp: zipped Shapefile)")
	cmd.Flags().StringVar(&crsName, "crs", "", "CRS of geojson/shp coordinates: 4490, gk (3-degree GK zone of the data), EPSG:4513–4554, 4326 (KML/KMZ/GPX stay WGS84)")
	cmd.Flags().StringVar(&out, "out", "", "output file")
	cmd.Flags().BoolVar(&chips, "chips", false, "embed before/after image chips in the XLSX (always in zip and kmz)")
	return cmd
}

func (a *cli) tasksTransitionCmd() *cobra.Command {
	var by string
	var req app.TransitionRequest
	cmd := &cobra.Command{
		Use:   "transition ID|JCBH --to STATE --by NAME [--reason …] [--verdict 违法 --type 违法占地 | --verdict 合法 --approval 批准文号]",
		Short: "Move a task on (核查中, 已核查 with a 判定, 已制止, 已立案, 整改中, 已办结); illegal moves are refused",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if req.To == "" || by == "" {
				return usageError{errors.New("transition needs --to and --by")}
			}
			s, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer s.Close()
			t, err := s.Transition(cmd.Context(), operator(by), args[0], req)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%s：%s\n", t.JCBH, t.State.Label)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.To, "to", "", "new state, e.g. 核查中, 已核查, 已制止, 已立案, 整改中, 已办结")
	f.StringVar(&by, "by", "", "who (required)")
	f.StringVar(&req.Reason, "reason", "", "why")
	f.StringVar(&req.Verdict, "verdict", "", "判定 with 已核查: 合法, 违法, 伪变化, 设施农用地, 农村道路, 其他")
	f.StringVar(&req.ViolationType, "type", "", "违法类型 for 违法: 违法占地, 违法批地, 违法转让, 其他")
	f.StringVar(&req.ApprovalNo, "approval", "", "批准文号 for 合法")
	f.StringVar(&req.Rectification, "rectification", "", "整改方式 with 整改中: 拆除复耕 or 补办手续")
	f.StringVar(&req.CaseNo, "case-no", "", "立案编号 with 已立案")
	return cmd
}

func (a *cli) tasksEvidenceCmd() *cobra.Command {
	var by, kind string
	cmd := &cobra.Command{
		Use:   "evidence ID|JCBH PHOTO... --by NAME",
		Short: "Attach field photos: EXIF position, direction and time are read and checked against the 图斑 (all or none are stored)",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if by == "" {
				return usageError{errors.New("evidence needs --by")}
			}
			ctx := cmd.Context()
			s, err := a.open(ctx)
			if err != nil {
				return err
			}
			defer s.Close()
			up, err := s.NewEvidenceUpload(ctx, operator(by), args[0])
			if err != nil {
				return err
			}
			defer up.Close()
			if err := up.SetKind(kind); err != nil {
				return err
			}
			for _, p := range args[1:] {
				if st, err := os.Stat(p); err == nil && st.Size() > s.EvidenceMaxBytes() {
					return fmt.Errorf("%s: %w", p, &app.Error{Kind: app.KindTooLarge,
						Message: fmt.Sprintf("照片 %s 超过大小上限 %d MiB；本次照片均未保存", filepath.Base(p), s.EvidenceMaxBytes()>>20)})
				}
				f, err := os.Open(p)
				if err != nil {
					return err
				}
				err = up.Add(filepath.Base(p), f)
				f.Close()
				if err != nil {
					return err
				}
			}
			results, _, err := up.Commit(ctx)
			if err != nil {
				return err
			}
			for _, r := range results {
				fmt.Fprintf(a.stdout, "%s：%s\n", r.Name, r.Summary)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&by, "by", "", "who took or uploads the photos")
	cmd.Flags().StringVar(&kind, "kind", "manual", "manual (人工举证照片) or drone (无人机举证照片)")
	return cmd
}

func (a *cli) tasksFindingsCmd() *cobra.Command {
	var by string
	var req app.FindingsRequest
	str := map[string]**string{"opinion": &req.Opinion, "description": &req.Description, "project": &req.ProjectName, "owner": &req.ProjectOwner,
		"built": &req.BuiltAt, "approval-authority": &req.ApprovalAuthority, "approval-date": &req.ApprovalDate,
		"inspectors": &req.Inspectors, "inspected": &req.InspectedAt}
	vals := map[string]*string{}
	var approvedArea, illegalArea float64
	cmd := &cobra.Command{
		Use:   "findings ID|JCBH --by NAME [--opinion 非农违法] [--description …] [--project …] [--owner …] [--built 2026-04] …",
		Short: "Fill in the verification form (核查填报) that the 核查成果 return package reports",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if by == "" {
				return usageError{errors.New("findings needs --by")}
			}
			for name, dst := range str {
				if cmd.Flags().Changed(name) {
					*dst = vals[name]
				}
			}
			if cmd.Flags().Changed("approved-area-m2") {
				req.ApprovedAreaM2 = &approvedArea
			}
			if cmd.Flags().Changed("illegal-area-m2") {
				req.IllegalAreaM2 = &illegalArea
			}
			s, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer s.Close()
			t, err := s.SetFindings(cmd.Context(), operator(by), args[0], req)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%s：核查情况已填写（%s）\n", t.JCBH, t.Findings.Opinion)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&by, "by", "", "who (required)")
	help := map[string]string{"opinion": "核实认定意见: 合法, 非农违法, 非粮违法, 伪变化, 实地为设施农用地 …", "description": "现场核查描述",
		"project": "项目名称", "owner": "项目主体", "built": "建设时间 (YYYY-MM or YYYY-MM-DD)", "approval-authority": "批准机关",
		"approval-date": "批准时间", "inspectors": "核查人员", "inspected": "核查时间"}
	for _, name := range []string{"opinion", "description", "project", "owner", "built", "approval-authority", "approval-date", "inspectors", "inspected"} {
		vals[name] = new(string)
		f.StringVar(vals[name], name, "", help[name])
	}
	f.Float64Var(&approvedArea, "approved-area-m2", 0, "批准面积 in m²")
	f.Float64Var(&illegalArea, "illegal-area-m2", 0, "违法面积 WFMJ in m² (default: the 监测面积 when illegal)")
	return cmd
}

func (a *cli) tubanCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "tuban", Short: "图斑: the monitored change patches across batches"}
	var q app.TubanQuery
	var asJSON bool
	list := &cobra.Command{
		Use:   "list [--batch ID] [--township XZQDM] [--judgement 疑似违法] [--big]",
		Short: "List 图斑 (change type, areas in 亩, pre-judgement, patrol reconciliation) with totals",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer s.Close()
			q.Page = app.Page{Limit: app.MaxPageLimit}
			ts, err := s.Tubans(cmd.Context(), operator(""), q)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(a.stdout, ts)
			}
			rows := [][]string{{"监测编号", "乡镇", "变化类型", "监测面积(亩)", "耕地(亩)", "永久基本农田(亩)", "初判", "巡查对账"}}
			for _, t := range ts.Items {
				pc := ""
				if t.Patrol != nil {
					pc = t.Patrol.Outcome
				}
				rows = append(rows, []string{t.JCBH, t.XZQMC, t.TBLX.Label, mu(t.Areas.JCMJ.Mu), mu(t.Areas.JCGDMJ.Mu), mu(t.Areas.YJJBNTMJ.Mu), t.Judgement.Label, pc})
			}
			tot := ts.Totals
			rows = append(rows, []string{"合计", fmt.Sprintf("%d 个图斑", tot.Count), "", mu(tot.JCMJ.Mu), mu(tot.JCGDMJ.Mu), mu(tot.YJJBNTMJ.Mu),
				fmt.Sprintf("疑似违法 %d", tot.ByJudgement["疑似违法"]), ""})
			writeTable(a.stdout, rows)
			if len(ts.Items) < tot.Count {
				fmt.Fprintf(a.stdout, "（只列出前 %d 个）\n", len(ts.Items))
			}
			return nil
		},
	}
	list.Flags().StringVar(&q.Batch, "batch", "", "only the 图斑 this batch saw")
	list.Flags().StringVar(&q.Township, "township", "", "township XZQDM or name")
	list.Flags().StringVar(&q.TBLX, "tblx", "", "change type (code or label)")
	list.Flags().StringVar(&q.Judgement, "judgement", "", "pre-judgement: 疑似违法, 已有用地手续, 非关注变化 (or its code)")
	list.Flags().Float64Var(&q.MinFarmlandMu, "min-farmland-mu", 0, "at least this much 耕地 (亩)")
	list.Flags().BoolVar(&q.Big, "big", false, "only 百亩大图斑 (≥ 100 亩 of 耕地)")
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON (as the HTTP API)")
	var batch string
	judgeCmd := &cobra.Command{
		Use:   "judge --batch ID",
		Short: "Judge a finished batch again (e.g. after importing new zone layers)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if batch == "" {
				return usageError{errors.New("tuban judge needs --batch")}
			}
			s, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer s.Close()
			sum, err := s.Judge(cmd.Context(), operator(""), batch)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%d 个图斑（新增 %d）：疑似违法 %d，已有用地手续 %d，非关注变化 %d；核查任务 %d\n",
				sum.Tubans, sum.New, sum.Suspected, sum.Approved, sum.NotOfInterest, sum.Tasks)
			return nil
		},
	}
	judgeCmd.Flags().StringVar(&batch, "batch", "", "batch ID")
	cmd.AddCommand(list, judgeCmd)
	return cmd
}
