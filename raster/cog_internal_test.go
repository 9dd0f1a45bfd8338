package raster

import (
	"context"
	"image"
	"math"
	"path/filepath"
	"testing"

	"github.com/airbusgeo/godal"
)

// WriteCOG's copy gives the grid's pixels exactly; its alignment padding,
// and anything else outside the grid, reads as invalid even though the
// source has no nodata value (every value, 0 included, is data).
func TestWriteCOGPaddedCopy(t *testing.T) {
	register()
	dir := t.TempDir()
	path := filepath.Join(dir, "src.tif")
	const w, h = 300, 200
	ds, err := godal.Create(godal.GTiff, path, 2, godal.UInt16, w, h)
	if err != nil {
		t.Fatal(err)
	}
	ds.SetGeoTransform([6]float64{500000, 10, 0, 5600000, 0, -10})
	for k, b := range ds.Bands() {
		buf := make([]uint16, w*h)
		for i := range buf {
			buf[i] = uint16(1 + k + i%257)
		}
		if err := b.Write(0, 0, buf, w, h); err != nil {
			t.Fatal(err)
		}
	}
	if err := ds.Close(); err != nil {
		t.Fatal(err)
	}
	src := Source{Name: path, XOff: 10, YOff: 5, Bands: []int{1, 0}, NoData: NoData{math.NaN(), math.NaN()}}
	grid := Grid{Width: 250, Height: 180}
	ctx := context.Background()
	read := func(s Source, win image.Rectangle) ([][]float32, []bool) {
		t.Helper()
		r, err := OpenReader(s)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		n := win.Dx() * win.Dy()
		planes := [][]float32{make([]float32, n), make([]float32, n)}
		valid := make([]bool, n)
		if err := r.Read(ctx, win, planes, valid); err != nil {
			t.Fatal(err)
		}
		return planes, valid
	}
	inside := image.Rect(0, 0, grid.Width, grid.Height)
	wantP, _ := read(src, inside)
	for _, tc := range []struct{ halo, pad int }{{0, 0}, {100, 100}, {300, 44}} {
		cog, err := WriteCOG(ctx, src, grid, filepath.Join(dir, "cog.tif"), tc.halo)
		if err != nil {
			t.Fatal(err)
		}
		if cog.XOff != tc.pad || cog.YOff != tc.pad || cog.Width != grid.Width || cog.Height != grid.Height {
			t.Fatalf("halo %d: source %+v, want offsets %d and the grid's size", tc.halo, cog, tc.pad)
		}
		gotP, gotV := read(cog, inside)
		for i := range gotV {
			if !gotV[i] || gotP[0][i] != wantP[0][i] || gotP[1][i] != wantP[1][i] {
				t.Fatalf("halo %d: pixel %d: %v %v valid %v, want %v %v", tc.halo, i, gotP[0][i], gotP[1][i], gotV[i], wantP[0][i], wantP[1][i])
			}
		}
		// A window over the grid's edges: only the grid's pixels are valid.
		win := image.Rect(-30, -20, grid.Width+15, grid.Height+25)
		_, v := read(cog, win)
		for y := win.Min.Y; y < win.Max.Y; y++ {
			for x := win.Min.X; x < win.Max.X; x++ {
				in := image.Pt(x, y).In(inside)
				if v[(y-win.Min.Y)*win.Dx()+x-win.Min.X] != in {
					t.Fatalf("halo %d: pixel (%d,%d) valid %v, want %v", tc.halo, x, y, !in, in)
				}
			}
		}
	}
}
