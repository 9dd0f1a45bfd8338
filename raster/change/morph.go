package change

// sat is an integer summed-area table of a binary mask over a w×h window,
// used for exact O(1) box counts (integers, so the result never depends on
// the window's origin).
type sat struct {
	w, h int
	s    []int32 // (w+1)×(h+1)
}

func newSAT(w, h int) *sat { return &sat{w: w, h: h, s: make([]int32, (w+1)*(h+1))} }

// buildBool builds the table of a bool mask, buildBit of one bit of a byte
// mask.
func (t *sat) buildBool(m []bool) {
	w := t.w
	for y := 0; y < t.h; y++ {
		var row int32
		src, prev, cur := m[y*w:(y+1)*w], t.s[y*(w+1)+1:(y+1)*(w+1)], t.s[(y+1)*(w+1)+1:(y+2)*(w+1)]
		for x, on := range src {
			if on {
				row++
			}
			cur[x] = prev[x] + row
		}
	}
}

func (t *sat) buildBit(m []uint8, bit uint8) {
	w := t.w
	for y := 0; y < t.h; y++ {
		var row int32
		src, prev, cur := m[y*w:(y+1)*w], t.s[y*(w+1)+1:(y+1)*(w+1)], t.s[(y+1)*(w+1)+1:(y+2)*(w+1)]
		for x, v := range src {
			if v&bit != 0 {
				row++
			}
			cur[x] = prev[x] + row
		}
	}
}

// count returns the number of set pixels in the square of radius r around
// (x,y), clipped to the window, and the number of window pixels in it.
func (t *sat) count(x, y, r int) (set, area int32) {
	x0, y0 := max(0, x-r), max(0, y-r)
	x1, y1 := min(t.w, x+r+1), min(t.h, y+r+1)
	w1 := t.w + 1
	set = t.s[y1*w1+x1] - t.s[y0*w1+x1] - t.s[y1*w1+x0] + t.s[y0*w1+x0]
	return set, int32((x1 - x0) * (y1 - y0))
}

// erode keeps a pixel when every window pixel of the square of radius r
// around it is set; dilate sets a pixel when any is. Both write into dst.
func erode(dst, src []bool, w, h, r int, t *sat) {
	t.buildBool(src)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := y*w + x
			if !src[i] {
				dst[i] = false
				continue
			}
			s, a := t.count(x, y, r)
			dst[i] = s == a
		}
	}
}

func dilate(dst, src []bool, w, h, r int, t *sat) {
	t.buildBool(src)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			s, _ := t.count(x, y, r)
			dst[y*w+x] = s > 0
		}
	}
}

// openClose applies a morphological opening of radius ro then a closing of
// radius rc to m in place (square structuring elements). Pixels outside the
// window count neither for nor against a pixel (the square is clipped), so a
// region within rc pixels of the window edge may be closed up to the edge;
// at a scene edge this is the same for every tiling.
func openClose(m []bool, w, h, ro, rc int, t *sat, tmp []bool) {
	if ro > 0 {
		erode(tmp, m, w, h, ro, t)
		dilate(m, tmp, w, h, ro, t)
	}
	if rc > 0 {
		dilate(tmp, m, w, h, rc, t)
		erode(m, tmp, w, h, rc, t)
	}
}
