package eval

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// The shared benchmarks are research-use data kept outside the repository
// (../shared/data); CI has them.
const shared = "../../shared/data"

// TestBenchmarkAims scores the three shared benchmarks with the defaults and
// guards the figures reported in the README against regression: the ratio
// to the CVA baseline of the same run, F1, object recall, the order of the
// confidence levels' precision and the precision of high confidence, each a
// little below what the defaults reach. Issue 8 aims higher (1.5×
// everywhere; F1 0.45/0.30/0.35; object recall 0.8): the OSCD F1 and the
// object recall of OSCD and SZTAKI are not there yet, and these floors must
// rise as they get there.
func TestBenchmarkAims(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the benchmark aims run in the full suite")
	}
	sets := []Dataset{
		{Dir: filepath.Join(shared, "levir_cd_samples"), PixelSize: 0.5},
		{Dir: filepath.Join(shared, "oscd_s2_samples")},
		{Dir: filepath.Join(shared, "sztaki_airchange_samples"), PixelSize: 1.5},
	}
	for _, d := range sets {
		if _, err := os.Stat(d.Dir); err != nil {
			t.Skipf("shared benchmark %s not found (research-use data outside the repository): %v", d.Dir, err)
		}
	}
	m, err := RunAll(context.Background(), sets, Options{Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	aims := map[string]struct{ ratio, f1, objRecall, highPrecision float64 }{
		"levir_cd_samples":         {1.5, 0.44, 0.80, 0.60},
		"oscd_s2_samples":          {2.5, 0.28, 0.39, 0.33},
		"sztaki_airchange_samples": {2.0, 0.35, 0.47, 0.50},
	}
	for _, r := range m.Datasets {
		a := aims[r.Name]
		t.Logf("%s: f1=%.3f object_recall=%.3f baseline_f1=%.3f ratio=%.2f", r.Name, r.Overall.F1, r.Overall.ObjectRecall, r.Baseline.F1, r.Ratio)
		if r.Ratio < a.ratio || r.Overall.F1 < a.f1 || r.Overall.ObjectRecall < a.objRecall {
			t.Errorf("%s: f1=%.3f (want >= %.2f), %.2f× the CVA baseline (want >= %.2f), object recall %.3f (want >= %.2f)",
				r.Name, r.Overall.F1, a.f1, r.Ratio, a.ratio, r.Overall.ObjectRecall, a.objRecall)
		}
		// Confidence must discriminate: high is more precise than
		// medium, medium than low.
		hi, med, lo := r.ByConfidence["high"], r.ByConfidence["medium"], r.ByConfidence["low"]
		for _, c := range []struct {
			a, b   Level
			na, nb string
		}{{hi, med, "high", "medium"}, {med, lo, "medium", "low"}, {hi, lo, "high", "low"}} {
			if c.a.Pixels > 0 && c.b.Pixels > 0 && c.a.Precision <= c.b.Precision {
				t.Errorf("%s: precision of %s confidence %.3f <= %s %.3f", r.Name, c.na, c.a.Precision, c.nb, c.b.Precision)
			}
		}
		if hi.Pixels > 0 && hi.Precision < a.highPrecision {
			t.Errorf("%s: precision of high confidence %.3f, want >= %.2f", r.Name, hi.Precision, a.highPrecision)
		}
		// The transitions split the same patches as the confidence
		// levels.
		sum := func(m map[string]Level) (l Level) {
			for _, v := range m {
				l.add(v)
			}
			return l
		}
		if c, tr := sum(r.ByConfidence), sum(r.ByTransition); c != tr || c.Patches != r.Overall.Patches {
			t.Errorf("%s: by transition %+v, by confidence %+v, %d patches", r.Name, tr, c, r.Overall.Patches)
		}
	}
}
