package raster

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"math"
	"path/filepath"
	"strings"

	"github.com/airbusgeo/godal"
)

// Grid is a north-up pixel grid: size, geotransform and CRS.
type Grid struct {
	Width, Height int
	GeoTransform  [6]float64
	WKT           string
}

// PixelToGeo returns the CRS coordinates of pixel corner (px, py).
func (g Grid) PixelToGeo(px, py float64) (x, y float64) {
	gt := g.GeoTransform
	return gt[0] + px*gt[1] + py*gt[2], gt[3] + px*gt[4] + py*gt[5]
}

// Source says how to read one date on the pair's grid: which dataset, the
// scene pixel (0,0) position in it, which bands (0-based, in the pair's band
// order), and the nodata value of each of those bands (NaN: none).
type Source struct {
	Name string // GDAL dataset name: a path, or a /vsi… name
	XOff int
	YOff int
	// Width and Height, when set, bound the part of the dataset that holds
	// the pair's grid (from XOff, YOff): pixels beyond it are invalid, as
	// pixels outside the dataset are. A COG of the grid padded for block
	// alignment sets them; 0 means up to the dataset's edge.
	Width  int `json:",omitempty"`
	Height int `json:",omitempty"`
	Bands  []int
	NoData NoData
}

// extent returns the pixels of a w×h dataset that src may read.
func (src Source) extent(w, h int) image.Rectangle {
	r := image.Rect(0, 0, w, h)
	if src.Width > 0 && src.Height > 0 {
		r = r.Intersect(image.Rect(src.XOff, src.YOff, src.XOff+src.Width, src.YOff+src.Height))
	}
	return r
}

// NoData holds one nodata value per band, NaN where the band has none. In
// JSON, NaN is null.
type NoData []float64

// MarshalJSON writes NaN as null.
func (n NoData) MarshalJSON() ([]byte, error) {
	v := make([]*float64, len(n))
	for i := range n {
		if !math.IsNaN(n[i]) {
			v[i] = &n[i]
		}
	}
	return json.Marshal(v)
}

// UnmarshalJSON reads null as NaN.
func (n *NoData) UnmarshalJSON(b []byte) error {
	var v []*float64
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*n = make(NoData, len(v))
	for i, p := range v {
		if p == nil {
			(*n)[i] = math.NaN()
		} else {
			(*n)[i] = *p
		}
	}
	return nil
}

// Pair is an imagery pair aligned on one grid: the before image's grid over
// the overlap of the two.
type Pair struct {
	Grid      Grid
	Before    Source
	After     Source
	BandNames []string
	PixelSize float64 // metres
	// Warped is true when the after image was resampled onto the grid.
	Warped bool
	// Notes say, in English, what alignment did (for the log and summary).
	Notes []string
}

// AlignOptions are the optional inputs of Align.
type AlignOptions struct {
	// BeforeBands and AfterBands name the bands of each file (e.g.
	// B,G,R,NIR); empty means: from the file's metadata, else the default
	// for its band count.
	BeforeBands, AfterBands []string
	// WorkDir receives the warped after image when the grids differ.
	// Required in that case.
	WorkDir string
	// DefaultNames returns the default band names for a band count.
	DefaultNames func(n int) []string
}

// MaxResolutionRatio is the largest ratio of the two images' pixel sizes
// Align accepts: beyond it one image would be resampled so much that its
// pixels invent detail (or hide it).
const MaxResolutionRatio = 4.0

// Align puts after onto before's grid over their overlap. When the two
// share a CRS and pixel size and their origins differ by whole pixels, it only
// computes offsets; otherwise it warps after (bilinear, with an alpha band)
// into WorkDir. Bands are matched by name: the pair keeps the bands both
// have, in before's order. Errors name the files.
func Align(ctx context.Context, before, after Info, opt AlignOptions) (*Pair, error) {
	register()
	bn, err := resolveNames(before, opt.BeforeBands, opt.DefaultNames)
	if err != nil {
		return nil, err
	}
	an, err := resolveNames(after, opt.AfterBands, opt.DefaultNames)
	if err != nil {
		return nil, err
	}
	p := &Pair{PixelSize: before.PixelSize}
	ratio := math.Max(after.PixelSize/before.PixelSize, before.PixelSize/after.PixelSize)
	if !(ratio <= MaxResolutionRatio) {
		return nil, &InputError{Path: after.Path, Err: ErrResolution, Problem: fmt.Sprintf(
			"has %.4g m pixels and %s has %.4g m: a resolution ratio of %.1f, more than %.0f; resample the finer image or use a pair of comparable resolution",
			after.PixelSize, before.Path, before.PixelSize, ratio, MaxResolutionRatio)}
	}
	if ratio > 1.5 {
		p.Notes = append(p.Notes, fmt.Sprintf("resolutions differ: before %.4g m, after %.4g m (ratio %.2f); the after image is resampled onto the before grid and changes smaller than the coarser pixel are not resolved",
			before.PixelSize, after.PixelSize, ratio))
	}
	idx := map[string]int{}
	for i, n := range an {
		idx[strings.ToUpper(n)] = i
	}
	var bIdx, aIdx []int
	for i, n := range bn {
		if j, ok := idx[strings.ToUpper(n)]; ok {
			bIdx = append(bIdx, i)
			aIdx = append(aIdx, j)
			p.BandNames = append(p.BandNames, n)
		}
	}
	if len(p.BandNames) == 0 {
		return nil, &InputError{Path: after.Path, Err: ErrBandMismatch, Problem: fmt.Sprintf(
			"band counts cannot be matched: %s has %d bands (%s), %s has %d bands (%s), and they share no band name; name them with --before-bands/--after-bands",
			before.Path, before.Bands, strings.Join(bn, ","), after.Path, after.Bands, strings.Join(an, ","))}
	}
	if len(p.BandNames) < len(bn) || len(p.BandNames) < len(an) {
		p.Notes = append(p.Notes, fmt.Sprintf("bands matched by name: using %s (before has %s, after has %s)",
			strings.Join(p.BandNames, ","), strings.Join(bn, ","), strings.Join(an, ",")))
	}
	// Overlap in before's pixel space.
	bsr, err := godal.NewSpatialRefFromWKT(before.WKT, gdalErrs)
	if err != nil {
		return nil, inputErr(before.Path, ErrNoGeoref, "its CRS cannot be parsed (%v)", err)
	}
	defer bsr.Close()
	asr, err := godal.NewSpatialRefFromWKT(after.WKT, gdalErrs)
	if err != nil {
		return nil, inputErr(after.Path, ErrNoGeoref, "its CRS cannot be parsed (%v)", err)
	}
	defer asr.Close()
	ads, err := godal.Open(after.Path, godal.RasterOnly(), gdalErrs, cfg())
	if err != nil {
		return nil, inputErr(after.Path, ErrUnreadable, "cannot be read (%v)", err)
	}
	defer ads.Close()
	ab, err := ads.Bounds(bsr, gdalErrs)
	if err != nil {
		return nil, inputErr(after.Path, ErrNoGeoref, "its extent cannot be transformed to the CRS of %s (%v)", before.Path, err)
	}
	gt := before.GeoTransform
	// after's extent in before's pixel coordinates
	px0 := (ab[0] - gt[0]) / gt[1]
	px1 := (ab[2] - gt[0]) / gt[1]
	py0 := (ab[3] - gt[3]) / gt[5]
	py1 := (ab[1] - gt[3]) / gt[5]
	if px0 > px1 {
		px0, px1 = px1, px0
	}
	if py0 > py1 {
		py0, py1 = py1, py0
	}
	const eps = 1e-6
	x0 := max(0, int(math.Ceil(px0-eps)))
	y0 := max(0, int(math.Ceil(py0-eps)))
	x1 := min(before.Width, int(math.Floor(px1+eps)))
	y1 := min(before.Height, int(math.Floor(py1+eps)))
	if x1-x0 < 1 || y1-y0 < 1 {
		return nil, &InputError{Path: after.Path, Err: ErrNoOverlap, Problem: fmt.Sprintf(
			"does not overlap %s (after covers %.1f..%.1f, %.1f..%.1f in its CRS; before covers %.1f..%.1f, %.1f..%.1f)",
			before.Path, ab[0], ab[2], ab[1], ab[3], gt[0], gt[0]+gt[1]*float64(before.Width), gt[3]+gt[5]*float64(before.Height), gt[3])}
	}
	p.Grid = Grid{Width: x1 - x0, Height: y1 - y0, WKT: before.WKT,
		GeoTransform: [6]float64{gt[0] + float64(x0)*gt[1], gt[1], 0, gt[3] + float64(y0)*gt[5], 0, gt[5]}}
	p.Before = Source{Name: before.Path, XOff: x0, YOff: y0, Bands: bIdx, NoData: pick(before.NoData, bIdx)}
	if x0 > 0 || y0 > 0 || x1 < before.Width || y1 < before.Height {
		p.Notes = append(p.Notes, fmt.Sprintf("processing the overlap: %d×%d pixels of %s from (%d,%d)", p.Grid.Width, p.Grid.Height, before.Path, x0, y0))
	}
	// Same grid up to a whole-pixel shift?
	agt := after.GeoTransform
	if bsr.IsSame(asr) && nearly(agt[1], gt[1]) && nearly(agt[5], gt[5]) {
		dx := (agt[0] - gt[0]) / gt[1]
		dy := (agt[3] - gt[3]) / gt[5]
		if math.Abs(dx-math.Round(dx)) < 1e-6 && math.Abs(dy-math.Round(dy)) < 1e-6 {
			p.After = Source{Name: after.Path, XOff: x0 - int(math.Round(dx)), YOff: y0 - int(math.Round(dy)), Bands: aIdx, NoData: pick(after.NoData, aIdx)}
			return p, nil
		}
	}
	if opt.WorkDir == "" {
		return nil, fmt.Errorf("raster: %s and %s are on different grids and no work directory was given for the warp", before.Path, after.Path)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// The warp is a VRT: GDAL warps each window when it is read, so the
	// reads (per tile, with a cancellation check each) are the only work
	// and every stage stays cancellable.
	dst := filepath.Join(opt.WorkDir, "after_aligned.vrt")
	ext := p.Grid
	sw := []string{
		"-of", "VRT", "-t_srs", before.WKT,
		"-te", f64(ext.GeoTransform[0]), f64(ext.GeoTransform[3] + float64(ext.Height)*gt[5]), f64(ext.GeoTransform[0] + float64(ext.Width)*gt[1]), f64(ext.GeoTransform[3]),
		"-ts", fmt.Sprint(ext.Width), fmt.Sprint(ext.Height),
		"-r", "bilinear", "-dstalpha", "-overwrite",
	}
	if nd := after.NoData; len(nd) > 0 && !math.IsNaN(nd[0]) {
		sw = append(sw, "-srcnodata", f64(nd[0]))
	}
	wds, err := ads.Warp(dst, sw, gdalErrs, cfg())
	if err != nil {
		return nil, inputErr(after.Path, ErrUnreadable, "cannot be warped onto the grid of %s (%v)", before.Path, err)
	}
	if err := wds.Close(); err != nil {
		return nil, fmt.Errorf("raster: write %s: %w", dst, err)
	}
	// All bands were warped (GDAL 3.6 has no band selection in warp), plus
	// an alpha band that marks the pixels the after image covers.
	nodata := make([]float64, len(aIdx))
	for i := range nodata {
		nodata[i] = math.NaN()
	}
	p.After = Source{Name: dst, Bands: aIdx, NoData: nodata}
	p.Warped = true
	p.Notes = append(p.Notes, fmt.Sprintf("warped %s onto the grid of %s (bilinear, %.6g×%.6g CRS units, %d×%d pixels)",
		after.Path, before.Path, gt[1], -gt[5], ext.Width, ext.Height))
	return p, nil
}

func resolveNames(info Info, given []string, def func(int) []string) ([]string, error) {
	if len(given) > 0 {
		if len(given) != info.Bands {
			return nil, &InputError{Path: info.Path, Err: ErrBandMismatch, Problem: fmt.Sprintf(
				"%d band names given (%s) but the file has %d bands", len(given), strings.Join(given, ","), info.Bands)}
		}
		return given, nil
	}
	if info.BandProblem != "" {
		return nil, &InputError{Path: info.Path, Err: ErrAmbiguous, Problem: fmt.Sprintf(
			"band roles are ambiguous: %s; name the bands with --bands (or --before-bands/--after-bands)", info.BandProblem)}
	}
	if info.BandNames != nil {
		return info.BandNames, nil
	}
	if def != nil {
		return def(info.Bands), nil
	}
	out := make([]string, info.Bands)
	for i := range out {
		out[i] = fmt.Sprintf("band%d", i+1)
	}
	return out, nil
}

func pick(v []float64, idx []int) []float64 {
	out := make([]float64, len(idx))
	for i, j := range idx {
		out[i] = v[j]
	}
	return out
}

func nearly(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b)) }

func f64(v float64) string { return fmt.Sprintf("%.17g", v) }
