package chip

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/weipian/weipian/raster"
)

// juelich returns the grid and the two sources of the bundled Jülich pair.
func juelich(tb testing.TB) (raster.Grid, raster.Source, raster.Source) {
	tb.Helper()
	dir := filepath.Join("..", "..", "testdata", "juelich")
	b, err := raster.Inspect(filepath.Join(dir, "LS20010525.tif"))
	if err != nil {
		tb.Fatal(err)
	}
	a, err := raster.Inspect(filepath.Join(dir, "LS20010626.tif"))
	if err != nil {
		tb.Fatal(err)
	}
	p, err := raster.Align(context.Background(), b, a, raster.AlignOptions{WorkDir: tb.TempDir()})
	if err != nil {
		tb.Fatal(err)
	}
	if p.Warped {
		tb.Fatalf("the Jülich pair should share a grid: %v", p.Notes)
	}
	return p.Grid, p.Before, p.After
}

// patch is a pentagon near pixel (500,500), in pixel coordinates.
var patch = orb.Polygon{{{490, 490}, {515, 492}, {512, 512}, {495, 515}, {488, 500}, {490, 490}}}

func decode(t *testing.T, b []byte) *image.NRGBA {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	n := image.NewNRGBA(img.Bounds())
	draw.Draw(n, n.Rect, img, img.Bounds().Min, draw.Src)
	return n
}

// edgeMidpoints returns the midpoints of outline's edges in output pixels.
func edgeMidpoints(outline orb.Polygon, win image.Rectangle, ow, oh int) []image.Point {
	sx := float64(ow) / float64(win.Dx())
	sy := float64(oh) / float64(win.Dy())
	var pts []image.Point
	for _, r := range outline {
		for i := 0; i+1 < len(r); i++ {
			mx := ((r[i][0]+r[i+1][0])/2 - float64(win.Min.X)) * sx
			my := ((r[i][1]+r[i+1][1])/2 - float64(win.Min.Y)) * sy
			pts = append(pts, image.Pt(int(math.Floor(mx)), int(math.Floor(my))))
		}
	}
	return pts
}

func TestChipJuelich(t *testing.T) {
	grid, before, _ := juelich(t)
	ctx := context.Background()
	dir := t.TempDir()
	win, err := ChipWindow(grid, patch, ChipOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// bbox 488–515 × 490–515: centre 501.5,502.5, long side 27, padding
	// max(13.5, 32) = 32, so ±45.5 px.
	if want := image.Rect(456, 457, 547, 548); win != want {
		t.Errorf("window %v, want %v", win, want)
	}
	yellow := color.NRGBA{255, 255, 0, 255}
	for _, tc := range []struct {
		name string
		opt  ChipOptions
	}{
		{"nearest", ChipOptions{}},
		{"bilinear", ChipOptions{Resampling: Bilinear, Size: 300}},
		{"red-wide", ChipOptions{OutlineColor: color.NRGBA{255, 0, 0, 255}, OutlineWidth: 3, Padding: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b1, err := Chip(ctx, before, grid, ChipBands{}, patch, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			b2, err := Chip(ctx, before, grid, ChipBands{}, patch, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b1, b2) {
				t.Error("two renders of the same chip differ")
			}
			if err := os.WriteFile(filepath.Join(dir, tc.name+".png"), b1, 0o644); err != nil {
				t.Fatal(err)
			}
			img := decode(t, b1)
			size := tc.opt.Size
			if size == 0 {
				size = 512
			}
			w, err := ChipWindow(grid, patch, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			ow, oh := chipSize(w.Dx(), w.Dy(), size)
			if img.Rect.Dx() != ow || img.Rect.Dy() != oh || max(ow, oh) != size {
				t.Errorf("size %v, want %d×%d with long side %d", img.Rect, ow, oh, size)
			}
			col := yellow
			if tc.opt.OutlineColor != (color.NRGBA{}) {
				col = tc.opt.OutlineColor
			}
			for _, p := range edgeMidpoints(patch, w, ow, oh) {
				if got := img.NRGBAAt(p.X, p.Y); got != col {
					t.Errorf("outline pixel %v is %v, want %v", p, got, col)
				}
			}
			// Away from the outline and the decorations the image shows
			// through: not the outline colour, opaque.
			if got := img.NRGBAAt(ow/2, oh/2); got == col || got.A != 255 {
				t.Errorf("centre pixel %v", got)
			}
		})
	}
}

func TestChipPairSharesStretch(t *testing.T) {
	grid, before, after := juelich(t)
	ctx := context.Background()
	pb, pa, err := ChipPair(ctx, before, after, grid, ChipBands{}, patch, ChipOptions{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := ComputeStretch(ctx, []raster.Source{before, after}, grid, ChipBands{}, patch, ChipOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for b := range 3 {
		if !(st.Lo[b] < st.Hi[b]) || st.Lo[b] < 0 || st.Hi[b] > 255 {
			t.Errorf("band %d stretch %v–%v", b, st.Lo[b], st.Hi[b])
		}
	}
	opt := ChipOptions{Stretch: &st}
	cb, err := Chip(ctx, before, grid, ChipBands{}, patch, opt)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := Chip(ctx, after, grid, ChipBands{}, patch, opt)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pb, cb) || !bytes.Equal(pa, ca) {
		t.Error("ChipPair differs from Chip with the stretch of both windows")
	}
	if bytes.Equal(pb, pa) {
		t.Error("before and after chips are identical")
	}
	// Per-chip stretches differ from the shared one.
	own, err := Chip(ctx, before, grid, ChipBands{}, patch, ChipOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(own, pb) {
		t.Log("per-chip and shared stretch happen to coincide")
	}
}

func TestChipAtImageEdge(t *testing.T) {
	grid, before, _ := juelich(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		outline orb.Polygon
	}{
		{"right", orb.Polygon{{{985, 480}, {1003, 485}, {995, 505}, {985, 480}}}}, // partly outside
		{"top-left", orb.Polygon{{{2, 3}, {20, 2}, {18, 16}, {2, 3}}}},
		{"bottom", orb.Polygon{{{300, 990}, {330, 990}, {330, 1000}, {300, 1000}, {300, 990}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			win, err := ChipWindow(grid, tc.outline, ChipOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if !win.In(image.Rect(0, 0, grid.Width, grid.Height)) || win.Dx() == win.Dy() {
				t.Errorf("window %v not clipped to the %d×%d image", win, grid.Width, grid.Height)
			}
			b, err := Chip(ctx, before, grid, ChipBands{}, tc.outline, ChipOptions{})
			if err != nil {
				t.Fatal(err)
			}
			img := decode(t, b)
			ow, oh := chipSize(win.Dx(), win.Dy(), 512)
			if img.Rect.Dx() != ow || img.Rect.Dy() != oh {
				t.Errorf("size %v, want %d×%d", img.Rect, ow, oh)
			}
			if err := os.WriteFile(filepath.Join(t.TempDir(), tc.name+".png"), b, 0o644); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestChipNoDataTransparent(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "nodata.tif")
	nd := 0.0
	if err := raster.WriteTestRaster(path, raster.TestRaster{W: 64, H: 64, Bands: 4, EPSG: 32650, Origin: [2]float64{500000, 3400000}, Pixel: 2, NoData: &nd}); err != nil {
		t.Fatal(err)
	}
	grid := raster.Grid{Width: 64, Height: 64, GeoTransform: [6]float64{500000, 2, 0, 3400000, 0, -2}}
	src := raster.Source{Name: path, Bands: []int{0, 1, 2, 3}, NoData: raster.NoData{0, 0, 0, 0}}
	outline := orb.Polygon{{{20, 20}, {40, 20}, {40, 40}, {20, 40}, {20, 20}}}
	for _, tc := range []struct {
		name string
		opt  ChipOptions
		want color.NRGBA
	}{
		{"grey", ChipOptions{Size: 128}, color.NRGBA{128, 128, 128, 255}},
		{"transparent", ChipOptions{Size: 128, NoDataTransparent: true}, color.NRGBA{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Chip(context.Background(), src, grid, ChipBands{R: 3, G: 2, B: 1}, outline, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			img := decode(t, b)
			if got := img.NRGBAAt(img.Rect.Dx()/2, img.Rect.Dy()/2); got != tc.want {
				t.Errorf("nodata pixel %v, want %v", got, tc.want)
			}
		})
	}
}

func TestChipErrorsNameTheSource(t *testing.T) {
	grid, before, _ := juelich(t)
	ctx := context.Background()
	missing := raster.Source{Name: filepath.Join(t.TempDir(), "missing.tif"), Bands: []int{0, 1, 2}, NoData: raster.NoData{math.NaN(), math.NaN(), math.NaN()}}
	for _, tc := range []struct {
		name    string
		src     raster.Source
		bands   ChipBands
		outline orb.Polygon
		is      error
		want    string
	}{
		{"outside", before, ChipBands{}, orb.Polygon{{{2000, 2000}, {2010, 2000}, {2010, 2010}, {2000, 2000}}}, ErrOutside, "LS20010525.tif"},
		{"empty outline", before, ChipBands{}, orb.Polygon{}, nil, "LS20010525.tif"},
		{"missing file", missing, ChipBands{}, patch, raster.ErrUnreadable, "missing.tif"},
		{"bad band", before, ChipBands{R: 4, G: 2, B: 1}, patch, nil, "LS20010525.tif"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Chip(ctx, tc.src, grid, tc.bands, tc.outline, ChipOptions{})
			if err == nil {
				t.Fatal("want an error")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v does not match %v", err, tc.is)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not name %s", err, tc.want)
			}
		})
	}
	if _, err := Chip(ctx, before, grid, ChipBands{}, patch, ChipOptions{Stretch: &Stretch{Hi: [3]float64{255, 0, 255}}}); err == nil {
		t.Error("bad stretch accepted")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Chip(cctx, before, grid, ChipBands{}, patch, ChipOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestPixelPolygon(t *testing.T) {
	grid, _, _ := juelich(t)
	gt := grid.GeoTransform
	geo := orb.Polygon{{}}
	for _, p := range patch[0] {
		x, y := grid.PixelToGeo(p[0], p[1])
		geo[0] = append(geo[0], orb.Point{x, y})
	}
	px, err := PixelPolygon(grid, geo)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range px[0] {
		if math.Abs(p[0]-patch[0][i][0]) > 1e-6 || math.Abs(p[1]-patch[0][i][1]) > 1e-6 {
			t.Errorf("point %d: %v, want %v", i, p, patch[0][i])
		}
	}
	rot := grid
	rot.GeoTransform = [6]float64{gt[0], gt[1], 0.1, gt[3], 0, gt[5]}
	if _, err := PixelPolygon(rot, geo); err == nil {
		t.Error("rotated grid: want an error")
	}
}

func TestBandsFromNames(t *testing.T) {
	for _, tc := range []struct {
		names []string
		want  ChipBands
		err   bool
	}{
		{[]string{"R", "G", "B"}, ChipBands{1, 2, 3}, false},
		{[]string{"B", "G", "R", "NIR"}, ChipBands{3, 2, 1}, false},
		{[]string{"blue", "Green", "RED"}, ChipBands{3, 2, 1}, false},
		{[]string{"G", "R", "NIR"}, ChipBands{}, true},
	} {
		t.Run(strings.Join(tc.names, ","), func(t *testing.T) {
			got, err := BandsFromNames(tc.names)
			if (err != nil) != tc.err || got != tc.want {
				t.Errorf("got %v, %v; want %v, error %v", got, err, tc.want, tc.err)
			}
		})
	}
}

func ExampleBandsFromNames() {
	b, _ := BandsFromNames([]string{"B", "G", "R", "NIR"})
	fmt.Printf("R=%d G=%d B=%d\n", b.R, b.G, b.B)
	// Output: R=3 G=2 B=1
}

func BenchmarkChip(b *testing.B) {
	grid, before, after := juelich(b)
	ctx := context.Background()
	b.Run("single", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Chip(ctx, before, grid, ChipBands{}, patch, ChipOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pair-bilinear", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := ChipPair(ctx, before, after, grid, ChipBands{}, patch, ChipOptions{Resampling: Bilinear}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
