package change

import (
	"fmt"
	"image"
	"math"

	"github.com/weipian/weipian/raster/region"
)

// Evidence families that can support a change at a pixel; a patch is of high
// confidence when most of its pixels have two or more.
const (
	famSpectral   = 1 << iota // IR-MAD chi-square significant
	famRadiometry             // brightness ratio beyond threshold
	famChromatic              // saturation, vegetation or water index change
	famStructural             // texture (gradient energy) change
)

// Mask bits of Result.Mask.
const (
	MaskNoData = 1 << iota
	MaskCloud
	MaskShadow
)

// Result is the per-pixel outcome of Detect on a window.
type Result struct {
	W, H  int
	Class []Class
	// Strength is how far the deciding measure exceeds its threshold
	// (1 = at the threshold), in thousandths.
	Strength []uint32
	// Families holds the evidence-family bits of each pixel.
	Families []uint8
	// Chi2 is the IR-MAD chi-square in hundredths (capped).
	Chi2 []uint32
	// Mask holds MaskNoData/MaskCloud/MaskShadow bits.
	Mask []uint8
	// Bright is the after date's brightness relative to the scene's median
	// brightness, and Sat the after date's saturation, both in thousandths
	// (for the change type of patches: greenhouses are bright and white).
	Bright, Sat []uint16
}

// Detect classifies every pixel of a window. Values inside the window are
// exact (equal to a whole-scene computation) at least Params.Halo pixels away
// from any window edge that is not a scene edge.
func Detect(win *Window, st *SceneStats, p Params) (*Result, error) {
	if err := win.Check(); err != nil {
		return nil, err
	}
	model, err := st.Model()
	if err != nil {
		return nil, err
	}
	if len(win.Before) != model.Bands.Count() {
		return nil, fmt.Errorf("change: window has %d bands, scene statistics have %d", len(win.Before), model.Bands.Count())
	}
	r := p.Radii()
	fc := newFeatCtx(win, model, r)
	w, h := win.W, win.H
	n := w * h
	th := st.Thresholds
	res := &Result{W: w, H: h, Class: make([]Class, n), Strength: make([]uint32, n),
		Families: make([]uint8, n), Chi2: make([]uint32, n), Mask: make([]uint8, n),
		Bright: make([]uint16, n), Sat: make([]uint16, n)}
	vegetated := float32(p.VegetatedExG)
	invScale := 1000 / float32(max(st.Scale, 1e-9))
	if fc.veg == vegNDVI {
		vegetated = float32(p.VegetatedNDVI)
	}
	cs := st.Cloud
	var cand []uint8 // cloud/shadow candidate bits, allocated on first use
	var f pix
	for i := 0; i < n; i++ {
		if !win.Valid[i] {
			res.Mask[i] = MaskNoData
			continue
		}
		fc.at(i, &f)
		res.Bright[i] = uint16(min(max(f.brB*invScale, 0), 65535))
		res.Sat[i] = uint16(min(max(f.satB*1000, 0), 65535))
		if r.UseCloud {
			if c := cloudCandidate(&f, &cs); c != 0 {
				if cand == nil {
					cand = make([]uint8, n)
				}
				cand[i] = c
			}
		}
		chi := float64(f.chi2)
		res.Chi2[i] = uint32(math.Min(chi*100, 1e9))
		satd := 100 * float64(f.satA-f.satB)
		lbr := float64(f.lbr)
		dv := float64(f.vegB - f.vegA)
		var fam uint8
		var rVeg, rWat, rTex float64
		rMAD := chi / th.Chi2
		if rMAD > 1 {
			fam |= famSpectral
		}
		rSat := satd / th.Saturation
		rUp := lbr / th.Brighter
		rDown := -lbr / th.Darker
		if rUp > 1 || rDown > 1 {
			fam |= famRadiometry
		}
		if fc.veg != vegNone {
			rVeg = math.Abs(dv) / th.Vegetation
		}
		if fc.water {
			rWat = float64(f.watB-f.watA) / th.Water
		}
		if rSat > 1 || rVeg > 1 || rWat > 1 {
			fam |= famChromatic
		}
		if fc.tex != nil {
			rTex = float64(f.tex) / th.Texture
			if rTex > 1 {
				fam |= famStructural
			}
		}
		res.Families[i] = fam
		if fam == 0 {
			continue
		}
		neutral := f.satB < float32(p.NeutralSaturation) || f.blueB > float32(p.BlueRoof)
		vegB := fc.veg != vegNone && f.vegB > vegetated
		vegA := fc.veg != vegNone && f.vegA > vegetated
		var c Class
		var s float64
		switch {
		case rWat > 1 && f.watB > 0:
			c, s = WaterGain, rWat
		case rVeg > 1 && dv > 0 && (vegB || rVeg > 2 || lbr < 0):
			// strong greening, or greening that darkens (growing
			// vegetation), is vegetation gain even where haze keeps
			// the absolute index low (visible-band composites)
			c, s = VegetationGain, rVeg
		case neutral && !vegB && (rUp > 1 || rTex > 1 || (rSat > 1 && rDown <= 1 && (r.UseTexture || (rMAD > 1 && lbr >= 0)))):
			// Saturation loss is weaker evidence than brightening or
			// new texture: it must come without strong darkening, and
			// at coarse resolution (no texture measure) it must also
			// be a significant IR-MAD change that does not darken,
			// since there haze and fields turning grey dominate it.
			c, s = BuiltGain, math.Max(rSat, math.Max(rUp, rTex))
		case rVeg > 1 && dv < 0 && vegA:
			c, s = VegetationLoss, rVeg
		case rMAD > 1 && (fam&^famSpectral) != 0:
			c, s = SurfaceChange, rMAD
		}
		if c != None {
			res.Class[i] = c
			res.Strength[i] = uint32(math.Min(s*1000, 1e9))
		}
	}
	if cand != nil {
		maskClouds(cand, win.Valid, w, h, r, res)
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
)

// cloudCandidate decides whether a pixel may be cloud (bright, white, an
// outlier of its date, at least 40% brighter than the other date) or shadow
// (darker than the date's median, its longest-wavelength band, NIR or red,
// down by at least 30% and its brightness by at least 15%; blue keeps
// diffuse skylight in shadow so it is not required to drop).
func cloudCandidate(f *pix, cs *CloudStats) uint8 {
	const (
		bright = 1.4  // cloud brightness ratio to the other date
		dark   = 0.7  // shadow ratio of the longest band
		dim    = 0.85 // shadow ratio of the brightness
	)
	ratio := (max(f.brB, 0) + 1e-6) / (max(f.brA, 0) + 1e-6) // after/before brightness
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
	return c
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
	// Size test: a cloud candidate stays only if enough candidates of its
	// date surround it.
	for _, bit := range []uint8{cloudA, cloudB} {
		t.build(func(i int) bool { return cand[i]&bit != 0 })
		for i := 0; i < n; i++ {
			if cand[i]&bit != 0 {
				if s, _ := t.count(i%w, i/w, r.CloudSearch); int(s) < r.MinCloudPx {
					cand[i] &^= bit
				}
			}
		}
	}
	// Pairing: a cloud needs a shadow of its date nearby and vice versa.
	// Counts are only taken at the candidates that need them.
	masked := make([]bool, n)
	kind := make([]uint8, n)
	pairs := []struct{ self, other, kind uint8 }{
		{cloudA, shadowA, MaskCloud}, {cloudB, shadowB, MaskCloud},
		{shadowA, cloudA, MaskShadow}, {shadowB, cloudB, MaskShadow},
	}
	any := false
	for _, pr := range pairs {
		built := false
		for i := 0; i < n; i++ {
			if cand[i]&pr.self == 0 || (masked[i] && kind[i] == MaskCloud) {
				continue
			}
			if !built {
				t.build(func(j int) bool { return cand[j]&pr.other != 0 })
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
	grown := make([]bool, n)
	dilate(grown, masked, w, h, r.CloudBuffer, t)
	for i := 0; i < n; i++ {
		if grown[i] && valid[i] {
			if kind[i] != 0 {
				res.Mask[i] |= kind[i]
			} else {
				res.Mask[i] |= MaskCloud
			}
			res.Class[i] = None
			res.Strength[i] = 0
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
	for _, c := range Classes {
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

// Part is one connected region of one class found in a tile's core, with
// additive statistics so that parts from different tiles can be merged.
type Part struct {
	Class       Class        `json:"c"`
	Runs        []region.Run `json:"-"`
	Pixels      int64        `json:"n"`
	StrengthSum int64        `json:"s"` // sum of Strength (thousandths)
	Chi2Sum     int64        `json:"x"` // sum of Chi2 (hundredths)
	Agree       int64        `json:"a"` // pixels with two or more evidence families
	BrightSum   int64        `json:"b"` // sum of Bright (thousandths of the scene median)
	SatSum      int64        `json:"t"` // sum of Sat (thousandths)
}

// Add accumulates the statistics of o into p (not the runs).
func (p *Part) Add(o *Part) {
	p.Pixels += o.Pixels
	p.StrengthSum += o.StrengthSum
	p.Chi2Sum += o.Chi2Sum
	p.Agree += o.Agree
	p.BrightSum += o.BrightSum
	p.SatSum += o.SatSum
}

// Parts labels the regions of every class inside core (in window
// coordinates) and returns them in scene coordinates, given the scene
// position (ox, oy) of the window's top-left pixel. Order: by class, then by
// first run.
func (res *Result) Parts(core image.Rectangle, ox, oy int) []Part {
	cw, ch := core.Dx(), core.Dy()
	mask := make([]uint8, cw*ch)
	var parts []Part
	for _, c := range Classes {
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
					i := wy*res.W + (x - ox)
					pt.Pixels++
					pt.StrengthSum += int64(res.Strength[i])
					pt.Chi2Sum += int64(res.Chi2[i])
					pt.BrightSum += int64(res.Bright[i])
					pt.SatSum += int64(res.Sat[i])
					if famCount(res.Families[i]) >= 2 {
						pt.Agree++
					}
				}
			}
			parts = append(parts, pt)
		}
	}
	return parts
}

func famCount(f uint8) int {
	n := 0
	for ; f != 0; f &= f - 1 {
		n++
	}
	return n
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
