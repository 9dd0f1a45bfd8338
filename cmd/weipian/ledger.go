package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/weipian/weipian/app"
	"github.com/weipian/weipian/pipeline/crs"
)

func (a *cli) ledgerCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "ledger", Short: "Import ground-patrol ledgers (巡查台帐) and GPS patrol tracks"}
	var req app.LedgerImportRequest
	var sheets string
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
			req.Files, req.Sheets = files, splitBands(sheets)
			s, err := a.open(ctx)
			if err != nil {
				return err
			}
			defer s.Close()
			res, err := s.ImportLedger(ctx, operator(""), req)
			refused := 0
			for _, r := range res {
				if r.Kind == "track" {
					fmt.Fprintf(a.stdout, "%s：%d 条轨迹，新增 %d 条\n", r.File, r.Tracks, r.Added)
					continue
				}
				refused += r.Invalid
				fmt.Fprintf(a.stdout, "%s：有效 %d 行（新增 %d，更正 %d，已有 %d），有错误未导入 %d 行，违规 %d 处\n",
					r.File, r.Valid, r.Added, r.Replaced, r.Same, r.Invalid, r.Breaches)
				for _, p := range r.Problems {
					fmt.Fprintf(a.stdout, "  %s\n", p)
				}
			}
			if err != nil {
				return err
			}
			if refused > 0 {
				fmt.Fprintf(a.stdout, "共 %d 行有错误未导入：请按上列提示改正后重新导入（已导入的行不会重复）。\n", refused)
			}
			return nil
		},
	}
	imp.Flags().StringVar(&req.Map, "map", "", "header mapping for this office's own column names, e.g. 检查时间=巡查时间,人员=巡查人员")
	imp.Flags().StringVar(&sheets, "sheets", "", "XLSX sheets to read (default: every sheet with a ledger header)")
	imp.Flags().StringVar(&req.Encoding, "encoding", "auto", "CSV encoding: auto, utf-8 or gb18030 (gbk)")
	imp.Flags().IntVar(&req.Year, "year", 0, "year of dates written without one (default: from the title, sheet or file name)")
	imp.Flags().IntVar(&req.MinPeople, "min-people", 2, "the least people on a patrol (the 2-person rule)")
	cmd.AddCommand(imp)
	return cmd
}

func (a *cli) reconcileCmd() *cobra.Command {
	var batchID, period, out, crsName string
	cmd := &cobra.Command{
		Use:   "reconcile --batch ID [--period 2026-05] [--crs 4490|gk|EPSG:4526] [--out DIR]",
		Short: "Check a batch's 图斑 against the patrol ledger and tracks (巡查已发现/应发现而未发现/未巡查覆盖)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if batchID == "" {
				return usageError{errors.New("reconcile needs --batch")}
			}
			outCRS, err := app.ParseCRS(crsName)
			if err != nil {
				return usageError{fmt.Errorf("--crs: %w", err)}
			}
			ctx := cmd.Context()
			s, err := a.open(ctx)
			if err != nil {
				return err
			}
			defer s.Close()
			rec, err := s.Reconcile(ctx, operator(""), batchID, period)
			if err != nil {
				return err
			}
			rec.UseCRS(outCRS)
			if out == "" {
				out = "reconcile-" + batchID
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
			for _, name := range app.ReconcileFiles {
				if err := writeFileAtomic(filepath.Join(out, name), func(w *os.File) error { return rec.WriteFile(w, name) }); err != nil {
					return err
				}
			}
			c := rec.Counts
			fmt.Fprintf(a.stdout, "%d 个图斑：巡查已发现 %d，巡查应发现而未发现 %d，未巡查覆盖 %d；%d 个巡查区（%s）。结果在 %s\n",
				len(rec.Results), c["巡查已发现"], c["巡查应发现而未发现"], c["未巡查覆盖"], len(rec.Zones), rec.Period, out)
			return nil
		},
	}
	cmd.Flags().StringVar(&batchID, "batch", "", "batch ID")
	cmd.Flags().StringVar(&period, "period", "", "month of the per-zone assessment, e.g. 2026-05 (default: the batch's month)")
	cmd.Flags().StringVar(&out, "out", "", "output directory (default reconcile-<batch>)")
	cmd.Flags().StringVar(&crsName, "crs", "", "CRS of 对账_图斑.geojson (default: --output-crs): "+crs.Names)
	return cmd
}
