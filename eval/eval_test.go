package eval

import (
	"context"
	"testing"

	"github.com/weipian/weipian/raster/change"
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

// The CVA baseline flags a square whose colour changed and nothing else.
func TestCVA(t *testing.T) {
	const w, h = 40, 30
	win := &change.Window{W: w, H: h, Valid: make([]bool, w*h)}
	for b := 0; b < 3; b++ {
		bp, ap := make([]float32, w*h), make([]float32, w*h)
		for i := range bp {
			v := float32(50 + (i*13+b*7)%9)
			bp[i], ap[i] = v, 1.1*v+3
			if x, y := i%w, i/w; x >= 10 && x < 20 && y >= 10 && y < 20 {
				ap[i] = float32(200 - 60*b)
			}
			win.Valid[i] = true
		}
		win.Before = append(win.Before, bp)
		win.After = append(win.After, ap)
	}
	m := CVA(win)
	for i, c := range m {
		x, y := i%w, i/w
		in := x >= 10 && x < 20 && y >= 10 && y < 20
		if c != in {
			t.Fatalf("pixel (%d,%d): CVA %v, changed %v", x, y, c, in)
		}
	}
}

func TestBadLayout(t *testing.T) {
	if _, err := Run(context.Background(), t.TempDir(), Options{PixelSize: 0.5}); err == nil {
		t.Error("a folder without A/ B/ label/ must be refused")
	}
}
