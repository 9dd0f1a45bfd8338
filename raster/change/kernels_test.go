package change

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"testing"
)

func TestBoxMeanIgnoresInvalidAndEdges(t *testing.T) {
	// 3×3 window, centre invalid.
	v := []float32{1, 2, 3, 4, 100, 6, 7, 8, 9}
	valid := []bool{true, true, true, true, false, true, true, true, true}
	got := boxMean(v, valid, 3, 3, 1)
	want := []float32{
		(1 + 2 + 4) / 3.0, (1 + 2 + 3 + 4 + 6) / 5.0, (2 + 3 + 6) / 3.0,
		(1 + 2 + 4 + 7 + 8) / 5.0, (1 + 2 + 3 + 4 + 6 + 7 + 8 + 9) / 8.0, (2 + 3 + 6 + 8 + 9) / 5.0,
		(4 + 7 + 8) / 3.0, (4 + 6 + 7 + 8 + 9) / 5.0, (6 + 8 + 9) / 3.0,
	}
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > 1e-5 {
			t.Errorf("pixel %d: got %v want %v", i, got[i], want[i])
		}
	}
	if r0 := boxMean(v, valid, 3, 3, 0); &r0[0] != &v[0] {
		t.Errorf("radius 0 must return the plane itself")
	}
}

func TestBoxMeanDoesNotDependOnWindowOrigin(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	w, h := 40, 30
	v := make([]float32, w*h)
	valid := make([]bool, w*h)
	for i := range v {
		v[i] = float32(rng.Float64() * 1000)
		valid[i] = rng.Float64() > 0.1
	}
	full := boxMean(v, valid, w, h, 3)
	// a sub-window with a 3-pixel halo around [10,30)×[8,20)
	sub := image.Rect(7, 5, 33, 23)
	sw, sh := sub.Dx(), sub.Dy()
	sv := make([]float32, sw*sh)
	svalid := make([]bool, sw*sh)
	for y := 0; y < sh; y++ {
		for x := 0; x < sw; x++ {
			sv[y*sw+x] = v[(y+sub.Min.Y)*w+x+sub.Min.X]
			svalid[y*sw+x] = valid[(y+sub.Min.Y)*w+x+sub.Min.X]
		}
	}
	part := boxMean(sv, svalid, sw, sh, 3)
	for y := 8; y < 20; y++ {
		for x := 10; x < 30; x++ {
			if full[y*w+x] != part[(y-sub.Min.Y)*sw+x-sub.Min.X] {
				t.Fatalf("(%d,%d): whole %v, window %v: must be bit-identical", x, y, full[y*w+x], part[(y-sub.Min.Y)*sw+x-sub.Min.X])
			}
		}
	}
}

func TestOtsuSeparatesTwoModes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	var v []float64
	for i := 0; i < 5000; i++ {
		v = append(v, 10+rng.NormFloat64())
	}
	for i := 0; i < 1000; i++ {
		v = append(v, 30+rng.NormFloat64())
	}
	if th := Otsu(v, 256); th < 11 || th > 29 {
		t.Errorf("Otsu = %v, want between the modes (10, 30)", th)
	}
	if th := Otsu([]float64{5, 5, 5}, 256); th != 5 {
		t.Errorf("Otsu of a constant = %v, want 5", th)
	}
}

func TestOrthoRegress(t *testing.T) {
	x := []float64{0, 1, 2, 3, 4, 5}
	y := make([]float64, len(x))
	for i := range x {
		y[i] = 3 + 2*x[i]
	}
	a, b := orthoRegress(x, y)
	if math.Abs(a-3) > 1e-9 || math.Abs(b-2) > 1e-9 {
		t.Errorf("got y = %v + %v x, want 3 + 2x", a, b)
	}
	if a, b := orthoRegress([]float64{1, 1, 1}, []float64{2, 3, 4}); a != 0 || b != 1 {
		t.Errorf("degenerate x: got %v, %v, want identity", a, b)
	}
}

func TestMorphology(t *testing.T) {
	const w, h = 9, 7
	parse := func(rows ...string) []bool {
		m := make([]bool, w*h)
		for y, r := range rows {
			for x, c := range r {
				m[y*w+x] = c == '#'
			}
		}
		return m
	}
	str := func(m []bool) string {
		s := ""
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				if m[y*w+x] {
					s += "#"
				} else {
					s += "."
				}
			}
			s += "\n"
		}
		return s
	}
	for _, tc := range []struct {
		name   string
		in     []bool
		ro, rc int
		want   []bool
	}{
		{"opening removes a speck and a 1-px line, keeps a 3×3 block",
			parse(".........", ".###.....", ".###..#..", ".###.....", ".........", "#########", "........."),
			1, 0,
			parse(".........", ".###.....", ".###.....", ".###.....", ".........", ".........", ".........")},
		{"closing fills a 1-px gap",
			parse(".........", ".........", "..##.##..", "..##.##..", ".........", ".........", "........."),
			0, 1,
			parse(".........", ".........", "..#####..", "..#####..", ".........", ".........", ".........")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := append([]bool(nil), tc.in...)
			openClose(m, w, h, tc.ro, tc.rc, newSAT(w, h), make([]bool, w*h))
			if str(m) != str(tc.want) {
				t.Errorf("got\n%swant\n%s", str(m), str(tc.want))
			}
		})
	}
}

func TestParamsRadiiScaleWithPixelSize(t *testing.T) {
	for _, tc := range []struct {
		px                           float64
		smooth, open, context, score int
		useCloud                     bool
	}{
		{0.5, 2, 2, 160, 20, false}, // 240 m capped at ContextMaxPx
		{2, 1, 1, 120, 5, true},
		{28.5, 0, 0, 8, 0, true},
	} {
		r := DefaultParams(tc.px).Radii()
		if r.Smooth != tc.smooth || r.Open != tc.open || r.Context != tc.context || r.Score != tc.score || r.UseCloud != tc.useCloud {
			t.Errorf("pixel %v m: got %+v", tc.px, r)
		}
		if DefaultParams(tc.px).Halo() < r.Context+r.Score {
			t.Errorf("pixel %v m: halo must cover the context and the score", tc.px)
		}
	}
	for name, f := range map[string]func(*Params){
		"zero pixel size": func(p *Params) { p.PixelSize = 0 },
		"NaN MMU":         func(p *Params) { p.MMU = math.NaN() },
		"infinite change": func(p *Params) { p.ChangeT = math.Inf(1) },
		"field fill 2":    func(p *Params) { p.FieldFill = 2 },
		"score share 0":   func(p *Params) { p.ScoreShare = 0 },
		"score share 1.5": func(p *Params) { p.ScoreShare = 1.5 },
	} {
		bad := DefaultParams(1)
		f(&bad)
		if bad.Validate() == nil {
			t.Errorf("%s must be refused", name)
		}
	}
}

func TestBandsAndClasses(t *testing.T) {
	b, err := NewBands([]string{"b", "G", "red", "nir"})
	if err != nil || b.Blue != 0 || b.Green != 1 || b.Red != 2 || b.NIR != 3 || b.VegetationIndex() != "NDVI" || b.WaterIndex() != "NDWI" {
		t.Fatalf("NewBands: %+v, %v", b, err)
	}
	if _, err := NewBands([]string{"R", "r"}); err == nil {
		t.Error("duplicate band names must be refused")
	}
	if rgb, _ := NewBands(DefaultBandNames(3)); rgb.VegetationIndex() != "ExG" || rgb.WaterIndex() != "" {
		t.Errorf("RGB indexes: %q %q", rgb.VegetationIndex(), rgb.WaterIndex())
	}
	for _, c := range Classes {
		back, err := ParseClass(c.String())
		if err != nil || back != c || c.Label() == "" {
			t.Errorf("class %v: round trip %v %v, label %q", c, back, err, c.Label())
		}
	}
}

func TestFlog(t *testing.T) {
	for _, x := range []float32{1e-3, 0.5, 0.70710677, 1, 1.4142135, 2, 10, 999.5, 1000, 12345.678, 65535} {
		if got, want := float64(flog(x)), math.Log(float64(x)); math.Abs(got-want) > 2e-6*math.Max(1, math.Abs(want)) {
			t.Errorf("flog(%v) = %v, want %v", x, got, want)
		}
	}
}

// round is math.Round on every value, the edges of its fast path included.
func TestRoundIsMathRound(t *testing.T) {
	vals := []float64{0, 0.25, 0.49999999999999994, 0.5, 0.5000000000000001, 1, 1.5, 2.5, 1.4999999999999998,
		2 - 0x1p-52, 4503599627370495.5, 1 << 52, 1<<52 + 1, 1 << 62, 1e300, -0.5, -1.5, -2.5, -0.49999999999999994,
		math.Inf(1), math.Inf(-1), math.NaN(), math.SmallestNonzeroFloat64}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 1_000_000 {
		// float32 DNs times a float64 scale, as prescale makes them
		x := float64(float32(rng.Float64() * 70000))
		vals = append(vals, x*(rng.Float64()*4), math.Nextafter(math.Floor(x)+0.5, 0), math.Floor(x)+0.5)
	}
	for _, v := range vals {
		got, want := round(v), math.Round(v)
		if math.Float64bits(got) != math.Float64bits(want) && !(math.IsNaN(got) && math.IsNaN(want)) {
			t.Fatalf("round(%v) = %v, math.Round gives %v", v, got, want)
		}
	}
}

// The box mean equals the plain sum over the clipped square, divided by the
// valid count, for every radius (wider than the window too), and in place
// (out = v) gives the same values as into a new plane.
func TestBoxMeanNaiveAndInPlace(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, sz := range [][2]int{{23, 17}, {5, 40}, {40, 3}} {
		w, h := sz[0], sz[1]
		v := make([]float32, w*h)
		valid := make([]bool, w*h)
		for i := range v {
			v[i] = float32(math.Round((rng.Float64()*2000-500)*1024) / 1024)
			valid[i] = rng.Float64() > 0.15
		}
		for _, r := range []int{1, 2, 5, 12, 50} {
			bx := newBoxer(w, h, valid)
			got := bx.mean(v, r, nil)
			in := append([]float32(nil), v...)
			bx.mean(in, r, in)
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					var s int64
					c := 0
					for yy := max(0, y-r); yy < min(h, y+r+1); yy++ {
						for xx := max(0, x-r); xx < min(w, x+r+1); xx++ {
							if valid[yy*w+xx] {
								s += int64(math.Round(float64(v[yy*w+xx]) * (1 << 16)))
								c++
							}
						}
					}
					want := float32(0)
					if c > 0 {
						want = float32(float64(s) / (1 << 16) / float64(c))
					}
					i := y*w + x
					if got[i] != want || in[i] != want {
						t.Fatalf("%dx%d r=%d (%d,%d): got %v, in place %v, want %v", w, h, r, x, y, got[i], in[i], want)
					}
				}
			}
		}
	}
}

// BenchmarkBoxMean: the context mean of a 1490² plane at Landsat's radius
// (8 px) and of a 1024² plane at the 0.5 m cap (160 px).
func BenchmarkBoxMean(b *testing.B) {
	for _, c := range []struct{ n, r int }{{1490, 8}, {1024, 160}} {
		b.Run(fmt.Sprintf("%d_r%d", c.n, c.r), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			v := make([]float32, c.n*c.n)
			valid := make([]bool, c.n*c.n)
			for i := range v {
				v[i] = float32(math.Round(rng.Float64()*8*1024) / 1024)
				valid[i] = rng.Float64() > 0.01
			}
			bx := newBoxer(c.n, c.n, valid)
			out := make([]float32, len(v))
			bx.mean(v, c.r, out)
			b.SetBytes(int64(4 * len(v)))
			b.ResetTimer()
			for b.Loop() {
				bx.mean(v, c.r, out)
			}
		})
	}
}

// The brightness pre-test of the cloud candidates never drops a pixel that
// cloudCandidate would mark, and brightness gives radiometry's values.
func TestCloudPossible(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	cs := CloudStats{MedianBefore: 1000, MedianAfter: 1000, BrightBefore: 1800, BrightAfter: 1700, WhiteBefore: 2600, WhiteAfter: 2400}
	const n = 4096
	c := &featCtx{vis: []int{0, 1, 2}, long: 3, A: make([][]float32, 4), B: make([][]float32, 4)}
	for b := range 4 {
		c.A[b], c.B[b] = make([]float32, n), make([]float32, n)
		for i := range n {
			// Brightness from dark shadow to white cloud, some values
			// negative (after smoothing of noisy data).
			c.A[b][i] = float32(rng.Float64()*3200 - 100)
			c.B[b][i] = float32(rng.Float64()*3200 - 100)
			if i%3 == 0 { // neutral pixels: the bands close together
				c.A[b][i], c.B[b][i] = c.A[0][i]*(1+float32(b)*0.01), c.B[0][i]*(1-float32(b)*0.01)
			}
		}
	}
	// The row form gives the very same values, for 3 visible bands and
	// for others.
	for _, vis := range [][]int{c.vis, c.vis[:2]} {
		saved := c.vis
		c.vis = vis
		ra, rb, rl := make([]float32, n), make([]float32, n), make([]float32, n)
		c.brightnessRow(0, ra, rb, rl)
		for i := range n {
			if a, b, l := c.brightness(i); a != ra[i] || b != rb[i] || l != rl[i] {
				t.Fatalf("%d visible bands, pixel %d: brightnessRow %v %v %v, brightness %v %v %v", len(vis), i, ra[i], rb[i], rl[i], a, b, l)
			}
		}
		c.vis = saved
	}
	marked := 0
	for _, share := range []float64{0, 0.5} {
		cs.ShareBefore, cs.ShareAfter = share, share
		for i := range n {
			var f pix
			c.radiometry(i, &f)
			brA, brB, rlong := c.brightness(i)
			if brA != f.brA || brB != f.brB || rlong != f.rlong {
				t.Fatalf("pixel %d: brightness %v %v %v, radiometry %v %v %v", i, brA, brB, rlong, f.brA, f.brB, f.rlong)
			}
			if cloudCandidate(&f, &cs) != 0 {
				marked++
				if !cloudPossible(brA, brB, rlong, &cs) {
					t.Fatalf("pixel %d (%+v): a candidate the pre-test drops", i, f)
				}
			}
		}
	}
	if marked < n/20 {
		t.Fatalf("only %d of %d pixels are candidates: the test does not exercise the pre-test", marked, 2*n)
	}
}
