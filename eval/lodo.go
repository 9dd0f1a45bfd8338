package eval

import (
	"context"
	"fmt"
	"io"
	"os"
	"reflect"
	"sort"
	"strings"

	"github.com/weipian/weipian/detect"
	"github.com/weipian/weipian/raster/change"
)

// Setting is one point of a parameter grid: values of change.Params fields
// by field name.
type Setting map[string]float64

// String lists the values in name order.
func (s Setting) String() string {
	var keys []string
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%g", k, s[k]))
	}
	return strings.Join(parts, ",")
}

// Apply sets the named fields of p.
func (s Setting) Apply(p *change.Params) error {
	v := reflect.ValueOf(p).Elem()
	for k, x := range s {
		f := v.FieldByName(k)
		if !f.IsValid() || !f.CanSet() {
			return fmt.Errorf("eval: change.Params has no field %q", k)
		}
		switch f.Kind() {
		case reflect.Float64:
			f.SetFloat(x)
		case reflect.Int:
			f.SetInt(int64(x))
		default:
			return fmt.Errorf("eval: change.Params.%s is not a number", k)
		}
	}
	return nil
}

// Grid is a parameter grid: each field with the values to try. The grid is
// the cartesian product.
type Grid map[string][]float64

// Settings returns the grid's points in a fixed order.
func (g Grid) Settings() []Setting {
	var keys []string
	for k := range g {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := []Setting{{}}
	for _, k := range keys {
		var next []Setting
		for _, s := range out {
			for _, v := range g[k] {
				c := Setting{}
				for kk, vv := range s {
					c[kk] = vv
				}
				c[k] = v
				next = append(next, c)
			}
		}
		out = next
	}
	return out
}

// DefaultGrid is the grid the defaults of change.DefaultParams were chosen
// on (see README): the parameters that decide what is a change of concern.
func DefaultGrid() Grid {
	return Grid{
		"ChangeT":    {0.14, 0.16, 0.18, 0.20},
		"GrowT":      {0.5, 0.6},
		"ScoreShare": {0.5, 1},
		"ContextM":   {120, 240},
		// 1: no weak regions (a region needs a pixel above ChangeT).
		"WeakStrength": {0.6, 0.65, 1},
	}
}

// F1Tolerance is the relative difference of mean F1 below which two
// settings count as equally precise and the one with the better object
// recall is chosen: leaving out a single pair moves a dataset's pooled F1
// by up to 7 % (LEVIR), 14 % (OSCD) and 28 % (SZTAKI).
const F1Tolerance = 0.01

// QuietPair is an unlabelled pair on which (almost) nothing of concern
// happens (the Jülich month over farmland): a setting is admissible only if
// its patches of concern cover at most MaxShare of the scene.
type QuietPair struct {
	Before, After string
	MaxShare      float64
}

// SettingScore is what one setting scored.
type SettingScore struct {
	Setting    string             `json:"setting"`
	F1         map[string]float64 `json:"f1"`
	ObjRecall  map[string]float64 `json:"object_recall"`
	QuietShare float64            `json:"quiet_share,omitempty"`
	Admissible bool               `json:"admissible"`
}

// Held is the leave-one-dataset-out figure of one dataset.
type Held struct {
	Dataset string `json:"dataset"`
	// Chosen is the setting chosen on the other datasets; F1 and
	// ObjectRecall are this dataset's scores at it.
	Chosen       string  `json:"chosen_on_others"`
	F1           float64 `json:"f1"`
	ObjectRecall float64 `json:"object_recall"`
	// InSample is the dataset's F1 at the setting chosen on all datasets.
	InSampleF1 float64 `json:"in_sample_f1"`
	BaselineF1 float64 `json:"baseline_f1"`
	Ratio      float64 `json:"lodo_ratio_to_baseline"`
}

// LODOReport is the outcome of LODO.
type LODOReport struct {
	Settings []SettingScore `json:"settings"`
	Held     []Held         `json:"leave_one_dataset_out"`
	// Chosen is the setting chosen on all datasets (the defaults should
	// equal it).
	Chosen string `json:"chosen_on_all"`
}

// LODO scores every setting of the grid on every dataset, then, for each
// dataset, picks the admissible setting with the best mean F1 over the
// other datasets (or, within F1Tolerance of it, the best mean object
// recall) and reports the held-out dataset's figures at it.
func LODO(ctx context.Context, sets []Dataset, opt Options, g Grid, quiet *QuietPair) (*LODOReport, error) {
	if len(sets) < 2 {
		return nil, fmt.Errorf("eval: leave-one-dataset-out needs at least two datasets")
	}
	rep := &LODOReport{}
	settings := g.Settings()
	base := map[string]float64{}
	for si, s := range settings {
		o := opt
		o.NoBaseline = si > 0
		s := s
		o.Tune = func(p *change.Params) { _ = s.Apply(p) }
		if err := s.Apply(&change.Params{}); err != nil {
			return nil, err
		}
		m, err := RunAll(ctx, sets, o)
		if err != nil {
			return nil, err
		}
		sc := SettingScore{Setting: s.String(), F1: map[string]float64{}, ObjRecall: map[string]float64{}, Admissible: true}
		for _, r := range m.Datasets {
			sc.F1[r.Name] = r.Overall.F1
			sc.ObjRecall[r.Name] = r.Overall.ObjectRecall
			if r.Baseline != nil {
				base[r.Name] = r.Baseline.F1
			}
		}
		if quiet != nil {
			share, err := QuietShare(ctx, quiet.Before, quiet.After, o)
			if err != nil {
				return nil, err
			}
			sc.QuietShare = share
			sc.Admissible = share <= quiet.MaxShare
		}
		rep.Settings = append(rep.Settings, sc)
	}
	best := func(exclude string) int {
		mean := func(sc SettingScore, m map[string]float64) float64 {
			v, k := 0.0, 0
			for _, ds := range sets {
				if ds.Name() != exclude {
					v += m[ds.Name()]
					k++
				}
			}
			return v / float64(k)
		}
		top := -1.0
		for _, sc := range rep.Settings {
			if sc.Admissible {
				top = max(top, mean(sc, sc.F1))
			}
		}
		// Among the settings within F1Tolerance of the best mean F1 (a
		// difference the pairs cannot tell apart), the one that finds the
		// most changes: the best mean object recall, then the best F1.
		bi, bo, bf := -1, -1.0, -1.0
		for i, sc := range rep.Settings {
			f := mean(sc, sc.F1)
			if !sc.Admissible || f < top*(1-F1Tolerance)-1e-12 {
				continue
			}
			o := mean(sc, sc.ObjRecall)
			if o > bo+1e-12 || (o > bo-1e-12 && f > bf+1e-12) {
				bi, bo, bf = i, o, f
			}
		}
		return bi
	}
	all := best("")
	if all < 0 {
		return nil, fmt.Errorf("eval: no setting keeps the quiet pair under %.2f%% of the scene", 100*quiet.MaxShare)
	}
	rep.Chosen = rep.Settings[all].Setting
	for _, ds := range sets {
		n := ds.Name()
		i := best(n)
		h := Held{Dataset: n, Chosen: rep.Settings[i].Setting, F1: rep.Settings[i].F1[n], ObjectRecall: rep.Settings[i].ObjRecall[n],
			InSampleF1: rep.Settings[all].F1[n], BaselineF1: base[n]}
		if h.BaselineF1 > 0 {
			h.Ratio = h.F1 / h.BaselineF1
		}
		rep.Held = append(rep.Held, h)
	}
	return rep, nil
}

// QuietShare runs detection on an unlabelled pair and returns the share of
// the scene's valid area that its patches of concern cover.
func QuietShare(ctx context.Context, before, after string, opt Options) (float64, error) {
	work, err := os.MkdirTemp("", "weipian-quiet-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(work)
	res, _, err := (&detect.Local{Concurrency: opt.Concurrency}).Run(ctx, before, after, detect.Options{MMU: opt.MMU, WorkDir: work, Tune: opt.Tune})
	if err != nil {
		return 0, err
	}
	s := res.Summary
	if s.Masked.ValidM2 <= 0 {
		return 0, nil
	}
	return s.Patches.AreaM2 / s.Masked.ValidM2, nil
}

// WriteLODOTable prints the leave-one-dataset-out table.
func WriteLODOTable(w io.Writer, r *LODOReport) {
	fmt.Fprintf(w, "\n%-26s %8s %8s %8s %8s %8s  %s\n", "dataset", "LODO_F1", "objR", "in_F1", "cvaF1", "ratio", "chosen on the others")
	for _, h := range r.Held {
		fmt.Fprintf(w, "%-26s %8.3f %8.3f %8.3f %8.3f %8.2f  %s\n", h.Dataset, h.F1, h.ObjectRecall, h.InSampleF1, h.BaselineF1, h.Ratio, h.Chosen)
	}
	fmt.Fprintf(w, "chosen on all datasets: %s\n", r.Chosen)
}
