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
	f := computeFeatures(win, model, r)
	w, h := win.W, win.H
	n := w * h
	th := st.Thresholds
	res := &Result{W: w, H: h, Class: make([]Class, n), Strength: make([]uint32, n),
		Families: make([]uint8, n), Chi2: make([]uint32, n), Mask: make([]uint8, n)}
	vegIdx := model.Bands.VegetationIndex()
	vegetated := p.VegetatedExG
	if vegIdx == "NDVI" {
		vegetated = p.VegetatedNDVI
	}
	hasWater := model.Bands.WaterIndex() != ""
	for i := 0; i < n; i++ {
		if !win.Valid[i] {
			res.Mask[i] = MaskNoData
			continue
		}
		chi := float64(f.chi2[i])
		res.Chi2[i] = uint32(math.Min(chi*100, 1e9))
		satd := 100 * float64(f.satA[i]-f.satB[i])
		lbr := float64(f.lbr[i])
		dv := float64(f.vegB[i] - f.vegA[i])
		var fam uint8
		var rMAD, rSat, rUp, rDown, rTex, rVeg, rWat float64
		rMAD = chi / th.Chi2
		if rMAD > 1 {
			fam |= famSpectral
		}
		rSat = satd / th.Saturation
		rUp = lbr / th.Brighter
		rDown = -lbr / th.Darker
		if rUp > 1 || rDown > 1 {
			fam |= famRadiometry
		}
		if vegIdx != "" {
			rVeg = math.Abs(dv) / th.Vegetation
		}
		if hasWater {
			rWat = float64(f.watB[i]-f.watA[i]) / th.Water
		}
		if rSat > 1 || rVeg > 1 || rWat > 1 {
			fam |= famChromatic
		}
		if f.tex != nil {
			rTex = float64(f.tex[i]) / th.Texture
			if rTex > 1 {
				fam |= famStructural
			}
		}
		res.Families[i] = fam
		neutral := f.satB[i] < float32(p.NeutralSaturation) || f.blueB[i] > float32(p.BlueRoof)
		vegB := vegIdx != "" && f.vegB[i] > float32(vegetated)
		vegA := vegIdx != "" && f.vegA[i] > float32(vegetated)
		var c Class
		var s float64
		switch {
		case rWat > 1 && f.watB[i] > 0:
			c, s = WaterGain, rWat
		case rVeg > 1 && dv > 0 && (vegB || rVeg > 2 || lbr < 0):
			// strong greening is vegetation gain even where haze keeps
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
	maskClouds(f, st, r, res)
	cleanClasses(res, r)
	return res, nil
}

// maskClouds finds clouds (bright, white outliers much brighter than the
// other date) and their shadows (dark pixels whose longest-wavelength band,
// NIR or red, lost at least 30% and whose brightness dropped; blue keeps
// diffuse skylight in shadow so it is not required to drop):
// a cloud is kept only if a shadow lies within the search radius and vice
// versa, which keeps new white roofs and greenhouses from being taken for
// clouds. The masks are buffered and their pixels lose any change class.
func maskClouds(f *features, st *SceneStats, r Radii, res *Result) {
	w, h := f.w, f.h
	n := w * h
	const (
		cloudA = 1 << iota
		cloudB
		shadowA
		shadowB
	)
	const brightRatio = 1.4 // a cloud is at least 40% brighter than the other date
	const darkRatio = 0.7   // a shadow darkens the longest-wavelength band by at least 30%
	const dimRatio = 0.85   // and the mean visible brightness by at least 15%
	cand := make([]uint8, n)
	any := false
	cs := st.Cloud
	for i := 0; i < n; i++ {
		if !f.valid[i] {
			continue
		}
		ratio := math.Exp(float64(f.lbr[i])) // after/before brightness
		if float64(f.brA[i]) > cs.BrightBefore && f.satA[i] < 0.2 && ratio < 1/brightRatio {
			cand[i] |= cloudA
			any = true
		}
		if float64(f.brB[i]) > cs.BrightAfter && f.satB[i] < 0.2 && ratio > brightRatio {
			cand[i] |= cloudB
			any = true
		}
		if f.rlong[i] > 1/darkRatio && ratio > 1/dimRatio && float64(f.brA[i]) < cs.MedianBefore {
			cand[i] |= shadowA
		}
		if f.rlong[i] < darkRatio && ratio < dimRatio && float64(f.brB[i]) < cs.MedianAfter {
			cand[i] |= shadowB
		}
	}
	if !any || !r.UseCloud {
		return
	}
	t := newSAT(w, h)
	// Size test: a candidate stays only if enough candidates of its date
	// surround it.
	big := func(bit uint8) {
		t.build(func(i int) bool { return cand[i]&bit != 0 })
		keep := make([]bool, n)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				if cand[y*w+x]&bit == 0 {
					continue
				}
				s, _ := t.count(x, y, r.CloudSearch)
				keep[y*w+x] = int(s) >= r.MinCloudPx
			}
		}
		for i := range keep {
			if !keep[i] {
				cand[i] &^= bit
			}
		}
	}
	big(cloudA)
	big(cloudB)
	near := func(bit uint8) []bool {
		t.build(func(i int) bool { return cand[i]&bit != 0 })
		out := make([]bool, n)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				s, _ := t.count(x, y, r.CloudSearch)
				out[y*w+x] = s > 0
			}
		}
		return out
	}
	nearShadowA, nearShadowB := near(shadowA), near(shadowB)
	nearCloudA, nearCloudB := near(cloudA), near(cloudB)
	masked := make([]bool, n)
	kind := make([]uint8, n)
	for i := 0; i < n; i++ {
		c := cand[i]
		if (c&cloudA != 0 && nearShadowA[i]) || (c&cloudB != 0 && nearShadowB[i]) {
			masked[i], kind[i] = true, MaskCloud
		} else if (c&shadowA != 0 && nearCloudA[i]) || (c&shadowB != 0 && nearCloudB[i]) {
			masked[i], kind[i] = true, MaskShadow
		}
	}
	grown := make([]bool, n)
	dilate(grown, masked, w, h, r.CloudBuffer, t)
	for i := 0; i < n; i++ {
		if grown[i] && f.valid[i] {
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
}

// Add accumulates the statistics of o into p (not the runs).
func (p *Part) Add(o *Part) {
	p.Pixels += o.Pixels
	p.StrengthSum += o.StrengthSum
	p.Chi2Sum += o.Chi2Sum
	p.Agree += o.Agree
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
