package overlay

import (
	"cmp"
	"slices"

	"github.com/paulmach/orb"
)

// edge is a non-vertical polygon edge in the projected plane, relative to
// the patch origin, stored left to right (x1 < x2) so that coincident edges
// evaluate to bit-identical heights whatever their direction in their rings.
type edge struct {
	x1, y1, x2, y2 float64
	slope          float64 // (y2-y1)/(x2-x1)
	owner          int32   // -1 for the patch, else the candidate number
	w              int32   // winding change when the edge is crossed upwards
}

// at returns the height of e at x, for x1 ≤ x ≤ x2.
func (e *edge) at(x float64) float64 {
	if x == e.x2 {
		return e.y2
	}
	return e.y1 + (x-e.x1)*e.slope
}

// active is an edge spanning the current slab, with its heights at the
// slab's left end, middle and right end.
type active struct {
	ya, ym, yb float64
	e          int32
}

// crossEps is the height difference, in metres, below which two edges that
// swap order within a slab are taken as touching rather than crossing; the
// area misread by not splitting there is at most crossEps times the slab
// width.
const crossEps = 1e-9

// maxSplitDepth bounds the recursive splitting of a slab at edge crossings
// (each level splits at every crossing of neighbouring edges, so real data
// needs one or two).
const maxSplitDepth = 32

// scratch holds the buffers of one overlay computation; a worker reuses it
// from patch to patch.
type scratch struct {
	cands  []int32
	found  []int32
	stack  []int32
	pts    []orb.Point
	edges  []edge
	xs     []float64
	act    []active
	splits []float64
	wind   []int32   // winding number per candidate
	in     []int32   // candidates with a positive winding number
	hit    []float64 // overlap area per candidate
	proj   projCache
	// sums of the current patch
	patchArea, covered float64
}

// addRing appends the non-vertical edges of the ring pts (projected,
// relative to the patch origin, closing point dropped) with the given owner
// and winding multiplier, leaving out edges that cannot bound a slab in
// [xmin, xmax] or that lie wholly above ymax.
func (s *scratch) addRing(pts []orb.Point, owner, mult int32, xmin, xmax, ymax float64) {
	if mult == 0 {
		return
	}
	prev := pts[len(pts)-1]
	for _, p := range pts {
		s.addEdge(prev, p, owner, mult, xmin, xmax, ymax)
		prev = p
	}
}

// addEdge appends the edge a→b; see addRing.
func (s *scratch) addEdge(a, b orb.Point, owner, mult int32, xmin, xmax, ymax float64) {
	if a[0] == b[0] {
		return
	}
	w := mult
	if a[0] > b[0] {
		a, b = b, a
		w = -w
	}
	if b[0] <= xmin || a[0] >= xmax || (a[1] > ymax && b[1] > ymax) {
		return
	}
	s.edges = append(s.edges, edge{
		x1: a[0], y1: a[1], x2: b[0], y2: b[1],
		slope: (b[1] - a[1]) / (b[0] - a[0]),
		owner: owner, w: w,
	})
}

// sweep computes, over the slabs of [xmin, xmax], the area inside the patch,
// the part of it inside at least one candidate and the part inside each
// candidate, into s.patchArea, s.covered and s.hit[:ncand].
func (s *scratch) sweep(xmin, xmax float64, ncand int) {
	s.patchArea, s.covered = 0, 0
	s.wind = resize(s.wind, ncand)
	s.hit = resize(s.hit, ncand)
	clear(s.wind)
	clear(s.hit)
	if len(s.edges) == 0 || !(xmin < xmax) {
		return
	}

	// Slab boundaries: every edge end within [xmin, xmax].
	s.xs = s.xs[:0]
	s.xs = append(s.xs, xmin, xmax)
	for i := range s.edges {
		e := &s.edges[i]
		if e.x1 > xmin {
			s.xs = append(s.xs, e.x1)
		}
		if e.x2 < xmax {
			s.xs = append(s.xs, e.x2)
		}
	}
	slices.Sort(s.xs)
	s.xs = slices.Compact(s.xs)

	slices.SortFunc(s.edges, func(a, b edge) int { return cmp.Compare(a.x1, b.x1) })
	s.act = s.act[:0]
	next := 0
	for k := 0; k+1 < len(s.xs); k++ {
		xa, xb := s.xs[k], s.xs[k+1]
		// Edges starting at or before xa join, in order of their start.
		for next < len(s.edges) && s.edges[next].x1 <= xa {
			s.act = append(s.act, active{e: int32(next), ya: s.edges[next].at(xa)})
			next++
		}
		// Edges ending at or before xa leave.
		n := 0
		for _, a := range s.act {
			if s.edges[a.e].x2 > xa {
				s.act[n] = a
				n++
			}
		}
		s.act = s.act[:n]
		if n == 0 {
			continue
		}
		s.slab(xa, xb, 0)
		for i := range s.act {
			s.act[i].ya = s.act[i].yb
		}
	}
}

// slab accumulates the areas of the slab [xa, xb] over the active edges,
// whose ya must hold their heights at xa, splitting it where neighbouring
// edges cross. It leaves their heights at xb in yb.
func (s *scratch) slab(xa, xb float64, depth int) {
	act := s.act
	for i := range act {
		a := &act[i]
		a.yb = s.edges[a.e].at(xb)
		a.ym = a.ya + (a.yb-a.ya)/2 // exact middle height of a straight edge
	}
	// Insertion sort by middle height: the order barely changes from one
	// slab to the next.
	for i := 1; i < len(act); i++ {
		a := act[i]
		j := i
		for j > 0 && act[j-1].ym > a.ym {
			act[j] = act[j-1]
			j--
		}
		act[j] = a
	}
	if depth < maxSplitDepth {
		// Neighbours (in middle order) out of order at either end cross
		// inside the slab; if no neighbours do, no pair does (the heights
		// are then sorted at both ends and in the middle, and differences
		// of linear functions that are ≥ 0 at both ends are ≥ 0 between).
		base := len(s.splits)
		for i := 0; i+1 < len(act); i++ {
			p, q := &act[i], &act[i+1]
			if p.ya <= q.ya+crossEps && p.yb <= q.yb+crossEps {
				continue
			}
			da, db := p.ya-q.ya, p.yb-q.yb
			if (da > 0) == (db > 0) {
				continue // rounding only: both ends on the same side
			}
			x := xa + (xb-xa)*(da/(da-db))
			if x > xa && x < xb {
				s.splits = append(s.splits, x)
			}
		}
		if len(s.splits) > base {
			sp := s.splits[base:]
			slices.Sort(sp)
			sp = slices.Compact(sp)
			s.splits = s.splits[:base+len(sp)]
			lo := xa
			for i := base; i <= base+len(sp); i++ {
				hi := xb
				if i < base+len(sp) {
					hi = s.splits[i]
				}
				if lo > xa {
					for k := range act {
						act[k].ya = s.edges[act[k].e].at(lo)
					}
				}
				s.slab(lo, hi, depth+1)
				lo = hi
			}
			s.splits = s.splits[:base]
			return
		}
	}
	s.accumulate(xb - xa)
}

// accumulate walks up the sorted active edges of a slab of the given width,
// adding the area of every trapezoid inside the patch.
func (s *scratch) accumulate(width float64) {
	if !(width > 0) {
		return
	}
	act := s.act
	var wp int32 // patch winding number
	in := s.in[:0]
	for i := range act {
		if i > 0 && wp > 0 {
			if h := act[i].ym - act[i-1].ym; h > 0 {
				a := width * h
				s.patchArea += a
				if len(in) > 0 {
					s.covered += a
					for _, f := range in {
						s.hit[f] += a
					}
				}
			}
		}
		e := &s.edges[act[i].e]
		if e.owner < 0 {
			wp += e.w
			continue
		}
		f := e.owner
		old := s.wind[f]
		now := old + e.w
		s.wind[f] = now
		switch {
		case old <= 0 && now > 0:
			in = append(in, f)
		case old > 0 && now <= 0:
			for j, g := range in {
				if g == f {
					in[j] = in[len(in)-1]
					in = in[:len(in)-1]
					break
				}
			}
		}
	}
	// Edges wholly above the patch were left out, so the winding numbers
	// need not come back to 0 by themselves.
	for i := range act {
		if f := s.edges[act[i].e].owner; f >= 0 {
			s.wind[f] = 0
		}
	}
	s.in = in[:0]
}

// resize returns a slice of length n, reusing the array of b when it is
// large enough.
func resize[T any](b []T, n int) []T {
	if cap(b) >= n {
		return b[:n]
	}
	return make([]T, n)
}
