package raster

import (
	"context"
	"errors"
	"image"
	"math"
	"path/filepath"
	"testing"

	"github.com/airbusgeo/godal"
)

// writeSparse writes a w×h Byte raster with nodata 0 whose only data are the
// pixels of r (value 5, band 2: 7).
func writeSparse(t *testing.T, path string, w, h int, r image.Rectangle, float bool) {
	t.Helper()
	register()
	dt := godal.Byte
	if float {
		dt = godal.Float32
	}
	ds, err := godal.Create(godal.GTiff, path, 2, dt, w, h, godal.CreationOption("TILED=YES", "BLOCKXSIZE=64", "BLOCKYSIZE=64"))
	if err != nil {
		t.Fatal(err)
	}
	sr, _ := godal.NewSpatialRefFromEPSG(32631)
	ds.SetSpatialRef(sr)
	sr.Close()
	ds.SetGeoTransform([6]float64{500000, 10, 0, 5600000, 0, -10})
	for k, b := range ds.Bands() {
		buf := make([]float32, w*h)
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				buf[y*w+x] = float32(5 + 2*k + x%3)
			}
		}
		if float {
			buf[(h-1)*w+w-1] = float32(math.NaN())
		}
		b.SetNoData(0)
		if err := b.Write(0, 0, buf, w, h); err != nil {
			t.Fatal(err)
		}
	}
	if err := ds.Close(); err != nil {
		t.Fatal(err)
	}
}

// An image whose only data lie away from the sparse sample is still
// accepted (the coarse view finds them); an all-nodata one is refused.
func TestInspectFindsSparseData(t *testing.T) {
	dir := t.TempDir()
	corner := filepath.Join(dir, "corner.tif")
	writeSparse(t, corner, 400, 300, image.Rect(0, 0, 3, 3), false)
	if _, err := Inspect(corner); err != nil {
		t.Errorf("data in a 3×3 corner only: %v", err)
	}
	centre := filepath.Join(dir, "centre.tif")
	writeSparse(t, centre, 400, 300, image.Rect(195, 145, 205, 155), false)
	if _, err := Inspect(centre); err != nil {
		t.Errorf("data in the centre only: %v", err)
	}
	empty := filepath.Join(dir, "empty.tif")
	writeSparse(t, empty, 400, 300, image.Rectangle{}, false)
	if _, err := Inspect(empty); !errors.Is(err, ErrAllNoData) {
		t.Errorf("all nodata: %v, want ErrAllNoData", err)
	}
}

// Windows read straight into the planes (line stride) hold the file's
// values at the right place, and no data (nodata value, NaN, outside the
// file) is invalid, for integer and float bands.
func TestReaderWindowPlacement(t *testing.T) {
	dir := t.TempDir()
	for _, float := range []bool{false, true} {
		path := filepath.Join(dir, "w.tif")
		if float {
			path = filepath.Join(dir, "f.tif")
		}
		w, h := 150, 130
		data := image.Rect(10, 20, 140, 125)
		writeSparse(t, path, w, h, data, float)
		// The float file is read without its nodata value: only NaN (and
		// the outside) is no data.
		nd := []float64{0, 0}
		if float {
			nd = []float64{math.NaN(), math.NaN()}
		}
		r, err := OpenReader(Source{Name: path, Bands: []int{1, 0}, NoData: nd})
		if err != nil {
			t.Fatal(err)
		}
		for _, win := range []image.Rectangle{image.Rect(0, 0, w, h), image.Rect(100, 90, 170, 160), image.Rect(-7, -3, 40, 50)} {
			n := win.Dx() * win.Dy()
			planes := [][]float32{make([]float32, n), make([]float32, n)}
			for i := range planes[0] {
				planes[0][i], planes[1][i] = -1, -1 // must be overwritten
			}
			valid := make([]bool, n)
			if err := r.Read(context.Background(), win, planes, valid); err != nil {
				t.Fatal(err)
			}
			for y := win.Min.Y; y < win.Max.Y; y++ {
				for x := win.Min.X; x < win.Max.X; x++ {
					i := (y-win.Min.Y)*win.Dx() + x - win.Min.X
					in := image.Pt(x, y).In(data)
					ok := in
					if float {
						ok = image.Pt(x, y).In(image.Rect(0, 0, w, h)) && !(x == w-1 && y == h-1)
					}
					if valid[i] != ok {
						t.Fatalf("float=%v window %v: pixel (%d,%d) valid=%v, want %v", float, win, x, y, valid[i], ok)
					}
					if in && (planes[0][i] != float32(7+x%3) || planes[1][i] != float32(5+x%3)) {
						t.Fatalf("float=%v window %v: pixel (%d,%d) = %v,%v", float, win, x, y, planes[0][i], planes[1][i])
					}
					if !image.Pt(x, y).In(image.Rect(0, 0, w, h)) && (planes[0][i] != 0 || planes[1][i] != 0) {
						t.Fatalf("float=%v window %v: pixel (%d,%d) outside the file = %v", float, win, x, y, planes[0][i])
					}
				}
			}
		}
		r.Close()
	}
}
