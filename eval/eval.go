// Package eval scores change detection against labelled image pairs laid
// out as A/ (before), B/ (after) and label/ (0 = no change, >127 = change),
// e.g. the LEVIR-CD, OSCD and SZTAKI AirChange benchmarks, beside the
// textbook baseline (CVA with an Otsu threshold) computed in the same
// harness on the same aligned pairs.
//
// Georeferenced pairs keep their georeferencing: the pixel size and areas
// come from the CRS, the label lies on A's grid and B is aligned onto it
// exactly as detect aligns it. Only images without georeferencing are given
// a grid of the dataset's pixel size.
package eval

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/weipian/weipian/detect"
	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/raster"
	"github.com/weipian/weipian/raster/change"
	"github.com/weipian/weipian/raster/region"
)

// Dataset is one folder of labelled pairs.
type Dataset struct {
	Dir string
	// PixelSize in metres for images without georeferencing (0: the
	// Options' PixelSize). Georeferenced images ignore it.
	PixelSize float64
}

// Name is the dataset's name: its folder's base name.
func (d Dataset) Name() string { return filepath.Base(filepath.Clean(d.Dir)) }

// Options are the inputs of Run.
type Options struct {
	// PixelSize in metres, for images without georeferencing of datasets
	// that give none (LEVIR-CD: 0.5).
	PixelSize float64
	// MMU in m² (0: the detector's default).
	MMU float64
	// Classes are the change classes scored as change; empty: every patch
	// of concern (what becomes a 图斑).
	Classes []string
	// Concurrency of the tile goroutines (0: number of CPUs).
	Concurrency int
	// Tune overrides detector parameters (parameter search only).
	Tune func(*change.Params)
	// NoBaseline skips the CVA baseline.
	NoBaseline bool
	// Maps, when set, is a folder where each pair's error map is drawn
	// (DATASET_PAIR.png: before, after, found/false/missed change).
	Maps string
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
	// The same over the labelled objects of at least the minimum mapping
	// unit: smaller changes are never 图斑, by the practice's definition.
	ObjectsMMU      int     `json:"label_objects_mmu"`
	ObjectsMMUHit   int     `json:"objects_mmu_hit"`
	ObjectRecallMMU float64 `json:"object_recall_mmu"`
	Patches         int     `json:"patches"`
	// FalseAlarmM2 is the area predicted as change where the label has
	// none; FalseAlarmShare that area's share of the scored scene.
	FalseAlarmM2    float64 `json:"false_alarm_m2"`
	FalseAlarmShare float64 `json:"false_alarm_share"`
	ScenePixels     int64   `json:"scene_pixels"`
	SceneM2         float64 `json:"scene_m2"`
}

func (s *Scores) add(o *Scores) {
	s.TP, s.FP, s.FN = s.TP+o.TP, s.FP+o.FP, s.FN+o.FN
	s.Objects, s.ObjectsHit, s.Patches = s.Objects+o.Objects, s.ObjectsHit+o.ObjectsHit, s.Patches+o.Patches
	s.ObjectsMMU, s.ObjectsMMUHit = s.ObjectsMMU+o.ObjectsMMU, s.ObjectsMMUHit+o.ObjectsMMUHit
	s.FalseAlarmM2 += o.FalseAlarmM2
	s.SceneM2 += o.SceneM2
	s.ScenePixels += o.ScenePixels
}

func (s *Scores) finish() {
	s.Precision, s.Recall, s.F1, s.IoU, s.ObjectRecall, s.ObjectRecallMMU, s.FalseAlarmShare = 0, 0, 0, 0, 0, 0, 0
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
	if s.ObjectsMMU > 0 {
		s.ObjectRecallMMU = float64(s.ObjectsMMUHit) / float64(s.ObjectsMMU)
	}
	if s.SceneM2 > 0 {
		s.FalseAlarmShare = s.FalseAlarmM2 / s.SceneM2
	}
}

// Level is the precision of the patches of one confidence level: the share
// of their pixels that the label marks as change.
type Level struct {
	Patches   int     `json:"patches"`
	Pixels    int64   `json:"pixels"`
	TP        int64   `json:"tp_pixels"`
	Precision float64 `json:"precision"`
	// ObjectPrecision is the share of the level's patches that touch a
	// labelled change.
	PatchesHit      int     `json:"patches_hit"`
	ObjectPrecision float64 `json:"object_precision"`
}

func (l *Level) add(o Level) {
	l.Patches += o.Patches
	l.Pixels += o.Pixels
	l.TP += o.TP
	l.PatchesHit += o.PatchesHit
}

func (l *Level) finish() {
	l.Precision, l.ObjectPrecision = 0, 0
	if l.Pixels > 0 {
		l.Precision = float64(l.TP) / float64(l.Pixels)
	}
	if l.Patches > 0 {
		l.ObjectPrecision = float64(l.PatchesHit) / float64(l.Patches)
	}
}

// addLevel adds o to the level of key k of into.
func addLevel(into map[string]Level, k string, o Level) {
	lv := into[k]
	lv.add(o)
	into[k] = lv
}

// addLevels adds each level of o to the same key of into.
func addLevels(into, o map[string]Level) {
	for k, v := range o {
		addLevel(into, k, v)
	}
}

func finishLevels(m map[string]Level) {
	for k, v := range m {
		v.finish()
		m[k] = v
	}
}

// transition names a patch's class and land-cover transition.
func transition(p *pipeline.Patch) string {
	return p.Class + " " + p.BeforeState + "→" + p.AfterState
}

// PairResult is the score of one pair.
type PairResult struct {
	Name          string  `json:"name"`
	Georeferenced bool    `json:"georeferenced"`
	PixelSizeM    float64 `json:"pixel_size_m"`
	Scores
	Baseline     *Scores          `json:"cva_otsu,omitempty"`
	ByConfidence map[string]Level `json:"by_confidence"`
	// ByTransition is the same per class and land-cover transition of
	// the patches of concern ("built_gain built→built"), and SetAside per
	// class and transition of the changes of no concern, whose TP pixels
	// are labelled change that was set aside (farming, water colour …).
	ByTransition map[string]Level `json:"by_transition"`
	SetAside     map[string]Level `json:"set_aside"`
	// NonConcern is the number of non-concern changes set aside.
	NonConcern int      `json:"nonconcern"`
	Notes      []string `json:"notes,omitempty"`
}

// Report is the outcome of Run on one dataset.
type Report struct {
	Name      string       `json:"dataset"`
	Data      string       `json:"data"`
	PixelSize float64      `json:"pixel_size_m,omitempty"`
	MMU       float64      `json:"mmu_m2"`
	Classes   []string     `json:"classes"`
	Pairs     []PairResult `json:"pairs"`
	// Overall pools the pixels and objects of every pair; Baseline the
	// same for the CVA + Otsu baseline; Ratio is Overall.F1/Baseline.F1.
	Overall      Scores           `json:"overall"`
	Baseline     *Scores          `json:"cva_otsu,omitempty"`
	Ratio        float64          `json:"ratio_to_baseline,omitempty"`
	ByConfidence map[string]Level `json:"by_confidence"`
	ByTransition map[string]Level `json:"by_transition"`
	SetAside     map[string]Level `json:"set_aside"`
	// MeanF1 is the unweighted mean of the pairs' F1.
	MeanF1  float64 `json:"mean_f1"`
	Version string  `json:"algorithm_version"`
}

// Run detects change on every pair under dir and scores it.
func Run(ctx context.Context, dir string, opt Options) (*Report, error) {
	return RunDataset(ctx, Dataset{Dir: dir, PixelSize: opt.PixelSize}, opt)
}

// RunDataset detects change on every pair of one dataset and scores it.
func RunDataset(ctx context.Context, ds Dataset, opt Options) (*Report, error) {
	names, err := pairs(ds.Dir)
	if err != nil {
		return nil, err
	}
	px := ds.PixelSize
	if px == 0 {
		px = opt.PixelSize
	}
	rep := &Report{Name: ds.Name(), Data: ds.Dir, MMU: opt.MMU, Classes: opt.Classes,
		ByConfidence: map[string]Level{}, ByTransition: map[string]Level{}, SetAside: map[string]Level{}}
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
	var base Scores
	for _, n := range names {
		pr, err := runPair(ctx, l, ds.Dir, n, px, work, want, opt)
		if err != nil {
			return nil, err
		}
		if !pr.Georeferenced {
			rep.PixelSize = px
		}
		rep.Version = change.Version
		rep.Pairs = append(rep.Pairs, *pr)
		rep.Overall.add(&pr.Scores)
		if pr.Baseline != nil {
			base.add(pr.Baseline)
		}
		addLevels(rep.ByConfidence, pr.ByConfidence)
		addLevels(rep.ByTransition, pr.ByTransition)
		addLevels(rep.SetAside, pr.SetAside)
		sumF1 += pr.F1
	}
	if rep.MMU == 0 {
		rep.MMU = change.DefaultParams(1).MMU
	}
	rep.Overall.finish()
	finishLevels(rep.ByConfidence)
	finishLevels(rep.ByTransition)
	finishLevels(rep.SetAside)
	if !opt.NoBaseline {
		base.finish()
		rep.Baseline = &base
		if base.F1 > 0 {
			rep.Ratio = rep.Overall.F1 / base.F1
		}
	}
	rep.MeanF1 = sumF1 / float64(len(names))
	return rep, nil
}

func runPair(ctx context.Context, l *detect.Local, dir, n string, px float64, work string, want map[string]bool, opt Options) (*PairResult, error) {
	paths := [2]string{filepath.Join(dir, "A", n), filepath.Join(dir, "B", n)}
	pr := &PairResult{Name: strings.TrimSuffix(n, filepath.Ext(n)), Georeferenced: true,
		ByConfidence: map[string]Level{}, ByTransition: map[string]Level{}, SetAside: map[string]Level{}}
	ai, err := raster.Inspect(paths[0])
	switch {
	case errors.Is(err, raster.ErrNoGeoref):
		if !(px > 0) {
			return nil, fmt.Errorf("eval: %s has no georeferencing: give the dataset's pixel size (--data DIR@METRES or --pixel-size)", paths[0])
		}
		pr.Georeferenced = false
		for i, sub := range []string{"A", "B"} {
			p := filepath.Join(work, sub+"_"+n+".vrt")
			if err := raster.AssignGrid(paths[i], p, px); err != nil {
				return nil, err
			}
			paths[i] = p
		}
		if ai, err = raster.Inspect(paths[0]); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	}
	pd := filepath.Join(work, pr.Name)
	if err := os.MkdirAll(pd, 0o755); err != nil {
		return nil, err
	}
	defer os.RemoveAll(pd)
	res, _, err := l.Run(ctx, paths[0], paths[1], detect.Options{MMU: opt.MMU, WorkDir: pd, Tune: opt.Tune})
	if err != nil {
		return nil, fmt.Errorf("eval: %s: %w", n, err)
	}
	s := res.Scene
	pr.PixelSizeM = s.PixelSize
	pr.Notes = s.Notes
	pr.NonConcern = len(res.NonConcern)
	labPath := filepath.Join(dir, "label", n)
	lab, w, h, err := raster.ReadImage(labPath)
	if err != nil {
		return nil, err
	}
	if w != ai.Width || h != ai.Height {
		return nil, fmt.Errorf("eval: %s is %d×%d, but it must lie on the grid of A/%s (%d×%d)", labPath, w, h, n, ai.Width, ai.Height)
	}
	truth := make([]uint8, w*h)
	for i, v := range lab[0] {
		if v > 127 {
			truth[i] = 1
		}
	}
	// The scene grid is a window of A's grid (the overlap with B).
	ox, oy := s.Before.XOff, s.Before.YOff
	pred := make([]bool, w*h)
	// level counts a patch's pixels and those labelled as change.
	level := func(runs []region.Run, mark bool) Level {
		lv := Level{Patches: 1}
		for _, r := range runs {
			y := int(r.Y) + oy
			for x := int(r.X0) + ox; x < int(r.X1)+ox; x++ {
				if mark {
					pred[y*w+x] = true
				}
				lv.Pixels++
				if truth[y*w+x] != 0 {
					lv.TP++
				}
			}
		}
		if lv.TP > 0 {
			lv.PatchesHit = 1
		}
		return lv
	}
	for i := range res.Patches {
		p := &res.Patches[i]
		if len(want) > 0 && !want[p.Class] {
			continue
		}
		pr.Patches++
		lv := level(res.Runs[i], true)
		addLevel(pr.ByConfidence, p.Confidence, lv)
		addLevel(pr.ByTransition, transition(p), lv)
	}
	for i := range res.NonConcern {
		addLevel(pr.SetAside, transition(&res.NonConcern[i]), level(res.NonConcernRuns[i], false))
	}
	finishLevels(pr.ByConfidence)
	finishLevels(pr.ByTransition)
	finishLevels(pr.SetAside)
	pxArea := s.PixelSize * s.PixelSize
	minPx := mmuPixels(s.Params.MMU, pxArea)
	score(&pr.Scores, pred, truth, w, h, minPx)
	pr.FalseAlarmM2 = float64(pr.FP) * pxArea
	pr.ScenePixels = int64(w * h)
	pr.SceneM2 = float64(w*h) * pxArea
	pr.finish()
	if opt.NoBaseline && opt.Maps == "" {
		return pr, nil
	}
	win, err := detect.ReadAll(ctx, s)
	if err != nil {
		return nil, err
	}
	if opt.Maps != "" {
		// Changes of no concern are drawn on the error map only.
		aside := make([]bool, w*h)
		for _, runs := range res.NonConcernRuns {
			for _, r := range runs {
				y := int(r.Y) + oy
				for x := int(r.X0) + ox; x < int(r.X1)+ox; x++ {
					aside[y*w+x] = true
				}
			}
		}
		mp := filepath.Join(opt.Maps, filepath.Base(filepath.Clean(dir))+"_"+pr.Name+".png")
		if err := writeMap(mp, win, s.BandNames, pred, aside, truth, w, h, ox, oy); err != nil {
			return nil, err
		}
	}
	if !opt.NoBaseline {
		cva := CVA(win)
		bp := make([]bool, w*h)
		for y := 0; y < s.Grid.Height; y++ {
			for x := 0; x < s.Grid.Width; x++ {
				if cva[y*s.Grid.Width+x] {
					bp[(y+oy)*w+x+ox] = true
				}
			}
		}
		b := &Scores{}
		score(b, bp, truth, w, h, minPx)
		b.FalseAlarmM2 = float64(b.FP) * pxArea
		b.ScenePixels, b.SceneM2 = pr.ScenePixels, pr.SceneM2
		b.finish()
		pr.Baseline = b
	}
	return pr, nil
}

// CVA is the textbook baseline: each band of each date standardised to zero
// mean and unit variance over the valid pixels, the magnitude of the change
// vector, and Otsu's threshold on it.
func CVA(w *change.Window) []bool {
	n := w.W * w.H
	mag := make([]float64, n)
	for b := range w.Before {
		var st [2][2]float64 // mean, std of before, after
		for d, plane := range [][]float32{w.Before[b], w.After[b]} {
			var s, s2, c float64
			for i, v := range plane {
				if w.Valid[i] {
					s += float64(v)
					s2 += float64(v) * float64(v)
					c++
				}
			}
			if c == 0 {
				continue
			}
			m := s / c
			st[d] = [2]float64{m, math.Sqrt(math.Max(s2/c-m*m, 1e-12))}
		}
		for i := 0; i < n; i++ {
			if w.Valid[i] {
				d := (float64(w.Before[b][i])-st[0][0])/st[0][1] - (float64(w.After[b][i])-st[1][0])/st[1][1]
				mag[i] += d * d
			}
		}
	}
	var vals []float64
	for i := 0; i < n; i++ {
		if w.Valid[i] {
			mag[i] = math.Sqrt(mag[i])
			vals = append(vals, mag[i])
		}
	}
	out := make([]bool, n)
	if len(vals) == 0 {
		return out
	}
	t := change.Otsu(vals, 256)
	for i := 0; i < n; i++ {
		out[i] = w.Valid[i] && mag[i] > t
	}
	return out
}

// mmuPixels is the number of pixels of area pxArea that make the minimum
// mapping unit mmu (m²).
func mmuPixels(mmu, pxArea float64) int {
	if mmu <= 0 || pxArea <= 0 {
		return 0
	}
	return int(math.Ceil(mmu/pxArea - 1e-9))
}

// score counts pixel agreement and the labelled objects (4-connected blobs)
// that a predicted patch touches, all of them and those of at least minPx
// pixels.
func score(s *Scores, pred []bool, truth []uint8, w, h, minPx int) {
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
		n, hit := 0, false
		for _, r := range blob {
			n += int(r.X1 - r.X0)
			for x := r.X0; x < r.X1 && !hit; x++ {
				hit = pred[int(r.Y)*w+int(x)]
			}
		}
		s.Objects++
		if hit {
			s.ObjectsHit++
		}
		if n >= minPx {
			s.ObjectsMMU++
			if hit {
				s.ObjectsMMUHit++
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
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") || strings.HasSuffix(e.Name(), ".aux.xml") {
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

// Multi is the outcome of RunAll: one report per dataset and the pool.
type Multi struct {
	Datasets []*Report `json:"datasets"`
	// Pooled pools every pair of every dataset (pixels and objects).
	Pooled         Scores           `json:"pooled"`
	PooledBaseline *Scores          `json:"pooled_cva_otsu,omitempty"`
	ByConfidence   map[string]Level `json:"by_confidence"`
	// MeanF1 is the unweighted mean of the datasets' pooled F1.
	MeanF1 float64 `json:"mean_dataset_f1"`
	// QuietShare is the share of a quiet pair's scene that the patches of
	// concern cover, when one was given.
	QuietShare *float64 `json:"quiet_share,omitempty"`
}

// RunAll scores several datasets in one run.
func RunAll(ctx context.Context, sets []Dataset, opt Options) (*Multi, error) {
	m := &Multi{ByConfidence: map[string]Level{}}
	var base Scores
	for _, ds := range sets {
		r, err := RunDataset(ctx, ds, opt)
		if err != nil {
			return nil, err
		}
		m.Datasets = append(m.Datasets, r)
		m.Pooled.add(&r.Overall)
		if r.Baseline != nil {
			base.add(r.Baseline)
		}
		for k, v := range r.ByConfidence {
			lv := m.ByConfidence[k]
			lv.add(v)
			m.ByConfidence[k] = lv
		}
		m.MeanF1 += r.Overall.F1 / float64(len(sets))
	}
	m.Pooled.finish()
	for k, v := range m.ByConfidence {
		v.finish()
		m.ByConfidence[k] = v
	}
	if !opt.NoBaseline {
		base.finish()
		m.PooledBaseline = &base
	}
	return m, nil
}
