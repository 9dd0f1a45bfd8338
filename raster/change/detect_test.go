package change

import (
	"errors"
	"image"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/weipian/weipian/raster/region"
)

// scene is a synthetic 4-band (B,G,R,NIR) pair for behaviour tests: a
// patchwork of fields (grass, crops, bare soil) with sensor noise.
type scene struct {
	w, h   int
	before [4][]float32
	after  [4][]float32
	valid  []bool
}

// surface reflectances (DN) in B,G,R,NIR order
var (
	grass = [4]float32{60, 90, 70, 300}
	soil  = [4]float32{110, 130, 150, 200}
	roof  = [4]float32{180, 185, 185, 190} // grey concrete/steel
	water = [4]float32{70, 80, 50, 20}
	cloud = [4]float32{400, 400, 400, 420}
	crop  = [4]float32{50, 100, 60, 350}
)

func newScene(w, h int, seed uint64) *scene {
	s := &scene{w: w, h: h, valid: make([]bool, w*h)}
	rng := rand.New(rand.NewPCG(seed, 9))
	for b := 0; b < 4; b++ {
		s.before[b] = make([]float32, w*h)
		s.after[b] = make([]float32, w*h)
	}
	covers := [][4]float32{grass, soil, crop}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := y*w + x
			s.valid[i] = true
			c := covers[((x/23)+(y/17)*3)%3] // fields
			for b := 0; b < 4; b++ {
				s.before[b][i] = c[b] + float32(rng.NormFloat64()*3)
				s.after[b][i] = c[b]*1.05 + 4 + float32(rng.NormFloat64()*3) // other date: slight radiometric shift
			}
		}
	}
	return s
}

func (s *scene) paint(after bool, r image.Rectangle, c [4]float32) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			for b := 0; b < 4; b++ {
				if after {
					s.after[b][y*s.w+x] = c[b]*1.05 + 4
				} else {
					s.before[b][y*s.w+x] = c[b]
				}
			}
		}
	}
}

func (s *scene) window(r image.Rectangle) *Window {
	w := &Window{W: r.Dx(), H: r.Dy(), Valid: make([]bool, r.Dx()*r.Dy())}
	for b := 0; b < 4; b++ {
		bp := make([]float32, r.Dx()*r.Dy())
		ap := make([]float32, r.Dx()*r.Dy())
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				j := (y-r.Min.Y)*r.Dx() + x - r.Min.X
				bp[j] = s.before[b][y*s.w+x]
				ap[j] = s.after[b][y*s.w+x]
				w.Valid[j] = s.valid[y*s.w+x]
			}
		}
		w.Before = append(w.Before, bp)
		w.After = append(w.After, ap)
	}
	return w
}

func detectScene(t *testing.T, s *scene, p Params) (*Result, *SceneStats) {
	t.Helper()
	all := image.Rect(0, 0, s.w, s.h)
	win := s.window(all)
	bands, _ := NewBands([]string{"B", "G", "R", "NIR"})
	st, err := Estimate([]SampleWindow{{Window: *win, Inner: all}}, bands, p)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Detect(win, st, p)
	if err != nil {
		t.Fatal(err)
	}
	return res, st
}

// share returns the share of pixels of r with class c.
func share(res *Result, r image.Rectangle, c Class) float64 {
	n, k := 0, 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			n++
			if res.Class[y*res.W+x] == c {
				k++
			}
		}
	}
	return float64(k) / float64(n)
}

func count(res *Result, c Class) int {
	k := 0
	for _, v := range res.Class {
		if v == c {
			k++
		}
	}
	return k
}

// patchAt returns the typed class of the changed region that holds pixel
// (x, y), or None.
func patchAt(res *Result, p Params, x, y int) (Typed, *Part) {
	for _, pt := range res.Parts(image.Rect(0, 0, res.W, res.H), 0, 0) {
		for _, r := range pt.Runs {
			if int(r.Y) == y && int(r.X0) <= x && x < int(r.X1) {
				pt := pt
				return Classify(&pt, float64(pt.Pixels)*p.PixelSize*p.PixelSize, fillOf(pt.Runs), p), &pt
			}
		}
	}
	return Typed{Class: None}, nil
}

// fillOf is the share of the equivalent rectangle a region covers.
func fillOf(runs []region.Run) float64 {
	var n, sx, sy, sxx, syy, sxy float64
	for _, r := range runs {
		for x := r.X0; x < r.X1; x++ {
			fx, fy := float64(x)+0.5, float64(r.Y)+0.5
			n++
			sx += fx
			sy += fy
			sxx += fx * fx
			syy += fy * fy
			sxy += fx * fy
		}
	}
	mx, my := sx/n, sy/n
	cxx, cyy, cxy := sxx/n-mx*mx+1.0/12, syy/n-my*my+1.0/12, sxy/n-mx*my
	return min(1, n/(12*math.Sqrt(cxx*cyy-cxy*cxy)))
}

func TestDetectClasses(t *testing.T) {
	for _, tc := range []struct {
		name          string
		rect          image.Rectangle
		before, after [4]float32
		want          Class
	}{
		{"new grey roof on grass", image.Rect(40, 40, 70, 70), grass, roof, BuiltGain},
		{"new light roof on bare soil", image.Rect(40, 40, 70, 70), soil, [4]float32{230, 235, 235, 240}, BuiltGain},
		{"pond dug in grass", image.Rect(40, 40, 70, 70), grass, water, WaterGain},
		{"small plot of grass stripped to soil", image.Rect(40, 40, 55, 55), grass, soil, VegetationLoss},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newScene(160, 120, 1)
			s.paint(false, tc.rect, tc.before)
			s.paint(true, tc.rect, tc.after)
			p := DefaultParams(2)
			res, _ := detectScene(t, s, p)
			c := tc.rect.Min.Add(tc.rect.Size().Div(2))
			typed, pt := patchAt(res, p, c.X, c.Y)
			if typed.Class != tc.want {
				t.Fatalf("class at the centre %v = %v (%s), want %v", c, typed.Class, typed.Reason, tc.want)
			}
			if typed.Class.Concern() != (tc.want != Farming) {
				t.Errorf("concern = %v", typed.Class.Concern())
			}
			if got := float64(pt.Pixels) / float64(tc.rect.Dx()*tc.rect.Dy()); got < 0.4 || got > 1.6 {
				t.Errorf("the patch holds %d pixels, the changed area %d", pt.Pixels, tc.rect.Dx()*tc.rect.Dy())
			}
			// nothing else changed: almost no change elsewhere
			changed := 0
			for y := 0; y < s.h; y++ {
				for x := 0; x < s.w; x++ {
					if !image.Pt(x, y).In(tc.rect.Inset(-8)) && res.Class[y*s.w+x] != None {
						changed++
					}
				}
			}
			if changed > s.w*s.h/200 {
				t.Errorf("%d pixels outside the changed square are flagged", changed)
			}
		})
	}
}

// A whole field ploughed is farming: the context cancels its inside, and
// whatever is left is typed farming, never a change of concern over the
// field.
func TestWholeFieldIsFarming(t *testing.T) {
	s := newScene(240, 200, 1)
	f := image.Rect(20, 20, 200, 160)
	s.paint(false, f, grass)
	s.paint(true, f, soil)
	p := DefaultParams(10)
	res, _ := detectScene(t, s, p)
	for _, pt := range res.Parts(image.Rect(0, 0, s.w, s.h), 0, 0) {
		pt := pt
		typed := Classify(&pt, float64(pt.Pixels)*100, fillOf(pt.Runs), p)
		t.Logf("%v %d px: %s", typed.Class, pt.Pixels, typed.Reason)
		if typed.Class.Concern() && pt.Pixels > 50 {
			t.Errorf("a ploughed field gave a %v patch of %d pixels (%s)", typed.Class, pt.Pixels, typed.Reason)
		}
	}
}

// Crops growing on bare soil are no change of concern: pixels vegetated
// after never score.
func TestCropGrowthIsNotOfConcern(t *testing.T) {
	s := newScene(160, 120, 1)
	r := image.Rect(40, 40, 70, 70)
	s.paint(false, r, soil)
	s.paint(true, r, crop)
	p := DefaultParams(2)
	res, _ := detectScene(t, s, p)
	for _, pt := range res.Parts(image.Rect(0, 0, s.w, s.h), 0, 0) {
		pt := pt
		if typed := Classify(&pt, float64(pt.Pixels)*4, fillOf(pt.Runs), p); typed.Class.Concern() {
			t.Errorf("crop growth gave a %v patch of %d pixels (%s)", typed.Class, pt.Pixels, typed.Reason)
		}
	}
}

func TestDetectNoChangeGivesNothing(t *testing.T) {
	s := newScene(160, 120, 2)
	res, st := detectScene(t, s, DefaultParams(2))
	if n := len(res.Class) - count(res, None); n > 0 {
		t.Errorf("%d pixels flagged on a pair without change (thresholds %+v)", n, st.Thresholds)
	}
}

// The same content as 8-bit, as 16-bit ×40 and as float ÷255 gives the
// same change: every measure is relative to its own date.
func TestDataTypeScaleDoesNotInventChange(t *testing.T) {
	base := newScene(160, 120, 8)
	base.paint(true, image.Rect(40, 40, 70, 70), roof)
	p := DefaultParams(2)
	ref, _ := detectScene(t, base, p)
	for _, k := range []float32{40, 1.0 / 255} {
		s := newScene(160, 120, 8)
		s.paint(true, image.Rect(40, 40, 70, 70), roof)
		for b := 0; b < 4; b++ {
			for i := range s.after[b] {
				s.after[b][i] *= k
				s.before[b][i] *= k
			}
		}
		res, _ := detectScene(t, s, p)
		diff := 0
		for i := range res.Class {
			if res.Class[i] != ref.Class[i] {
				diff++
			}
		}
		if diff > len(res.Class)/1000 {
			t.Errorf("scale ×%g: %d pixels change class", k, diff)
		}
		// Only the after date rescaled (another sensor's gain).
		s2 := newScene(160, 120, 8)
		s2.paint(true, image.Rect(40, 40, 70, 70), roof)
		for b := 0; b < 4; b++ {
			for i := range s2.after[b] {
				s2.after[b][i] *= k
			}
		}
		res2, _ := detectScene(t, s2, p)
		if n := count(res2, Changed) - count(ref, Changed); n > count(ref, Changed)/10 || -n > count(ref, Changed)/10 {
			t.Errorf("after date ×%g: %d changed pixels, 8-bit pair %d", k, count(res2, Changed), count(ref, Changed))
		}
	}
}

func TestDetectNoData(t *testing.T) {
	s := newScene(160, 120, 3)
	hole := image.Rect(0, 0, 50, 120)
	for y := hole.Min.Y; y < hole.Max.Y; y++ {
		for x := hole.Min.X; x < hole.Max.X; x++ {
			s.valid[y*s.w+x] = false
		}
	}
	s.paint(true, image.Rect(40, 40, 80, 80), roof) // straddles the hole
	res, _ := detectScene(t, s, DefaultParams(2))
	for y := 0; y < s.h; y++ {
		for x := 0; x < 50; x++ {
			i := y*s.w + x
			if res.Class[i] != None || res.Mask[i]&MaskNoData == 0 {
				t.Fatalf("nodata pixel (%d,%d): class %v mask %b", x, y, res.Class[i], res.Mask[i])
			}
		}
	}
	if share(res, image.Rect(53, 43, 77, 77), Changed) < 0.9 {
		t.Error("the valid part of the roof must still be detected")
	}
}

func TestCloudAndShadowAreMasked(t *testing.T) {
	// 28.5 m pixels: a 25×25 px cumulus (0.5 km²) in the before image and its
	// shadow 12 px to the north-west.
	s := newScene(200, 160, 4)
	cl := image.Rect(100, 80, 125, 105)
	sh := cl.Add(image.Pt(-12, -14))
	for y := sh.Min.Y; y < sh.Max.Y; y++ {
		for x := sh.Min.X; x < sh.Max.X; x++ {
			i := y*s.w + x
			if image.Pt(x, y).In(cl) {
				continue
			}
			// shadow: red/NIR lose ~60%, blue keeps skylight
			s.before[0][i] *= 0.8
			s.before[1][i] *= 0.55
			s.before[2][i] *= 0.4
			s.before[3][i] *= 0.4
		}
	}
	s.paint(false, cl, cloud)
	res, _ := detectScene(t, s, DefaultParams(28.5))
	for _, r := range []image.Rectangle{cl, sh} {
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				i := y*s.w + x
				if res.Class[i] != None {
					t.Fatalf("pixel (%d,%d) in the cloud or shadow has class %v", x, y, res.Class[i])
				}
			}
		}
	}
	if res.Mask[(cl.Min.Y+10)*s.w+cl.Min.X+10]&MaskCloud == 0 {
		t.Error("cloud centre not masked as cloud")
	}
}

func TestCloudAroundASmallWhiteCoreIsMasked(t *testing.T) {
	// 10 m pixels: a 40×40 px cloud (16 ha) in the after image whose
	// whitest part, a 6×6 px core, is smaller than the least cloud area
	// (2 ha); its shadow is out of view. The white core and the bright
	// body around it are one cloud: all of it is masked.
	s := newScene(200, 160, 6)
	body := image.Rect(80, 60, 120, 100)
	core := image.Rect(84, 77, 90, 83) // over grass: dark before
	s.paint(true, body, cloud)
	s.paint(true, core, [4]float32{560, 560, 560, 580})
	p := DefaultParams(10)
	res, _ := detectScene(t, s, p)
	for y := body.Min.Y; y < body.Max.Y; y++ {
		for x := body.Min.X; x < body.Max.X; x++ {
			i := y*s.w + x
			if res.Mask[i]&MaskCloud == 0 || res.Class[i] != None {
				t.Fatalf("pixel (%d,%d) of the cloud: mask %b, class %v; want masked as cloud", x, y, res.Mask[i], res.Class[i])
			}
		}
	}
}

func TestWhiteRoofBesideAsphaltIsNotCloud(t *testing.T) {
	// 28.5 m pixels: a 4×4 px bright white roof (1.3 ha, under the 2 ha
	// minimum cloud) with new dark asphalt beside it.
	s := newScene(200, 160, 5)
	r := image.Rect(100, 80, 104, 84)
	s.paint(true, r, cloud)
	s.paint(true, r.Add(image.Pt(-4, 0)), [4]float32{30, 32, 30, 35})
	res, _ := detectScene(t, s, DefaultParams(28.5))
	for i, m := range res.Mask {
		if m&(MaskCloud|MaskShadow) != 0 {
			t.Fatalf("pixel (%d,%d) masked as cloud/shadow", i%s.w, i/s.w)
		}
	}
	if share(res, r, Changed) < 0.99 {
		t.Errorf("the white roof must be a change, got share %.2f", share(res, r, Changed))
	}
	if typed, _ := patchAt(res, DefaultParams(28.5), r.Min.X+1, r.Min.Y+1); typed.Class != BuiltGain {
		t.Errorf("the white roof is %v (%s), want built gain", typed.Class, typed.Reason)
	}
}

func TestDetectTilingInvariance(t *testing.T) {
	s := newScene(230, 170, 6)
	s.paint(true, image.Rect(30, 20, 60, 55), roof)
	s.paint(true, image.Rect(100, 90, 160, 130), water)
	s.paint(true, image.Rect(55, 50, 120, 95), crop)
	s.paint(false, image.Rect(170, 100, 200, 140), cloud)
	p := DefaultParams(10) // cloud mask on
	p.MaxCloudSearchPx = 10
	p.CloudBufferM = 20
	whole, st := detectScene(t, s, p)
	halo := p.Halo()
	for _, size := range []int{37, 64, 100} {
		for ty := 0; ty < s.h; ty += size {
			for tx := 0; tx < s.w; tx += size {
				core := image.Rect(tx, ty, tx+size, ty+size).Intersect(image.Rect(0, 0, s.w, s.h))
				win := core.Inset(-halo).Intersect(image.Rect(0, 0, s.w, s.h))
				res, err := DetectCore(s.window(win), core.Sub(win.Min), st, p)
				if err != nil {
					t.Fatal(err)
				}
				for y := core.Min.Y; y < core.Max.Y; y++ {
					for x := core.Min.X; x < core.Max.X; x++ {
						i := y*s.w + x
						j := (y-win.Min.Y)*res.W + x - win.Min.X
						if whole.Class[i] != res.Class[j] || whole.Mask[i] != res.Mask[j] ||
							whole.Class[i] != None && whole.Measures(x, y) != res.Measures(x-win.Min.X, y-win.Min.Y) {
							t.Fatalf("tile %d at (%d,%d): pixel (%d,%d) differs from the whole-scene result", size, tx, ty, x, y)
						}
					}
				}
			}
		}
	}
	if count(whole, None) == len(whole.Class) {
		t.Fatal("test scene produced no change at all")
	}
}

func BenchmarkDetectTile(b *testing.B) {
	for _, px := range []float64{0.8, 28.5} {
		s := newScene(512, 512, 7)
		s.paint(true, image.Rect(100, 100, 200, 180), roof)
		s.paint(true, image.Rect(300, 300, 400, 420), crop)
		all := image.Rect(0, 0, 512, 512)
		win := s.window(all)
		bands, _ := NewBands([]string{"B", "G", "R", "NIR"})
		p := DefaultParams(px)
		st, err := Estimate([]SampleWindow{{Window: *win, Inner: all}}, bands, p)
		if err != nil {
			b.Fatal(err)
		}
		name := "vhr_0.8m"
		if px > 5 {
			name = "landsat_28.5m"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(512 * 512)
			for b.Loop() {
				if _, err := Detect(s.window(all), st, p); err != nil { // Detect consumes its window
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(512*512*b.N)/b.Elapsed().Seconds()/1e6, "Mpx/s")
		})
	}
}

// An after image that is all cloud is refused as unusable, with the share;
// a half-clouded one has its cloud masked.
func TestCloudyAfterImage(t *testing.T) {
	p := DefaultParams(28.5)
	all := newScene(200, 160, 9)
	for b := 0; b < 4; b++ {
		for i := range all.after[b] {
			all.after[b][i] = 245 + float32(i*7%11)
		}
	}
	bands, _ := NewBands([]string{"B", "G", "R", "NIR"})
	r := image.Rect(0, 0, all.w, all.h)
	if _, err := Estimate([]SampleWindow{{Window: *all.window(r), Inner: r}}, bands, p); !errors.Is(err, ErrCloudy) {
		t.Fatalf("all-cloud after image: %v, want ErrCloudy", err)
	}
	half := newScene(200, 160, 9)
	for b := 0; b < 4; b++ {
		for i := range half.after[b] {
			if i%half.w < half.w/2 {
				half.after[b][i] = 245 + float32(i*7%11)
			}
		}
	}
	res, st := detectScene(t, half, p)
	if st.Cloud.ShareAfter < 0.4 || st.Cloud.ShareAfter > 0.6 {
		t.Errorf("cloud share after %.2f, want about 0.5", st.Cloud.ShareAfter)
	}
	masked, changed := 0, 0
	for i, m := range res.Mask {
		if i%half.w < half.w/2 && m&MaskCloud != 0 {
			masked++
		}
		if res.Class[i] != None {
			changed++
		}
	}
	if masked < half.w*half.h/2*95/100 {
		t.Errorf("%d of %d cloud pixels masked", masked, half.w*half.h/2)
	}
	if changed > half.w*half.h/100 {
		t.Errorf("%d pixels flagged as change on a half-clouded pair", changed)
	}
}

func TestNewRoofAmongLawnsIsNotDiluted(t *testing.T) {
	// 0.5 m pixels: a 12×12 m roof built on a lawn, lawn all around it in
	// both dates. The score square (10 m radius) is mostly lawn: the
	// plain mean would dilute the roof by the lawn's zeros; the mean over
	// the pixels that are not vegetated after keeps it.
	s := newScene(240, 200, 7)
	lawn := image.Rect(40, 40, 200, 160)
	s.paint(false, lawn, grass)
	s.paint(true, lawn, grass)
	roofR := image.Rect(108, 88, 132, 112)
	s.paint(true, roofR, roof)
	p := DefaultParams(0.5)
	res, _ := detectScene(t, s, p)
	if got := share(res, roofR, Changed); got < 0.9 {
		t.Errorf("the roof among lawns: changed share %.2f, want >= 0.9", got)
	}
	if typed, pt := patchAt(res, p, 120, 100); pt == nil || pt.Strong == 0 || typed.Class != BuiltGain {
		t.Errorf("the roof among lawns: %+v, want a built gain with pixels above the change threshold", typed)
	}
	plain := p
	plain.ScoreShare = 1
	res1, _ := detectScene(t, s, plain)
	mid := image.Pt(120, 100)
	f0, f1 := res.Measures(mid.X, mid.Y).Strength, res1.Measures(mid.X, mid.Y).Strength
	t.Logf("strength at the roof's centre: %d (ScoreShare %.1f), %d (plain mean)", f0, p.ScoreShare, f1)
	if f1 >= 1000 || f0 < f1*3/2 {
		t.Errorf("strength %d with ScoreShare %.1f, %d with the plain mean: want the roof diluted below the threshold by the plain mean, not by ours", f0, p.ScoreShare, f1)
	}
}

// Water in both dates that changed colour (a river turning turbid) is no
// change of concern; water that appears is.
func TestWaterTransitions(t *testing.T) {
	p := DefaultParams(10)
	for _, c := range []struct {
		name                 string
		watA, watB, neutralA int64
		want                 Class
	}{
		{"turbid river", 100, 100, 0, WaterInternal},
		{"river mostly water both dates", 60, 55, 0, WaterInternal},
		{"new pond", 0, 100, 0, WaterGain},
		{"drained", 100, 0, 0, SurfaceChange},
		{"built surface turned dark (shadow)", 0, 100, 100, SurfaceChange},
	} {
		pt := Part{Pixels: 100, WatA: c.watA, WatB: c.watB, NeutralA: c.neutralA, BrightA: 100 * 800, BrightB: 100 * 1200,
			BrightA2: 100 * 800 * 800 * 2, BrightB2: 100 * 1200 * 1200 * 2}
		got := Classify(&pt, 10000, 0.5, p)
		if got.Class != c.want {
			t.Errorf("%s: class %v (%s), want %v", c.name, got.Class, got.Reason, c.want)
		}
		if c.want == WaterInternal && (got.Class.Concern() || !strings.Contains(got.Reason, "非关注变化")) {
			t.Errorf("%s: water-internal change is of concern or its reason does not say so: %s", c.name, got.Reason)
		}
	}
}
