package change

import (
	"fmt"
	"image"

	"github.com/weipian/weipian/raster/region"
)

// Mask bits of Result.Mask.
const (
	MaskNoData = 1 << iota
	MaskCloud
	MaskShadow
)

// Land-cover state bits of Result.State (per date).
const (
	stVegA = 1 << iota
	stVegB
	stWatA
	stWatB
	stNeutralA
	stNeutralB
)

// Result is the per-pixel outcome of Detect on a window: each pixel's class
// and mask, and the measures of its changed pixels (Measures).
type Result struct {
	W, H  int
	Class []Class
	// Mask holds MaskNoData/MaskCloud/MaskShadow bits.
	Mask []uint8
	// What Measures needs: the feature planes and the thresholds.
	fc                  *featCtx
	change, growT       float64
	neutral, vegA, vegB float32
}

// Measures are what a changed pixel contributes to its region.
type Measures struct {
	// Strength is the change score relative to its threshold (1 = at the
	// threshold), in thousandths; 0 where the pixel is changed only by the
	// clean-up's closing.
	Strength uint32
	// State holds the land-cover state bits of both dates.
	State uint8
	// Chi2 is the IR-MAD chi-square in hundredths (capped).
	Chi2 uint32
	// BrightA and BrightB are each date's brightness in per-mille of the
	// date's median, and SatB the after date's saturation in thousandths.
	BrightA, BrightB, SatB uint16
}

// ratio is a change score relative to the scene's change threshold: a pixel
// is changed above GrowT.
func (res *Result) ratio(score float32) float64 { return float64(score) / res.change }

// Measures returns the measures of window pixel (x, y), which must be a
// changed pixel of the core Detect was given.
func (res *Result) Measures(x, y int) Measures {
	fc := res.fc
	i := y*res.W + x
	var f pix
	fc.at(i, &f)
	m := Measures{
		BrightA: uint16(min(max(f.brA, 0), 65535)),
		BrightB: uint16(min(max(f.brB, 0), 65535)),
		SatB:    uint16(min(max(f.satB*1000, 0), 65535)),
		Chi2:    uint32(min(float64(f.chi2)*100, 1e9)),
	}
	if ratio := res.ratio(f.score); ratio > res.growT {
		m.Strength = uint32(min(ratio*1000, 1e9))
	}
	var s uint8
	if fc.veg != vegNone {
		if f.vegA > res.vegA {
			s |= stVegA
		}
		if f.vegB > res.vegB {
			s |= stVegB
		}
	}
	if fc.water {
		if f.watA > 0 {
			s |= stWatA
		}
		if f.watB > 0 {
			s |= stWatB
		}
	}
	if f.satA < res.neutral {
		s |= stNeutralA
	}
	if f.satB < res.neutral {
		s |= stNeutralB
	}
	m.State = s
	return m
}

// Detect classifies every pixel of a window as changed or not. Values inside
// the window are exact (equal to a whole-scene computation) at least
// Params.Halo pixels away from any window edge that is not a scene edge.
func Detect(win *Window, st *SceneStats, p Params) (*Result, error) {
	return DetectCore(win, image.Rect(0, 0, win.W, win.H), st, p)
}

// DetectCore is Detect when only the pixels of core (window coordinates) are
// wanted, as for a tile's core within its window: the change measures are
// computed only within the reach of the core (the cloud mask, which reaches
// farthest, still looks at the whole window), and Result holds the class,
// strength, state and radiometry of every changed pixel of the core. Outside
// the core, Result is incomplete.
func DetectCore(win *Window, core image.Rectangle, st *SceneStats, p Params) (*Result, error) {
	if err := win.Check(); err != nil {
		return nil, err
	}
	all := image.Rect(0, 0, win.W, win.H)
	if core.Empty() || !core.In(all) {
		return nil, fmt.Errorf("change: core %v is not inside the %dx%d window", core, win.W, win.H)
	}
	model, err := st.Model()
	if err != nil {
		return nil, err
	}
	if len(win.Before) != model.Bands.Count() {
		return nil, fmt.Errorf("change: window has %d bands, scene statistics have %d", len(win.Before), model.Bands.Count())
	}
	r := p.Radii()
	w, h, valid := win.W, win.H, win.Valid
	// Classes are needed within the reach of the clean-up around the core,
	// scores there, and context changes within the score's reach of those.
	clean := 2*r.Open + 2*r.Close
	fr := core.Inset(-(clean + r.Score + r.Context)).Intersect(all)
	fc := newFeatCtx(win, model, r, p, fr) // consumes win: its band planes are overwritten
	n := w * h
	th := st.Thresholds
	res := &Result{W: w, H: h, Class: make([]Class, n), Mask: make([]uint8, n), fc: fc,
		change: th.Change, growT: p.GrowT, neutral: float32(p.NeutralSaturation),
		vegA: float32(th.VegetationBefore), vegB: float32(th.VegetationAfter)}
	var f pix
	for i := 0; i < n; i++ {
		if !valid[i] {
			res.Mask[i] = MaskNoData
		}
	}
	if r.UseCloud {
		cs := st.Cloud
		var cand []uint8 // cloud/shadow candidate bits, allocated on first use
		rowA, rowB, rowL := make([]float32, w), make([]float32, w), make([]float32, w)
		for y := 0; y < h; y++ {
			// Most pixels fail every test on brightness alone; the
			// saturation is only computed for the others.
			fc.brightnessRow(y*w, rowA, rowB, rowL)
			for x, ok := range valid[y*w : (y+1)*w] {
				if !ok || !cloudPossible(rowA[x], rowB[x], rowL[x], &cs) {
					continue
				}
				i := y*w + x
				f.brA, f.brB, f.rlong = rowA[x], rowB[x], rowL[x]
				f.satA, f.satB = fc.saturations(i)
				if c := cloudCandidate(&f, &cs); c != 0 {
					if cand == nil {
						cand = make([]uint8, n)
					}
					cand[i] = c
				}
			}
		}
		if cand != nil {
			maskClouds(cand, valid, w, h, r, res)
		}
	}
	// Classes over the context region (fw×fh planes of fc).
	fw := fr.Dx()
	for y := fr.Min.Y; y < fr.Max.Y; y++ {
		srow := fc.score[(y-fr.Min.Y)*fw:][:fw]
		for x := fr.Min.X; x < fr.Max.X; x++ {
			i := y*w + x
			if !valid[i] || res.Mask[i] != 0 {
				continue
			}
			if res.ratio(srow[x-fr.Min.X]) > res.growT {
				res.Class[i] = Changed
			}
		}
	}
	cleanClasses(res, r)
	return res, nil
}

// Cloud and shadow candidate bits.
const (
	cloudA = 1 << iota
	cloudB
	shadowA
	shadowB
	whiteA
	whiteB
)

// cloudCandidate decides whether a pixel may be cloud (bright, white, an
// outlier of its date, at least 40% brighter than the other date) or shadow
// (darker than the date's median, its longest-wavelength band, NIR or red,
// down by at least 30% and its brightness by at least 15%; blue keeps
// diffuse skylight in shadow so it is not required to drop).
func cloudCandidate(f *pix, cs *CloudStats) uint8 {
	ratio := brightRatio(f.brA, f.brB)
	var c uint8
	if float64(f.brA) > cs.BrightBefore && f.satA < 0.2 && ratio < 1/bright {
		c |= cloudA
	}
	if float64(f.brB) > cs.BrightAfter && f.satB < 0.2 && ratio > bright {
		c |= cloudB
	}
	if f.rlong > 1/dark && ratio > 1/dim && float64(f.brA) < cs.MedianBefore {
		c |= shadowA
	}
	if f.rlong < dark && ratio < dim && float64(f.brB) < cs.MedianAfter {
		c |= shadowB
	}
	if whiteCloud(float64(f.brA), float64(f.satA), float64(f.brB), cs.WhiteBefore, cs.WhiteAfter, cs.ShareBefore) {
		c |= whiteA
	}
	if whiteCloud(float64(f.brB), float64(f.satB), float64(f.brA), cs.WhiteAfter, cs.WhiteBefore, cs.ShareAfter) {
		c |= whiteB
	}
	return c
}

// The thresholds of cloudCandidate.
const (
	bright = 1.4  // cloud brightness ratio to the other date
	dark   = 0.7  // shadow ratio of the longest band
	dim    = 0.85 // shadow ratio of the brightness
)

// brightRatio is the after/before brightness ratio of cloudCandidate.
func brightRatio(brA, brB float32) float32 { return (max(brB, 0) + 1e-6) / (max(brA, 0) + 1e-6) }

// cloudPossible reports whether a pixel with these brightnesses and longest
// band ratio passes the brightness part of any test of cloudCandidate: when
// it does not, cloudCandidate gives 0 whatever the saturations.
func cloudPossible(brA, brB, rlong float32, cs *CloudStats) bool {
	ratio := brightRatio(brA, brB)
	a, b := float64(brA), float64(brB)
	return a > cs.BrightBefore && ratio < 1/bright ||
		b > cs.BrightAfter && ratio > bright ||
		rlong > 1/dark && ratio > 1/dim && a < cs.MedianBefore ||
		rlong < dark && ratio < dim && b < cs.MedianAfter ||
		a >= 0.85*cs.WhiteBefore || b >= 0.85*cs.WhiteAfter
}

// maskClouds keeps a cloud candidate as cloud only if enough cloud
// candidates of its date surround it (MinCloudM2: white roofs are not
// clouds) and a shadow candidate of that date lies within the search radius,
// and a shadow candidate only if a cloud lies within it. The masks are
// buffered and their pixels lose any change class.
func maskClouds(cand []uint8, valid []bool, w, h int, r Radii, res *Result) {
	n := w * h
	if !r.UseCloud {
		return
	}
	t := newSAT(w, h)
	// The candidates are a small share of the window: the tests below
	// visit them in a list, in ascending order as a scan of the window
	// would.
	var idx []int32
	var present uint8
	for i, c := range cand {
		if c != 0 {
			idx = append(idx, int32(i))
			present |= c
		}
	}
	// Size test: a cloud candidate stays only if enough candidates of its
	// date surround it.
	// White cloud counts the bright outliers of its date as well: its
	// whitest core may be small, its cloud is not.
	for _, sz := range []struct{ bit, count uint8 }{{cloudA, cloudA}, {cloudB, cloudB}, {whiteA, whiteA | cloudA}, {whiteB, whiteB | cloudB}} {
		bit := sz.bit
		if present&bit == 0 {
			continue
		}
		t.buildBit(cand, sz.count)
		for _, i := range idx {
			if i := int(i); cand[i]&bit != 0 {
				if s, _ := t.count(i%w, i/w, r.CloudSearch); int(s) < r.MinCloudPx {
					cand[i] &^= bit
				}
			}
		}
	}
	// Pairing: a cloud needs a shadow of its date nearby and vice versa.
	// Counts are only taken at the candidates that need them.
	present = 0
	for _, i := range idx {
		present |= cand[i]
	}
	if present == 0 {
		return
	}
	masked := make([]bool, n)
	kind := make([]uint8, n)
	any := false
	// White cloud (near the date's brightest, neutral, where the other
	// date is not) needs no shadow: overcast scenes have none in view.
	for _, i := range idx {
		if cand[i]&(whiteA|whiteB) != 0 {
			masked[i], kind[i] = true, MaskCloud
			any = true
		}
	}
	pairs := []struct{ self, other, kind uint8 }{
		{cloudA, shadowA, MaskCloud}, {cloudB, shadowB, MaskCloud},
		// A bright outlier next to white cloud is its thinner edge.
		{cloudA, whiteA, MaskCloud}, {cloudB, whiteB, MaskCloud},
		{shadowA, cloudA, MaskShadow}, {shadowB, cloudB, MaskShadow},
	}
	for _, pr := range pairs {
		if present&pr.self == 0 || present&pr.other == 0 {
			continue // nothing to keep, or nothing to pair with
		}
		built := false
		for _, i := range idx {
			i := int(i)
			if cand[i]&pr.self == 0 || (masked[i] && kind[i] == MaskCloud) {
				continue
			}
			if !built {
				t.buildBit(cand, pr.other)
				built = true
			}
			if s, _ := t.count(i%w, i/w, r.CloudSearch); s > 0 {
				masked[i], kind[i] = true, pr.kind
				any = true
			}
		}
	}
	if !any {
		return
	}
	// The buffer reaches CloudBuffer beyond the masked pixels' bounding
	// box, and no further.
	box := image.Rectangle{}
	for _, i := range idx {
		if masked[i] {
			x, y := int(i)%w, int(i)/w
			box = box.Union(image.Rect(x, y, x+1, y+1))
		}
	}
	box = box.Inset(-r.CloudBuffer).Intersect(image.Rect(0, 0, w, h))
	t.buildBool(masked)
	for y := box.Min.Y; y < box.Max.Y; y++ {
		for x := box.Min.X; x < box.Max.X; x++ {
			i := y*w + x
			if s, _ := t.count(x, y, r.CloudBuffer); s > 0 && valid[i] {
				if kind[i] != 0 {
					res.Mask[i] |= kind[i]
				} else {
					res.Mask[i] |= MaskCloud
				}
				res.Class[i] = None
			}
		}
	}
}

// cleanClasses applies the opening and closing to each class separately.
// Where closings of two classes claim the same pixel, the class decided
// first in the pixel's order of classes wins; pixels masked as no data,
// cloud or shadow never get a class.
func cleanClasses(res *Result, r Radii) {
	if r.Open == 0 && r.Close == 0 {
		return
	}
	w, h := res.W, res.H
	n := w * h
	present := map[Class]bool{}
	for _, c := range res.Class {
		if c != None {
			present[c] = true
		}
	}
	t := newSAT(w, h)
	tmp := make([]bool, n)
	out := make([]Class, n)
	m := make([]bool, n)
	for _, c := range []Class{Changed} {
		if !present[c] {
			continue
		}
		for i := range m {
			m[i] = res.Class[i] == c
		}
		openClose(m, w, h, r.Open, r.Close, t, tmp)
		for i := range m {
			if m[i] && out[i] == None && res.Mask[i] == 0 {
				out[i] = c
			}
		}
	}
	res.Class = out
}

// Part is one connected region of changed pixels found in a tile's core,
// with additive statistics so that parts from different tiles can be merged.
type Part struct {
	Class       Class        `json:"c"`
	Runs        []region.Run `json:"-"`
	Pixels      int64        `json:"n"`
	StrengthSum int64        `json:"s"`  // sum of Strength (thousandths)
	Chi2Sum     int64        `json:"x"`  // sum of Chi2 (hundredths)
	Strong      int64        `json:"g"`  // pixels above the change threshold (a region without any is dropped)
	BrightA     int64        `json:"ba"` // sum of BrightA (per-mille of the before median)
	BrightB     int64        `json:"bb"` // sum of BrightB (per-mille of the after median)
	BrightA2    int64        `json:"aq"` // sum of BrightA² (uniformity before)
	BrightB2    int64        `json:"bq"` // sum of BrightB² (uniformity after)
	SatB        int64        `json:"t"`  // sum of SatB (thousandths)
	// Pixels of each land-cover state per date.
	VegA, VegB, WatA, WatB, NeutralA, NeutralB int64
}

// Add accumulates the statistics of o into p (not the runs).
func (p *Part) Add(o *Part) {
	p.Pixels += o.Pixels
	p.StrengthSum += o.StrengthSum
	p.Strong += o.Strong
	p.Chi2Sum += o.Chi2Sum
	p.BrightA += o.BrightA
	p.BrightB += o.BrightB
	p.BrightA2 += o.BrightA2
	p.BrightB2 += o.BrightB2
	p.SatB += o.SatB
	p.VegA += o.VegA
	p.VegB += o.VegB
	p.WatA += o.WatA
	p.WatB += o.WatB
	p.NeutralA += o.NeutralA
	p.NeutralB += o.NeutralB
}

// Parts labels the regions of every class inside core (in window
// coordinates) and returns them in scene coordinates, given the scene
// position (ox, oy) of the window's top-left pixel. Order: by class, then by
// first run.
func (res *Result) Parts(core image.Rectangle, ox, oy int) []Part {
	cw, ch := core.Dx(), core.Dy()
	mask := make([]uint8, cw*ch)
	var parts []Part
	for _, c := range []Class{Changed} {
		anyPix := false
		for y := 0; y < ch; y++ {
			row := (core.Min.Y+y)*res.W + core.Min.X
			for x := 0; x < cw; x++ {
				if res.Class[row+x] == c {
					mask[y*cw+x] = 1
					anyPix = true
				} else {
					mask[y*cw+x] = 0
				}
			}
		}
		if !anyPix {
			continue
		}
		regs := region.Label(mask, cw, ch, int32(ox+core.Min.X), int32(oy+core.Min.Y))
		for _, runs := range regs {
			pt := Part{Class: c, Runs: runs}
			for _, rn := range runs {
				wy := int(rn.Y) - oy
				for x := int(rn.X0); x < int(rn.X1); x++ {
					m := res.Measures(x-ox, wy)
					pt.Pixels++
					pt.StrengthSum += int64(m.Strength)
					if m.Strength > 1000 {
						pt.Strong++
					}
					pt.Chi2Sum += int64(m.Chi2)
					pt.BrightA += int64(m.BrightA)
					pt.BrightB += int64(m.BrightB)
					pt.BrightA2 += int64(m.BrightA) * int64(m.BrightA)
					pt.BrightB2 += int64(m.BrightB) * int64(m.BrightB)
					pt.SatB += int64(m.SatB)
					s := m.State
					pt.VegA += int64(s & stVegA)
					pt.VegB += int64(s>>1) & 1
					pt.WatA += int64(s>>2) & 1
					pt.WatB += int64(s>>3) & 1
					pt.NeutralA += int64(s>>4) & 1
					pt.NeutralB += int64(s>>5) & 1
				}
			}
			parts = append(parts, pt)
		}
	}
	return parts
}

// MaskCounts returns the number of core pixels masked as no data, cloud and shadow.
func (res *Result) MaskCounts(core image.Rectangle) (nodata, cloud, shadow int64) {
	for y := core.Min.Y; y < core.Max.Y; y++ {
		for x := core.Min.X; x < core.Max.X; x++ {
			m := res.Mask[y*res.W+x]
			switch {
			case m&MaskNoData != 0:
				nodata++
			case m&MaskCloud != 0:
				cloud++
			case m&MaskShadow != 0:
				shadow++
			}
		}
	}
	return
}
