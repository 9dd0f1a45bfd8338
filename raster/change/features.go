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

// features holds the per-pixel measures of one window.
type features struct {
	w, h  int
	valid []bool
	// smoothed brightness, saturation, vegetation and water index per date
	brA, brB, satA, satB, vegA, vegB, watA, watB []float32
	blueB                                        []float32 // excess of blue in the after date (blue steel roofs)
	chi2                                         []float32 // IR-MAD chi-square
	lbr                                          []float32 // log brightness ratio after/before
	tex                                          []float32 // log ratio of local gradient energy after/before (NaN when unused)
	rlong                                        []float32 // after/before ratio of the longest-wavelength band (NIR, else red): shadows darken it most
}

// boxMean returns the mean of v over the (2r+1)² square around each pixel,
// counting only valid pixels inside the window. Sums run in a fixed order
// from the window's top-left, so a pixel's value does not depend on where the
// window starts. Pixels with no valid neighbour get 0.
func boxMean(v []float32, valid []bool, w, h, r int) []float32 {
	out := make([]float32, w*h)
	if r <= 0 {
		for i := range v {
			if valid[i] {
				out[i] = v[i]
			}
		}
		return out
	}
	hs := make([]float64, w*h)
	hc := make([]int32, w*h)
	for y := 0; y < h; y++ {
		row := y * w
		for x := 0; x < w; x++ {
			s, c := 0.0, int32(0)
			for k := max(0, x-r); k <= min(w-1, x+r); k++ {
				if valid[row+k] {
					s += float64(v[row+k])
					c++
				}
			}
			hs[row+x], hc[row+x] = s, c
		}
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			s, c := 0.0, int32(0)
			for k := max(0, y-r); k <= min(h-1, y+r); k++ {
				s += hs[k*w+x]
				c += hc[k*w+x]
			}
			if c > 0 {
				out[y*w+x] = float32(s / float64(c))
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

// computeFeatures computes every per-pixel measure of a window.
func computeFeatures(win *Window, m *Model, r Radii) *features {
	w, h := win.W, win.H
	n := w * h
	p := len(win.Before)
	f := &features{w: w, h: h, valid: win.Valid}
	A := make([][]float32, p)
	Braw := make([][]float32, p)
	for b := 0; b < p; b++ {
		A[b] = boxMean(win.Before[b], win.Valid, w, h, r.Smooth)
		Braw[b] = boxMean(win.After[b], win.Valid, w, h, r.Smooth)
	}
	planes := func() []float32 { return make([]float32, n) }
	f.brA, f.brB, f.satA, f.satB = planes(), planes(), planes(), planes()
	f.vegA, f.vegB, f.watA, f.watB = planes(), planes(), planes(), planes()
	f.blueB, f.chi2, f.lbr, f.rlong = planes(), planes(), planes(), planes()
	vis := m.Bands.visible()
	eps := float32(0.01 * m.Scale)
	if !(eps > 0) {
		eps = 1e-6
	}
	vegIdx := m.Bands.VegetationIndex()
	watIdx := m.Bands.WaterIndex()
	bd := m.Bands
	long := bd.NIR
	if long < 0 {
		long = bd.Red
	}
	if long < 0 {
		long = vis[len(vis)-1]
	}
	x := make([]float64, p)
	y := make([]float64, p)
	z := make([]float64, p)
	B := make([]float32, p)
	for i := 0; i < n; i++ {
		if !win.Valid[i] {
			continue
		}
		for b := 0; b < p; b++ {
			x[b] = float64(A[b][i])
			y[b] = float64(Braw[b][i])
			B[b] = float32(m.Gain[b]*y[b] + m.Offset[b])
		}
		m.MAD.Variates(x, y, z)
		f.chi2[i] = float32(sumSq(z))
		var sa, sb float32
		maxA, minA := float32(math.Inf(-1)), float32(math.Inf(1))
		maxB, minB := maxA, minA
		for _, b := range vis {
			a, bb := A[b][i], B[b]
			sa += a
			sb += bb
			maxA, minA = max(maxA, a), min(minA, a)
			maxB, minB = max(maxB, bb), min(minB, bb)
		}
		f.rlong[i] = (max(B[long], 0) + eps) / (max(A[long][i], 0) + eps)
		nv := float32(len(vis))
		brA, brB := sa/nv, sb/nv
		f.brA[i], f.brB[i] = brA, brB
		f.lbr[i] = float32(math.Log(float64((max(brB, 0) + eps) / (max(brA, 0) + eps))))
		if len(vis) >= 2 {
			f.satA[i] = (maxA - minA) / (max(maxA, 0) + eps)
			f.satB[i] = (maxB - minB) / (max(maxB, 0) + eps)
		}
		switch vegIdx {
		case "NDVI":
			f.vegA[i] = nd(A[bd.NIR][i], A[bd.Red][i], eps)
			f.vegB[i] = nd(B[bd.NIR], B[bd.Red], eps)
		case "ExG":
			f.vegA[i] = (2*A[bd.Green][i] - A[bd.Red][i] - A[bd.Blue][i]) / (max(sa, 0) + 3*eps)
			f.vegB[i] = (2*B[bd.Green] - B[bd.Red] - B[bd.Blue]) / (max(sb, 0) + 3*eps)
		}
		if watIdx == "NDWI" {
			f.watA[i] = nd(A[bd.Green][i], A[bd.NIR][i], eps)
			f.watB[i] = nd(B[bd.Green], B[bd.NIR], eps)
		}
		if bd.HasRGB() {
			f.blueB[i] = (B[bd.Blue] - max(B[bd.Red], B[bd.Green])) / (max(brB, 0) + eps)
		}
	}
	if r.UseTexture {
		ga := boxMean(gradient(f.brA, win.Valid, w, h), win.Valid, w, h, r.Texture)
		gb := boxMean(gradient(f.brB, win.Valid, w, h), win.Valid, w, h, r.Texture)
		f.tex = planes()
		c := 4 * eps
		for i := 0; i < n; i++ {
			if win.Valid[i] {
				f.tex[i] = float32(math.Log(float64((gb[i] + c) / (ga[i] + c))))
			}
		}
	}
	return f
}

// nd is the normalised difference (a-b)/(a+b).
func nd(a, b, eps float32) float32 {
	return (a - b) / (max(a, 0) + max(b, 0) + eps)
}
