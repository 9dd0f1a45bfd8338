// Package eval scores change detection against labelled image pairs laid
// out as A/ (before), B/ (after) and label/ (0 = no change, >127 = change),
// e.g. the LEVIR-CD benchmark.
package eval

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/weipian/weipian/detect"
	"github.com/weipian/weipian/raster"
	"github.com/weipian/weipian/raster/region"
)

// Options are the inputs of Run.
type Options struct {
	// PixelSize in metres, for images without georeferencing (LEVIR-CD: 0.5).
	PixelSize float64
	// MMU in m² (0: the detector's default).
	MMU float64
	// Classes are the change classes scored as change; empty: all.
	Classes []string
	// Concurrency of the tile goroutines (0: number of CPUs).
	Concurrency int
}

// Scores are pixel and object scores.
type Scores struct {
	TP, FP, FN   int64   `json:"-"`
	Precision    float64 `json:"precision"`
	Recall       float64 `json:"recall"`
	F1           float64 `json:"f1"`
	IoU          float64 `json:"iou"`
	Objects      int     `json:"label_objects"`
	ObjectsHit   int     `json:"objects_hit"`
	ObjectRecall float64 `json:"object_recall"`
	Patches      int     `json:"patches"`
}

func (s *Scores) finish() {
	if s.TP+s.FP > 0 {
		s.Precision = float64(s.TP) / float64(s.TP+s.FP)
	}
	if s.TP+s.FN > 0 {
		s.Recall = float64(s.TP) / float64(s.TP+s.FN)
	}
	if s.Precision+s.Recall > 0 {
		s.F1 = 2 * s.Precision * s.Recall / (s.Precision + s.Recall)
	}
	if s.TP+s.FP+s.FN > 0 {
		s.IoU = float64(s.TP) / float64(s.TP+s.FP+s.FN)
	}
	if s.Objects > 0 {
		s.ObjectRecall = float64(s.ObjectsHit) / float64(s.Objects)
	}
}

// PairResult is the score of one pair.
type PairResult struct {
	Name string `json:"name"`
	Scores
}

// Report is the outcome of Run.
type Report struct {
	Data      string       `json:"data"`
	PixelSize float64      `json:"pixel_size_m"`
	MMU       float64      `json:"mmu_m2"`
	Classes   []string     `json:"classes"`
	Pairs     []PairResult `json:"pairs"`
	// Overall pools the pixels and objects of every pair.
	Overall Scores `json:"overall"`
	// MeanF1 is the unweighted mean of the pairs' F1.
	MeanF1  float64 `json:"mean_f1"`
	Version string  `json:"algorithm_version"`
}

// Run detects change on every pair under dir and scores it.
func Run(ctx context.Context, dir string, opt Options) (*Report, error) {
	names, err := pairs(dir)
	if err != nil {
		return nil, err
	}
	rep := &Report{Data: dir, PixelSize: opt.PixelSize, MMU: opt.MMU, Classes: opt.Classes}
	want := map[string]bool{}
	for _, c := range opt.Classes {
		want[c] = true
	}
	work, err := os.MkdirTemp("", "weipian-eval-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	l := &detect.Local{Concurrency: opt.Concurrency}
	var sumF1 float64
	for _, n := range names {
		var paths [2]string
		for i, sub := range []string{"A", "B"} {
			paths[i] = filepath.Join(work, sub+"_"+n+".vrt")
			if err := raster.AssignGrid(filepath.Join(dir, sub, n), paths[i], opt.PixelSize); err != nil {
				return nil, err
			}
		}
		res, _, err := l.Run(ctx, paths[0], paths[1], detect.Options{MMU: opt.MMU, PixelSize: opt.PixelSize, WorkDir: work})
		if err != nil {
			return nil, fmt.Errorf("eval: %s: %w", n, err)
		}
		rep.Version = res.Scene.Version
		if rep.MMU == 0 {
			rep.MMU = res.Scene.Params.MMU
		}
		lab, w, h, err := raster.ReadImage(filepath.Join(dir, "label", n))
		if err != nil {
			return nil, err
		}
		if w != res.Scene.Grid.Width || h != res.Scene.Grid.Height {
			return nil, fmt.Errorf("eval: %s: label is %d×%d, images are %d×%d", n, w, h, res.Scene.Grid.Width, res.Scene.Grid.Height)
		}
		pred := make([]bool, w*h)
		pr := PairResult{Name: strings.TrimSuffix(n, filepath.Ext(n))}
		for i, p := range res.Patches {
			if len(want) > 0 && !want[p.Class] {
				continue
			}
			pr.Patches++
			for _, r := range res.Runs[i] {
				for x := r.X0; x < r.X1; x++ {
					pred[int(r.Y)*w+int(x)] = true
				}
			}
		}
		truth := make([]uint8, w*h)
		for i, v := range lab[0] {
			if v > 127 {
				truth[i] = 1
			}
		}
		score(&pr.Scores, pred, truth, w, h)
		pr.finish()
		rep.Pairs = append(rep.Pairs, pr)
		o := &rep.Overall
		o.TP, o.FP, o.FN = o.TP+pr.TP, o.FP+pr.FP, o.FN+pr.FN
		o.Objects, o.ObjectsHit, o.Patches = o.Objects+pr.Objects, o.ObjectsHit+pr.ObjectsHit, o.Patches+pr.Patches
		sumF1 += pr.F1
	}
	rep.Overall.finish()
	rep.MeanF1 = sumF1 / float64(len(names))
	return rep, nil
}

// score counts pixel agreement and the labelled objects (4-connected blobs)
// that a predicted patch touches.
func score(s *Scores, pred []bool, truth []uint8, w, h int) {
	for i, p := range pred {
		t := truth[i] != 0
		switch {
		case p && t:
			s.TP++
		case p:
			s.FP++
		case t:
			s.FN++
		}
	}
	for _, blob := range region.Label(truth, w, h, 0, 0) {
		s.Objects++
	hit:
		for _, r := range blob {
			for x := r.X0; x < r.X1; x++ {
				if pred[int(r.Y)*w+int(x)] {
					s.ObjectsHit++
					break hit
				}
			}
		}
	}
}

// pairs lists the file names present in A/, B/ and label/.
func pairs(dir string) ([]string, error) {
	var names []string
	ents, err := os.ReadDir(filepath.Join(dir, "A"))
	if err != nil {
		return nil, fmt.Errorf("eval: %s: want A/, B/ and label/ folders: %w", dir, err)
	}
	for _, e := range ents {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		n := e.Name()
		for _, sub := range []string{"B", "label"} {
			if _, err := os.Stat(filepath.Join(dir, sub, n)); err != nil {
				return nil, fmt.Errorf("eval: %s has no %s/%s to go with A/%s", dir, sub, n, n)
			}
		}
		names = append(names, n)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("eval: %s/A holds no images", dir)
	}
	sort.Strings(names)
	return names, nil
}
