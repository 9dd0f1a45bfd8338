// Package xyz renders map tiles (XYZ, Web Mercator EPSG:3857, 256 px) of
// the before and after images of a scene, for the web console's swipe and
// side-by-side views. Tiles are resampled from the scene's own grid in any
// CRS (each tile pixel is mapped back to a scene pixel), the after image is
// normalised onto the before image with the scene's IR-MAD gain and offset,
// and both dates share one 2–98 % stretch (the chips' stretch, see
// tiles/chip) computed once over a sample of the scene, so tiles join
// without seams and the two dates compare.
//
// Rendering reads imagery through package raster, so this package needs
// cgo and GDAL.
package xyz

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"math"

	"github.com/weipian/weipian/raster"
	"github.com/weipian/weipian/tiles/chip"
)

// Size is the side of a tile in pixels.
const Size = 256

// MaxZoom is the deepest zoom level of any scene.
const MaxZoom = 22

const (
	earthRadius = 6378137.0
	originShift = math.Pi * earthRadius // half the width of the Web Mercator plane
)

// ErrZoom is returned for a zoom level outside a scene's range.
var ErrZoom = errors.New("xyz: zoom level outside the scene's range")

// Date is one of the two dates of a scene.
type Date int

// The dates.
const (
	Before Date = iota // 前时相
	After              // 后时相
)

// String returns "before" or "after".
func (d Date) String() string { return [...]string{"before", "after"}[d] }

// Label returns 前时相 or 后时相.
func (d Date) Label() string { return [...]string{"前时相", "后时相"}[d] }

// ParseDate accepts before/after or 前时相/后时相.
func ParseDate(s string) (Date, error) {
	switch s {
	case "before", "前时相":
		return Before, nil
	case "after", "后时相":
		return After, nil
	}
	return 0, fmt.Errorf("xyz: unknown date %q (want before or after)", s)
}

// TileBounds returns the EPSG:3857 bounds of tile z/x/y (y counted from the
// north, as XYZ tiles are).
func TileBounds(z, x, y int) (minX, minY, maxX, maxY float64) {
	span := 2 * originShift / float64(int64(1)<<z)
	minX = -originShift + float64(x)*span
	maxY = originShift - float64(y)*span
	return minX, maxY - span, minX + span, maxY
}

// MercatorToLonLat converts EPSG:3857 metres to WGS84 degrees.
func MercatorToLonLat(mx, my float64) (lon, lat float64) {
	return mx / originShift * 180, math.Atan(math.Sinh(my/earthRadius)) * 180 / math.Pi
}

// LonLatToMercator converts WGS84 degrees to EPSG:3857 metres.
func LonLatToMercator(lon, lat float64) (mx, my float64) {
	lat = math.Max(-85.05112878, math.Min(85.05112878, lat))
	return lon * originShift / 180, math.Log(math.Tan((90+lat)*math.Pi/360)) * earthRadius
}

// TileOf returns the tile of zoom z holding the point lon, lat.
func TileOf(lon, lat float64, z int) (x, y int) {
	mx, my := LonLatToMercator(lon, lat)
	span := 2 * originShift / float64(int64(1)<<z)
	n := int(int64(1) << z)
	x = min(max(int(math.Floor((mx+originShift)/span)), 0), n-1)
	y = min(max(int(math.Floor((originShift-my)/span)), 0), n-1)
	return x, y
}

// Scene is the imagery a Renderer draws: the before and after sources on
// one grid (as detect's ingest aligned them), the display bands, and the
// brightness correction of the after image (after' = Gain·after + Offset,
// by scene band; nil: none).
type Scene struct {
	Grid         raster.Grid
	Sources      [2]raster.Source
	Bands        chip.ChipBands
	Gain, Offset []float64
	// PixelSizeM is the ground size of a pixel in metres (0: from the
	// grid, which must then be projected in metres).
	PixelSizeM float64
}

// Renderer renders the tiles of one scene. It holds no open datasets and
// is safe for concurrent use.
type Renderer struct {
	grid     raster.Grid
	inv      [6]float64 // CRS → pixel
	disp     [2]raster.Source
	norm     [3][2]float64 // gain, offset of the after image's R, G, B
	stretch  chip.Stretch
	lonLat   [4]float64 // min lon, min lat, max lon, max lat
	merc     [4]float64
	minZ     int
	maxZ     int
	nativeZ  int
	pixSizeM float64
}

// stretchSamples is the side of the grid of sample windows the stretch is
// computed over, and sampleSide the side of each window in pixels: a few
// dozen small reads, cheap on cloud-optimised imagery.
const (
	stretchSamples = 6
	sampleSide     = 64
)

// NewRenderer prepares the tiles of sc: its bounds, zoom range and stretch
// (which reads a sample of both dates).
func NewRenderer(ctx context.Context, sc Scene) (*Renderer, error) {
	g := sc.Grid
	if g.Width <= 0 || g.Height <= 0 {
		return nil, fmt.Errorf("xyz: empty scene grid %d×%d", g.Width, g.Height)
	}
	inv, ok := invertGeoTransform(g.GeoTransform)
	if !ok {
		return nil, fmt.Errorf("xyz: scene geotransform %v cannot be inverted", g.GeoTransform)
	}
	r := &Renderer{grid: g, inv: inv}
	for d := range 2 {
		src, err := chip.DisplaySource(sc.Sources[d], sc.Bands)
		if err != nil {
			return nil, err
		}
		r.disp[d] = src
	}
	b := sc.Bands
	if b == (chip.ChipBands{}) {
		b = chip.ChipBands{R: 1, G: 2, B: 3}
	}
	for c, pos := range []int{b.R, b.G, b.B} {
		r.norm[c] = [2]float64{1, 0}
		if pos-1 < len(sc.Gain) && pos-1 < len(sc.Offset) && sc.Gain[pos-1] != 0 {
			r.norm[c] = [2]float64{sc.Gain[pos-1], sc.Offset[pos-1]}
		}
	}
	if err := r.computeBounds(); err != nil {
		return nil, err
	}
	r.pixSizeM = sc.PixelSizeM
	if r.pixSizeM <= 0 {
		r.pixSizeM = math.Hypot(g.GeoTransform[1], g.GeoTransform[4])
	}
	lat := (r.lonLat[1] + r.lonLat[3]) / 2
	res0 := 2 * originShift / Size * math.Cos(lat*math.Pi/180) // ground metres per pixel at zoom 0
	r.nativeZ = min(max(int(math.Round(math.Log2(res0/r.pixSizeM))), 0), MaxZoom)
	r.minZ, r.maxZ = max(r.nativeZ-5, 0), min(r.nativeZ+4, MaxZoom)
	st, err := r.sampleStretch(ctx)
	if err != nil {
		return nil, err
	}
	r.stretch = st
	return r, nil
}

func invertGeoTransform(gt [6]float64) ([6]float64, bool) {
	det := gt[1]*gt[5] - gt[2]*gt[4]
	if det == 0 || math.IsNaN(det) || math.IsInf(det, 0) {
		return [6]float64{}, false
	}
	// pixel = A⁻¹ (geo − origin)
	a, b, c, d := gt[5]/det, -gt[2]/det, -gt[4]/det, gt[1]/det
	return [6]float64{
		-(a*gt[0] + b*gt[3]), a, b,
		-(c*gt[0] + d*gt[3]), c, d,
	}, true
}

// toPixel converts CRS coordinates to continuous scene pixel coordinates.
func (r *Renderer) toPixel(x, y float64) (px, py float64) {
	i := r.inv
	return i[0] + i[1]*x + i[2]*y, i[3] + i[4]*x + i[5]*y
}

// computeBounds transforms the scene's outline (16 points a side) to WGS84.
func (r *Renderer) computeBounds() error {
	tr, err := raster.NewTransformer(r.grid.WKT)
	if err != nil {
		return fmt.Errorf("xyz: scene CRS: %w", err)
	}
	defer tr.Close()
	const n = 16
	var xs, ys []float64
	w, h := float64(r.grid.Width), float64(r.grid.Height)
	for i := 0; i <= n; i++ {
		f := float64(i) / n
		for _, p := range [][2]float64{{f * w, 0}, {f * w, h}, {0, f * h}, {w, f * h}} {
			x, y := r.grid.PixelToGeo(p[0], p[1])
			xs, ys = append(xs, x), append(ys, y)
		}
	}
	if err := tr.ToLonLat(xs, ys); err != nil {
		return fmt.Errorf("xyz: scene outline to WGS84: %w", err)
	}
	b := [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for i := range xs {
		b[0], b[1] = math.Min(b[0], xs[i]), math.Min(b[1], ys[i])
		b[2], b[3] = math.Max(b[2], xs[i]), math.Max(b[3], ys[i])
	}
	r.lonLat = b
	r.merc[0], r.merc[1] = LonLatToMercator(b[0], b[1])
	r.merc[2], r.merc[3] = LonLatToMercator(b[2], b[3])
	return nil
}

// sampleStretch computes the 2–98 % stretch over a grid of sample windows
// of both dates (the after one normalised).
func (r *Renderer) sampleStretch(ctx context.Context) (chip.Stretch, error) {
	var ws []*chip.Window
	for d := range 2 {
		rd, err := raster.OpenReader(r.disp[d])
		if err != nil {
			return chip.Stretch{}, err
		}
		for i := range stretchSamples {
			for j := range stretchSamples {
				cx := (2*i + 1) * r.grid.Width / (2 * stretchSamples)
				cy := (2*j + 1) * r.grid.Height / (2 * stretchSamples)
				rect := image.Rect(cx-sampleSide/2, cy-sampleSide/2, cx+sampleSide/2, cy+sampleSide/2).
					Intersect(image.Rect(0, 0, r.grid.Width, r.grid.Height))
				if rect.Empty() {
					continue
				}
				n := rect.Dx() * rect.Dy()
				w := &chip.Window{Rect: rect, Planes: [][]float32{make([]float32, n), make([]float32, n), make([]float32, n)}, Valid: make([]bool, n)}
				if err := rd.Read(ctx, rect, w.Planes, w.Valid); err != nil {
					rd.Close()
					return chip.Stretch{}, err
				}
				if Date(d) == After {
					for c := range 3 {
						g, o := float32(r.norm[c][0]), float32(r.norm[c][1])
						for k, v := range w.Planes[c] {
							w.Planes[c][k] = g*v + o
						}
					}
				}
				ws = append(ws, w)
			}
		}
		rd.Close()
	}
	return chip.PercentileStretch(2, 98, ws...), nil
}

// Bounds returns the scene's WGS84 bounds: min lon, min lat, max lon, max
// lat.
func (r *Renderer) Bounds() [4]float64 { return r.lonLat }

// ZoomRange returns the zoom levels the scene is rendered at: from where a
// tile reads about 32 scene pixels per tile pixel to where a scene pixel is
// about 16 tile pixels wide.
func (r *Renderer) ZoomRange() (minZoom, maxZoom int) { return r.minZ, r.maxZ }

// NativeZoom returns the zoom level whose tile pixels are closest to the
// scene's pixels.
func (r *Renderer) NativeZoom() int { return r.nativeZ }

// Stretch returns the display stretch of both dates.
func (r *Renderer) Stretch() chip.Stretch { return r.stretch }

// Covers reports whether tile z/x/y meets the scene's bounds.
func (r *Renderer) Covers(z, x, y int) bool {
	minX, minY, maxX, maxY := TileBounds(z, x, y)
	return maxX > r.merc[0] && minX < r.merc[2] && maxY > r.merc[1] && minY < r.merc[3]
}

// gridStep is the spacing in tile pixels of the points that are
// transformed exactly; the pixels between are interpolated (the error is
// far below a pixel over 16 pixels of a tile).
const gridStep = 16

// maxRead bounds the side of the buffer a tile reads: wider windows are
// read decimated (nearest) by GDAL.
const maxRead = 2 * Size

// Render draws tile z/x/y of one date as a 256×256 PNG; pixels outside the
// scene or without data are transparent. blank is true (and png nil) when
// the tile shows nothing of the scene. A zoom outside ZoomRange gives
// ErrZoom.
func (r *Renderer) Render(ctx context.Context, d Date, z, x, y int) (pngData []byte, blank bool, err error) {
	if z < r.minZ || z > r.maxZ {
		return nil, false, fmt.Errorf("%w: %d (the scene has %d–%d)", ErrZoom, z, r.minZ, r.maxZ)
	}
	if n := int64(1) << z; x < 0 || y < 0 || int64(x) >= n || int64(y) >= n {
		return nil, false, fmt.Errorf("xyz: tile %d/%d/%d does not exist", z, x, y)
	}
	if d != Before && d != After {
		return nil, false, fmt.Errorf("xyz: unknown date %d", d)
	}
	if !r.Covers(z, x, y) {
		return nil, true, nil
	}
	// Scene pixel coordinates of a grid of tile points.
	const gn = Size/gridStep + 1
	minX, minY, maxX, _ := TileBounds(z, x, y)
	res := (maxX - minX) / Size
	xs, ys := make([]float64, gn*gn), make([]float64, gn*gn)
	for j := range gn {
		for i := range gn {
			lon, lat := MercatorToLonLat(minX+float64(i*gridStep)*res, minY+float64(Size-j*gridStep)*res)
			xs[j*gn+i], ys[j*gn+i] = lon, lat
		}
	}
	tr, err := raster.NewInverseTransformer(r.grid.WKT)
	if err != nil {
		return nil, false, fmt.Errorf("xyz: scene CRS: %w", err)
	}
	err = tr.ToCRS(xs, ys)
	tr.Close()
	if err != nil {
		return nil, true, nil // the tile lies outside the CRS's domain
	}
	win := image.Rectangle{Min: image.Pt(math.MaxInt32, math.MaxInt32), Max: image.Pt(math.MinInt32, math.MinInt32)}
	for k := range xs {
		xs[k], ys[k] = r.toPixel(xs[k], ys[k])
		win.Min.X, win.Min.Y = min(win.Min.X, int(math.Floor(xs[k]))-1), min(win.Min.Y, int(math.Floor(ys[k]))-1)
		win.Max.X, win.Max.Y = max(win.Max.X, int(math.Ceil(xs[k]))+1), max(win.Max.Y, int(math.Ceil(ys[k]))+1)
	}
	win = win.Intersect(image.Rect(0, 0, r.grid.Width, r.grid.Height))
	if win.Empty() {
		return nil, true, nil
	}
	bw, bh := win.Dx(), win.Dy()
	if long := max(bw, bh); long > maxRead {
		bw = max(1, int(math.Ceil(float64(bw)*maxRead/float64(long))))
		bh = max(1, int(math.Ceil(float64(bh)*maxRead/float64(long))))
	}
	planes := [][]float32{make([]float32, bw*bh), make([]float32, bw*bh), make([]float32, bw*bh)}
	valid := make([]bool, bw*bh)
	rd, err := raster.OpenReader(r.disp[d])
	if err != nil {
		return nil, false, err
	}
	if bw == win.Dx() && bh == win.Dy() {
		err = rd.Read(ctx, win, planes, valid)
	} else {
		err = rd.ReadScaled(ctx, win, bw, bh, planes, valid)
	}
	rd.Close()
	if err != nil {
		return nil, false, err
	}
	img := image.NewNRGBA(image.Rect(0, 0, Size, Size))
	sx, sy := float64(bw)/float64(win.Dx()), float64(bh)/float64(win.Dy())
	any := false
	for ty := range Size {
		gj := ty / gridStep
		fy := float64(ty%gridStep) + 0.5
		for tx := range Size {
			gi := tx / gridStep
			fx := float64(tx%gridStep) + 0.5
			// Bilinear interpolation of the grid (pixel centres).
			k := gj*gn + gi
			wx, wy := fx/gridStep, fy/gridStep
			px := (1-wy)*((1-wx)*xs[k]+wx*xs[k+1]) + wy*((1-wx)*xs[k+gn]+wx*xs[k+gn+1])
			py := (1-wy)*((1-wx)*ys[k]+wx*ys[k+1]) + wy*((1-wx)*ys[k+gn]+wx*ys[k+gn+1])
			if px < 0 || py < 0 || px >= float64(r.grid.Width) || py >= float64(r.grid.Height) {
				continue
			}
			bx := int((px - float64(win.Min.X)) * sx)
			by := int((py - float64(win.Min.Y)) * sy)
			if bx < 0 || by < 0 || bx >= bw || by >= bh {
				continue
			}
			i := by*bw + bx
			if !valid[i] {
				continue
			}
			o := img.PixOffset(tx, ty)
			for c := range 3 {
				v := float64(planes[c][i])
				if d == After {
					v = r.norm[c][0]*v + r.norm[c][1]
				}
				img.Pix[o+c] = r.stretch.Byte(c, v)
			}
			img.Pix[o+3] = 255
			any = true
		}
	}
	if !any {
		return nil, true, nil
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, false, fmt.Errorf("xyz: encode tile: %w", err)
	}
	return buf.Bytes(), false, nil
}

// BlankPNG is a fully transparent 256×256 PNG, served for tiles outside a
// scene.
var BlankPNG = func() []byte {
	var buf bytes.Buffer
	png.Encode(&buf, image.NewNRGBA(image.Rect(0, 0, Size, Size)))
	return buf.Bytes()
}()
