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
	// OpenM and CloseM are the half-widths of the square structuring
	// elements of the morphological opening (removes specks and lines
	// narrower than about 2·OpenM, e.g. field paths) and closing (fills gaps)
	// applied to each class.
	OpenM, CloseM float64
	// TextureM is the radius over which the local gradient energy is
	// averaged for the structural (texture) measure; TextureMaxPixel is the
	// coarsest pixel size in metres at which that measure is used (buildings
	// must span several pixels for texture to mean anything).
	TextureM, TextureMaxPixel float64
	// NeutralSaturation is the saturation below which an after-date surface
	// counts as spectrally neutral (grey, white, black: roofs, concrete,
	// asphalt). BlueRoof is the excess of blue over green and red (as a share
	// of brightness) above which a surface counts as a blue steel-sheet roof
	// (彩钢瓦).
	NeutralSaturation, BlueRoof float64
	// Floors of the scene thresholds: a threshold found from the data is
	// never below these minimum effect sizes, so a scene without change
	// yields no patches. Saturation in percentage points; brightness and
	// texture as natural-log ratios; vegetation and water index differences
	// in index units.
	FloorSaturation, FloorBrightness, FloorTexture, FloorNDVI, FloorExG, FloorWater float64
	// VegetatedNDVI and VegetatedExG are the index values above which a
	// surface counts as vegetated.
	VegetatedNDVI, VegetatedExG float64
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

// DefaultParams returns the defaults for imagery with the given pixel size in metres.
func DefaultParams(pixelSize float64) Params {
	return Params{
		PixelSize:         pixelSize,
		MMU:               200,
		MinPixels:         4,
		SmoothM:           0.5,
		OpenM:             1.0,
		CloseM:            0.5,
		TextureM:          3,
		TextureMaxPixel:   5,
		NeutralSaturation: 0.2,
		BlueRoof:          0.08,
		FloorSaturation:   3,
		FloorBrightness:   0.15,
		FloorTexture:      0.2,
		FloorNDVI:         0.1,
		FloorExG:          0.05,
		FloorWater:        0.1,
		VegetatedNDVI:     0.3,
		VegetatedExG:      0.08,
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
	switch {
	case !(p.PixelSize > 0) || math.IsInf(p.PixelSize, 0):
		return fmt.Errorf("change: pixel size %v m: want a positive number", p.PixelSize)
	case p.MMU < 0:
		return fmt.Errorf("change: minimum mapping unit %v m²: want >= 0", p.MMU)
	case p.SmoothM < 0 || p.OpenM < 0 || p.CloseM < 0 || p.TextureM < 0 || p.CloudBufferM < 0 || p.CloudSearchM < 0:
		return fmt.Errorf("change: negative filter size")
	case p.NeutralSaturation <= 0 || p.NeutralSaturation >= 1:
		return fmt.Errorf("change: neutral saturation %v: want in (0,1)", p.NeutralSaturation)
	case p.MinCloudM2 < 0:
		return fmt.Errorf("change: minimum cloud area %v m²: want >= 0", p.MinCloudM2)
	case p.SampleTarget < 1024:
		return fmt.Errorf("change: sample target %d: want at least 1024 pixels", p.SampleTarget)
	case p.MaxIter < 1:
		return fmt.Errorf("change: max IR-MAD iterations %d: want at least 1", p.MaxIter)
	}
	return nil
}

func (p Params) px(m float64) int { return int(math.Floor(m/p.PixelSize + 0.5)) }

// Radii are the filter radii in pixels derived from Params.
type Radii struct {
	Smooth, Open, Close, Texture, CloudSearch, CloudBuffer int
	UseTexture, UseCloud                                   bool
	// MinCloudPx is the number of cloud-candidate pixels a search square
	// must hold for its centre to be cloud.
	MinCloudPx int
}

// Radii converts the metric parameters to pixel radii.
func (p Params) Radii() Radii {
	r := Radii{
		Smooth:      p.px(p.SmoothM),
		Open:        p.px(p.OpenM),
		Close:       p.px(p.CloseM),
		Texture:     max(1, p.px(p.TextureM)),
		CloudSearch: min(p.MaxCloudSearchPx, max(1, int(math.Ceil(p.CloudSearchM/p.PixelSize)))),
		CloudBuffer: min(p.MaxCloudSearchPx, max(2, int(math.Ceil(p.CloudBufferM/p.PixelSize)))),
		UseTexture:  p.PixelSize <= p.TextureMaxPixel,
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
	feat := r.Smooth + 1 // smoothing, then the 3×3 gradient
	if r.UseTexture {
		feat += r.Texture
	}
	cloud := 0
	if r.UseCloud {
		// candidates need the smoothed values; the size test and the
		// pairing each look CloudSearch away, then the buffer.
		cloud = r.Smooth + 2*r.CloudSearch + r.CloudBuffer
	}
	return max(feat, cloud) + 2*r.Open + 2*r.Close
}
