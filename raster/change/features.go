package change

import "math"

// Model is what the per-pixel measures need to know about a scene:
// the band roles, the radiometric normalisation of the after date onto the
// before date, the IR-MAD projections and a brightness scale.
type Model struct {
	Bands  Bands
	Gain   []float64 // after' = Gain*after + Offset, per band
	Offset []float64
	MAD    *MAD
	// Scale is the median brightness of the before date in data units; it
	// sets the small constants that keep ratios finite on dark pixels.
	Scale float64
}

// pix holds the measures of one pixel: smoothed brightness, saturation,
// vegetation and water index of each date, the excess of blue after (blue
// steel roofs), the IR-MAD chi-square, the log brightness ratio after/before,
// the after/before ratio of the longest-wavelength band (NIR, else red; a
// shadow darkens it most) and the texture log-ratio (0 when unused).
type pix struct {
	brA, brB, satA, satB, vegA, vegB, watA, watB, blueB, chi2, lbr, rlong, tex float32
}

const (
	vegNone = iota
	vegNDVI
	vegExG
)

// featCtx computes the measures of the pixels of one window. It holds the
// smoothed planes and is not safe for concurrent use.
type featCtx struct {
	w, h                        int
	valid                       []bool
	A, Braw                     [][]float32 // smoothed before and (unnormalised) after
	gain, off                   []float32
	mm                          *madMap
	vis                         []int
	blue, green, red, nir, long int
	veg                         int
	water, rgb                  bool
	eps                         float32
	tex                         []float32 // nil when the texture measure is unused
	x, y, b                     []float32 // scratch, one per band
}

// boxMean returns the mean of v over the (2r+1)² square around each pixel,
// counting only valid pixels inside the window (pixels with no valid
// neighbour get 0). Values are summed as fixed-point integers (1/65536 of a
// unit) in a summed-area table: O(1) per pixel whatever r, and exact, so a
// pixel's value does not depend on where the window starts.
func boxMean(v []float32, valid []bool, w, h, r int) []float32 {
	if r <= 0 {
		// No smoothing: the input plane itself (callers only read
		// valid pixels, and never write to it).
		return v
	}
	const one = 1 << 16
	w1 := w + 1
	sum := make([]int64, w1*(h+1))
	cnt := make([]int32, w1*(h+1))
	for y := 0; y < h; y++ {
		var rs int64
		var rc int32
		row := y * w
		for x := 0; x < w; x++ {
			if valid[row+x] {
				rs += int64(math.Round(float64(v[row+x]) * one))
				rc++
			}
			k := (y+1)*w1 + x + 1
			sum[k] = sum[k-w1] + rs
			cnt[k] = cnt[k-w1] + rc
		}
	}
	out := make([]float32, w*h)
	for y := 0; y < h; y++ {
		y0, y1 := max(0, y-r)*w1, min(h, y+r+1)*w1
		for x := 0; x < w; x++ {
			x0, x1 := max(0, x-r), min(w, x+r+1)
			c := cnt[y1+x1] - cnt[y0+x1] - cnt[y1+x0] + cnt[y0+x0]
			if c > 0 {
				s := sum[y1+x1] - sum[y0+x1] - sum[y1+x0] + sum[y0+x0]
				out[y*w+x] = float32(float64(s) / one / float64(c))
			}
		}
	}
	return out
}

// gradient returns the Sobel gradient magnitude of v (divided by 8, so it is
// in data units per pixel). Neighbours outside the window or invalid take the
// centre value.
func gradient(v []float32, valid []bool, w, h int) []float32 {
	out := make([]float32, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := y*w + x
			if !valid[i] {
				continue
			}
			c := v[i]
			at := func(dx, dy int) float32 {
				xx, yy := x+dx, y+dy
				if xx < 0 || yy < 0 || xx >= w || yy >= h || !valid[yy*w+xx] {
					return c
				}
				return v[yy*w+xx]
			}
			gx := at(1, -1) + 2*at(1, 0) + at(1, 1) - at(-1, -1) - 2*at(-1, 0) - at(-1, 1)
			gy := at(-1, 1) + 2*at(0, 1) + at(1, 1) - at(-1, -1) - 2*at(0, -1) - at(1, -1)
			out[i] = float32(math.Sqrt(float64(gx*gx+gy*gy)) / 8)
		}
	}
	return out
}

// newFeatCtx smooths both dates and, at fine resolution, computes the
// texture plane; per-pixel measures then come from at.
func newFeatCtx(win *Window, m *Model, r Radii) *featCtx {
	w, h := win.W, win.H
	n := w * h
	p := len(win.Before)
	bd := m.Bands
	c := &featCtx{w: w, h: h, valid: win.Valid, A: make([][]float32, p), Braw: make([][]float32, p),
		gain: make([]float32, p), off: make([]float32, p), mm: newMADMap(m.MAD), vis: bd.visible(),
		blue: bd.Blue, green: bd.Green, red: bd.Red, nir: bd.NIR, rgb: bd.HasRGB(),
		water: bd.WaterIndex() != "", x: make([]float32, p), y: make([]float32, p), b: make([]float32, p)}
	for b := 0; b < p; b++ {
		c.A[b] = boxMean(win.Before[b], win.Valid, w, h, r.Smooth)
		c.Braw[b] = boxMean(win.After[b], win.Valid, w, h, r.Smooth)
		c.gain[b], c.off[b] = float32(m.Gain[b]), float32(m.Offset[b])
	}
	switch bd.VegetationIndex() {
	case "NDVI":
		c.veg = vegNDVI
	case "ExG":
		c.veg = vegExG
	}
	c.long = bd.NIR
	if c.long < 0 {
		c.long = bd.Red
	}
	if c.long < 0 {
		c.long = c.vis[len(c.vis)-1]
	}
	c.eps = float32(0.01 * m.Scale)
	if !(c.eps > 0) {
		c.eps = 1e-6
	}
	if r.UseTexture {
		brA := make([]float32, n)
		brB := make([]float32, n)
		nv := float32(len(c.vis))
		for i := 0; i < n; i++ {
			if !win.Valid[i] {
				continue
			}
			var sa, sb float32
			for _, b := range c.vis {
				sa += c.A[b][i]
				sb += c.gain[b]*c.Braw[b][i] + c.off[b]
			}
			brA[i], brB[i] = sa/nv, sb/nv
		}
		ga := boxMean(gradient(brA, win.Valid, w, h), win.Valid, w, h, r.Texture)
		gb := boxMean(gradient(brB, win.Valid, w, h), win.Valid, w, h, r.Texture)
		c.tex = make([]float32, n)
		k := 4 * c.eps
		for i := 0; i < n; i++ {
			if win.Valid[i] {
				c.tex[i] = float32(math.Log(float64((gb[i] + k) / (ga[i] + k))))
			}
		}
	}
	return c
}

// at computes the measures of valid pixel i into q.
func (c *featCtx) at(i int, q *pix) {
	p := len(c.A)
	for b := 0; b < p; b++ {
		c.x[b] = c.A[b][i]
		c.y[b] = c.Braw[b][i]
		c.b[b] = c.gain[b]*c.y[b] + c.off[b]
	}
	q.chi2 = c.mm.chi2(c.x, c.y)
	A, B, eps := c.x, c.b, c.eps
	var sa, sb float32
	maxA, minA := A[c.vis[0]], A[c.vis[0]]
	maxB, minB := B[c.vis[0]], B[c.vis[0]]
	for _, b := range c.vis {
		a, bb := A[b], B[b]
		sa += a
		sb += bb
		maxA, minA = max(maxA, a), min(minA, a)
		maxB, minB = max(maxB, bb), min(minB, bb)
	}
	nv := float32(len(c.vis))
	q.brA, q.brB = sa/nv, sb/nv
	q.lbr = float32(math.Log(float64((max(q.brB, 0) + eps) / (max(q.brA, 0) + eps))))
	q.rlong = (max(B[c.long], 0) + eps) / (max(A[c.long], 0) + eps)
	if len(c.vis) >= 2 {
		q.satA = (maxA - minA) / (max(maxA, 0) + eps)
		q.satB = (maxB - minB) / (max(maxB, 0) + eps)
	} else {
		q.satA, q.satB = 0, 0
	}
	switch c.veg {
	case vegNDVI:
		q.vegA = nd(A[c.nir], A[c.red], eps)
		q.vegB = nd(B[c.nir], B[c.red], eps)
	case vegExG:
		q.vegA = (2*A[c.green] - A[c.red] - A[c.blue]) / (max(sa, 0) + 3*eps)
		q.vegB = (2*B[c.green] - B[c.red] - B[c.blue]) / (max(sb, 0) + 3*eps)
	default:
		q.vegA, q.vegB = 0, 0
	}
	if c.water {
		q.watA = nd(A[c.green], A[c.nir], eps)
		q.watB = nd(B[c.green], B[c.nir], eps)
	} else {
		q.watA, q.watB = 0, 0
	}
	if c.rgb {
		q.blueB = (B[c.blue] - max(B[c.red], B[c.green])) / (max(q.brB, 0) + eps)
	} else {
		q.blueB = 0
	}
	if c.tex != nil {
		q.tex = c.tex[i]
	} else {
		q.tex = 0
	}
}

// nd is the normalised difference (a-b)/(a+b).
func nd(a, b, eps float32) float32 {
	return (a - b) / (max(a, 0) + max(b, 0) + eps)
}

// madMap is the MAD transform flattened for speed: z_k = Σ_j a[k][j]·x_j −
// Σ_j b[k][j]·y_j − c_k, already divided by σ_k.
type madMap struct {
	p    int
	a, b []float32 // p×p row-major
	c    []float32
}

func newMADMap(m *MAD) *madMap {
	p := len(m.Sigma)
	mm := &madMap{p: p, a: make([]float32, p*p), b: make([]float32, p*p), c: make([]float32, p)}
	for k := 0; k < p; k++ {
		c := 0.0
		for j := 0; j < p; j++ {
			ak := m.ProjBefore[k][j] / m.Sigma[k]
			bk := m.ProjAfter[k][j] / m.Sigma[k]
			mm.a[k*p+j] = float32(ak)
			mm.b[k*p+j] = float32(bk)
			c += ak*m.MeanBefore[j] - bk*m.MeanAfter[j]
		}
		mm.c[k] = float32(c)
	}
	return mm
}

// chi2 returns the sum of squared standardised MAD variates of one pixel.
func (mm *madMap) chi2(x, y []float32) float32 {
	var s float32
	p := mm.p
	for k := 0; k < p; k++ {
		a := mm.a[k*p : k*p+p]
		b := mm.b[k*p : k*p+p]
		z := -mm.c[k]
		for j := 0; j < p; j++ {
			z += a[j]*x[j] - b[j]*y[j]
		}
		s += z * z
	}
	return s
}
