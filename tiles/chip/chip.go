// Package chip renders before/after image chips of a 图斑: a window of the
// imagery around it, stretched to 8 bits, with the outline, a scale bar and a
// north arrow drawn.
package chip

// Chips read imagery through raster.OpenReader, so this package needs cgo
// and GDAL (package tiles itself does not).

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"slices"
	"strings"

	"github.com/paulmach/orb"

	"github.com/weipian/weipian/raster"
)

// ErrOutside is returned when a chip's outline does not touch the image.
var ErrOutside = errors.New("tiles: outline outside the image")

// ChipBands names the bands shown as red, green and blue, as 1-based
// positions in the Source's band list: src.Bands[R-1] is shown as red. When
// the Source lists no bands, they are 1-based band numbers of the dataset.
// The zero value means 1,2,3 (an R,G,B image). For a 4-band B,G,R,NIR image
// use {R: 3, G: 2, B: 1}.
type ChipBands struct{ R, G, B int }

func (b ChipBands) orDefault() ChipBands {
	if b == (ChipBands{}) {
		return ChipBands{1, 2, 3}
	}
	return b
}

// BandsFromNames finds the red, green and blue bands in a list of band
// names (raster.Pair.BandNames: "R"/"RED", "G"/"GREEN", "B"/"BLUE", any
// case).
func BandsFromNames(names []string) (ChipBands, error) {
	var b ChipBands
	for i, n := range names {
		switch strings.ToUpper(strings.TrimSpace(n)) {
		case "R", "RED":
			b.R = i + 1
		case "G", "GREEN":
			b.G = i + 1
		case "B", "BLUE":
			b.B = i + 1
		}
	}
	if b.R == 0 || b.G == 0 || b.B == 0 {
		return ChipBands{}, fmt.Errorf("tiles: bands %s lack one of R, G, B for a true-colour chip", strings.Join(names, ","))
	}
	return b, nil
}

// Stretch maps band values linearly to 8-bit display values: Lo[i] to 0 and
// Hi[i] to 255, for the red, green and blue channels in that order; values
// beyond are clipped. The zero value is not useful.
type Stretch struct {
	Lo, Hi [3]float64
}

// Resampling is how a chip window is scaled to the output size.
type Resampling int

const (
	// Nearest shows the image pixels as blocks (the default).
	Nearest Resampling = iota
	// Bilinear interpolates between pixel centres; nodata pixels do not
	// contribute.
	Bilinear
)

// ChipOptions are the optional settings of Chip. The zero value gives a 512
// px chip with 50% padding (at least 32 px), a 2–98% per-band stretch of the
// window, nearest-neighbour resampling, a 2 px yellow outline, grey nodata,
// a scale bar and a north arrow.
type ChipOptions struct {
	// Size is the output size in pixels of the chip's long side
	// (default 512). The short side keeps the window's aspect.
	Size int
	// Padding is the context added on every side of the outline's bounding
	// box, as a fraction of its long side (default 0.5; negative: none).
	Padding float64
	// MinPadding is the least padding in image pixels (default 32).
	MinPadding int
	// Stretch, when set, is used as is (e.g. from ComputeStretch over the
	// before and after windows, so the two chips compare). When nil, a
	// percentile stretch of this chip's window is used.
	Stretch *Stretch
	// LowPercent and HighPercent are the percentiles of the stretch
	// (defaults 2 and 98).
	LowPercent, HighPercent float64
	// Resampling is Nearest (default) or Bilinear.
	Resampling Resampling
	// OutlineColor is the outline colour (zero: bright yellow #FFFF00). The
	// outline gets a 1 px dark edge on each side for contrast.
	OutlineColor color.NRGBA
	// OutlineWidth is the outline width in output pixels (default 2).
	OutlineWidth int
	// PixelSizeM is the ground size of an image pixel in metres, for the
	// scale bar. Zero: |GeoTransform[1]| of the grid, taken as metres,
	// or converted from degrees when the grid's WKT is geographic.
	PixelSizeM float64
	// NoDataColor is the colour of nodata pixels (zero: opaque grey #808080);
	// NoDataTransparent makes them fully transparent instead.
	NoDataColor       color.NRGBA
	NoDataTransparent bool
	// NoScaleBar and NoNorthArrow leave out the scale bar and the north
	// arrow (the grid is north-up).
	NoScaleBar, NoNorthArrow bool
}

// Byte maps the value v of channel c (0 red, 1 green, 2 blue) to its 8-bit
// display value, as chips draw it.
func (s Stretch) Byte(c int, v float64) uint8 {
	x := (v-s.Lo[c])*255/(s.Hi[c]-s.Lo[c]) + 0.5
	if !(x > 0) { // also NaN
		return 0
	}
	if x >= 255 {
		return 255
	}
	return uint8(x)
}

// check reports a stretch that cannot map values.
func (s Stretch) check() error {
	for b := range 3 {
		if !(s.Hi[b] > s.Lo[b]) || math.IsInf(s.Hi[b]-s.Lo[b], 0) {
			return fmt.Errorf("tiles: bad stretch for channel %d: %v–%v", b+1, s.Lo[b], s.Hi[b])
		}
	}
	return nil
}

func (o ChipOptions) withDefaults() ChipOptions {
	if o.Size <= 0 {
		o.Size = 512
	}
	if o.Padding == 0 {
		o.Padding = 0.5
	}
	if o.Padding < 0 {
		o.Padding = 0
	}
	if o.MinPadding == 0 {
		o.MinPadding = 32
	}
	if o.MinPadding < 0 {
		o.MinPadding = 0
	}
	if o.LowPercent == 0 && o.HighPercent == 0 {
		o.LowPercent, o.HighPercent = 2, 98
	}
	if o.OutlineColor == (color.NRGBA{}) {
		o.OutlineColor = color.NRGBA{255, 255, 0, 255}
	}
	if o.OutlineWidth <= 0 {
		o.OutlineWidth = 2
	}
	if o.NoDataColor == (color.NRGBA{}) {
		o.NoDataColor = color.NRGBA{128, 128, 128, 255}
	}
	if o.NoDataTransparent {
		o.NoDataColor = color.NRGBA{}
	}
	return o
}

// PixelPolygon converts a polygon from the grid's CRS to the grid's pixel
// coordinates (x: column, y: row, continuous, (0,0) the top-left corner of
// the top-left pixel), the coordinates Chip takes. The grid must be north-up.
// Lon/lat outlines must first be projected to the grid's CRS (the raster
// package does that). p is not modified.
func PixelPolygon(g raster.Grid, p orb.Polygon) (orb.Polygon, error) {
	gt := g.GeoTransform
	if gt[2] != 0 || gt[4] != 0 || gt[1] == 0 || gt[5] == 0 {
		return nil, fmt.Errorf("tiles: grid geotransform %v is not north-up", gt)
	}
	out := make(orb.Polygon, len(p))
	for i, r := range p {
		out[i] = make(orb.Ring, len(r))
		for j, pt := range r {
			out[i][j] = orb.Point{(pt[0] - gt[0]) / gt[1], (pt[1] - gt[3]) / gt[5]}
		}
	}
	return out, nil
}

// ChipWindow returns the image window a chip of outline (in pixel
// coordinates, see PixelPolygon) reads: the outline's bounding box grown to
// a square by its long side plus the padding on every side, clipped to the
// grid. It fails with ErrOutside when the outline does not touch the grid.
func ChipWindow(grid raster.Grid, outline orb.Polygon, opt ChipOptions) (image.Rectangle, error) {
	opt = opt.withDefaults()
	if len(outline) == 0 || len(outline[0]) == 0 {
		return image.Rectangle{}, errors.New("tiles: empty outline")
	}
	b := outline.Bound()
	for _, v := range []float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return image.Rectangle{}, fmt.Errorf("tiles: outline has a non-finite coordinate")
		}
	}
	side := math.Max(b.Max[0]-b.Min[0], b.Max[1]-b.Min[1])
	pad := math.Max(opt.Padding*side, float64(opt.MinPadding))
	half := side/2 + pad
	cx, cy := (b.Min[0]+b.Max[0])/2, (b.Min[1]+b.Max[1])/2
	r := image.Rect(
		int(math.Floor(cx-half)), int(math.Floor(cy-half)),
		int(math.Ceil(cx+half)), int(math.Ceil(cy+half)))
	// Never less than one pixel around a degenerate outline.
	if r.Dx() < 1 {
		r.Max.X = r.Min.X + 1
	}
	if r.Dy() < 1 {
		r.Max.Y = r.Min.Y + 1
	}
	img := image.Rect(0, 0, grid.Width, grid.Height)
	bb := image.Rect(int(math.Floor(b.Min[0])), int(math.Floor(b.Min[1])), int(math.Ceil(b.Max[0]))+1, int(math.Ceil(b.Max[1]))+1)
	if !bb.Overlaps(img) {
		return image.Rectangle{}, fmt.Errorf("%w: bounding box %.1f,%.1f – %.1f,%.1f px, image %d×%d px",
			ErrOutside, b.Min[0], b.Min[1], b.Max[0], b.Max[1], grid.Width, grid.Height)
	}
	return r.Intersect(img), nil
}

// Window holds the three display bands of one image window: Planes are the
// red, green and blue values (row-major, Rect.Dx() wide) and Valid marks the
// pixels that have data in every band.
type Window struct {
	Rect   image.Rectangle
	Planes [][]float32 // R, G, B
	Valid  []bool
}

// DisplaySource returns the Source that reads the red, green and blue
// bands of src (see ChipBands), in that order, with their nodata values.
func DisplaySource(src raster.Source, bands ChipBands) (raster.Source, error) {
	bands = bands.orDefault()
	sub := raster.Source{Name: src.Name, XOff: src.XOff, YOff: src.YOff, Width: src.Width, Height: src.Height}
	for _, pos := range []int{bands.R, bands.G, bands.B} {
		band, nd := pos-1, math.NaN()
		if len(src.Bands) > 0 {
			if pos < 1 || pos > len(src.Bands) {
				return raster.Source{}, fmt.Errorf("tiles: chip of %s: band %d asked for, the source lists %d bands", src.Name, pos, len(src.Bands))
			}
			band = src.Bands[pos-1]
			if pos-1 < len(src.NoData) {
				nd = src.NoData[pos-1]
			}
		} else if pos < 1 {
			return raster.Source{}, fmt.Errorf("tiles: chip of %s: bad band number %d", src.Name, pos)
		}
		sub.Bands = append(sub.Bands, band)
		sub.NoData = append(sub.NoData, nd)
	}
	return sub, nil
}

// ReadWindow reads the red, green and blue bands of rect from src.
func ReadWindow(ctx context.Context, src raster.Source, bands ChipBands, rect image.Rectangle) (*Window, error) {
	sub, err := DisplaySource(src, bands)
	if err != nil {
		return nil, err
	}
	rd, err := raster.OpenReader(sub)
	if err != nil {
		return nil, fmt.Errorf("tiles: chip: %w", err)
	}
	defer rd.Close()
	n := rect.Dx() * rect.Dy()
	w := &Window{Rect: rect, Planes: make([][]float32, 3), Valid: make([]bool, n)}
	for i := range w.Planes {
		w.Planes[i] = make([]float32, n)
	}
	if err := rd.Read(ctx, rect, w.Planes, w.Valid); err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, fmt.Errorf("tiles: chip: %w", err)
	}
	return w, nil
}

// maxStretchSamples bounds the pixels sorted per band for a percentile.
const maxStretchSamples = 1 << 18

// PercentileStretch computes the per-band lo/hi percentiles over the valid
// pixels of all windows together. With no valid pixel it returns 0–255.
func PercentileStretch(lo, hi float64, ws ...*Window) Stretch {
	total := 0
	for _, w := range ws {
		for _, v := range w.Valid {
			if v {
				total++
			}
		}
	}
	st := Stretch{Hi: [3]float64{255, 255, 255}}
	if total == 0 {
		return st
	}
	stride := (total + maxStretchSamples - 1) / maxStretchSamples
	vals := make([]float32, 0, min(total, maxStretchSamples)+len(ws))
	for b := range 3 {
		vals = vals[:0]
		k := 0
		for _, w := range ws {
			pl := w.Planes[b]
			for i, v := range w.Valid {
				if !v {
					continue
				}
				if k%stride == 0 {
					vals = append(vals, pl[i])
				}
				k++
			}
		}
		slices.Sort(vals)
		at := func(p float64) float64 {
			p = math.Min(math.Max(p, 0), 100)
			return float64(vals[int(math.Round(p/100*float64(len(vals)-1)))])
		}
		l, h := at(lo), at(hi)
		if h <= l {
			h = l + 1
		}
		st.Lo[b], st.Hi[b] = l, h
	}
	return st
}

// ComputeStretch computes one percentile stretch (ChipOptions.LowPercent
// and HighPercent, default 2–98%) over the chip windows of several sources on
// the same grid, typically the before and after images of a pair, so that
// chips rendered with it compare. Each source is read once; it is not kept
// open.
func ComputeStretch(ctx context.Context, srcs []raster.Source, grid raster.Grid, bands ChipBands, outline orb.Polygon, opt ChipOptions) (Stretch, error) {
	opt = opt.withDefaults()
	rect, err := ChipWindow(grid, outline, opt)
	if err != nil {
		return Stretch{}, err
	}
	ws := make([]*Window, len(srcs))
	for i, src := range srcs {
		if ws[i], err = ReadWindow(ctx, src, bands, rect); err != nil {
			return Stretch{}, err
		}
	}
	return PercentileStretch(opt.LowPercent, opt.HighPercent, ws...), nil
}

// Chip renders a true-colour PNG of the image src (on grid, e.g. one date of
// a raster.Pair) around outline, with the outline drawn, a scale bar and a
// north arrow (see ChipOptions).
//
// outline is in the grid's pixel coordinates (x: column, y: row, (0,0) the
// top-left corner of the image; see PixelPolygon to convert from the grid's
// CRS). The window read is ChipWindow's, clipped at the image edges; pixels
// that are nodata or masked are drawn in ChipOptions.NoDataColor. The same
// inputs give the same PNG bytes. Errors name the source.
func Chip(ctx context.Context, src raster.Source, grid raster.Grid, bands ChipBands, outline orb.Polygon, opt ChipOptions) ([]byte, error) {
	opt = opt.withDefaults()
	if opt.Stretch != nil {
		if err := opt.Stretch.check(); err != nil {
			return nil, err
		}
	}
	rect, err := ChipWindow(grid, outline, opt)
	if err != nil {
		return nil, fmt.Errorf("tiles: chip of %s: %w", src.Name, err)
	}
	w, err := ReadWindow(ctx, src, bands, rect)
	if err != nil {
		return nil, err
	}
	st := opt.Stretch
	if st == nil {
		s := PercentileStretch(opt.LowPercent, opt.HighPercent, w)
		st = &s
	}
	return encodeChip(renderChip(w, grid, outline, *st, opt), src.Name)
}

// ChipPair renders the before and after chips of outline with one stretch
// computed over both windows (see ComputeStretch), unless opt.Stretch is set,
// so that the two dates compare. Each source is read once.
func ChipPair(ctx context.Context, before, after raster.Source, grid raster.Grid, bands ChipBands, outline orb.Polygon, opt ChipOptions) (beforePNG, afterPNG []byte, err error) {
	opt = opt.withDefaults()
	if opt.Stretch != nil {
		if err := opt.Stretch.check(); err != nil {
			return nil, nil, err
		}
	}
	rect, err := ChipWindow(grid, outline, opt)
	if err != nil {
		return nil, nil, fmt.Errorf("tiles: chip of %s: %w", before.Name, err)
	}
	bw, err := ReadWindow(ctx, before, bands, rect)
	if err != nil {
		return nil, nil, err
	}
	aw, err := ReadWindow(ctx, after, bands, rect)
	if err != nil {
		return nil, nil, err
	}
	st := opt.Stretch
	if st == nil {
		s := PercentileStretch(opt.LowPercent, opt.HighPercent, bw, aw)
		st = &s
	}
	if beforePNG, err = encodeChip(renderChip(bw, grid, outline, *st, opt), before.Name); err != nil {
		return nil, nil, err
	}
	if afterPNG, err = encodeChip(renderChip(aw, grid, outline, *st, opt), after.Name); err != nil {
		return nil, nil, err
	}
	return beforePNG, afterPNG, nil
}

func encodeChip(img image.Image, name string) ([]byte, error) {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("tiles: chip of %s: encode png: %w", name, err)
	}
	return buf.Bytes(), nil
}

// chipSize returns the output size for a window.
func chipSize(ww, wh, size int) (int, int) {
	long := max(ww, wh)
	ow := max(1, int(math.Round(float64(size)*float64(ww)/float64(long))))
	oh := max(1, int(math.Round(float64(size)*float64(wh)/float64(long))))
	return ow, oh
}

// renderChip stretches, resamples and decorates one window.
func renderChip(w *Window, grid raster.Grid, outline orb.Polygon, st Stretch, opt ChipOptions) *image.NRGBA {
	ww, wh := w.Rect.Dx(), w.Rect.Dy()
	ow, oh := chipSize(ww, wh, opt.Size)
	img := image.NewNRGBA(image.Rect(0, 0, ow, oh))
	var scale [3]float64
	for b := range 3 {
		scale[b] = 255 / (st.Hi[b] - st.Lo[b])
	}
	toByte := func(b int, v float64) uint8 {
		x := (v-st.Lo[b])*scale[b] + 0.5
		if !(x > 0) { // also NaN
			return 0
		}
		if x >= 255 {
			return 255
		}
		return uint8(x)
	}
	fx := float64(ww) / float64(ow)
	fy := float64(wh) / float64(oh)
	nd := opt.NoDataColor
	for oy := range oh {
		sy := (float64(oy) + 0.5) * fy
		iy := min(int(sy), wh-1)
		row := img.Pix[oy*img.Stride:]
		for ox := range ow {
			sx := (float64(ox) + 0.5) * fx
			ix := min(int(sx), ww-1)
			px := row[ox*4 : ox*4+4]
			i := iy*ww + ix
			if !w.Valid[i] {
				px[0], px[1], px[2], px[3] = nd.R, nd.G, nd.B, nd.A
				continue
			}
			if opt.Resampling == Bilinear {
				var v [3]float64
				bilinear(w, sx-0.5, sy-0.5, &v)
				px[0], px[1], px[2] = toByte(0, v[0]), toByte(1, v[1]), toByte(2, v[2])
			} else {
				px[0] = toByte(0, float64(w.Planes[0][i]))
				px[1] = toByte(1, float64(w.Planes[1][i]))
				px[2] = toByte(2, float64(w.Planes[2][i]))
			}
			px[3] = 255
		}
	}
	// The outline, in output pixel coordinates.
	sx := float64(ow) / float64(ww)
	sy := float64(oh) / float64(wh)
	dark := color.NRGBA{0, 0, 0, 255}
	for pass, c := range []color.NRGBA{dark, opt.OutlineColor} {
		width := opt.OutlineWidth
		if pass == 0 {
			width += 2
		}
		for _, ring := range outline {
			edges := len(ring) - 1
			if len(ring) > 2 && !ring.Closed() {
				edges++ // close it
			}
			for j := range max(edges, 0) {
				p, q := ring[j], ring[(j+1)%len(ring)]
				drawLine(img,
					(p[0]-float64(w.Rect.Min.X))*sx, (p[1]-float64(w.Rect.Min.Y))*sy,
					(q[0]-float64(w.Rect.Min.X))*sx, (q[1]-float64(w.Rect.Min.Y))*sy,
					width, c)
			}
		}
	}
	if !opt.NoScaleBar {
		if m := pixelSizeM(grid, opt); m > 0 {
			drawScaleBar(img, m*fx)
		}
	}
	if !opt.NoNorthArrow {
		drawNorthArrow(img)
	}
	return img
}

// bilinear interpolates the three planes at window pixel-centre coordinates
// (x, y), weighting only valid neighbours.
func bilinear(w *Window, x, y float64, out *[3]float64) {
	ww, wh := w.Rect.Dx(), w.Rect.Dy()
	x0, y0 := int(math.Floor(x)), int(math.Floor(y))
	ax, ay := x-float64(x0), y-float64(y0)
	var sum float64
	*out = [3]float64{}
	for dy := range 2 {
		for dx := range 2 {
			px, py := min(max(x0+dx, 0), ww-1), min(max(y0+dy, 0), wh-1)
			i := py*ww + px
			if !w.Valid[i] {
				continue
			}
			wt := (1 - math.Abs(float64(dx)-ax)) * (1 - math.Abs(float64(dy)-ay))
			if wt == 0 {
				continue
			}
			sum += wt
			for b := range 3 {
				out[b] += wt * float64(w.Planes[b][i])
			}
		}
	}
	if sum > 0 {
		for b := range 3 {
			out[b] /= sum
		}
	}
}

// pixelSizeM returns the ground size of an image pixel in metres.
func pixelSizeM(g raster.Grid, opt ChipOptions) float64 {
	if opt.PixelSizeM > 0 {
		return opt.PixelSizeM
	}
	d := math.Abs(g.GeoTransform[1])
	wkt := strings.TrimSpace(strings.ToUpper(g.WKT))
	if strings.HasPrefix(wkt, "GEOGCS") || strings.HasPrefix(wkt, "GEOGCRS") || strings.HasPrefix(wkt, "GEODCRS") {
		lat := g.GeoTransform[3] + g.GeoTransform[5]*float64(g.Height)/2
		return d * 111320 * math.Cos(lat*math.Pi/180)
	}
	return d
}

// fillRect fills r (clipped to the image) with c.
func fillRect(img *image.NRGBA, r image.Rectangle, c color.NRGBA) {
	r = r.Intersect(img.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetNRGBA(x, y, c)
		}
	}
}

// stamp fills a width×width square that contains the pixel holding (x, y).
func stamp(img *image.NRGBA, x, y float64, width int, c color.NRGBA) {
	x0 := int(math.Floor(x - float64(width)/2 + 0.5))
	y0 := int(math.Floor(y - float64(width)/2 + 0.5))
	fillRect(img, image.Rect(x0, y0, x0+width, y0+width), c)
}

// drawLine draws a thick line from (x0,y0) to (x1,y1) in output pixel
// coordinates, clipped to a margin around the image.
func drawLine(img *image.NRGBA, x0, y0, x1, y1 float64, width int, c color.NRGBA) {
	m := float64(width)
	b := img.Rect
	ok, x0, y0, x1, y1 := clipSegment(x0, y0, x1, y1, float64(b.Min.X)-m, float64(b.Min.Y)-m, float64(b.Max.X)+m, float64(b.Max.Y)+m)
	if !ok {
		return
	}
	n := int(math.Ceil(math.Hypot(x1-x0, y1-y0)*2)) + 1
	for i := 0; i <= n; i++ {
		t := float64(i) / float64(n)
		stamp(img, x0+t*(x1-x0), y0+t*(y1-y0), width, c)
	}
}

// clipSegment clips a segment to a rectangle (Liang–Barsky).
func clipSegment(x0, y0, x1, y1, xmin, ymin, xmax, ymax float64) (bool, float64, float64, float64, float64) {
	t0, t1 := 0.0, 1.0
	dx, dy := x1-x0, y1-y0
	for _, e := range [4][2]float64{{-dx, x0 - xmin}, {dx, xmax - x0}, {-dy, y0 - ymin}, {dy, ymax - y0}} {
		p, q := e[0], e[1]
		if p == 0 {
			if q < 0 {
				return false, 0, 0, 0, 0
			}
			continue
		}
		r := q / p
		if p < 0 {
			if r > t1 {
				return false, 0, 0, 0, 0
			}
			t0 = math.Max(t0, r)
		} else {
			if r < t0 {
				return false, 0, 0, 0, 0
			}
			t1 = math.Min(t1, r)
		}
	}
	return true, x0 + t0*dx, y0 + t0*dy, x0 + t1*dx, y0 + t1*dy
}

// drawScaleBar draws a black-and-white bar of a round length in metres in
// the bottom-left corner, with its length written above it. mPerPx is the
// ground size of an output pixel.
func drawScaleBar(img *image.NRGBA, mPerPx float64) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if w < 64 || h < 48 || mPerPx <= 0 {
		return
	}
	target := 0.25 * float64(w) * mPerPx
	mag := math.Pow(10, math.Floor(math.Log10(target)))
	length := mag
	for _, f := range []float64{5, 2, 1} {
		if f*mag <= target {
			length = f * mag
			break
		}
	}
	px := int(math.Round(length / mPerPx))
	if px < 4 {
		return
	}
	label := fmt.Sprintf("%g m", length)
	if length >= 1000 {
		label = fmt.Sprintf("%g km", length/1000)
	}
	const margin, barH, textScale = 12, 6, 2
	x0, y1 := margin, h-margin
	y0 := y1 - barH
	black, white := color.NRGBA{0, 0, 0, 255}, color.NRGBA{255, 255, 255, 255}
	fillRect(img, image.Rect(x0-1, y0-1, x0+px+1, y1+1), black)
	fillRect(img, image.Rect(x0, y0, x0+px/2, y1), white)
	drawText(img, x0, y0-4-glyphH*textScale, label, textScale)
}

// drawNorthArrow draws an upward arrow with an N in the top-right corner.
func drawNorthArrow(img *image.NRGBA) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if w < 64 || h < 64 {
		return
	}
	const margin, aw, ah, textScale = 12, 16, 22, 2
	cx := w - margin - aw/2
	top := margin
	black, white := color.NRGBA{0, 0, 0, 255}, color.NRGBA{255, 255, 255, 255}
	tri := func(grow int, c color.NRGBA) {
		for y := top - grow; y <= top+ah+grow; y++ {
			f := float64(y-(top-grow)) / float64(ah+2*grow)
			half := int(math.Round(f * float64(aw/2+grow)))
			fillRect(img, image.Rect(cx-half, y, cx+half+1, y+1), c)
		}
	}
	tri(1, black)
	tri(0, white)
	// The right half dark, as on a compass rose.
	for y := top + 2; y <= top+ah; y++ {
		f := float64(y-top) / float64(ah)
		half := int(math.Round(f * float64(aw/2)))
		fillRect(img, image.Rect(cx+1, y, cx+half, y+1), black)
	}
	drawText(img, cx-glyphW*textScale/2, top+ah+5, "N", textScale)
}

const glyphW, glyphH = 5, 7

// glyphs is a 5×7 bitmap font for the few characters the chips write.
var glyphs = map[rune][glyphH]string{
	'0': {".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."},
	'1': {"..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."},
	'2': {".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"},
	'3': {"####.", "....#", "....#", ".###.", "....#", "....#", "####."},
	'4': {"...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."},
	'5': {"#####", "#....", "####.", "....#", "....#", "#...#", ".###."},
	'6': {"..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###."},
	'7': {"#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."},
	'8': {".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."},
	'9': {".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.."},
	'.': {".....", ".....", ".....", ".....", ".....", ".##..", ".##.."},
	'k': {"#....", "#....", "#..#.", "#.#..", "##...", "#.#..", "#..#."},
	'm': {".....", ".....", "##.#.", "#.#.#", "#.#.#", "#.#.#", "#.#.#"},
	'N': {"#...#", "##..#", "#.#.#", "#..##", "#...#", "#...#", "#...#"},
	' ': {".....", ".....", ".....", ".....", ".....", ".....", "....."},
}

// drawText writes s in white with a black outline, top-left at (x, y).
func drawText(img *image.NRGBA, x, y int, s string, scale int) {
	black, white := color.NRGBA{0, 0, 0, 255}, color.NRGBA{255, 255, 255, 255}
	for pass, c := range []color.NRGBA{black, white} {
		cx := x
		for _, r := range s {
			g, ok := glyphs[r]
			if !ok {
				g = glyphs[' ']
			}
			for gy, line := range g {
				for gx, on := range line {
					if on != '#' {
						continue
					}
					px, py := cx+gx*scale, y+gy*scale
					if pass == 0 {
						fillRect(img, image.Rect(px-1, py-1, px+scale+1, py+scale+1), c)
					} else {
						fillRect(img, image.Rect(px, py, px+scale, py+scale), c)
					}
				}
			}
			cx += (glyphW + 1) * scale
		}
	}
}
