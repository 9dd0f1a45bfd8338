package change

import (
	"image"
	"math"
)

// Model is what the per-pixel measures need to know about a scene: the band
// roles, each date's brightness scale (every date is measured relative to
// itself, so raw values of the two dates are never compared), each date's
// vegetation threshold and the IR-MAD projections.
type Model struct {
	Bands Bands
	// ScaleBefore and ScaleAfter are the median brightness of each date in
	// its own data units: bands are read as per-mille of it.
	ScaleBefore, ScaleAfter float64
	// VegBefore and VegAfter are the vegetation index thresholds of each date.
	VegBefore, VegAfter float64
	// Shift is the scene's median log ratio after/before of each band
	// (prescaled): the season's and sensor's shift, removed from a pixel's
	// own change.
	Shift []float64
	MAD   *MAD
}

// unit is the value of a date's median brightness after prescaling, and
// floor the constant that keeps logarithms and ratios finite on dark pixels
// (1 % of the median).
const (
	unit  = 1000
	floor = 10
)

// pix holds the measures of one pixel: smoothed brightness (per-mille of its
// date's median), saturation, vegetation and water index of each date, the
// IR-MAD chi-square, the after/before ratio of the longest-wavelength band
// (NIR, else red; a shadow darkens it most), the context change and the
// change score.
type pix struct {
	brA, brB, satA, satB, vegA, vegB, watA, watB, chi2, rlong, ctx, score float32
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
	A, B                        [][]float32 // smoothed, prescaled before and after
	mm                          *madMap
	vis                         []int
	blue, green, red, nir, long int
	veg                         int
	water                       bool
	vegA, vegB                  []float32
	ctx, score                  []float32 // over f
	x, y                        []float32 // scratch, one per band
	// f is the region (window coordinates) where vegA, vegB, ctx and
	// score are computed, fw its width.
	f  image.Rectangle
	fw int
}

// fi returns the index in the planes over f of window pixel i, which must
// lie in f.
func (c *featCtx) fi(i int) int {
	return (i/c.w-c.f.Min.Y)*c.fw + i%c.w - c.f.Min.X
}

// boxMean returns the mean of v over the (2r+1)² square around each pixel,
// counting only valid pixels inside the window (pixels with no valid
// neighbour get 0). Values are summed as fixed-point integers (1/65536 of a
// unit) in a summed-area table: O(1) per pixel whatever r, and exact, so a
// pixel's value does not depend on where the window starts.
func boxMean(v []float32, valid []bool, w, h, r int) []float32 {
	return newBoxer(w, h, valid).mean(v, r, nil)
}

// boxer computes box means over one window, reusing its summed-area tables
// (the count table depends only on the valid mask and the radius).
type boxer struct {
	w, h  int
	valid []bool
	sum   []int64
	cnt   map[int][]int32
}

func newBoxer(w, h int, valid []bool) *boxer {
	return &boxer{w: w, h: h, valid: valid, cnt: map[int][]int32{}}
}

// release keeps the boxer's summed-area table for another boxer; bx must not
// be used after.
func (bx *boxer) release() {
	putSumTable(bx.sum)
	bx.sum = nil
}

// counts returns the number of valid pixels in the square of radius r
// around each pixel.
func (bx *boxer) counts(r int) []int32 {
	if c, ok := bx.cnt[r]; ok {
		return c
	}
	w, h := bx.w, bx.h
	w1 := w + 1
	tab := newSAT(w, h)
	tab.buildBool(bx.valid)
	out := make([]int32, w*h)
	for y := 0; y < h; y++ {
		top, bot := tab.s[max(0, y-r)*w1:][:w1], tab.s[min(h, y+r+1)*w1:][:w1]
		or := out[y*w : (y+1)*w]
		for x := range or {
			x0, x1 := max(0, x-r), min(w, x+r+1)
			or[x] = bot[x1] - top[x1] - bot[x0] + top[x0]
		}
	}
	bx.cnt[r] = out
	return out
}

// mean is boxMean into out (allocated when nil; it may be v itself); r <= 0
// returns v itself.
func (bx *boxer) mean(v []float32, r int, out []float32) []float32 {
	if r <= 0 {
		// No smoothing: the input plane itself (callers only read
		// valid pixels, and never write to it).
		return v
	}
	const one = 1 << 16
	w, h := bx.w, bx.h
	w1 := w + 1
	if len(bx.sum) < w1*(h+1) {
		putSumTable(bx.sum)
		bx.sum = getSumTable(w, h)
	}
	sum := bx.sum
	for y := 0; y < h; y++ {
		var rs int64
		vr, vd := v[y*w:(y+1)*w], bx.valid[y*w:(y+1)*w]
		prev, cur := sum[y*w1+1:(y+1)*w1], sum[(y+1)*w1+1:(y+2)*w1]
		for x, f := range vr {
			if vd[x] {
				// math.Round, exactly, without its bit work: f·one has
				// at most 24 significant bits, so adding ½ is exact and
				// the conversion's truncation is the floor of a
				// non-negative value.
				if v := float64(f) * one; v >= 0 {
					rs += int64(v + 0.5)
				} else {
					rs -= int64(0.5 - v)
				}
			}
			cur[x] = prev[x] + rs
		}
	}
	cnt := bx.counts(r)
	if out == nil {
		out = make([]float32, w*h)
	}
	// s/one/c, with /one (a power of two) done exactly as ·(1/one).
	const inv = 1.0 / one
	// The square of x spans [x0, x1) = [max(0, x-r), min(w, x+r+1)): the
	// left edge (x < a), the middle and the right edge (x >= b) are
	// separate loops, without a min or max per pixel.
	a := min(r, w)
	b := max(a, w-r-1)
	for y := 0; y < h; y++ {
		top, bot := sum[max(0, y-r)*w1:][:w1], sum[min(h, y+r+1)*w1:][:w1]
		cr, or := cnt[y*w:(y+1)*w], out[y*w:(y+1)*w]
		mean := func(x, x0, x1 int) {
			if c := cr[x]; c > 0 {
				s := bot[x1] - top[x1] - bot[x0] + top[x0]
				or[x] = float32(float64(s) * inv / float64(c))
			} else {
				or[x] = 0
			}
		}
		for x := 0; x < a; x++ {
			mean(x, 0, min(w, x+r+1))
		}
		// Middle: x0 = x-r, x1 = x+r+1, both inside the row.
		if b > a {
			tl, bl := top[a-r:b-r], bot[a-r:b-r]
			th, bh := top[a+r+1:b+r+1], bot[a+r+1:b+r+1]
			cm, om := cr[a:b], or[a:b]
			for k := range om {
				if c := cm[k]; c > 0 {
					s := bh[k] - th[k] - bl[k] + tl[k]
					om[k] = float32(float64(s) * inv / float64(c))
				} else {
					om[k] = 0
				}
			}
		}
		for x := b; x < w; x++ {
			mean(x, max(0, x-r), w)
		}
	}
	return out
}

// prescale returns v·k rounded to 1/1024 (a date in per-mille of its own
// median brightness), 0 where invalid, into out (allocated when nil; it may
// be v itself).
func prescale(v []float32, k float64, valid []bool, out []float32) []float32 {
	if out == nil {
		out = make([]float32, len(v))
	}
	// Scaling by powers of two is exact: x·(k·1024) = (x·k)·1024, and
	// ·(1/1024) = /1024.
	k1024 := k * 1024
	valid, out = valid[:len(v)], out[:len(v)] // no bounds checks in the loop
	for i, x := range v {
		if valid[i] {
			out[i] = float32(round(float64(x)*k1024) * (1.0 / 1024))
		} else {
			out[i] = 0
		}
	}
	return out
}

// round is math.Round (half away from zero), exactly, without its bit work
// for the usual case 0.5 <= p < 2⁵². There ½ is a multiple of p's ulp, so
// p + ½ is exact unless it reaches the next power of two; it then rounds to
// a value of that binade, which is at least that power (an integer) and
// below it plus 1, so the floor, which the conversion's truncation gives,
// is unchanged. Below 0.5, 0.5 − 2⁻⁵⁴ would round up to 1; other values
// take math.Round.
func round(p float64) float64 {
	if p >= 0.5 && p < 1<<52 {
		return float64(int64(p + 0.5))
	}
	return math.Round(p)
}

// newFeatCtx prescales and smooths both dates over the whole window, then
// computes the context change and the change score planes over the region
// f (window coordinates) only: the cloud candidates need the smoothed
// values everywhere, the change measures only where classes are wanted.
//
// The context change of a pixel is min(contextual, own): the RMS over bands
// of the change of its log contrast to its context, and of its own log
// change less the scene's median shift of the band.
func newFeatCtx(win *Window, m *Model, r Radii, p Params, f image.Rectangle) *featCtx {
	w, h := win.W, win.H
	nb := len(win.Before)
	bd := m.Bands
	c := &featCtx{w: w, h: h, valid: win.Valid, A: make([][]float32, nb), B: make([][]float32, nb),
		mm: newMADMap(m.MAD), vis: bd.visible(), blue: bd.Blue, green: bd.Green, red: bd.Red, nir: bd.NIR,
		water: bd.WaterIndex() != "", x: make([]float32, nb), y: make([]float32, nb),
		f: f, fw: f.Dx()}
	ka, kb := unit/m.ScaleBefore, unit/m.ScaleAfter
	valid := win.Valid
	bx := newBoxer(w, h, valid)
	for b := 0; b < nb; b++ {
		// In place: the window is consumed.
		pa, pb := prescale(win.Before[b], ka, valid, win.Before[b]), prescale(win.After[b], kb, valid, win.After[b])
		c.A[b] = bx.mean(pa, r.Smooth, pa) // smoothed over the prescaled copy
		c.B[b] = bx.mean(pb, r.Smooth, pb)
	}
	bx.release()
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
	// From here on, planes cover f: fw×fh values.
	fw, fh := f.Dx(), f.Dy()
	n := fw * fh
	fvalid := valid
	if f != image.Rect(0, 0, w, h) {
		fvalid = make([]bool, n)
		for y := 0; y < fh; y++ {
			copy(fvalid[y*fw:(y+1)*fw], valid[(f.Min.Y+y)*w+f.Min.X:])
		}
	}
	fbx := newBoxer(fw, fh, fvalid)
	// Context change: per band, the log contrast of each pixel to the mean
	// of its context within its own date; the change is the RMS over bands
	// of the difference of the two dates' contrasts.
	acc := getF64(n)
	own := getF64(n)
	la := make([]float32, n)
	lb := make([]float32, n)
	ma := make([]float32, n)
	mb := make([]float32, n)
	cf := float32(p.ChangeFloor * unit)
	var memoA, memoB *logMemo
	if r.Smooth == 0 {
		memoA, memoB = newLogMemo(), newLogMemo()
	}
	// The contrast change of band b is (lb−mb) − (la−ma) = d − mean(d), with
	// d = lb − la, the pixel's own log change: the box mean is linear, so
	// one box mean of d serves both dates (the counts are the same).
	for b := 0; b < nb; b++ {
		for y := 0; y < fh; y++ {
			src := (f.Min.Y+y)*w + f.Min.X
			logDiffPlane(la[y*fw:(y+1)*fw], c.A[b][src:src+fw], c.B[b][src:src+fw], fvalid[y*fw:(y+1)*fw], memoA, memoB, cf)
		}
		ma = fbx.mean(la, r.Context, ma)
		sh := m.Shift[b]
		// Sliced to n: no bounds checks in the loop.
		fv, la, ma, acc, own := fvalid[:n], la[:n], ma[:n], acc[:n], own[:n]
		for i, ok := range fv {
			if ok {
				d := float64(la[i] - ma[i])
				acc[i] += d * d
				o := float64(la[i]) - sh
				own[i] += o * o
			}
		}
	}
	// The log and context planes are done with: their memory holds the
	// context change, the vegetation indices and the gated change (only
	// valid pixels are ever read).
	c.ctx, c.vegA, c.vegB = la, lb, ma
	gated := mb
	// bare marks the pixels not vegetated after, over which the score of
	// such a pixel is averaged (ScoreShare < 1).
	var bare []float32
	if p.ScoreShare < 1 && c.veg != vegNone && r.Score > 0 {
		bare = make([]float32, n)
	}
	for y := 0; y < fh; y++ {
		for x := 0; x < fw; x++ {
			j := y*fw + x
			if !fvalid[j] {
				continue
			}
			i := (f.Min.Y+y)*w + f.Min.X + x
			// A change must show both relative to the pixel's context (a
			// shift shared by a neighbourhood cancels) and in the pixel
			// itself beyond the scene's shift (a pixel beside a changed
			// field changed its context, not itself).
			c.ctx[j] = float32(math.Sqrt(min(acc[j], own[j]) / float64(nb))) // min is math.Min, inlined
			c.vegA[j] = c.vegIndex(c.A, i)
			c.vegB[j] = c.vegIndex(c.B, i)
			if c.veg == vegNone || float64(c.vegB[j]) <= m.VegAfter {
				gated[j] = c.ctx[j]
				if bare != nil {
					bare[j] = 1
				}
			} else {
				gated[j] = 0
			}
		}
	}
	putF64(acc)
	putF64(own)
	c.score = fbx.mean(gated, r.Score, gated)
	if bare != nil {
		// The mean over the pixels not vegetated after, over at least
		// ScoreShare of the square.
		share := fbx.mean(bare, r.Score, nil)
		smin := float32(p.ScoreShare)
		for j, b := range bare {
			if b != 0 {
				c.score[j] /= max(share[j], smin)
			}
		}
	}
	fbx.release()
	return c
}

func (c *featCtx) vegIndex(P [][]float32, i int) float32 {
	switch c.veg {
	case vegNDVI:
		return nd(P[c.nir][i], P[c.red][i], floor)
	case vegExG:
		r, g, b := max(P[c.red][i], 0), max(P[c.green][i], 0), max(P[c.blue][i], 0)
		return (2*g - r - b) / (r + g + b + 3*floor)
	}
	return 0
}

// radiometry computes the measures of valid pixel i that need no context
// (brightness, saturation, longest band ratio) into q: what the cloud
// candidates need, at any pixel of the window.
func (c *featCtx) radiometry(i int, q *pix) {
	q.brA, q.brB, q.rlong = c.brightness(i)
	q.satA, q.satB = c.saturations(i)
}

// brightness is the brightness of each date (the mean of the visible
// bands) and the after/before ratio of the longest band.
func (c *featCtx) brightness(i int) (brA, brB, rlong float32) {
	var sa, sb float32
	for _, b := range c.vis {
		sa += c.A[b][i]
		sb += c.B[b][i]
	}
	nv := float32(len(c.vis))
	return sa / nv, sb / nv, (max(c.B[c.long][i], 0) + floor) / (max(c.A[c.long][i], 0) + floor)
}

// brightnessRow is brightness for the pixels [i0, i0+len(brA)) of the
// window, into brA, brB and rlong, with the same arithmetic in the same
// order (so the same values), one row of planes at a time instead of one
// pixel at a time through the band slices.
func (c *featCtx) brightnessRow(i0 int, brA, brB, rlong []float32) {
	k := len(brA)
	brB, rlong = brB[:k], rlong[:k]
	nv := float32(len(c.vis))
	la, lb := c.A[c.long][i0:i0+k], c.B[c.long][i0:i0+k]
	if len(c.vis) == 3 {
		a0, a1, a2 := c.A[c.vis[0]][i0:i0+k], c.A[c.vis[1]][i0:i0+k], c.A[c.vis[2]][i0:i0+k]
		b0, b1, b2 := c.B[c.vis[0]][i0:i0+k], c.B[c.vis[1]][i0:i0+k], c.B[c.vis[2]][i0:i0+k]
		for x := range brA {
			// brightness sums from 0: 0 + a0 is a0 exactly.
			brA[x] = (a0[x] + a1[x] + a2[x]) / nv
			brB[x] = (b0[x] + b1[x] + b2[x]) / nv
			rlong[x] = (max(lb[x], 0) + floor) / (max(la[x], 0) + floor)
		}
		return
	}
	clear(brA)
	clear(brB)
	for _, b := range c.vis {
		pa, pb := c.A[b][i0:i0+k], c.B[b][i0:i0+k]
		for x := range brA {
			brA[x] += pa[x]
			brB[x] += pb[x]
		}
	}
	for x := range brA {
		brA[x] /= nv
		brB[x] /= nv
		rlong[x] = (max(lb[x], 0) + floor) / (max(la[x], 0) + floor)
	}
}

// saturations is the spread of the visible bands of each date relative to
// the brightest (0 with fewer than two visible bands).
func (c *featCtx) saturations(i int) (satA, satB float32) {
	if len(c.vis) < 2 {
		return 0, 0
	}
	v0 := c.vis[0]
	maxA, minA := c.A[v0][i], c.A[v0][i]
	maxB, minB := c.B[v0][i], c.B[v0][i]
	for _, b := range c.vis[1:] {
		a, bb := c.A[b][i], c.B[b][i]
		maxA, minA = max(maxA, a), min(minA, a)
		maxB, minB = max(maxB, bb), min(minB, bb)
	}
	return (maxA - minA) / (max(maxA, 0) + floor), (maxB - minB) / (max(maxB, 0) + floor)
}

// at computes all the measures of valid pixel i, which must lie in f, into
// q.
func (c *featCtx) at(i int, q *pix) {
	c.radiometry(i, q)
	nb := len(c.A)
	for b := 0; b < nb; b++ {
		c.x[b] = c.A[b][i]
		c.y[b] = c.B[b][i]
	}
	q.chi2 = c.mm.chi2(c.x, c.y)
	j := c.fi(i)
	q.vegA, q.vegB = c.vegA[j], c.vegB[j]
	if c.water {
		q.watA = nd(c.A[c.green][i], c.A[c.nir][i], floor)
		q.watB = nd(c.B[c.green][i], c.B[c.nir][i], floor)
	} else {
		q.watA, q.watB = 0, 0
	}
	q.ctx, q.score = c.ctx[j], c.score[j]
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

// logDiffPlane sets dst to flog(max(b, 0) + cf) − flog(max(a, 0) + cf) at
// the valid pixels. memoA and memoB (one per date), when not nil, remember
// results: the planes of imagery that is not smoothed hold the few distinct
// values of its integer data.
func logDiffPlane(dst, a, b []float32, valid []bool, memoA, memoB *logMemo, cf float32) {
	dst, valid, b = dst[:len(a)], valid[:len(a)], b[:len(a)] // no bounds checks in the loops
	if memoA == nil || memoB == nil {
		for i, v := range a {
			if valid[i] {
				dst[i] = flog(max(b[i], 0)+cf) - flog(max(v, 0)+cf)
			}
		}
		return
	}
	for i, v := range a {
		if valid[i] {
			dst[i] = memoB.log(max(b[i], 0)+cf) - memoA.log(max(v, 0)+cf)
		}
	}
}

// logMemo is a direct-mapped memo of flog (16,384 entries, 128 KB): it
// returns exactly flog(x), computing it only for inputs it does not hold.
type logMemo [1 << 14]struct {
	x uint32 // input bits
	l float32
}

func newLogMemo() *logMemo {
	m := new(logMemo)
	l0 := flog(0)
	for i := range m {
		m[i].l = l0 // every entry holds x = 0
	}
	return m
}

func (m *logMemo) log(x float32) float32 {
	b := math.Float32bits(x)
	e := &m[(b*0x9E3779B1)>>18]
	if e.x != b {
		e.x, e.l = b, flog(x)
	}
	return e.l
}

// flog is the natural logarithm of a positive float32 to about 1e-7
// relative error: the exponent from the bits, and log(m) for the mantissa m
// in [√½, √2) from the series of atanh((m-1)/(m+1)). It is plain
// arithmetic, so its result is the same in every window (and about four
// times faster than math.Log).
func flog(x float32) float32 {
	b := math.Float32bits(x)
	e := int32(b>>23&0xff) - 127
	mb := b&0x007fffff | 0x3f800000 // m in [1, 2)
	// m > √2: halve m (exponent one lower) and add one to e, without a
	// branch (the data decide it, so it would be mispredicted half the
	// time).
	var hi uint32
	if mb > math.Float32bits(math.Sqrt2) {
		hi = 1
	}
	m := math.Float32frombits(mb - hi<<23)
	e += int32(hi)
	t := float64(m-1) / float64(m+1)
	t2 := t * t
	// 2·(t + t³/3 + t⁵/5 + t⁷/7 + t⁹/9): |t| < 0.172, so t¹¹/11 < 5e-10.
	l := 2 * t * (1 + t2*(1.0/3+t2*(1.0/5+t2*(1.0/7+t2*(1.0/9)))))
	return float32(float64(e)*math.Ln2 + l)
}
