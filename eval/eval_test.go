package eval

import (
	"context"
	"os"
	"testing"
)

func TestScore(t *testing.T) {
	// 4×3: two labelled blobs, a prediction touching one of them.
	truth := []uint8{
		1, 1, 0, 0,
		0, 0, 0, 1,
		0, 0, 0, 1,
	}
	pred := []bool{
		true, false, false, false,
		true, false, false, false,
		false, false, false, false,
	}
	var s Scores
	score(&s, pred, truth, 4, 3)
	s.finish()
	if s.TP != 1 || s.FP != 1 || s.FN != 3 || s.Objects != 2 || s.ObjectsHit != 1 {
		t.Fatalf("got %+v", s)
	}
	if s.Precision != 0.5 || s.Recall != 0.25 || s.ObjectRecall != 0.5 || s.IoU != 0.2 {
		t.Errorf("got %+v", s)
	}
}

// The LEVIR-CD samples are research-use data kept outside the repository.
const levir = "../../shared/data/levir_cd_samples"

func TestLEVIRTargets(t *testing.T) {
	if _, err := os.Stat(levir); err != nil {
		t.Skipf("LEVIR-CD samples not found at %s", levir)
	}
	rep, err := Run(context.Background(), levir, Options{PixelSize: 0.5, Classes: []string{"built_gain"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("f1=%.3f object_recall=%.3f precision=%.3f recall=%.3f", rep.Overall.F1, rep.Overall.ObjectRecall, rep.Overall.Precision, rep.Overall.Recall)
	if len(rep.Pairs) != 7 {
		t.Fatalf("%d pairs, want 7", len(rep.Pairs))
	}
	// The targets (plain CVA with Otsu scores F1 0.285 here).
	if rep.Overall.F1 < 0.45 || rep.Overall.ObjectRecall < 0.8 {
		t.Errorf("f1=%.3f object_recall=%.3f: want f1 >= 0.45 and object recall >= 0.8", rep.Overall.F1, rep.Overall.ObjectRecall)
	}
}

func TestBadLayout(t *testing.T) {
	if _, err := Run(context.Background(), t.TempDir(), Options{PixelSize: 0.5}); err == nil {
		t.Error("a folder without A/ B/ label/ must be refused")
	}
}
