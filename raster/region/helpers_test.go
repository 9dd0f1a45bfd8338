package region

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// parseMask turns a picture ('#' or 'X' set, anything else unset; rows of
// equal length) into a mask.
func parseMask(t testing.TB, rows ...string) (mask []uint8, w, h int) {
	t.Helper()
	if len(rows) == 0 {
		return nil, 0, 0
	}
	w, h = len(rows[0]), len(rows)
	for _, r := range rows {
		if len(r) != w {
			t.Fatalf("parseMask: rows of different lengths: %q", rows)
		}
		for _, c := range r {
			if c == '#' || c == 'X' {
				mask = append(mask, 1)
			} else {
				mask = append(mask, 0)
			}
		}
	}
	return mask, w, h
}

// randomMask returns a w×h mask where each pixel is set with probability
// density, from a fixed seed.
func randomMask(seed uint64, w, h int, density float64) []uint8 {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	m := make([]uint8, w*h)
	for i := range m {
		if rng.Float64() < density {
			m[i] = 1
		}
	}
	return m
}

// smooth applies a 3×3 majority filter n times (outside the mask counts as
// unset), which turns noise into blob-like regions with holes.
func smooth(m []uint8, w, h, n int) []uint8 {
	for range n {
		out := make([]uint8, len(m))
		for y := range h {
			for x := range w {
				c := 0
				for dy := -1; dy <= 1; dy++ {
					for dx := -1; dx <= 1; dx++ {
						xx, yy := x+dx, y+dy
						if xx >= 0 && xx < w && yy >= 0 && yy < h && m[yy*w+xx] != 0 {
							c++
						}
					}
				}
				if c >= 5 {
					out[y*w+x] = 1
				}
			}
		}
		m = out
	}
	return m
}

// floodLabel is a reference labeller: a breadth-first flood fill over a label
// image. labels[i] is 0 for unset pixels, else 1..n.
func floodLabel(m []uint8, w, h int) (labels []int, n int) {
	labels = make([]int, len(m))
	var queue []int
	for s := range m {
		if m[s] == 0 || labels[s] != 0 {
			continue
		}
		n++
		labels[s] = n
		queue = append(queue[:0], s)
		for len(queue) > 0 {
			p := queue[len(queue)-1]
			queue = queue[:len(queue)-1]
			x, y := p%w, p/w
			for _, q := range [][2]int{{x - 1, y}, {x + 1, y}, {x, y - 1}, {x, y + 1}} {
				if q[0] < 0 || q[0] >= w || q[1] < 0 || q[1] >= h {
					continue
				}
				i := q[1]*w + q[0]
				if m[i] != 0 && labels[i] == 0 {
					labels[i] = n
					queue = append(queue, i)
				}
			}
		}
	}
	return labels, n
}

// tile is one window of a tiling.
type tile struct{ x, y, w, h int }

// tiling splits a w×h scene into tiles of tw×th (smaller at the right and
// bottom edges).
func tiling(w, h, tw, th int) []tile {
	var ts []tile
	for y := 0; y < h; y += th {
		for x := 0; x < w; x += tw {
			ts = append(ts, tile{x, y, min(tw, w-x), min(th, h-y)})
		}
	}
	return ts
}

// labelTiles labels each tile of the mask on its own, with its offset, and
// returns the per-tile outputs.
func labelTiles(m []uint8, w, h, tw, th int) [][][]Run {
	var out [][][]Run
	for _, t := range tiling(w, h, tw, th) {
		sub := make([]uint8, 0, t.w*t.h)
		for y := t.y; y < t.y+t.h; y++ {
			sub = append(sub, m[y*w+t.x:y*w+t.x+t.w]...)
		}
		out = append(out, Label(sub, t.w, t.h, int32(t.x), int32(t.y)))
	}
	return out
}

// flatten concatenates per-tile regions into one list of parts.
func flatten(tiles [][][]Run) [][]Run {
	var parts [][]Run
	for _, t := range tiles {
		parts = append(parts, t...)
	}
	return parts
}

// shoelace2 returns twice the signed shoelace area of a closed ring.
func shoelace2(r orb.Ring) float64 {
	var s float64
	for i := 0; i+1 < len(r); i++ {
		s += r[i][0]*r[i+1][1] - r[i+1][0]*r[i][1]
	}
	return s
}

func lessPoint(a, b orb.Point) int {
	if c := cmp.Compare(a[1], b[1]); c != 0 {
		return c
	}
	return cmp.Compare(a[0], b[0])
}

// pipBudget bounds the planar.PolygonContains work (pixels × vertices) spent
// on one region; beyond it a deterministic sample of pixels is checked. The
// exact scan-line check below always covers every pixel.
const pipBudget = 4_000_000

// checkPolygon verifies every property of Trace's output for the region
// runs: closed rings without collinear or repeated vertices, the canonical
// start vertex and hole order, orientation, area, coverage of exactly the
// region's pixels (by an even-odd scan line and by planar.PolygonContains) and
// that rings meet only at corners where two pixels touch diagonally.
func checkPolygon(t testing.TB, runs []Run, poly orb.Polygon) {
	t.Helper()
	if len(poly) == 0 {
		t.Fatalf("empty polygon")
	}
	bx0, by0, bx1, by1 := Bounds(runs)
	bw, bh := bx1-bx0, by1-by0
	in := Rasterize(runs, bx0, by0, bw, bh)
	set := func(x, y int32) bool {
		x, y = x-bx0, y-by0
		return x >= 0 && y >= 0 && x < bw && y < bh && in[y*bw+x] != 0
	}

	var area float64
	vertexUse := map[orb.Point]int{}
	for k, r := range poly {
		if len(r) < 5 {
			t.Fatalf("ring %d has %d points: %v", k, len(r), r)
		}
		if !r.Closed() {
			t.Fatalf("ring %d is not closed: %v", k, r)
		}
		n := len(r) - 1
		seen := map[orb.Point]bool{}
		for i := range n {
			p := r[i]
			if p[0] != float64(int32(p[0])) || p[1] != float64(int32(p[1])) {
				t.Fatalf("ring %d vertex %v is not a pixel corner", k, p)
			}
			if seen[p] {
				t.Fatalf("ring %d is not simple: vertex %v repeated", k, p)
			}
			seen[p] = true
			vertexUse[p]++
			if lessPoint(p, r[0]) < 0 {
				t.Fatalf("ring %d does not start at its smallest vertex %v: %v", k, p, r)
			}
			// Edges are axis-parallel, non-empty and alternate between
			// horizontal and vertical: no collinear vertex, no spike.
			q, s := r[i+1], r[(i+2)%n]
			h1, v1 := p[1] == q[1] && p[0] != q[0], p[0] == q[0] && p[1] != q[1]
			h2, v2 := q[1] == s[1] && q[0] != s[0], q[0] == s[0] && q[1] != s[1]
			if !(h1 && v2) && !(v1 && h2) {
				t.Fatalf("ring %d: bad corner %v %v %v", k, p, q, s)
			}
		}
		a := shoelace2(r) / 2
		switch {
		case k == 0 && a >= 0:
			t.Fatalf("exterior ring has area %v, want negative: %v", a, r)
		case k > 0 && a <= 0:
			t.Fatalf("hole %d has area %v, want positive: %v", k, a, r)
		case k > 1 && lessPoint(poly[k-1][0], r[0]) >= 0:
			t.Fatalf("holes not sorted: %v then %v", poly[k-1][0], r[0])
		}
		area -= a
	}
	if want := Area(runs); area != float64(want) {
		t.Fatalf("polygon area %v, region area %d", area, want)
	}

	// Rings meet only at diagonal corners, where exactly two rings pass.
	for p, n := range vertexUse {
		x, y := int32(p[0]), int32(p[1])
		a, b, c, d := set(x-1, y-1), set(x, y-1), set(x-1, y), set(x, y)
		diagonal := a == d && b == c && a != b
		if (diagonal && n != 2) || (!diagonal && n != 1) {
			t.Fatalf("vertex %v is used by %d rings (diagonal corner: %v)", p, n, diagonal)
		}
	}

	// Even-odd scan line through pixel centres: crossings of vertical edges.
	parity := make([]uint8, int(bw+1)*int(bh))
	for _, r := range poly {
		for i := 0; i+1 < len(r); i++ {
			p, q := r[i], r[i+1]
			if p[0] != q[0] {
				continue
			}
			x := int32(p[0]) - bx0
			ya, yb := int32(min(p[1], q[1]))-by0, int32(max(p[1], q[1]))-by0
			if x < 0 || x > bw || ya < 0 || yb > bh {
				t.Fatalf("edge %v-%v outside the bounds", p, q)
			}
			for y := ya; y < yb; y++ {
				parity[y*(bw+1)+x] ^= 1
			}
		}
	}
	for y := range bh {
		var inside uint8
		for x := range bw {
			inside ^= parity[y*(bw+1)+x]
			if inside != in[y*bw+x] {
				t.Fatalf("scan line: pixel (%d, %d) inside=%d, in region=%d", x+bx0, y+by0, inside, in[y*bw+x])
			}
		}
	}

	// planar.PolygonContains at pixel centres of the bounding box.
	nv := 0
	for _, r := range poly {
		nv += len(r)
	}
	pixels := int(bw) * int(bh)
	step := 1
	if pixels*nv > pipBudget {
		step = pixels*nv/pipBudget + 1
	}
	for i := 0; i < pixels; i += step {
		x, y := int32(i)%bw+bx0, int32(i)/bw+by0
		got := planar.PolygonContains(poly, orb.Point{float64(x) + 0.5, float64(y) + 0.5})
		if want := set(x, y); got != want {
			t.Fatalf("PolygonContains(%d.5, %d.5) = %v, pixel in region: %v", x, y, got, want)
		}
	}
}

// checkLabel verifies that regions are a canonical, ordered partition of the
// set pixels of m into its 4-connected regions (offset by ox, oy).
func checkLabel(t testing.TB, m []uint8, w, h int, ox, oy int32, regions [][]Run) {
	t.Helper()
	labels, n := floodLabel(m, w, h)
	if len(regions) != n {
		t.Fatalf("Label found %d regions, flood fill %d", len(regions), n)
	}
	cover := make([]int, len(m))
	for k, reg := range regions {
		if len(reg) == 0 || !isCanonical(reg) {
			t.Fatalf("region %d is not canonical: %v", k, reg)
		}
		if cap(reg) != len(reg) {
			t.Fatalf("region %d has spare capacity", k)
		}
		if k > 0 && compareRuns(regions[k-1][0], reg[0]) >= 0 {
			t.Fatalf("regions %d and %d out of order", k-1, k)
		}
		lab := -1
		for _, r := range reg {
			for x := r.X0; x < r.X1; x++ {
				i := int(r.Y-oy)*w + int(x-ox)
				cover[i]++
				if lab < 0 {
					lab = labels[i]
				}
				if labels[i] != lab || lab == 0 {
					t.Fatalf("region %d mixes flood regions or unset pixels at (%d, %d)", k, x, r.Y)
				}
			}
		}
	}
	for i := range m {
		if want := int(min(m[i], 1)); cover[i] != want {
			t.Fatalf("pixel %d covered %d times, set=%d", i, cover[i], m[i])
		}
	}
	var all []Run
	for _, reg := range regions {
		all = append(all, reg...)
	}
	if got := Rasterize(all, ox, oy, int32(w), int32(h)); !slices.Equal(got, normalize(m)) {
		t.Fatalf("Rasterize(Label(mask)) != mask")
	}
}

// normalize maps every set pixel to 1.
func normalize(m []uint8) []uint8 {
	out := make([]uint8, len(m))
	for i, v := range m {
		out[i] = min(v, 1)
	}
	return out
}

// maskCase is one generated mask of the property tests.
type maskCase struct {
	name string
	mask []uint8
	w, h int
}

// propertyMasks returns deterministic pseudo-random masks: noise of several
// densities and sizes, and the same smoothed into blobs.
func propertyMasks() []maskCase {
	sizes := [][2]int{{1, 1}, {3, 2}, {9, 7}, {31, 17}, {64, 64}, {127, 93}, {200, 150}}
	densities := []float64{0.2, 0.35, 0.5, 0.6, 0.7}
	var cs []maskCase
	seed := uint64(1)
	for _, s := range sizes {
		for _, d := range densities {
			seed++
			m := randomMask(seed, s[0], s[1], d)
			cs = append(cs, maskCase{fmt.Sprintf("noise_%dx%d_d%.2f", s[0], s[1], d), m, s[0], s[1]})
			if s[0] >= 9 {
				b := smooth(randomMask(seed+1000, s[0], s[1], d), s[0], s[1], 2)
				cs = append(cs, maskCase{fmt.Sprintf("blob_%dx%d_d%.2f", s[0], s[1], d), b, s[0], s[1]})
			}
		}
	}
	return cs
}

// picture renders runs for failure messages.
func picture(runs []Run) string {
	x0, y0, x1, y1 := Bounds(runs)
	m := Rasterize(runs, x0, y0, x1-x0, y1-y0)
	var b strings.Builder
	fmt.Fprintf(&b, "origin (%d, %d)\n", x0, y0)
	for y := range int(y1 - y0) {
		for x := range int(x1 - x0) {
			if m[y*int(x1-x0)+x] != 0 {
				b.WriteByte('#')
			} else {
				b.WriteByte('.')
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}
