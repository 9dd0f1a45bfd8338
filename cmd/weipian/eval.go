package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/weipian/weipian/eval"
	"github.com/weipian/weipian/raster/change"
)

// parseDataset reads DIR or DIR@METRES.
func parseDataset(s string) (eval.Dataset, error) {
	if i := strings.LastIndex(s, "@"); i > 0 {
		v, err := strconv.ParseFloat(s[i+1:], 64)
		if err != nil || !(v > 0) || math.IsInf(v, 0) {
			return eval.Dataset{}, fmt.Errorf("--data %s: the pixel size after @ must be a positive number of metres", s)
		}
		return eval.Dataset{Dir: s[:i], PixelSize: v}, nil
	}
	return eval.Dataset{Dir: s}, nil
}

func (a *cli) evalCmd() *cobra.Command {
	var data []string
	var classes, jsonOut string
	var pixel, mmu float64
	var nworkers int
	var lodo bool
	var quiet string
	var quietMax float64
	var sets []string
	var maps string
	cmd := &cobra.Command{
		Use:   "eval --data DIR[@METRES] [--data DIR2 …]",
		Short: "Score detection against labelled pairs in A/ B/ label/ folders, beside the CVA baseline",
		Long: `Eval runs detection on every pair of each DIR/A and DIR/B and compares the
patches of concern with DIR/label (0 = no change, >127 = change): pixel
precision, recall, F1 and IoU per pair and pooled, object recall (the share
of labelled change blobs a patch touches), the false-alarm area, and the
precision of each confidence level. Beside each figure it computes the
textbook baseline on the same aligned pair: per-band standardised change
vector magnitude with an Otsu threshold (CVA), and the ratio of the two.

Georeferenced pairs keep their georeferencing (pixel size and areas from
the CRS; B is aligned onto A's grid as detect aligns it; the label lies on
A's grid). Images without georeferencing get a grid of the dataset's pixel
size: DIR@METRES, else --pixel-size.

It prints JSON, a table per dataset, and last one line per dataset:
"dataset=NAME f1=… object_recall=… baseline_f1=…".

--lodo runs the leave-one-dataset-out parameter choice over the given
datasets (see README, "Scoring against labels"). --set Name=VALUE scores
one setting of the detector's parameters (change.Params fields, e.g.
--set ChangeT=0.18) instead of the defaults; with --quiet-pair it also
prints the share of the quiet pair's scene the patches of concern cover.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(data) == 0 {
				return usageError{fmt.Errorf("eval needs --data DIR")}
			}
			if !(pixel > 0) || math.IsInf(pixel, 0) {
				return usageError{fmt.Errorf("--pixel-size %v: want a positive number of metres", pixel)}
			}
			if !(mmu >= 0) || math.IsInf(mmu, 0) {
				return usageError{fmt.Errorf("--mmu-m2 %v: want a number >= 0", mmu)}
			}
			if nworkers < 0 {
				return usageError{fmt.Errorf("--workers %d: want >= 0 (0: number of CPUs)", nworkers)}
			}
			var dsets []eval.Dataset
			for _, d := range data {
				ds, err := parseDataset(d)
				if err != nil {
					return usageError{err}
				}
				dsets = append(dsets, ds)
			}
			setting, err := parseSetting(sets)
			if err != nil {
				return usageError{err}
			}
			if lodo && len(setting) > 0 {
				return usageError{fmt.Errorf("--set and --lodo: --lodo chooses the parameters itself")}
			}
			var cls []string
			if classes != "" && classes != "all" {
				cls = splitBands(classes)
			}
			opt := eval.Options{PixelSize: pixel, MMU: mmu, Classes: cls, Concurrency: nworkers, Maps: maps}
			if len(setting) > 0 {
				opt.Tune = func(p *change.Params) { _ = setting.Apply(p) }
			}
			var qp *eval.QuietPair
			if quiet != "" {
				parts := splitBands(quiet)
				if len(parts) != 2 {
					return usageError{fmt.Errorf("--quiet-pair %q: want BEFORE,AFTER", quiet)}
				}
				qp = &eval.QuietPair{Before: parts[0], After: parts[1], MaxShare: quietMax}
			}
			if lodo {
				lr, err := eval.LODO(cmd.Context(), dsets, opt, eval.DefaultGrid(), qp)
				if err != nil {
					return err
				}
				b, _ := json.MarshalIndent(lr, "", "  ")
				if jsonOut != "" {
					if err := os.WriteFile(jsonOut, append(b, '\n'), 0o644); err != nil {
						return err
					}
				}
				fmt.Fprintln(a.stdout, string(b))
				eval.WriteLODOTable(a.stdout, lr)
				return nil
			}
			m, err := eval.RunAll(cmd.Context(), dsets, opt)
			if err != nil {
				return err
			}
			if qp != nil {
				share, err := eval.QuietShare(cmd.Context(), qp.Before, qp.After, opt)
				if err != nil {
					return err
				}
				m.QuietShare = &share
			}
			b, _ := json.MarshalIndent(m, "", "  ")
			if jsonOut != "" {
				if err := os.WriteFile(jsonOut, append(b, '\n'), 0o644); err != nil {
					return err
				}
			}
			fmt.Fprintln(a.stdout, string(b))
			writeEvalTable(a.stdout, m)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&data, "data", nil, "folder with A/, B/ and label/; DIR@METRES gives the pixel size of images without georeferencing (repeat for several datasets)")
	f.Float64Var(&pixel, "pixel-size", 0.5, "pixel size in metres of images without georeferencing when DIR@METRES does not give it (LEVIR-CD: 0.5)")
	f.Float64Var(&mmu, "mmu-m2", 200, "minimum mapping unit in m²")
	f.StringVar(&classes, "classes", "all", `change classes scored as change, comma separated, or "all" (every patch of concern)`)
	f.StringVar(&jsonOut, "json", "", "also write the JSON report to this file")
	f.IntVar(&nworkers, "workers", 0, "tile goroutines (0: number of CPUs)")
	f.BoolVar(&lodo, "lodo", false, "choose the parameters leave-one-dataset-out and report those figures")
	f.StringVar(&quiet, "quiet-pair", "", "BEFORE,AFTER of an unlabelled pair on which almost nothing of concern happens (e.g. the Jülich month): --lodo keeps the settings under --quiet-max on it; without --lodo its share is printed")
	f.Float64Var(&quietMax, "quiet-max", 0.01, "with --quiet-pair: the largest share of its scene the patches of concern may cover")
	f.StringVar(&maps, "maps", "", "draw each pair's error map into this folder (DATASET_PAIR.png: before, after, found change green, false alarms red, missed change blue)")
	f.StringArrayVar(&sets, "set", nil, "score with this detector parameter instead of its default: Name=VALUE (a change.Params field; repeat for several)")
	return cmd
}

// writeEvalTable prints a table per dataset and the last lines.
func writeEvalTable(w io.Writer, m *eval.Multi) {
	for _, r := range m.Datasets {
		fmt.Fprintf(w, "\n%s\n%-22s %6s %6s %6s %6s %7s %7s %8s %12s\n", r.Name, "pair", "P", "R", "F1", "objR", "objR≥MMU", "cvaF1", "ratio", "false_m2")
		for _, p := range r.Pairs {
			bf := 0.0
			if p.Baseline != nil {
				bf = p.Baseline.F1
			}
			fmt.Fprintf(w, "%-22s %6.3f %6.3f %6.3f %6.3f %8.3f %7.3f %8s %12.0f\n", p.Name, p.Precision, p.Recall, p.F1, p.ObjectRecall, p.ObjectRecallMMU, bf, ratio(p.F1, bf), p.FalseAlarmM2)
		}
		bf := 0.0
		if r.Baseline != nil {
			bf = r.Baseline.F1
		}
		fmt.Fprintf(w, "%-22s %6.3f %6.3f %6.3f %6.3f %8.3f %7.3f %8s %12.0f\n", "pooled", r.Overall.Precision, r.Overall.Recall, r.Overall.F1, r.Overall.ObjectRecall, r.Overall.ObjectRecallMMU, bf, ratio(r.Overall.F1, bf), r.Overall.FalseAlarmM2)
		writeLevels(w, r.ByConfidence)
		writeTransitions(w, r)
	}
	fmt.Fprintln(w)
	if m.QuietShare != nil {
		fmt.Fprintf(w, "quiet pair: patches of concern cover %.3f%% of the scene\n", 100**m.QuietShare)
	}
	if len(m.Datasets) > 1 {
		bf := 0.0
		if m.PooledBaseline != nil {
			bf = m.PooledBaseline.F1
		}
		fmt.Fprintf(w, "pooled f1=%.3f object_recall=%.3f baseline_f1=%.3f mean_dataset_f1=%.3f object_recall_mmu=%.3f\n", m.Pooled.F1, m.Pooled.ObjectRecall, bf, m.MeanF1, m.Pooled.ObjectRecallMMU)
	}
	for _, r := range m.Datasets {
		bf := 0.0
		if r.Baseline != nil {
			bf = r.Baseline.F1
		}
		fmt.Fprintf(w, "dataset=%s f1=%.3f object_recall=%.3f baseline_f1=%.3f ratio=%s precision=%.3f recall=%.3f false_alarm_m2=%.0f object_recall_mmu=%.3f\n",
			r.Name, r.Overall.F1, r.Overall.ObjectRecall, bf, ratio(r.Overall.F1, bf), r.Overall.Precision, r.Overall.Recall, r.Overall.FalseAlarmM2, r.Overall.ObjectRecallMMU)
	}
}

func writeLevels(w io.Writer, lv map[string]eval.Level) {
	var keys []string
	for k := range lv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		l := lv[k]
		fmt.Fprintf(w, "  confidence %-6s patches=%d pixel_precision=%.3f patch_precision=%.3f\n", k, l.Patches, l.Precision, l.ObjectPrecision)
	}
}

// writeTransitions prints the pixel precision of the patches of concern
// per class and land-cover transition, most false alarm first, and the
// labelled change that the changes of no concern set aside.
func writeTransitions(w io.Writer, r *eval.Report) {
	keys := func(m map[string]eval.Level, by func(eval.Level) int64) []string {
		var ks []string
		for k := range m {
			ks = append(ks, k)
		}
		sort.Slice(ks, func(i, j int) bool {
			a, b := by(m[ks[i]]), by(m[ks[j]])
			if a != b {
				return a > b
			}
			return ks[i] < ks[j]
		})
		return ks
	}
	for _, k := range keys(r.ByTransition, func(l eval.Level) int64 { return l.Pixels - l.TP }) {
		l := r.ByTransition[k]
		fmt.Fprintf(w, "  transition %-36s patches=%d pixels=%d false_pixels=%d pixel_precision=%.3f\n", k, l.Patches, l.Pixels, l.Pixels-l.TP, l.Precision)
	}
	for _, k := range keys(r.SetAside, func(l eval.Level) int64 { return l.TP }) {
		l := r.SetAside[k]
		fmt.Fprintf(w, "  set aside  %-36s patches=%d pixels=%d labelled_pixels=%d\n", k, l.Patches, l.Pixels, l.TP)
	}
}

// parseSetting reads --set Name=VALUE flags, checking each name against
// change.Params.
func parseSetting(kv []string) (eval.Setting, error) {
	s := eval.Setting{}
	for _, x := range kv {
		k, v, ok := strings.Cut(x, "=")
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if !ok || k == "" || err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("--set %q: want Name=NUMBER", x)
		}
		s[strings.TrimSpace(k)] = f
	}
	p := change.DefaultParams(1)
	if err := s.Apply(&p); err != nil {
		return nil, fmt.Errorf("--set: %v", err)
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("--set: %v", err)
	}
	return s, nil
}

func ratio(a, b float64) string {
	if b <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", a/b)
}
