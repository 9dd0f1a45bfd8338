package eval

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/weipian/weipian/raster/change"
)

// TestHousingTractWithoutAStrongPixel: on LEVIR-CD test_55_0256_0000 a
// graded tract of bare lots became 13 houses with lawns of the same tone.
// Every pixel changed a little and, at ChangeT 0.20, none reaches the
// threshold (the tract's strongest score is just below it), so plain
// hysteresis finds nothing; as one large region changed throughout
// (Params.WeakStrength, WeakM2) it is found, and not with high confidence.
// The defaults leave weak regions off (the leave-one-dataset-out choice on
// all three benchmarks); the settings chosen for LEVIR and SZTAKI held out
// use them. Skips when the shared data is absent (CI has it).
func TestHousingTractWithoutAStrongPixel(t *testing.T) {
	src := filepath.Join(shared, "levir_cd_samples")
	const name = "test_55_0256_0000.png"
	if _, err := os.Stat(filepath.Join(src, "A", name)); err != nil {
		t.Skipf("shared benchmark not found (research-use data outside the repository): %v", err)
	}
	dir := t.TempDir()
	for _, sub := range []string{"A", "B", "label"} {
		abs, err := filepath.Abs(filepath.Join(src, sub, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(abs, filepath.Join(dir, sub, name)); err != nil {
			t.Fatal(err)
		}
	}
	score := func(tune func(*change.Params)) PairResult {
		t.Helper()
		r, err := RunDataset(context.Background(), Dataset{Dir: dir, PixelSize: 0.5}, Options{Concurrency: 2, NoBaseline: true, Tune: tune})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Pairs) != 1 {
			t.Fatalf("%d pairs scored, want 1", len(r.Pairs))
		}
		return r.Pairs[0]
	}
	weak := func(strength float64) func(*change.Params) {
		return func(p *change.Params) { p.ChangeT, p.GrowT, p.WeakStrength = 0.20, 0.5, strength }
	}
	on := score(weak(0.6))
	t.Logf("weak regions on: %d patches, %d of %d houses hit, precision %.3f", on.Patches, on.ObjectsHit, on.Objects, on.Precision)
	if on.Objects != 13 || on.ObjectsHit < 10 {
		t.Errorf("with weak regions: %d of the %d labelled houses found, want at least 10 of 13", on.ObjectsHit, on.Objects)
	}
	if _, ok := on.ByConfidence["high"]; ok {
		t.Error("the weak tract has a patch of high confidence: no pixel of it reaches the change threshold")
	}
	if off := score(weak(1)); off.Patches != 0 {
		t.Errorf("without weak regions: %d patches; the tract has no pixel above the change threshold, so want none (the test no longer exercises weak regions)", off.Patches)
	}
}
