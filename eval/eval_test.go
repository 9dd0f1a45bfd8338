package eval

import (
	"context"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
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
	score(&s, pred, truth, 4, 3, 2)
	s.finish()
	if s.TP != 1 || s.FP != 1 || s.FN != 3 || s.Objects != 2 || s.ObjectsHit != 1 {
		t.Fatalf("got %+v", s)
	}
	if s.Precision != 0.5 || s.Recall != 0.25 || s.ObjectRecall != 0.5 || s.IoU != 0.2 {
		t.Errorf("got %+v", s)
	}
	// Both blobs have 2 pixels: both count at a 2-pixel MMU, neither at 3.
	if s.ObjectsMMU != 2 || s.ObjectsMMUHit != 1 || s.ObjectRecallMMU != 0.5 {
		t.Errorf("objects of at least 2 pixels: got %+v", s)
	}
	var big Scores
	score(&big, pred, truth, 4, 3, 3)
	big.finish()
	if big.Objects != 2 || big.ObjectsMMU != 0 || big.ObjectRecallMMU != 0 {
		t.Errorf("objects of at least 3 pixels: got %+v", big)
	}
	if mmuPixels(200, 100) != 2 || mmuPixels(200, 2.25) != 89 || mmuPixels(200, 0.25) != 800 || mmuPixels(0, 1) != 0 {
		t.Errorf("mmuPixels: %d %d %d", mmuPixels(200, 100), mmuPixels(200, 2.25), mmuPixels(200, 0.25))
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

// The error map shows before, after and the scored pixels in their colours.
func TestWriteMap(t *testing.T) {
	const w, h = 6, 4
	win := &change.Window{W: w, H: h, Valid: make([]bool, w*h)}
	for b := 0; b < 3; b++ {
		bp, ap := make([]float32, w*h), make([]float32, w*h)
		for i := range bp {
			bp[i], ap[i] = float32(i), float32(2*i)
			win.Valid[i] = true
		}
		win.Before, win.After = append(win.Before, bp), append(win.After, ap)
	}
	pred, aside, truth := make([]bool, w*h), make([]bool, w*h), make([]uint8, w*h)
	pred[0], truth[0] = true, 1 // found
	pred[1] = true              // false alarm
	truth[2] = 1                // missed
	truth[3], aside[3] = 1, true
	aside[4] = true
	path := filepath.Join(t.TempDir(), "m.png")
	if err := writeMap(path, win, []string{"R", "G", "B"}, pred, aside, truth, w, h, 0, 0); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 3*w || b.Dy() != h {
		t.Fatalf("map is %v, want %d×%d", b, 3*w, h)
	}
	for x, want := range []color.RGBA{colTP, colFP, colFN, colNC, colNN} {
		if got := color.RGBAModel.Convert(img.At(2*w+x, 0)).(color.RGBA); got != want {
			t.Errorf("error map pixel %d: %v, want %v", x, got, want)
		}
	}
	if got := color.RGBAModel.Convert(img.At(2*w+5, 0)).(color.RGBA); got.R != got.G || got.G != got.B {
		t.Errorf("unscored pixel: %v, want grey", got)
	}
}
