package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/weipian/weipian/app"
	"github.com/weipian/weipian/pipeline/crs"
	"github.com/weipian/weipian/pipeline/xiafa"
)

func (a *cli) xiafaCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "xiafa", Short: "下发: import the 图斑 the ministry/province/city issue, and return the verification (核查成果)"}
	cmd.AddCommand(a.xiafaImportCmd(), a.xiafaExportCmd())
	return cmd
}

func glossaryHelp() string {
	var b strings.Builder
	for _, f := range xiafa.Fields {
		who := "issued"
		if f.County {
			who = "county"
		}
		req := ""
		if f.Required {
			req = ", required"
		}
		fmt.Fprintf(&b, "\n  %-10s %s (%s%s)", f.Code, f.Name, who, req)
		if len(f.Synonyms) > 0 {
			fmt.Fprintf(&b, "; also %s", strings.Join(f.Synonyms, ", "))
		}
	}
	b.WriteString("\n\nTBLX codes known (add others with --tblx-codes 'XX=名称=类型'):")
	for _, c := range xiafa.DefaultCodes {
		fmt.Fprintf(&b, "\n  %-4s %s → %s", c.Code, c.Name, c.Type)
	}
	return b.String()
}

func (a *cli) xiafaImportCmd() *cobra.Command {
	var req app.XiafaImportRequest
	var maxShown int
	cmd := &cobra.Command{
		Use:   "import FILE|DIR --source 部|省|市 [--batch-name …] [--map …] [--encoding GBK]",
		Short: "Import a 下发 batch (Shapefile with or without .cpg, File Geodatabase, GPKG or GeoJSON, any CRS)",
		Long: `Import reads the issued 图斑 of a package and keeps the issued JCBH, XZQDM,
QSX/HSX, TBLX codes and areas as issued (every other column too). Each 图斑
is overlaid with the loaded zone layers exactly as weipian's own patches
are, becomes a 图斑 with a task (the issuer's deadline XJJZSJ when given,
else the calendar rule), and joins weipian's own detection of the same ground
instead of duplicating it. A package with any bad feature (a missing or
duplicate JCBH, an unknown TBLX code, a bad date, text in the wrong encoding,
no CRS) is refused whole, with every problem listed. Importing the same
package twice changes nothing.

Columns (by code, name or synonym; --map 'THEIRS=JCBH' names others):` + glossaryHelp(),
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if req.Source == "" {
				return usageError{errors.New("xiafa import needs --source 部, 省 or 市")}
			}
			req.Path = args[0]
			s, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer s.Close()
			res, err := s.ImportXiafa(cmd.Context(), operator(""), req)
			if err != nil {
				if len(res.Problems) > 0 {
					fmt.Fprintln(a.stderr, app.PublicMessage(err))
					for i, p := range res.Problems {
						if maxShown > 0 && i == maxShown {
							fmt.Fprintf(a.stderr, "  … %d more (--max-problems 0: all)\n", len(res.Problems)-maxShown)
							break
						}
						fmt.Fprintf(a.stderr, "  %s\n", p)
					}
				}
				return err
			}
			if req.DryRun {
				fmt.Fprintf(a.stdout, "检查通过（dry run, nothing imported）：%d 个下发图斑\n", res.Patches)
				return nil
			}
			if !res.Created {
				fmt.Fprintf(a.stdout, "下发批次 %s（%s）已导入过，未重复导入\n", res.Batch.ID, res.Batch.Spec.Name)
				return nil
			}
			sm := res.Summary
			fmt.Fprintf(a.stdout, "已导入%s下发批次 %s（%s）：%d 个图斑，与本地监测图斑关联 %d 个；疑似违法 %d，已有用地手续 %d，非关注变化 %d；核查任务 %d\n",
				req.Source, res.Batch.ID, res.Batch.Spec.Name, res.Patches, res.Linked, sm.Suspected, sm.Approved, sm.NotOfInterest, sm.Tasks)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.Source, "source", "", "issuer: 部, 省 or 市")
	f.StringVar(&req.BatchName, "batch-name", "", `the issuer's batch name, e.g. "2026年5月省级下发" (default: the file name)`)
	f.StringVar(&req.Map, "map", "", "their columns to the glossary: '监测图斑号=JCBH,类型=TBLX'")
	f.StringVar(&req.Codes, "tblx-codes", "", "further TBLX codes: 'XX=名称=类型' (类型: one of weipian's change types)")
	f.StringVar(&req.Encoding, "encoding", "", "text encoding of a Shapefile's .dbf without .cpg, e.g. GBK")
	f.StringVar(&req.Layer, "layer", "", "layer of a multi-layer file (GDB, GPKG)")
	f.BoolVar(&req.DryRun, "dry-run", false, "check the package without importing it")
	f.IntVar(&maxShown, "max-problems", 50, "how many problems to print (0: all)")
	return cmd
}

func (a *cli) xiafaExportCmd() *cobra.Command {
	var req app.XiafaExportRequest
	cmd := &cobra.Command{
		Use:   "export --batch ID --out DIR [--format shp|gpkg|gdb] [--crs 4490|gk|EPSG:4526]",
		Short: "Write the verification (核查成果) of a 下发 batch in the issuer's shape",
		Long: `Export writes DIR with: 核查成果/<批次>_核查成果.shp (GBK .cpg; or .gpkg/.gdb) in CGCS2000
(EPSG:4490 by default, or the 3-degree Gauss–Krüger zone with --crs gk) holding
the issued columns as issued plus the county's (XJJZ, JZLX, PDJG, WFLX, WFMJ,
PDYJSM, 核实认定意见 HSRDYJ, 现场核查描述 XCHCMS, 项目名称 XMMC, 项目主体 XMZT,
建设时间 JSSJ, 批准文号 PZWH, 批准机关 PZJG, 批准时间 PZSJ, 批准面积 PZMJ, WYHC, HCSB,
HCRY, HCSJ, TPLJ, FJLJ); the same rows as <批次>_核查成果.xlsx; the evidence photos
under 举证照片/<JCBH>/人工举证照片 and 无人机举证照片 (bytes and EXIF unchanged);
manifest.json and SHA256SUMS with every file's checksum. Columns a Shapefile
cannot name are written as EXT1… and the manifest maps them back, so that
importing the package elsewhere loses no field.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if req.Batch == "" || req.Out == "" {
				return usageError{errors.New("xiafa export needs --batch and --out")}
			}
			s, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer s.Close()
			res, err := s.ExportXiafa(cmd.Context(), operator(""), req)
			if err != nil {
				return err
			}
			m := res.Manifest
			fmt.Fprintf(a.stdout, "核查成果已写入 %s：%d 个图斑（已核查 %d），举证照片 %d 张，%s，%s\n", res.Dir, m.Rows, m.Verified, m.Photos, m.Format, m.CRS)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.Batch, "batch", "", "the 下发 batch ID")
	f.StringVar(&req.Out, "out", "", "output directory (must not exist or be empty)")
	f.StringVar(&req.Format, "format", "shp", "shp (GBK), gpkg or gdb")
	f.StringVar(&req.CRS, "crs", "", "output CRS: "+crs.Names)
	return cmd
}
