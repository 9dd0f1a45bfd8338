package change

import (
	"fmt"
	"math"
	"slices"
)

// Version identifies the detection algorithm. It is written into every
// output and hashed into patch IDs, so a change of algorithm changes IDs.
const Version = "weipian-change/1"

// Thresholds are the scene-wide decision thresholds, computed once per scene
// from the sample and never per tile.
type Thresholds struct {
	Chi2       float64 `json:"mad_chi2"`          // IR-MAD chi-square
	Saturation float64 `json:"saturation_loss"`   // saturation loss, percentage points
	Brighter   float64 `json:"brightening"`       // log brightness ratio
	Darker     float64 `json:"darkening"`         // minus log brightness ratio
	Texture    float64 `json:"texture_gain"`      // log gradient-energy ratio (0 when unused)
	Vegetation float64 `json:"vegetation_change"` // |Δ vegetation index|
	Water      float64 `json:"water_gain"`        // Δ water index (0 without NIR)
	// Method names how each threshold was found.
	Method map[string]string `json:"method"`
}

// CloudStats are the robust brightness statistics of each date used by the
// cloud and shadow masks.
type CloudStats struct {
	MedianBefore, MedianAfter float64
	BrightBefore, BrightAfter float64 // brightness above which a pixel may be cloud
}

// SceneStats is everything computed once per scene at ingest and shared by
// every tile: serialise it (JSON) and hand it to the tile workers.
type SceneStats struct {
	Version       string     `json:"version"`
	BandNames     []string   `json:"bands"`
	Normalisation string     `json:"normalisation"`
	Gain          []float64  `json:"gain"`
	Offset        []float64  `json:"offset"`
	MAD           *MAD       `json:"mad"`
	NoChangeShare float64    `json:"no_change_share"`
	Scale         float64    `json:"brightness_scale"`
	Thresholds    Thresholds `json:"thresholds"`
	Cloud         CloudStats `json:"cloud"`
	SamplePixels  int        `json:"sample_pixels"`
}

// Model returns the per-pixel model of the scene.
func (s *SceneStats) Model() (*Model, error) {
	bands, err := NewBands(s.BandNames)
	if err != nil {
		return nil, err
	}
	if s.MAD == nil || len(s.Gain) != bands.Count() || len(s.Offset) != bands.Count() {
		return nil, fmt.Errorf("change: scene statistics are incomplete")
	}
	return &Model{Bands: bands, Gain: s.Gain, Offset: s.Offset, MAD: s.MAD, Scale: s.Scale}, nil
}

// noChangeProb is the IR-MAD no-change probability above which a sample pixel
// is used for the radiometric normalisation (Canty & Nielsen 2008).
const noChangeProb = 0.9

// Estimate computes the scene statistics from sample windows: IR-MAD on the
// smoothed bands, orthogonal regression of each after band on the before band
// over the invariant (no-change) pixels, then every change measure on the
// sample and a threshold for each. Thresholds are found with Otsu's method
// on the sample's distribution (on log(1+x) for the heavy-tailed chi-square
// and saturation measures) and never fall below the floors in Params.
func Estimate(windows []SampleWindow, bands Bands, p Params) (*SceneStats, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	nb := bands.Count()
	r := p.Radii()
	var xs, ys []float64
	var brA []float64
	for wi := range windows {
		sw := &windows[wi]
		if err := sw.Check(); err != nil {
			return nil, err
		}
		if len(sw.Before) != nb {
			return nil, fmt.Errorf("change: window has %d bands, scene has %d", len(sw.Before), nb)
		}
		A := make([][]float32, nb)
		B := make([][]float32, nb)
		for b := 0; b < nb; b++ {
			A[b] = boxMean(sw.Before[b], sw.Valid, sw.W, sw.H, r.Smooth)
			B[b] = boxMean(sw.After[b], sw.Valid, sw.W, sw.H, r.Smooth)
		}
		vis := bands.visible()
		for y := sw.Inner.Min.Y; y < sw.Inner.Max.Y; y++ {
			for x := sw.Inner.Min.X; x < sw.Inner.Max.X; x++ {
				i := y*sw.W + x
				if !sw.Valid[i] {
					continue
				}
				s := 0.0
				for b := 0; b < nb; b++ {
					xs = append(xs, float64(A[b][i]))
					ys = append(ys, float64(B[b][i]))
				}
				for _, b := range vis {
					s += float64(A[b][i])
				}
				brA = append(brA, s/float64(len(vis)))
			}
		}
	}
	n := len(xs) / max(nb, 1)
	if n == 0 {
		return nil, fmt.Errorf("change: the sample has no valid pixel (all nodata)")
	}
	mad, err := IRMAD(xs, ys, n, nb, p.MaxIter)
	if err != nil {
		return nil, err
	}
	st := &SceneStats{Version: Version, BandNames: bands.Names, MAD: mad, SamplePixels: n}
	// Invariant pixels: the strict no-change test of IR-MAD. Its weighting
	// settles with the MAD spread below the true no-change spread, so only
	// about 1% of unchanged pixels pass, but they are reliably unchanged.
	inv := make([]bool, n)
	nc := 0
	for i, w := range mad.Weights {
		if w > noChangeProb {
			inv[i] = true
			nc++
		}
	}
	st.NoChangeShare = float64(nc) / float64(n)
	how := fmt.Sprintf("%d IR-MAD invariant pixels (P(no change) > %.1f)", nc, noChangeProb)
	st.Gain = make([]float64, nb)
	st.Offset = make([]float64, nb)
	const minInvariant = 100
	scale := median(brA)
	if !(scale > 0) {
		scale = 1
	}
	identity := func(why string) {
		st.Normalisation = "identity (" + why + ")"
		for b := range st.Gain {
			st.Gain[b], st.Offset[b] = 1, 0
		}
	}
	if nc < minInvariant {
		identity(fmt.Sprintf("only %d IR-MAD invariant pixels, need %d", nc, minInvariant))
	} else {
		st.Normalisation = "orthogonal regression on " + how
		bx := make([]float64, 0, nc)
		by := make([]float64, 0, nc)
		all := make([]float64, n)
		for b := 0; b < nb; b++ {
			bx, by = bx[:0], by[:0]
			for i := 0; i < n; i++ {
				all[i] = xs[i*nb+b]
				if inv[i] {
					bx = append(bx, ys[i*nb+b])
					by = append(by, xs[i*nb+b])
				}
			}
			st.Offset[b], st.Gain[b] = orthoRegress(bx, by)
			// A regression over a narrow range of values (e.g. only
			// shadows and water) extrapolates badly: require the
			// invariant pixels to span at least half the spread of
			// the band.
			if spread, full := stddev(by), stddev(all); spread < 0.5*full {
				identity(fmt.Sprintf("invariant pixels span too narrow a range of band %s: std %.3g of %.3g", bands.Names[b], spread, full))
				break
			}
			// Between two acquisitions a radiometric correction is a
			// modest one; a large gain or offset means the invariant
			// set is not to be trusted (and large per-band offsets
			// would distort colour on dark pixels).
			if st.Gain[b] < 2.0/3 || st.Gain[b] > 1.5 || math.Abs(st.Offset[b]) > 0.2*scale {
				identity(fmt.Sprintf("implausible correction for band %s: after = %.3f×before %+.3g (median brightness %.3g)", bands.Names[b], st.Gain[b], st.Offset[b], scale))
				break
			}
		}
	}
	st.Scale = scale
	model, err := st.Model()
	if err != nil {
		return nil, err
	}
	// Measures on the sample.
	var chi, sat, up, down, tex, veg, wat, bA, bB []float64
	for wi := range windows {
		sw := &windows[wi]
		fc := newFeatCtx(&sw.Window, model, r)
		var f pix
		for y := sw.Inner.Min.Y; y < sw.Inner.Max.Y; y++ {
			for x := sw.Inner.Min.X; x < sw.Inner.Max.X; x++ {
				i := y*sw.W + x
				if !sw.Valid[i] {
					continue
				}
				fc.at(i, &f)
				chi = append(chi, float64(f.chi2))
				sat = append(sat, math.Max(0, 100*float64(f.satA-f.satB)))
				if l := float64(f.lbr); l > 0 {
					up = append(up, l)
				} else if l < 0 {
					down = append(down, -l)
				}
				if fc.tex != nil && f.tex > 0 {
					tex = append(tex, float64(f.tex))
				}
				veg = append(veg, math.Abs(float64(f.vegB-f.vegA)))
				if d := float64(f.watB - f.watA); d > 0 {
					wat = append(wat, d)
				}
				bA = append(bA, float64(f.brA))
				bB = append(bB, float64(f.brB))
			}
		}
	}
	th := Thresholds{Method: map[string]string{}}
	th.Chi2 = pick(&th, "mad_chi2", chi, true, chi2Quantile(0.99, nb), "chi-square 0.99 quantile")
	th.Saturation = pick(&th, "saturation_loss", sat, true, p.FloorSaturation, "floor")
	th.Brighter = pick(&th, "brightening", up, false, p.FloorBrightness, "floor")
	th.Darker = pick(&th, "darkening", down, false, p.FloorBrightness, "floor")
	if r.UseTexture {
		th.Texture = pick(&th, "texture_gain", tex, false, p.FloorTexture, "floor")
	} else {
		th.Method["texture_gain"] = fmt.Sprintf("unused (pixel %.2f m > %.1f m)", p.PixelSize, p.TextureMaxPixel)
	}
	switch bands.VegetationIndex() {
	case "NDVI":
		th.Vegetation = pick(&th, "vegetation_change", veg, false, p.FloorNDVI, "floor")
	case "ExG":
		th.Vegetation = pick(&th, "vegetation_change", veg, false, p.FloorExG, "floor")
	default:
		th.Method["vegetation_change"] = "unused (no red/NIR or RGB bands)"
	}
	if bands.WaterIndex() != "" {
		th.Water = pick(&th, "water_gain", wat, false, p.FloorWater, "floor")
	} else {
		th.Method["water_gain"] = "unused (no NIR band)"
	}
	st.Thresholds = th
	st.Cloud = cloudStats(bA, bB)
	return st, nil
}

// pick computes Otsu's threshold of v (on log(1+v) when logScale) and raises
// it to floor, recording which won.
func pick(th *Thresholds, name string, v []float64, logScale bool, floor float64, floorName string) float64 {
	method := "otsu"
	if logScale {
		method = "otsu on log(1+x)"
	}
	if len(v) < 100 {
		th.Method[name] = fmt.Sprintf("%s (too few samples for %s)", floorName, method)
		return floor
	}
	var t float64
	if logScale {
		lv := make([]float64, len(v))
		for i, x := range v {
			lv[i] = math.Log1p(x)
		}
		t = math.Expm1(Otsu(lv, 256))
	} else {
		t = Otsu(v, 256)
	}
	if !(t > floor) {
		th.Method[name] = fmt.Sprintf("%s (%s gave %.4g)", floorName, method, t)
		return floor
	}
	th.Method[name] = method
	return t
}

// Otsu returns the threshold that maximises the between-class variance of v,
// from a histogram of the given number of bins between the minimum and the
// 99.9th percentile (so that a few outliers do not squash the histogram).
func Otsu(v []float64, bins int) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	lo, hi := s[0], s[int(float64(len(s)-1)*0.999)]
	if !(hi > lo) {
		return hi
	}
	hist := make([]float64, bins)
	scale := float64(bins) / (hi - lo)
	for _, x := range s {
		k := int((x - lo) * scale)
		k = min(max(k, 0), bins-1)
		hist[k]++
	}
	total := float64(len(s))
	sum := 0.0
	for i, c := range hist {
		sum += float64(i) * c
	}
	wb, sb, best, bt := 0.0, 0.0, -1.0, 0
	for i, c := range hist {
		wb += c
		if wb == 0 {
			continue
		}
		wf := total - wb
		if wf == 0 {
			break
		}
		sb += float64(i) * c
		mb, mf := sb/wb, (sum-sb)/wf
		if bv := wb * wf * (mb - mf) * (mb - mf); bv > best {
			best, bt = bv, i
		}
	}
	return lo + float64(bt+1)/scale
}

// orthoRegress fits y = a + b·x by orthogonal (total least squares)
// regression, which treats both dates as noisy.
func orthoRegress(x, y []float64) (a, b float64) {
	n := float64(len(x))
	mx, my := 0.0, 0.0
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= n
	my /= n
	sxx, syy, sxy := 0.0, 0.0, 0.0
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		sxx += dx * dx
		syy += dy * dy
		sxy += dx * dy
	}
	if sxy == 0 {
		return 0, 1
	}
	b = (syy - sxx + math.Sqrt((syy-sxx)*(syy-sxx)+4*sxy*sxy)) / (2 * sxy)
	if !(b > 0) || math.IsInf(b, 0) {
		return 0, 1
	}
	return my - b*mx, b
}

func stddev(v []float64) float64 {
	if len(v) < 2 {
		return 0
	}
	m := 0.0
	for _, x := range v {
		m += x
	}
	m /= float64(len(v))
	s := 0.0
	for _, x := range v {
		s += (x - m) * (x - m)
	}
	return math.Sqrt(s / float64(len(v)-1))
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// cloudStats: a cloud is a robust brightness outlier of its date: above the
// median by six robust standard deviations (1.4826·MAD).
func cloudStats(bA, bB []float64) CloudStats {
	one := func(v []float64) (med, bright float64) {
		med = median(v)
		dev := make([]float64, len(v))
		for i, x := range v {
			dev[i] = math.Abs(x - med)
		}
		return med, med + 6*1.4826*median(dev)
	}
	var c CloudStats
	c.MedianBefore, c.BrightBefore = one(bA)
	c.MedianAfter, c.BrightAfter = one(bB)
	return c
}
