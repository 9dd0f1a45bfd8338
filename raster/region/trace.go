package region

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"github.com/paulmach/orb"
)

// Trace returns the outline of ONE 4-connected region as a polygon in
// pixel-corner coordinates: vertices are integer pixel corners and pixel
// (x, y) covers [x, x+1]×[y, y+1]. runs should be canonical; other inputs are
// passed through [Canonical] first.
//
// The output is canonical: ring[0] is the exterior, then the holes sorted by
// their first vertex; each ring starts at its lexicographically smallest
// vertex (smallest Y, then smallest X), is closed (last point == first) and
// has no collinear (redundant) vertices. In pixel coordinates (y down) the
// exterior ring has a NEGATIVE shoelace area sum(x_i*y_{i+1} - x_{i+1}*y_i)/2
// and holes a POSITIVE one, so after a north-up geotransform (which flips y)
// the exterior is counter-clockwise and holes clockwise (RFC 7946 right-hand
// rule). Concretely, the exterior leaves its first vertex downwards and holes
// leave theirs to the right.
//
// Where two pixels of the region meet only at a corner (diagonally, the two
// other pixels at that corner being outside), the trace keeps them joined at
// that vertex: it turns towards the other pixel. As the region is
// 4-connected, a path through it from one pixel to the other, closed through
// the shared corner, separates the two outside pixels: they always belong to
// different 4-connected parts of the outside (at least one is a hole), and
// each ring borders a single such part. So every
// ring is simple (no repeated vertex other than the closing one) and a hole
// touches the exterior or another hole only at single points: the polygon is a
// valid OGC polygon whose interior is connected.
//
// Trace returns an error if runs cover no pixel or are not one 4-connected
// region.
func Trace(runs []Run) (orb.Polygon, error) {
	if !isCanonical(runs) {
		runs = Canonical(runs)
	}
	if len(runs) == 0 {
		return nil, errors.New("region: Trace: empty region")
	}
	// Connectivity also guarantees that the rows y0 … maxY all have runs.
	if n := components(runs); n != 1 {
		return nil, fmt.Errorf("region: Trace: runs form %d 4-connected regions, want 1", n)
	}

	y0 := runs[0].Y
	lines := int(runs[len(runs)-1].Y-y0) + 2 // grid lines y0 … maxY+1
	edges, first := boundary(runs, y0, lines)

	// Walk the rings. Taking edges in order of their start vertex (y, then
	// x) makes the first edge met of each ring start at the ring's smallest
	// vertex, so rings come out starting there, the exterior first (it owns
	// the smallest vertex of all: the top-left corner of the first run) and
	// the holes sorted by first vertex.
	visited := make([]bool, len(edges))
	// The vertices of all rings, each ring closed: at most one per edge plus
	// one per ring, and a ring has at least four edges.
	pts := make([]orb.Point, 0, len(edges)+len(edges)/4)
	var ends []int // ends[k] is the end of ring k in pts
	for start := range edges {
		if visited[start] {
			continue
		}
		// The first vertex is a corner (the ring leaves its smallest vertex
		// along one axis and comes back along the other), so it is kept.
		ringStart := len(pts)
		var prevDX, prevDY int32
		for e := start; ; {
			visited[e] = true
			dx, dy := edges[e].dir()
			if dx != prevDX || dy != prevDY { // drop collinear vertices
				pts = append(pts, orb.Point{float64(edges[e].x), float64(edges[e].y)})
			}
			prevDX, prevDY = dx, dy
			next, ok := successor(edges, first, y0, e)
			if !ok {
				return nil, fmt.Errorf("region: Trace: inconsistent boundary at (%d, %d)", edges[e].ex, edges[e].ey)
			}
			if next == start {
				break
			}
			if visited[next] {
				return nil, fmt.Errorf("region: Trace: boundary revisits (%d, %d)", edges[next].x, edges[next].y)
			}
			e = next
		}
		pts = append(pts, pts[ringStart])
		ends = append(ends, len(pts))
	}

	// One backing array for all rings; each ring is clipped to its length so
	// that appending to one cannot overwrite the next.
	all := slices.Clone(pts)
	poly := make(orb.Polygon, len(ends))
	lo := 0
	for k, hi := range ends {
		poly[k] = orb.Ring(all[lo:hi:hi])
		lo = hi
	}
	return poly, nil
}

// edge is a horizontal or vertical piece of the region's boundary from (x, y)
// to (ex, ey). Edges are oriented so that the region lies on the left of the
// direction of travel as seen on screen (y down): left sides of runs go down,
// bottoms go right, right sides go up, tops go left.
type edge struct{ x, y, ex, ey int32 }

// dir returns the unit direction of e.
func (e edge) dir() (dx, dy int32) {
	return int32(cmp.Compare(e.ex, e.x)), int32(cmp.Compare(e.ey, e.y))
}

// successor returns the index of the edge that follows edges[e] on its ring.
// edges are sorted by start vertex, and first[l] is the index of the first
// edge starting on the grid line y0+l.
//
// Every vertex starts as many edges as end there: one, or two at a corner
// where two pixels of the region meet only diagonally. Say pixels A = (0, 0)
// and B = (1, 1) are in the region and (1, 0), (0, 1) are not; at the vertex
// (1, 1) arrive the bottom of A (going right) and the top of B (going left),
// and leave the right side of A (going up) and the left side of B (going
// down). Continuing around A's corner would trace A and B as if separated
// and, since they are connected elsewhere, would make a ring pass twice
// through the vertex. Instead the trace turns towards the other pixel: from
// A's bottom down B's left side, from B's top up A's right side. In both cases
// that is a clockwise turn on screen (y down), direction (dx, dy) becoming
// (-dy, dx), and the same holds for the mirrored configuration.
func successor(edges []edge, first []int32, y0 int32, e int) (int, bool) {
	x, y := edges[e].ex, edges[e].ey
	l := int(y - y0)
	if l < 0 || l+1 >= len(first) {
		return 0, false
	}
	// Binary search for the first edge of the line starting at or after x.
	lo, hi := int(first[l]), int(first[l+1])
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if edges[m].x < x {
			lo = m + 1
		} else {
			hi = m
		}
	}
	end := int(first[l+1])
	if lo == end || edges[lo].x != x {
		return 0, false
	}
	if lo+1 < end && edges[lo+1].x == x {
		// Diagonal corner: take the clockwise (on screen) turn.
		dx, dy := edges[e].dir()
		if ndx, ndy := edges[lo].dir(); ndx == -dy && ndy == dx {
			return lo, true
		}
		return lo + 1, true
	}
	return lo, true
}

// boundary returns the boundary edges of the pixels covered by the canonical
// runs of a 4-connected region, sorted by start vertex (y, then x; the two
// edges leaving a diagonal corner are in no particular order), and first,
// where first[l] is the index of the first edge starting on the grid line
// y0+l and first[lines] == len(edges). The region's rows are y0 … y0+lines-2.
func boundary(runs []Run, y0 int32, lines int) (edges []edge, first []int32) {
	edges = make([]edge, 0, 4*len(runs))
	first = make([]int32, lines+1)
	// Rows of a 4-connected region are consecutive, so each row has the
	// previous one directly above it.
	var above []Run
	lo := 0
	for l := range lines {
		hi := lo
		for hi < len(runs) && runs[hi].Y == y0+int32(l) {
			hi++
		}
		first[l] = int32(len(edges))
		edges = gridLine(edges, y0+int32(l), above, runs[lo:hi])
		above = runs[lo:hi]
		lo = hi
	}
	first[lines] = int32(len(edges))
	return edges, first
}

// gridLine appends, in order of x, the boundary edges that start on the grid
// line y, between the runs of the row above it (a, row y-1) and the row below
// it (b, row y).
//
// It sweeps the points where the pair (pixel above set, pixel below set)
// changes along the line. At such a point x start: the right side of a run
// of a ending at x (going up), the left side of a run of b starting at x
// (going down), the bottom of a piece of a not covered by b starting at x
// (going right) and the top of a piece of b not covered by a ending at x
// (going left, towards its other end).
func gridLine(edges []edge, y int32, a, b []Run) []edge {
	const inf = int64(1) << 40
	// next returns the next change point of runs, given that runs[i] is the
	// current or next run and whether the sweep is inside it.
	next := func(runs []Run, i int, in bool) int64 {
		switch {
		case in:
			return int64(runs[i].X1)
		case i < len(runs):
			return int64(runs[i].X0)
		}
		return inf
	}
	var (
		i, j     int  // the current or next run of a and of b
		inA, inB bool // whether the pixels just left of the sweep are set
		bottom   int  // index of the open bottom edge
		topStart int32
		nextA    = next(a, 0, false)
		nextB    = next(b, 0, false)
	)
	for {
		x64 := min(nextA, nextB)
		if x64 == inf {
			return edges
		}
		x := int32(x64)
		// Whether the pixels just right of x are set.
		outA, outB := inA, inB
		if nextA == x64 {
			outA = !inA
			if inA {
				i++
			}
			nextA = next(a, i, outA)
		}
		if nextB == x64 {
			outB = !inB
			if inB {
				j++
			}
			nextB = next(b, j, outB)
		}
		if inA && !outA {
			edges = append(edges, edge{x, y, x, y - 1}) // right side of a run above
		}
		if !inB && outB {
			edges = append(edges, edge{x, y, x, y + 1}) // left side of a run below
		}
		// Bottoms: above set, below not. The end is filled in when it closes.
		wasBottom, isBottom := inA && !inB, outA && !outB
		if wasBottom && !isBottom {
			edges[bottom].ex = x
		}
		if isBottom && !wasBottom {
			bottom = len(edges)
			edges = append(edges, edge{x, y, x, y})
		}
		// Tops: below set, above not. They start at their right end.
		wasTop, isTop := !inA && inB, !outA && outB
		if wasTop && !isTop {
			edges = append(edges, edge{x, y, topStart, y})
		}
		if isTop && !wasTop {
			topStart = x
		}
		inA, inB = outA, outB
	}
}

// components returns the number of 4-connected regions of canonical runs.
func components(runs []Run) int {
	uf := newUnionFind(len(runs))
	linkRows(runs, func(i, j int) { uf.union(int32(i), int32(j)) })
	n := 0
	for i := range uf {
		if uf[i] == int32(i) {
			n++
		}
	}
	return n
}
