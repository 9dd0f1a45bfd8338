package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/raster"
)

func (a *app) zonesCmd() *cobra.Command {
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

func (a *app) zonesImportCmd() *cobra.Command {
	var (
		cfg                                 config
		kindName, layer, mapping, name, enc string
		areaUnit, problemsFile              string
		skipInvalid, dryRun                 bool
		maxShown                            int
	)
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
  - a feature problem (an invalid value such as 等级 "四级", an end date
    before the start date, a non-numeric area, an XZQDM that is not 6/9/12
    digits, an empty required value, a geometry that is missing, not a
    polygon or cannot be repaired) refuses the whole import and every
    problem is listed with its feature ID and field; with --skip-invalid the
    valid features are imported and the others are listed and recorded with
    the version.

Shapefile text encoding: the .cpg or the .dbf's code page; without either,
text that is not UTF-8 is read as GB18030/GBK (said in the output), or give
--encoding GBK.

Kinds and their fields:` + zoneKindsHelp(),
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{fmt.Errorf("zones import needs exactly one FILE, got %d", len(args))}
			}
			if kindName == "" {
				return usageError{errors.New("zones import needs --kind: one of " + zoneKindList())}
			}
			kind, err := pipeline.ParseZoneKind(kindName)
			if err != nil {
				return usageError{fmt.Errorf("--kind %q: want one of %s", kindName, zoneKindList())}
			}
			m, err := pipeline.ParseFieldMap(mapping)
			if err != nil {
				return usageError{fmt.Errorf("--map: %w", err)}
			}
			switch strings.ToLower(strings.TrimSpace(areaUnit)) {
			case "", "m2", "m²", "平方米", "亩", "mu":
			default:
				return usageError{fmt.Errorf("--area-unit %q: want m2 or 亩 (mu)", areaUnit)}
			}
			file := args[0]
			ctx := cmd.Context()
			feats, readProblems, err := raster.ReadVector(ctx, file, raster.VectorOptions{Layer: layer, Encoding: enc})
			if err != nil {
				return err
			}
			raw := make([]pipeline.RawZone, len(feats))
			for i, f := range feats {
				raw[i] = pipeline.RawZone{ID: f.FID, Attrs: f.Attrs, Geometry: f.Geometry}
			}
			spec := pipeline.ZoneImportSpec{
				Kind: kind, Name: name, Source: zoneSource(file, layer),
				ZoneMapOptions: pipeline.ZoneMapOptions{Map: m, AreaUnit: areaUnit},
				SkipInvalid:    skipInvalid,
			}
			if spec.Name == "" {
				spec.Name = strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
			}
			for _, p := range readProblems {
				spec.ReadProblems = append(spec.ReadProblems, pipeline.ZoneProblem{FeatureID: p.FID, Problem: p.Problem, Warning: !p.Skipped})
			}
			l, err := pipeline.BuildZoneLayer(spec, raw)
			var refused *pipeline.ZoneImportError
			if errors.As(err, &refused) {
				fmt.Fprintf(a.stderr, "未导入（import refused）%s：%s，%d 个要素有错误，什么也没有导入：\n", kind, file, refused.Errors)
				a.printZoneProblems(a.stderr, refused.Problems, maxShown)
				if perr := writeZoneProblems(problemsFile, refused.Problems); perr != nil {
					return perr
				}
				return err
			}
			if err != nil {
				return err
			}
			if err := writeZoneProblems(problemsFile, l.Problems); err != nil {
				return err
			}
			if dryRun {
				fmt.Fprintf(a.stdout, "检查通过（dry run, nothing imported）%s：%d 个要素可导入\n", kind, len(l.Zones))
				a.printZoneLayer(l, maxShown)
				return nil
			}
			s, err := a.open(ctx, cfg)
			if err != nil {
				return err
			}
			defer s.close()
			v, err := s.store.ImportZoneLayer(ctx, l)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "已导入 %s 第 %d 版（当前生效）：%d 个要素\n", kind, v, len(l.Zones))
			a.printZoneLayer(l, maxShown)
			return nil
		},
	}
	cfg.flags(cmd)
	f := cmd.Flags()
	f.StringVar(&kindName, "kind", "", "zone kind: "+zoneKindList())
	f.StringVar(&layer, "layer", "", "layer to read when the file has several (in a .zip: the file name without extension)")
	f.StringVar(&mapping, "map", "", "their columns to our fields: 'ZRR=责任人,DJ=等级'")
	f.StringVar(&name, "name", "", `name of this version, e.g. "2026年三调耕地" (default: the file name)`)
	f.StringVar(&enc, "encoding", "", "text encoding of a Shapefile's .dbf without .cpg, e.g. GBK, GB18030, UTF-8")
	f.StringVar(&areaUnit, "area-unit", "", "unit of 批准面积: m2 (default) or 亩")
	f.BoolVar(&skipInvalid, "skip-invalid", false, "import the valid features when some are invalid (the others are listed and recorded)")
	f.BoolVar(&dryRun, "dry-run", false, "check the file and show what would be imported, without importing")
	f.StringVar(&problemsFile, "problems", "", "also write every problem to this CSV file (UTF-8 with BOM, opens in Excel)")
	f.IntVar(&maxShown, "max-problems", 50, "how many problems to print (0: all)")
	return cmd
}

func zoneKindList() string {
	var s []string
	for _, k := range pipeline.ZoneKinds() {
		s = append(s, k.String()+" ("+k.Code()+")")
	}
	return strings.Join(s, ", ")
}

// zoneSource is what a layer records as its source: the absolute path, and
// the layer read.
func zoneSource(file, layer string) string {
	if abs, err := filepath.Abs(file); err == nil {
		file = abs
	}
	if layer != "" {
		file += " (layer " + layer + ")"
	}
	return file
}

// printZoneLayer prints the mapping and the problems of an imported layer.
func (a *app) printZoneLayer(l pipeline.ZoneLayer, maxShown int) {
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

func (a *app) printZoneProblems(w io.Writer, ps []pipeline.ZoneProblem, maxShown int) {
	for i, p := range ps {
		if maxShown > 0 && i == maxShown {
			fmt.Fprintf(w, "    … %d more (all of them: --problems FILE.csv or --max-problems 0)\n", len(ps)-maxShown)
			return
		}
		fmt.Fprintf(w, "    %s\n", p)
	}
}

// writeZoneProblems writes the problems as CSV to path (nothing for "").
func writeZoneProblems(path string, ps []pipeline.ZoneProblem) (err error) {
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
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
		if err := cw.Write([]string{fid, p.Field, p.Value, p.Problem, level}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func (a *app) zonesListCmd() *cobra.Command {
	var cfg config
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
					return usageError{fmt.Errorf("--kind %q: want one of %s", kindName, zoneKindList())}
				}
				kinds = []pipeline.ZoneKind{k}
			}
			ctx := cmd.Context()
			s, err := a.open(ctx, cfg)
			if err != nil {
				return err
			}
			defer s.close()
			rows := [][]string{{"类型", "版本", "状态", "名称", "要素数", "警告/未导入", "导入时间", "来源"}}
			for _, k := range kinds {
				infos, err := s.store.ZoneLayerVersions(ctx, k)
				if err != nil {
					return err
				}
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
			writeZoneTable(a.stdout, rows)
			return nil
		},
	}
	cfg.flags(cmd)
	cmd.Flags().StringVar(&kindName, "kind", "", "only this kind: "+zoneKindList())
	return cmd
}

// writeZoneTable writes rows as aligned columns, counting East Asian wide
// characters as two columns (text/tabwriter counts them as one).
func writeZoneTable(w io.Writer, rows [][]string) {
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], displayWidth(c))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		for i, c := range r {
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-displayWidth(c)+2))
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

// displayWidth is the width of s in a terminal: 2 for East Asian wide and
// full-width characters, 1 for others.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case r >= 0x1100 && r <= 0x115F, r >= 0x2E80 && r <= 0xA4CF, r >= 0xAC00 && r <= 0xD7A3,
			r >= 0xF900 && r <= 0xFAFF, r >= 0xFE30 && r <= 0xFE4F, r >= 0xFF00 && r <= 0xFF60,
			r >= 0xFFE0 && r <= 0xFFE6, r >= 0x20000 && r <= 0x3FFFD:
			n += 2
		default:
			n++
		}
	}
	return n
}
