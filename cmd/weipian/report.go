package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/weipian/weipian/app"
	"github.com/weipian/weipian/pipeline/stats"
)

// reportFlags are the local rules of the reports, for `report` and
// `serve` (flags win over the environment).
type reportFlags struct {
	unit, lines, manual, browser string
	bigMu, missed                float64
	closeDays                    int
}

func (r *reportFlags) register(f *pflag.FlagSet) {
	f.StringVar(&r.unit, "unit", os.Getenv("WEIPIAN_REPORT_UNIT"), "填报单位 printed on the reports, e.g. 某某县自然资源局 (env WEIPIAN_REPORT_UNIT; empty leaves a blank)")
	f.StringVar(&r.lines, "ratio-lines", envOr("WEIPIAN_REPORT_LINES", "15%"),
		"lines of the 违法占用耕地面积比例, comma-separated: 15%, 9%, 15%+100亩 (15% and at least 100 亩), optionally labelled 预警线=9% (env WEIPIAN_REPORT_LINES)")
	f.Float64Var(&r.bigMu, "big-mu", 100, "耕地 area in 亩 from which a 图斑 is a 百亩大图斑")
	f.Float64Var(&r.missed, "missed-deduct", 3, "points deducted per 巡查应发现而未发现 图斑 in the patrol assessment (the rule says 3–5)")
	f.IntVar(&r.closeDays, "close-days", 90, "legal period in days from 立案 to 结案 for the assessment's 结案率")
	f.StringVar(&r.manual, "manual-scores", os.Getenv("WEIPIAN_REPORT_MANUAL"),
		"marks of the assessment items the system cannot measure, e.g. 2=8,7=10,8=9 (items 1–8; default full marks; env WEIPIAN_REPORT_MANUAL)")
	f.StringVar(&r.browser, "chromium", os.Getenv("WEIPIAN_CHROMIUM"), "Chromium executable that prints the PDF (default: chromium on the PATH; env WEIPIAN_CHROMIUM)")
}

func (r *reportFlags) config() (app.ReportConfig, error) {
	cfg := app.ReportConfig{Unit: strings.TrimSpace(r.unit), BigMu: r.bigMu, Browser: r.browser,
		Assess: stats.AssessConfig{MissedDeduct: r.missed, CloseDays: r.closeDays}}
	if r.bigMu <= 0 {
		return cfg, usageError{fmt.Errorf("--big-mu %v: want a positive area in 亩", r.bigMu)}
	}
	if r.missed < 0 || r.missed > 25 {
		return cfg, usageError{fmt.Errorf("--missed-deduct %v: want 0–25 points", r.missed)}
	}
	if r.closeDays < 1 {
		return cfg, usageError{fmt.Errorf("--close-days %d: want at least 1", r.closeDays)}
	}
	for _, s := range strings.Split(strings.ReplaceAll(r.lines, "，", ","), ",") {
		if strings.TrimSpace(s) == "" {
			continue
		}
		l, err := stats.ParseLine(s)
		if err != nil {
			return cfg, usageError{fmt.Errorf("--ratio-lines: %v", err)}
		}
		if len(cfg.Lines) == 0 && l.Ratio == 0.15 && l.MinMu == 0 {
			l.Label = stats.DefaultLines()[0].Label
		}
		cfg.Lines = append(cfg.Lines, l)
	}
	if strings.TrimSpace(r.manual) != "" {
		cfg.Assess.Manual = map[int]float64{}
		items := stats.Items()
		for _, part := range strings.Split(strings.ReplaceAll(r.manual, "，", ","), ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
			n, err1 := strconv.Atoi(strings.TrimSpace(k))
			m, err2 := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if !ok || err1 != nil || err2 != nil || n < 1 || n > len(items) || m < 0 || m > items[n-1].Max {
				return cfg, usageError{fmt.Errorf("--manual-scores %q: want ITEM=MARKS with items 1–8 and marks up to the item's full marks (10/10/10/10/25/15/10/10)", part)}
			}
			cfg.Assess.Manual[n] = m
		}
	}
	return cfg, nil
}

func (a *cli) reportCmd() *cobra.Command {
	var req app.ReportRequest
	var out, formats string
	var rf reportFlags
	cmd := &cobra.Command{
		Use:   "report --period 2026|2026-Q2|2026-05 [--region XZQDM] [--batch ID…] [--out DIR]",
		Short: "Write the monthly, quarterly or annual 卫片执法 statistics report (XLSX, HTML, PDF)",
		Long: `Report writes one report set from the state store: 卫片图斑核查情况一览表 (per
township: 下发 and 自主监测, verified, 合法/违法/其他, 百亩大图斑), 违法线索统计表
(整改情况, with its consistency checks), 违法占用耕地面积比例 against the 15% line
and local lines, 执法指标, the 100-point patrol assessment per zone and team,
and 违法图斑清单. The HTML has charts and a map and works offline; the PDF is
printed from it by headless Chromium.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if req.Period == "" {
				return usageError{errors.New("report needs --period, e.g. --period 2026, 2026-Q2 or 2026-05")}
			}
			var fs []string
			for _, f := range strings.Split(formats, ",") {
				f = strings.ToLower(strings.TrimSpace(f))
				if f == "" {
					continue
				}
				if !slices.Contains(app.ReportFormats, f) {
					return usageError{fmt.Errorf("--format %q: want some of %s", f, strings.Join(app.ReportFormats, ", "))}
				}
				fs = append(fs, f)
			}
			if len(fs) == 0 {
				return usageError{errors.New("--format: name at least one of xlsx, html, pdf, json")}
			}
			rc, err := rf.config()
			if err != nil {
				return err
			}
			a.cfg.Report = rc
			ctx := cmd.Context()
			s, err := a.open(ctx)
			if err != nil {
				return err
			}
			defer s.Close()
			doc, err := s.Report(ctx, operator(""), req)
			if err != nil {
				return err
			}
			// Every document is made before any file is written: a
			// failure (no Chromium) leaves no half set.
			bodies := make([][]byte, len(fs))
			for i, f := range fs {
				var b bytes.Buffer
				if err := s.WriteReport(ctx, &b, doc, f); err != nil {
					return err
				}
				bodies[i] = b.Bytes()
			}
			if out == "" {
				out = "report-" + doc.Report.Period.String()
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
			var paths []string
			for i, f := range fs {
				p := filepath.Join(out, doc.FileBase()+"."+f)
				if err := writeFileAtomic(p, func(w *os.File) error { _, err := w.Write(bodies[i]); return err }); err != nil {
					return err
				}
				paths = append(paths, p)
			}
			r := &doc.Report
			fmt.Fprintf(a.stdout, "%s：纳入统计图斑 %d 个（下发 %d，自主监测 %d），核实 %d 个，违法 %d 个（占用耕地 %.2f 亩），违法占用耕地面积比例 %s\n",
				doc.Title(), r.Total.Total.N, r.Total.Issued.N, r.Total.Own.N, r.Total.Verified.N, r.Total.Illegal.N,
				r.Total.Illegal.JCGDMJ*15/10000, reportRatioText(r))
			for _, p := range paths {
				fmt.Fprintf(a.stdout, "  %s\n", p)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.Period, "period", "", "the period: a year (2026, 年报), a quarter (2026-Q2, 季报) or a month (2026-05, 月报)")
	f.StringVar(&req.Region, "region", "", "keep the 图斑 whose XZQDM starts with this code (county or township); default all")
	f.StringArrayVar(&req.Batches, "batch", nil, "keep the 图斑 of this batch (repeat for several); default all")
	f.StringVar(&req.AsOf, "as-of", "", "day the deadlines are judged at, YYYY-MM-DD (default: the period's last day, or today while it runs)")
	f.StringVar(&out, "out", "", "output directory (default report-<period>)")
	f.StringVar(&formats, "format", "xlsx,html,pdf", "formats to write, comma-separated: xlsx, html, pdf, json")
	rf.register(f)
	return cmd
}

func reportRatioText(r *stats.Report) string {
	if r.Ratio.Value < 0 {
		return "—（无新增建设用地占用耕地）"
	}
	s := fmt.Sprintf("%.2f%%", r.Ratio.Value*100)
	for _, l := range r.Ratio.Lines {
		if l.Reached {
			s += "，已达到" + l.Line.Label
		}
	}
	return s
}
