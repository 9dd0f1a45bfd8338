package change

import (
	"fmt"
	"math"
)

// Params are the tunable parameters of the detector. Lengths are in metres on
// the ground and converted to pixels with PixelSize, so that the same
// defaults hold for 0.5 m and 30 m imagery. The zero value is not usable:
// start from DefaultParams.
type Params struct {
	// PixelSize is the ground size of a pixel in metres (the mean of its
	// width and height). Required.
	PixelSize float64
	// MMU is the minimum mapping unit in m²: smaller patches are dropped.
	// MinPixels is the least number of pixels of a patch whatever its
	// area: a change of one or two pixels is below what the sensor
	// resolves reliably (it matters for coarse imagery, e.g. Landsat).
	MMU       float64
	MinPixels int
	// SmoothM is the radius of the box filter applied to both dates before
	// any measure (suppresses sensor noise and sub-metre misregistration).
	SmoothM float64
	// ContextM is the radius of the spatial context each pixel is compared
	// with within its own date (capped at ContextMaxPx pixels): the change
	// measure is how much a pixel's log contrast to that context changed
	// between the dates, so that illumination, season and sensor
	// differences shared by a neighbourhood cancel (after SiROC, Kondmann
	// et al. 2021).
	ContextM     float64
	ContextMaxPx int
	// ChangeFloor is added to every band value (in units of its date's
	// median brightness) before the logarithms of the change measure: with
	// a floor near the median the measure is a change relative to the
	// scene's brightness rather than to the pixel's own, so that noise in
	// dark pixels (shadow, water, dense vegetation) does not count as much
	// as a bright new surface.
	ChangeFloor float64
	// ScoreM is the radius over which the change score is averaged
	// (objects, not speckle).
	ScoreM float64
	// ChangeT is the threshold of the change score, in natural-log units
	// of contrast change (0.25 ≈ a 28 % change of a pixel's contrast to its
	// surroundings). It is unitless, so the same value holds for 8-bit,
	// 16-bit and floating-point imagery of any sensor.
	ChangeT float64
	// GrowT is the share of ChangeT down to which a change region grows
	// around pixels above ChangeT (hysteresis): a region is kept only if it
	// holds a pixel above ChangeT, and then takes its weaker surroundings.
	GrowT float64
	// WeakStrength and WeakM2 keep a region without any pixel above
	// ChangeT when it is large and consistently changed: its mean score is
	// at least WeakStrength of ChangeT over at least WeakM2. Evidence adds up
	// over an area: a whole new housing tract whose every pixel changed a
	// little (bare lots becoming roofs and lawns of the same tone) is as
	// certain a change as one bright new roof. WeakStrength >= 1 turns it
	// off (a region with such a mean has a pixel above ChangeT anyway).
	WeakStrength, WeakM2 float64
	// ScoreShare is the least share of the score's square over which the
	// change score of a pixel not vegetated after is averaged: the mean
	// is taken over the pixels of the square that are not vegetated after
	// either, but over at least this share of the square, so that a new
	// roof among lawns is not diluted by the lawns (1: the plain mean,
	// vegetated pixels counting as no change).
	ScoreShare float64
	// OpenM and CloseM are the half-widths of the square structuring
	// elements of the morphological opening and closing of the change mask.
	OpenM, CloseM float64
	// VegBimodality is the least separability η of Otsu's split of a
	// date's vegetation index histogram for the split to define
	// vegetated pixels (below it the histogram holds one class).
	VegBimodality float64
	// NeutralSaturation is the saturation below which a surface counts as
	// spectrally neutral (grey, white, black: roofs, concrete, asphalt).
	NeutralSaturation float64
	// FieldM2 and FieldFill decide farming: a change from vegetation to bare
	// soil (or between two bare-soil states) that covers at least FieldM2
	// and fills at least FieldFill of its equivalent rectangle (a field, a
	// parcel) is crop-cycle change (农业耕作/季节变化), not a change of
	// concern.
	FieldM2, FieldFill float64
	// FieldCV is the largest coefficient of variation of a field's
	// brightness after: a farmed field is uniform, a construction site not.
	FieldCV float64
	// UniformCVBefore, UniformCVAfter and UniformM2 decide farming for
	// patches of any shape: a change (not from or to water or vegetation)
	// of at least UniformM2 whose brightness varies by at most these
	// coefficients in each date is a piece of a field that changed as a
	// whole (ripening, harvest, ploughing, moisture); earthworks and
	// construction leave the after date uneven.
	UniformCVBefore, UniformCVAfter, UniformM2 float64
	// HighStrength and MediumStrength are the mean score/threshold ratios
	// of a patch from which its confidence is high or medium, and
	// ConfidentM2 the area a patch needs for its strength to count in
	// full: high is strong and at least ConfidentM2, medium is strong, or
	// medium-strong and at least ConfidentM2 (small patches are the least
	// precise on every benchmark).
	HighStrength, MediumStrength, ConfidentM2 float64
	// MaxCloudShare is the share of cloud of either date (on the sample)
	// above which the pair is refused as unusable.
	MaxCloudShare float64
	// CloudSearchM is how far from a cloud its shadow is looked for (and
	// vice versa); it is capped at MaxCloudSearchPx pixels. CloudBufferM is
	// the buffer around clouds and shadows that is masked as well.
	// MinCloudM2 is the least area of cloud candidates that must lie in
	// a pixel's search square for it to be masked as cloud: small bright
	// objects next to dark ones (white roofs beside new asphalt) are not
	// clouds. Where the search square cannot hold that area (pixels finer
	// than about 1.5 m) the cloud mask is off: such imagery is delivered
	// cloud-screened.
	CloudSearchM     float64
	MaxCloudSearchPx int
	CloudBufferM     float64
	MinCloudM2       float64
	// SampleTarget is the number of pixels sampled for the scene statistics.
	SampleTarget int
	// MaxIter is the maximum number of IR-MAD iterations.
	MaxIter int
}

// DefaultParams returns the defaults for imagery with the given pixel size
// in metres. ChangeT, GrowT, ScoreShare, ContextM and FieldM2 were chosen by leave-one-dataset-out
// over the shared benchmarks with the Jülich month as a constraint (README,
// "Scoring against labels"); the others are physical sizes or fixed
// choices recorded in detect.ParameterOrigins.
func DefaultParams(pixelSize float64) Params {
	return Params{
		PixelSize:         pixelSize,
		MMU:               200,
		MinPixels:         4,
		SmoothM:           1.0,
		ContextM:          240,
		ContextMaxPx:      160,
		ChangeFloor:       2,
		ScoreM:            10,
		ChangeT:           0.18,
		GrowT:             0.6,
		WeakStrength:      1,
		WeakM2:            2000,
		ScoreShare:        0.5,
		OpenM:             1.0,
		CloseM:            0.5,
		NeutralSaturation: 0.2,
		VegBimodality:     0.5,
		FieldM2:           10000,
		FieldFill:         0.6,
		FieldCV:           0.15,
		UniformCVBefore:   0.12,
		UniformCVAfter:    0.08,
		UniformM2:         2500,
		HighStrength:      1.0,
		MediumStrength:    0.9,
		ConfidentM2:       2000,
		MaxCloudShare:     0.8,
		CloudSearchM:      3000,
		MaxCloudSearchPx:  48,
		CloudBufferM:      60,
		MinCloudM2:        20000,
		SampleTarget:      1 << 17,
		MaxIter:           30,
	}
}

// Validate reports the first parameter that is out of range.
func (p Params) Validate() error {
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	for _, v := range []float64{p.PixelSize, p.MMU, p.ChangeFloor, p.SmoothM, p.ContextM, p.ScoreM, p.ChangeT, p.GrowT, p.WeakStrength, p.WeakM2, p.ScoreShare, p.OpenM, p.CloseM,
		p.NeutralSaturation, p.VegBimodality, p.FieldM2, p.FieldFill, p.FieldCV, p.UniformCVBefore, p.UniformCVAfter, p.UniformM2, p.HighStrength, p.MediumStrength, p.ConfidentM2, p.MaxCloudShare, p.CloudSearchM, p.CloudBufferM, p.MinCloudM2} {
		if !finite(v) {
			return fmt.Errorf("change: parameter %v is not a finite number", v)
		}
	}
	switch {
	case !(p.PixelSize > 0):
		return fmt.Errorf("change: pixel size %v m: want a positive number", p.PixelSize)
	case p.MMU < 0:
		return fmt.Errorf("change: minimum mapping unit %v m²: want >= 0", p.MMU)
	case p.SmoothM < 0 || p.OpenM < 0 || p.CloseM < 0 || p.ScoreM < 0 || p.CloudBufferM < 0 || p.CloudSearchM < 0:
		return fmt.Errorf("change: negative filter size")
	case !(p.ContextM > 0) || p.ContextMaxPx < 2:
		return fmt.Errorf("change: context radius %v m (at most %d px): want > 0 m and at least 2 px", p.ContextM, p.ContextMaxPx)
	case !(p.ChangeFloor > 0):
		return fmt.Errorf("change: change floor %v: want > 0", p.ChangeFloor)
	case !(p.ChangeT > 0):
		return fmt.Errorf("change: change threshold %v: want > 0", p.ChangeT)
	case !(p.GrowT > 0 && p.GrowT <= 1):
		return fmt.Errorf("change: growth threshold %v of the change threshold: want in (0,1]", p.GrowT)
	case p.WeakStrength < 0 || p.WeakM2 < 0:
		return fmt.Errorf("change: weak region strength %v / area %v m²: want >= 0", p.WeakStrength, p.WeakM2)
	case !(p.ScoreShare > 0 && p.ScoreShare <= 1):
		return fmt.Errorf("change: score share %v: want in (0,1]", p.ScoreShare)
	case p.VegBimodality < 0 || p.VegBimodality >= 1:
		return fmt.Errorf("change: vegetation bimodality %v: want in [0,1)", p.VegBimodality)
	case p.NeutralSaturation <= 0 || p.NeutralSaturation >= 1:
		return fmt.Errorf("change: neutral saturation %v: want in (0,1)", p.NeutralSaturation)
	case p.FieldM2 < 0 || p.UniformM2 < 0 || p.FieldFill < 0 || p.FieldFill > 1:
		return fmt.Errorf("change: field size %v m² / fill %v: want >= 0 and a fill in [0,1]", p.FieldM2, p.FieldFill)
	case !(p.MaxCloudShare > 0 && p.MaxCloudShare <= 1):
		return fmt.Errorf("change: max cloud share %v: want in (0,1]", p.MaxCloudShare)
	case p.MinCloudM2 < 0:
		return fmt.Errorf("change: minimum cloud area %v m²: want >= 0", p.MinCloudM2)
	case p.SampleTarget < 1024:
		return fmt.Errorf("change: sample target %d: want at least 1024 pixels", p.SampleTarget)
	case p.MaxIter < 1:
		return fmt.Errorf("change: max IR-MAD iterations %d: want at least 1", p.MaxIter)
	}
	return nil
}

// WeakRegion reports whether a region without a pixel above the change
// threshold is kept: n pixels of pxArea m² whose strengths (score/ChangeT,
// in thousandths) sum to strengthSum, with a mean of at least WeakStrength
// over at least WeakM2.
func (p Params) WeakRegion(n, strengthSum int64, pxArea float64) bool {
	return n > 0 && p.WeakStrength < 1 && float64(n)*pxArea >= p.WeakM2 && float64(strengthSum) >= 1000*p.WeakStrength*float64(n)
}

func (p Params) px(m float64) int { return int(math.Floor(m/p.PixelSize + 0.5)) }

// Radii are the filter radii in pixels derived from Params.
type Radii struct {
	Smooth, Context, Score, Open, Close, CloudSearch, CloudBuffer int
	UseCloud                                                      bool
	// MinCloudPx is the number of cloud-candidate pixels a search square
	// must hold for its centre to be cloud.
	MinCloudPx int
}

// Radii converts the metric parameters to pixel radii.
func (p Params) Radii() Radii {
	r := Radii{
		Smooth:      p.px(p.SmoothM),
		Context:     min(p.ContextMaxPx, max(2, p.px(p.ContextM))),
		Score:       p.px(p.ScoreM),
		Open:        p.px(p.OpenM),
		Close:       p.px(p.CloseM),
		CloudSearch: min(p.MaxCloudSearchPx, max(1, int(math.Ceil(p.CloudSearchM/p.PixelSize)))),
		CloudBuffer: min(p.MaxCloudSearchPx, max(2, int(math.Ceil(p.CloudBufferM/p.PixelSize)))),
	}
	side := float64(2*r.CloudSearch+1) * p.PixelSize
	r.UseCloud = side*side >= p.MinCloudM2
	r.MinCloudPx = max(1, int(math.Ceil(p.MinCloudM2/(p.PixelSize*p.PixelSize))))
	return r
}

// Halo returns how many pixels beyond a tile's core a window must reach so
// that every kernel gives, inside the core, exactly the values it would give
// on the whole scene.
func (p Params) Halo() int {
	r := p.Radii()
	feat := r.Smooth + r.Context + r.Score
	cloud := 0
	if r.UseCloud {
		// candidates need the smoothed values; the size test and the
		// pairing each look CloudSearch away, then the buffer.
		cloud = r.Smooth + 2*r.CloudSearch + r.CloudBuffer
	}
	return max(feat, cloud) + 2*r.Open + 2*r.Close
}
