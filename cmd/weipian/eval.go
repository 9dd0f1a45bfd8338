package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/weipian/weipian/eval"
)

func (a *cli) evalCmd() *cobra.Command {
	var data, classes, jsonOut string
	var pixel, mmu float64
	var nworkers int
	cmd := &cobra.Command{
		Use:   "eval --data DIR",
		Short: "Score detection against labelled pairs in A/ B/ label/ folders (e.g. LEVIR-CD)",
		Long: `Eval runs detection on every pair of DIR/A and DIR/B and compares the
patches with DIR/label (0 = no change, >127 = change): pixel precision,
recall, F1 and IoU per pair and pooled over all pairs, and object recall (the
share of labelled change blobs a patch touches). It prints JSON, then a last
line "f1=… object_recall=…".

By default only built/hardened-gain patches (建(构)筑物/硬化) are scored, the
class that building-change labels such as LEVIR-CD mark; --classes all scores
every patch.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if data == "" {
				return usageError{fmt.Errorf("eval needs --data DIR")}
			}
			if !(pixel > 0) {
				return usageError{fmt.Errorf("--pixel-size %v: want a positive number of metres", pixel)}
			}
			var cls []string
			if classes != "all" {
				cls = splitBands(classes)
			}
			rep, err := eval.Run(cmd.Context(), data, eval.Options{PixelSize: pixel, MMU: mmu, Classes: cls, Concurrency: nworkers})
			if err != nil {
				return err
			}
			b, _ := json.MarshalIndent(rep, "", "  ")
			if jsonOut != "" {
				if err := os.WriteFile(jsonOut, append(b, '\n'), 0o644); err != nil {
					return err
				}
			}
			fmt.Fprintln(a.stdout, string(b))
			fmt.Fprintf(a.stdout, "f1=%.3f object_recall=%.3f precision=%.3f recall=%.3f iou=%.3f mean_pair_f1=%.3f classes=%s\n",
				rep.Overall.F1, rep.Overall.ObjectRecall, rep.Overall.Precision, rep.Overall.Recall, rep.Overall.IoU, rep.MeanF1,
				strings.Join(append([]string{}, orAll(cls)...), ","))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&data, "data", "", "folder with A/, B/ and label/")
	f.Float64Var(&pixel, "pixel-size", 0.5, "pixel size in metres of images without georeferencing (LEVIR-CD: 0.5)")
	f.Float64Var(&mmu, "mmu-m2", 200, "minimum mapping unit in m²")
	f.StringVar(&classes, "classes", "built_gain", `change classes scored as change, comma separated, or "all"`)
	f.StringVar(&jsonOut, "json", "", "also write the JSON report to this file")
	f.IntVar(&nworkers, "workers", 0, "tile goroutines (0: number of CPUs)")
	return cmd
}

func orAll(c []string) []string {
	if len(c) == 0 {
		return []string{"all"}
	}
	return c
}
