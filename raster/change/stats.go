package change

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// Version identifies the detection algorithm. It is written into every
// output and hashed into patch IDs, so a change of algorithm changes IDs.
const Version = "weipian-change/6"

// Thresholds are the scene-wide decision thresholds, computed once per scene
// from the sample and never per tile.
type Thresholds struct {
	Change           float64 `json:"change_score"`         // context change score (log units)
	VegetationBefore float64 `json:"vegetation_before"`    // vegetation index of the before date above which a pixel is vegetated
	VegetationAfter  float64 `json:"vegetation_after"`     // same, after date
	VegetationIndex  string  `json:"vegetation_index"`     // NDVI, ExG or ""
	WaterIndex       string  `json:"water_index"`          // NDWI or ""
	Neutral          float64 `json:"neutral_saturation"`   // saturation below which a surface is neutral (built)
	FieldM2          float64 `json:"farming_field_min_m2"` // farming: least field area
	FieldFill        float64 `json:"farming_field_fill"`   // farming: least fill of the equivalent rectangle
	// Method names how each threshold was found.
	Method map[string]string `json:"method"`
}

// CloudStats are the robust brightness statistics of each date used by the
// cloud and shadow masks, in per-mille of the date's median brightness.
type CloudStats struct {
	MedianBefore, MedianAfter float64
	BrightBefore, BrightAfter float64 // brightness above which a pixel may be cloud
	// WhiteBefore and WhiteAfter are each date's 99.9th percentile of
	// brightness: a neutral pixel within 15 % of it where the other date
	// is not among its brightest is white cloud (it needs no shadow: an
	// overcast scene has none).
	WhiteBefore, WhiteAfter float64
	// ShareBefore and ShareAfter are the shares of the sample that are
	// white cloud in each date.
	ShareBefore float64 `json:"share_before"`
	ShareAfter  float64 `json:"share_after"`
}

// SceneStats is everything computed once per scene at ingest and shared by
// every tile: serialise it (JSON) and hand it to the tile workers.
type SceneStats struct {
	Version   string   `json:"version"`
	BandNames []string `json:"bands"`
	// Normalisation says how the dates are made comparable.
	Normalisation string     `json:"normalisation"`
	ScaleBefore   float64    `json:"brightness_scale_before"`
	ScaleAfter    float64    `json:"brightness_scale_after"`
	Shift         []float64  `json:"band_log_shift"`
	MAD           *MAD       `json:"mad"`
	NoChangeShare float64    `json:"irmad_no_change_share"`
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
	if s.MAD == nil || !(s.ScaleBefore > 0) || !(s.ScaleAfter > 0) || len(s.Shift) != bands.Count() {
		return nil, fmt.Errorf("change: scene statistics are incomplete")
	}
	return &Model{Bands: bands, ScaleBefore: s.ScaleBefore, ScaleAfter: s.ScaleAfter, MAD: s.MAD, Shift: s.Shift,
		VegBefore: s.Thresholds.VegetationBefore, VegAfter: s.Thresholds.VegetationAfter}, nil
}

// noChangeProb is the IR-MAD no-change probability above which a sample pixel
// counts as invariant (Canty & Nielsen 2008).
const noChangeProb = 0.9

// ErrCloudy is returned when a date is mostly cloud: the pair is unusable.
var ErrCloudy = errors.New("change: the pair is unusable: mostly cloud")

// Estimate computes the scene statistics from sample windows: each date's
// median brightness (every measure is taken relative to its own date, so the
// raw values of the two dates are never compared and the data type and
// sensor scale do not matter), each date's vegetation threshold (Otsu's
// threshold of its own vegetation index), the cloud statistics, and IR-MAD on the
// prescaled bands (its chi-square is reported per patch).
func Estimate(windows []SampleWindow, bands Bands, p Params) (*SceneStats, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	nb := bands.Count()
	r := p.Radii()
	vis := bands.visible()
	// Pass 1: each date's median brightness in data units.
	var rawA, rawB []float64
	for wi := range windows {
		sw := &windows[wi]
		if err := sw.Check(); err != nil {
			return nil, err
		}
		if len(sw.Before) != nb {
			return nil, fmt.Errorf("change: window has %d bands, scene has %d", len(sw.Before), nb)
		}
		for y := sw.Inner.Min.Y; y < sw.Inner.Max.Y; y++ {
			for x := sw.Inner.Min.X; x < sw.Inner.Max.X; x++ {
				i := y*sw.W + x
				if !sw.Valid[i] {
					continue
				}
				var a, b float64
				for _, k := range vis {
					a += float64(sw.Before[k][i])
					b += float64(sw.After[k][i])
				}
				rawA = append(rawA, a/float64(len(vis)))
				rawB = append(rawB, b/float64(len(vis)))
			}
		}
	}
	if len(rawA) == 0 {
		return nil, fmt.Errorf("change: the sample has no valid pixel (all nodata)")
	}
	st := &SceneStats{Version: Version, BandNames: bands.Names, SamplePixels: len(rawA)}
	st.ScaleBefore, st.ScaleAfter = median(rawA), median(rawB)
	if !(st.ScaleBefore > 0) || !(st.ScaleAfter > 0) {
		return nil, fmt.Errorf("%w: median brightness %.4g before, %.4g after", ErrDegenerate, st.ScaleBefore, st.ScaleAfter)
	}
	st.Normalisation = fmt.Sprintf("none needed: each date is read relative to its own median brightness (before %.4g, after %.4g data units) and every change measure compares a pixel with its own date's context, so raw values of the two dates are never differenced", st.ScaleBefore, st.ScaleAfter)
	// Pass 2: prescaled smoothed values.
	model := &Model{Bands: bands, ScaleBefore: st.ScaleBefore, ScaleAfter: st.ScaleAfter}
	var xs, ys, vA, vB, bA, bB, sA, sB []float64
	for wi := range windows {
		sw := &windows[wi]
		A := make([][]float32, nb)
		B := make([][]float32, nb)
		for b := 0; b < nb; b++ {
			A[b] = boxMean(prescale(sw.Before[b], unit/model.ScaleBefore, sw.Valid, nil), sw.Valid, sw.W, sw.H, r.Smooth)
			B[b] = boxMean(prescale(sw.After[b], unit/model.ScaleAfter, sw.Valid, nil), sw.Valid, sw.W, sw.H, r.Smooth)
		}
		fc := &featCtx{vis: vis, blue: bands.Blue, green: bands.Green, red: bands.Red, nir: bands.NIR}
		switch bands.VegetationIndex() {
		case "NDVI":
			fc.veg = vegNDVI
		case "ExG":
			fc.veg = vegExG
		}
		for y := sw.Inner.Min.Y; y < sw.Inner.Max.Y; y++ {
			for x := sw.Inner.Min.X; x < sw.Inner.Max.X; x++ {
				i := y*sw.W + x
				if !sw.Valid[i] {
					continue
				}
				var a, b, maxA, minA, maxB, minB float64
				minA, minB = math.Inf(1), math.Inf(1)
				for k := 0; k < nb; k++ {
					xs = append(xs, float64(A[k][i]))
					ys = append(ys, float64(B[k][i]))
				}
				for _, k := range vis {
					av, bv := float64(A[k][i]), float64(B[k][i])
					a += av
					b += bv
					maxA, minA = math.Max(maxA, av), math.Min(minA, av)
					maxB, minB = math.Max(maxB, bv), math.Min(minB, bv)
				}
				bA = append(bA, a/float64(len(vis)))
				bB = append(bB, b/float64(len(vis)))
				if len(vis) >= 2 {
					sA = append(sA, (maxA-minA)/(math.Max(maxA, 0)+floor))
					sB = append(sB, (maxB-minB)/(math.Max(maxB, 0)+floor))
				} else {
					sA, sB = append(sA, 0), append(sB, 0)
				}
				vA = append(vA, float64(fc.vegIndex(A, i)))
				vB = append(vB, float64(fc.vegIndex(B, i)))
			}
		}
	}
	n := len(bA)
	st.Shift = make([]float64, nb)
	lr := make([]float64, n)
	cf := p.ChangeFloor * unit
	for b := 0; b < nb; b++ {
		for i := 0; i < n; i++ {
			lr[i] = float64(flog(float32(math.Max(ys[i*nb+b], 0)+cf))) - float64(flog(float32(math.Max(xs[i*nb+b], 0)+cf)))
		}
		st.Shift[b] = median(lr)
	}
	mad, err := IRMAD(xs, ys, n, nb, p.MaxIter)
	if err != nil {
		return nil, err
	}
	st.MAD = mad
	nc := 0
	for _, w := range mad.Weights {
		if w > noChangeProb {
			nc++
		}
	}
	st.NoChangeShare = float64(nc) / float64(n)
	th := Thresholds{Change: p.ChangeT, Neutral: p.NeutralSaturation, FieldM2: p.FieldM2, FieldFill: p.FieldFill,
		VegetationIndex: bands.VegetationIndex(), WaterIndex: bands.WaterIndex(), Method: map[string]string{}}
	th.Method["change_score"] = "params.ChangeT, chosen leave-one-dataset-out over the shared benchmarks (unitless: log contrast change)"
	if th.VegetationIndex != "" {
		var etaA, etaB float64
		th.VegetationBefore, etaA = vegThreshold(vA, p.VegBimodality)
		th.VegetationAfter, etaB = vegThreshold(vB, p.VegBimodality)
		th.Method["vegetation"] = fmt.Sprintf("Otsu's threshold of each date's own %s histogram (vegetated / not vegetated), used when the histogram is two-class (Otsu's separability η >= params.VegBimodality %.2f; before η=%.2f, after η=%.2f); a date whose histogram is one class has no vegetated pixels (threshold %g)",
			th.VegetationIndex, p.VegBimodality, etaA, etaB, noVegetation)
	} else {
		th.Method["vegetation"] = "unused (no red/NIR or RGB bands)"
	}
	th.Method["farming"] = "params.FieldM2 and params.FieldFill, chosen leave-one-dataset-out with the Jülich month as the no-concern constraint"
	st.Thresholds = th
	st.Cloud = cloudStats(bA, bB)
	wa, wb := 0, 0
	for i := range bA {
		if white(bA[i], sA[i], st.Cloud.WhiteBefore) {
			wa++
		}
		if white(bB[i], sB[i], st.Cloud.WhiteAfter) {
			wb++
		}
	}
	st.Cloud.ShareBefore = float64(wa) / float64(n)
	st.Cloud.ShareAfter = float64(wb) / float64(n)
	if r.UseCloud {
		for _, d := range []struct {
			name  string
			share float64
		}{{"before", st.Cloud.ShareBefore}, {"after", st.Cloud.ShareAfter}} {
			if d.share > p.MaxCloudShare {
				return nil, fmt.Errorf("%w: %.1f%% of the %s image is cloud (more than %.0f%%)", ErrCloudy, 100*d.share, d.name, 100*p.MaxCloudShare)
			}
		}
	}
	return st, nil
}

// noVegetation is the vegetation threshold of a date whose vegetation
// index histogram is not two-class: above any index value.
const noVegetation = 2.0

// vegThreshold returns Otsu's threshold of a date's vegetation index and
// its separability η (between-class over total variance); when η is below
// minEta the histogram holds one class (a built-up scene, a bare scene) and
// Otsu's split would cut through it, so nothing is vegetated.
func vegThreshold(v []float64, minEta float64) (float64, float64) {
	t := Otsu(v, 256)
	eta := separability(v, t)
	if eta < minEta {
		return noVegetation, eta
	}
	return t, eta
}

// separability returns Otsu's η of the split of v at t: the between-class
// variance over the total variance.
func separability(v []float64, t float64) float64 {
	var n0, n1, s0, s1, s, ss float64
	for _, x := range v {
		s += x
		ss += x * x
		if x > t {
			n1++
			s1 += x
		} else {
			n0++
			s0 += x
		}
	}
	n := n0 + n1
	if n0 == 0 || n1 == 0 {
		return 0
	}
	m := s / n
	tot := ss/n - m*m
	if !(tot > 0) {
		return 0
	}
	d := s1/n1 - s0/n0
	return (n0 / n) * (n1 / n) * d * d / tot
}

// white: a neutral pixel within 15 % of its date's 99.9th percentile of
// brightness.
func white(br, sat, level float64) bool { return br >= 0.85*level && sat < 0.12 }

// overcast is the white share of a date above which every white pixel of it
// counts as cloud.
const overcast = 0.3

// whiteCloud: a white pixel where the other date is below 70 % of its own
// brightest (white roofs are white in both dates), or any white pixel of a
// heavily clouded date.
func whiteCloud(br, sat, other, level, otherLevel, share float64) bool {
	return white(br, sat, level) && (other < 0.7*otherLevel || share > overcast)
}

func quantile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
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
	one := func(v []float64) (med, bright, white float64) {
		med = median(v)
		dev := make([]float64, len(v))
		for i, x := range v {
			dev[i] = math.Abs(x - med)
		}
		return med, med + 6*1.4826*median(dev), quantile(v, 0.999)
	}
	var c CloudStats
	c.MedianBefore, c.BrightBefore, c.WhiteBefore = one(bA)
	c.MedianAfter, c.BrightAfter, c.WhiteAfter = one(bB)
	return c
}
