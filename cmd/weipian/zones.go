package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/weipian/weipian/app"
	"github.com/weipian/weipian/internal/sheet"
	"github.com/weipian/weipian/pipeline"
)

func (a *cli) zonesCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "zones",
		Short: "Import and list the zone layers patches are judged against (耕地, 永久基本农田, 生态保护红线, 行政区, 巡查区, 批准用地)",
	}
	cmd.AddCommand(a.zonesImportCmd(), a.zonesListCmd())
	return cmd
}

// zoneKindsHelp lists the kinds and their canonical fields for the help.
func zoneKindsHelp() string {
	var b strings.Builder
	for _, k := range pipeline.ZoneKinds() {
		fmt.Fprintf(&b, "\n  %s (--kind %s, or %s)\n", k, k.Code(), strings.Join(k.Aliases(), ", "))
		for _, f := range pipeline.ZoneFields(k) {
			req := "optional"
			if f.Required {
				req = "required"
			}
			fmt.Fprintf(&b, "    %s %s, %s: %s\n      also: %s\n", f.Name, f.Code, req, f.Help, strings.Join(f.Synonyms, ", "))
		}
	}
	return b.String()
}

func (a *cli) zonesImportCmd() *cobra.Command {
	var req app.ZoneImportRequest
	var problemsFile string
	var maxShown int
	cmd := &cobra.Command{
		Use:   "import --kind KIND FILE",
		Short: "Import a vector file as the new version of a kind's zone layer",
		Long: `Import reads the polygons of FILE (GeoPackage, Shapefile or a .zip holding one,
GeoJSON, FlatGeobuf, KML/KMZ, … in any CRS; reprojected to WGS84 lon/lat) and
stores them as the next version of the kind's layer, which becomes the active
one. Older versions are kept: patches record the versions they were judged
against. The import is one transaction: it is stored whole, or not at all.

Columns are recognised by their canonical name, code or a synonym (case,
width, spaces, underscores and brackets ignored); --map names the others:
--map 'ZRR=责任人,DJ=等级' (their column = our field).

Validation and what is refused:
  - the whole file, with nothing imported: unreadable, several layers and no
    --layer, points or lines instead of polygons, no CRS (.prj), no features,
    a required field that no column maps to, an approved area evidently in
    the other unit (亩 vs m²);
  - invalid polygons (self-intersections, bow-ties) are repaired with GEOS
    MakeValid and reported as warnings;
  - a feature problem (an invalid value such as 等级 "四级", an impossible
    date, an end date before the start date, a non-numeric area, an XZQDM
    that is not 6/9/12 digits, an empty required value, a geometry that is
    missing, not a polygon or cannot be repaired) refuses the whole import
    and every problem is listed with its feature ID and field; with
    --skip-invalid the valid features are imported and the others are
    listed and recorded with the version.

Shapefile text encoding: the .cpg or the .dbf's code page; without either,
text that is not UTF-8 is read as GB18030/GBK (said in the output), or give
--encoding GBK.

Kinds and their fields:` + zoneKindsHelp(),
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{fmt.Errorf("zones import needs exactly one FILE, got %d", len(args))}
			}
			if req.Kind == "" {
				return usageError{fmt.Errorf("zones import needs --kind: one of %s", app.ZoneKindList())}
			}
			req.File = args[0]
			ctx := cmd.Context()
			s, err := a.open(ctx)
			if err != nil {
				return err
			}
			defer s.Close()
			res, err := s.ImportZones(ctx, operator(""), req)
			if perr := writeZoneProblems(problemsFile, res.Problems); perr != nil && err == nil {
				err = perr
			}
			if err != nil {
				if len(res.Problems) > 0 {
					fmt.Fprintf(a.stderr, "%s：%s\n", app.PublicMessage(err), req.File)
					a.printZoneProblems(a.stderr, res.Problems, maxShown)
				}
				return err
			}
			l := res.Layer
			if req.DryRun {
				fmt.Fprintf(a.stdout, "检查通过（仅检查，未导入）%s：%d 个要素可导入\n", l.Kind, len(l.Zones))
			} else {
				fmt.Fprintf(a.stdout, "已导入 %s 第 %d 版（当前生效）：%d 个要素\n", l.Kind, res.Version, len(l.Zones))
			}
			a.printZoneLayer(l, maxShown)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.Kind, "kind", "", "zone kind: "+app.ZoneKindList())
	f.StringVar(&req.Layer, "layer", "", "layer to read when the file has several (in a .zip: the file name without extension)")
	f.StringVar(&req.Map, "map", "", "their columns to our fields: 'ZRR=责任人,DJ=等级'")
	f.StringVar(&req.Name, "name", "", `name of this version, e.g. "2026年三调耕地" (default: the file name)`)
	f.StringVar(&req.Encoding, "encoding", "", "text encoding of a Shapefile's .dbf without .cpg, e.g. GBK, GB18030, UTF-8")
	f.StringVar(&req.AreaUnit, "area-unit", "", "unit of 批准面积: m2 (default) or 亩")
	f.BoolVar(&req.SkipInvalid, "skip-invalid", false, "import the valid features when some are invalid (the others are listed and recorded)")
	f.BoolVar(&req.DryRun, "dry-run", false, "check the file and show what would be imported, without importing")
	f.StringVar(&problemsFile, "problems", "", "also write every problem to this CSV file (UTF-8 with BOM, opens in Excel)")
	f.IntVar(&maxShown, "max-problems", 50, "how many problems to print (0: all)")
	return cmd
}

// printZoneLayer prints the mapping and the problems of an imported layer.
func (a *cli) printZoneLayer(l pipeline.ZoneLayer, maxShown int) {
	fmt.Fprintf(a.stdout, "  名称：%s\n  来源：%s\n", l.Name, l.Source)
	var fields []string
	for _, f := range pipeline.ZoneFields(l.Kind) {
		if col, ok := l.Fields[f.Name]; ok {
			fields = append(fields, f.Name+" ← "+col)
		}
	}
	if len(fields) > 0 {
		fmt.Fprintf(a.stdout, "  字段：%s\n", strings.Join(fields, ", "))
	}
	var warnings, skipped []pipeline.ZoneProblem
	for _, p := range l.Problems {
		if p.Warning {
			warnings = append(warnings, p)
		} else {
			skipped = append(skipped, p)
		}
	}
	if len(skipped) > 0 {
		fmt.Fprintf(a.stdout, "  未导入的要素问题（--skip-invalid）%d 条：\n", len(skipped))
		a.printZoneProblems(a.stdout, skipped, maxShown)
	}
	if len(warnings) > 0 {
		fmt.Fprintf(a.stdout, "  警告 %d 条：\n", len(warnings))
		a.printZoneProblems(a.stdout, warnings, maxShown)
	}
}

func (a *cli) printZoneProblems(w io.Writer, ps []pipeline.ZoneProblem, maxShown int) {
	for i, p := range ps {
		if maxShown > 0 && i == maxShown {
			fmt.Fprintf(w, "    … 另有 %d 条未列出（全部列出：--problems 文件.csv 或 --max-problems 0）\n", len(ps)-maxShown)
			return
		}
		fmt.Fprintf(w, "    %s\n", p)
	}
}

// writeZoneProblems writes the problems as CSV to path (nothing for "").
// Cells are escaped against formula injection.
func writeZoneProblems(path string, ps []pipeline.ZoneProblem) error {
	if path == "" {
		return nil
	}
	return writeFileAtomic(path, func(f *os.File) error {
		if _, err := f.WriteString("\uFEFF"); err != nil {
			return err
		}
		cw := csv.NewWriter(f)
		if err := cw.Write([]string{"要素ID", "字段", "值", "问题", "级别"}); err != nil {
			return err
		}
		for _, p := range ps {
			fid, level := strconv.FormatInt(p.FeatureID, 10), "错误"
			if p.FeatureID < 0 {
				fid = ""
			}
			if p.Warning {
				level = "警告"
			}
			if err := cw.Write(sheet.SafeRow([]string{fid, p.Field, p.Value, p.Problem, level})); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	})
}

func (a *cli) zonesListCmd() *cobra.Command {
	var kindName string
	cmd := &cobra.Command{
		Use:   "list [--kind KIND]",
		Short: "Show each kind's active zone layer version and the older ones",
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError{fmt.Errorf("zones list takes no arguments, got %q (use --kind)", args)}
			}
			kinds := pipeline.ZoneKinds()
			if kindName != "" {
				k, err := pipeline.ParseZoneKind(kindName)
				if err != nil {
					return usageError{fmt.Errorf("--kind %q: want one of %s", kindName, app.ZoneKindList())}
				}
				kinds = []pipeline.ZoneKind{k}
			}
			ctx := cmd.Context()
			s, err := a.open(ctx)
			if err != nil {
				return err
			}
			defer s.Close()
			layers, err := s.ZoneLayers(ctx, operator(""), kinds...)
			if err != nil {
				return err
			}
			rows := [][]string{{"类型", "版本", "状态", "名称", "要素数", "警告/未导入", "导入时间", "来源"}}
			for _, k := range kinds {
				infos := layers[k]
				if len(infos) == 0 {
					rows = append(rows, []string{k.String(), "—", "未导入", "", "", "", "", ""})
					continue
				}
				// The active version first, then the older ones, newest
				// first.
				ordered := make([]pipeline.ZoneLayerInfo, 0, len(infos))
				for _, in := range infos {
					if in.Active {
						ordered = append(ordered, in)
					}
				}
				for i := len(infos) - 1; i >= 0; i-- {
					if !infos[i].Active {
						ordered = append(ordered, infos[i])
					}
				}
				for i, in := range ordered {
					label, state := "", "历史"
					if i == 0 {
						label = k.String()
					}
					if in.Active {
						state = "生效"
					}
					warn, skip := 0, 0
					for _, p := range in.Problems {
						if p.Warning {
							warn++
						} else {
							skip++
						}
					}
					rows = append(rows, []string{label, strconv.Itoa(in.Version), state, in.Name, strconv.Itoa(in.Features),
						fmt.Sprintf("%d/%d", warn, skip), in.ImportedAt.Local().Format("2006-01-02 15:04:05"), in.Source})
				}
			}
			writeTable(a.stdout, rows)
			return nil
		},
	}
	cmd.Flags().StringVar(&kindName, "kind", "", "only this kind: "+app.ZoneKindList())
	return cmd
}
