package raster

import (
	"context"
	"image"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/airbusgeo/godal"
)

// fileObjects serves one local file as every object, counting GDAL's reads:
// multi-range calls, the ranges they ask for and single reads.
type fileObjects struct {
	f                      *os.File
	mu                     sync.Mutex
	multi, ranges, singles int
	bytes                  int64
}

func (o *fileObjects) ReadAt(_ string, p []byte, off int64) (int, error) {
	o.mu.Lock()
	o.singles++
	o.bytes += int64(len(p))
	o.mu.Unlock()
	return o.f.ReadAt(p, off)
}

func (o *fileObjects) ReadAtMulti(_ string, bufs [][]byte, offs []int64) ([]int, error) {
	o.mu.Lock()
	o.multi++
	o.ranges += len(bufs)
	lens := make([]int, len(bufs))
	for i := range bufs {
		o.bytes += int64(len(bufs[i]))
		n, err := o.f.ReadAt(bufs[i], offs[i])
		if err != nil {
			o.mu.Unlock()
			return lens, err
		}
		lens[i] = n
	}
	o.mu.Unlock()
	return lens, nil
}

func (o *fileObjects) Size(string) (int64, error) {
	st, err := o.f.Stat()
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

func (o *fileObjects) take() (multi, ranges, singles int, bytes int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	multi, ranges, singles, bytes = o.multi, o.ranges, o.singles, o.bytes
	o.multi, o.ranges, o.singles, o.bytes = 0, 0, 0, 0
	return
}

// Prefetching the union of a row of windows fetches their blocks with one
// range per block row (more than GDAL's 10 MB default of a window's blocks
// fetched together), no more bytes than the windows read one by one, and
// the windows then read the same pixels without another read.
func TestReaderPrefetch(t *testing.T) {
	register()
	dir := t.TempDir()
	const w, h, nb = 3000, 700, 4
	src := filepath.Join(dir, "src.tif")
	ds, err := godal.Create(godal.GTiff, src, nb, godal.UInt16, w, h)
	if err != nil {
		t.Fatal(err)
	}
	// Noisy values, so that a block compresses to some 100 kB.
	seed := uint32(7)
	for _, b := range ds.Bands() {
		buf := make([]uint16, w*h)
		for i := range buf {
			seed = seed*1664525 + 1013904223
			buf[i] = uint16(seed >> 18)
		}
		if err := b.Write(0, 0, buf, w, h); err != nil {
			t.Fatal(err)
		}
	}
	if err := ds.Close(); err != nil {
		t.Fatal(err)
	}
	cog, err := WriteCOG(context.Background(), Source{Name: src, Bands: []int{0, 1, 2, 3}, NoData: NoData{math.NaN(), math.NaN(), math.NaN(), math.NaN()}},
		Grid{Width: w, Height: h}, filepath.Join(dir, "cog.tif"), 0)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(cog.Name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	objs := &fileObjects{f: f}
	if err := UseObjectReader(objs); err != nil {
		t.Fatal(err)
	}
	defer UseObjectReader(nil)
	cog.Name = ObjectName("test", "cog.tif")

	// Four windows of 700 along a row, overlapping by 100: 10×3 blocks of
	// 256, in 3 stretches of the file (the image is 12 blocks wide).
	var wins []image.Rectangle
	var union image.Rectangle
	for i := range 4 {
		wins = append(wins, image.Rect(i*600, 0, i*600+700, 700))
		union = union.Union(wins[i])
	}
	read := func(r *Reader, win image.Rectangle) [][]float32 {
		t.Helper()
		n := win.Dx() * win.Dy()
		planes := make([][]float32, nb)
		for i := range planes {
			planes[i] = make([]float32, n)
		}
		if err := r.Read(context.Background(), win, planes, make([]bool, n)); err != nil {
			t.Fatal(err)
		}
		return planes
	}
	open := func() *Reader {
		t.Helper()
		r, err := OpenReader(cog)
		if err != nil {
			t.Fatal(err)
		}
		objs.take()
		return r
	}

	r := open()
	var want [][][]float32
	var oneByOne int64
	for _, win := range wins {
		want = append(want, read(r, win))
		_, _, _, n := objs.take()
		oneByOne += n
	}
	r.Close()

	r = open()
	defer r.Close()
	if got, wantB := r.DecodedBytes(union), int64(10*3*256*256*nb*2); got != wantB {
		t.Errorf("DecodedBytes of %v: %d, want %d (10×3 blocks)", union, got, wantB)
	}
	if err := r.Prefetch(context.Background(), union); err != nil {
		t.Fatal(err)
	}
	multi, ranges, singles, n := objs.take()
	if multi != 1 || ranges != 3 || singles != 0 {
		t.Errorf("prefetch: %d multi-range reads of %d ranges and %d single reads, want 1 of 3 (one per block row) and none", multi, ranges, singles)
	}
	if n > oneByOne || n < 10<<20 {
		t.Errorf("prefetch read %d bytes, the windows one by one %d (want no more, and over GDAL's 10 MB default)", n, oneByOne)
	}
	for i, win := range wins {
		got := read(r, win)
		for b := range got {
			if !slices.Equal(got[b], want[i][b]) {
				t.Fatalf("window %v band %d differs after the prefetch", win, b)
			}
		}
	}
	if multi, _, singles, n := objs.take(); multi+singles != 0 {
		t.Errorf("the windows read %d times (%d bytes) after the prefetch, want none", multi+singles, n)
	}
	// A window outside the image prefetches nothing.
	if err := r.Prefetch(context.Background(), image.Rect(w+10, 0, w+50, 40)); err != nil {
		t.Error(err)
	}
	if multi, _, singles, _ := objs.take(); multi+singles != 0 {
		t.Errorf("a window outside the image read %d times", multi+singles)
	}
}
