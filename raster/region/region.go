package region

import (
	"cmp"
	"slices"
)

// Run is a horizontal run of set pixels [X0, X1) on row Y, in scene pixel
// coordinates (x to the right, y down). A run with X1 <= X0 is empty and is
// ignored by every function of this package.
type Run struct{ Y, X0, X1 int32 }

// compareRuns orders runs by Y, then X0, then X1.
func compareRuns(a, b Run) int {
	if c := cmp.Compare(a.Y, b.Y); c != 0 {
		return c
	}
	if c := cmp.Compare(a.X0, b.X0); c != 0 {
		return c
	}
	return cmp.Compare(a.X1, b.X1)
}

// isCanonical reports whether runs are non-empty, sorted by (Y, X0) and no two
// runs of a row touch or overlap.
func isCanonical(runs []Run) bool {
	for i, r := range runs {
		if r.X1 <= r.X0 {
			return false
		}
		if i > 0 {
			p := runs[i-1]
			if r.Y < p.Y || (r.Y == p.Y && r.X0 <= p.X1) {
				return false
			}
		}
	}
	return true
}

// Canonical sorts runs by (Y, X0) and coalesces touching or overlapping runs
// on the same row; empty runs are dropped. It returns a new slice (nil when
// no pixel is set) and leaves runs unchanged.
func Canonical(runs []Run) []Run {
	out := make([]Run, 0, len(runs))
	for _, r := range runs {
		if r.X0 < r.X1 {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return nil
	}
	if !slices.IsSortedFunc(out, compareRuns) {
		slices.SortFunc(out, compareRuns)
	}
	n := 0
	for _, r := range out[1:] {
		last := &out[n]
		if r.Y == last.Y && r.X0 <= last.X1 {
			last.X1 = max(last.X1, r.X1)
			continue
		}
		n++
		out[n] = r
	}
	return slices.Clip(out[:n+1])
}

// Area returns the number of pixels covered by runs. Pixels covered by several
// runs are counted once.
func Area(runs []Run) int64 {
	if !isCanonical(runs) {
		runs = Canonical(runs)
	}
	var a int64
	for _, r := range runs {
		a += int64(r.X1) - int64(r.X0)
	}
	return a
}

// Bounds returns the bounding box of the pixels covered by runs: minX, minY,
// maxX (exclusive), maxY (exclusive). It returns all zeros when no pixel is
// set.
func Bounds(runs []Run) (x0, y0, x1, y1 int32) {
	first := true
	for _, r := range runs {
		if r.X1 <= r.X0 {
			continue
		}
		if first {
			x0, y0, x1, y1 = r.X0, r.Y, r.X1, r.Y+1
			first = false
			continue
		}
		x0, y0 = min(x0, r.X0), min(y0, r.Y)
		x1, y1 = max(x1, r.X1), max(y1, r.Y+1)
	}
	return x0, y0, x1, y1
}

// Rasterize is the inverse of [Label]: it returns a row-major mask of the
// window of width w and height h whose top-left pixel is (x0, y0), with 1 for
// the pixels covered by runs and 0 elsewhere. Runs are clipped to the window.
// It panics if w or h is negative.
func Rasterize(runs []Run, x0, y0, w, h int32) []uint8 {
	if w < 0 || h < 0 {
		panic("region: Rasterize: negative window size")
	}
	mask := make([]uint8, int(w)*int(h))
	for _, r := range runs {
		y := int64(r.Y) - int64(y0)
		if y < 0 || y >= int64(h) {
			continue
		}
		a := max(int64(r.X0)-int64(x0), 0)
		b := min(int64(r.X1)-int64(x0), int64(w))
		if a >= b {
			continue
		}
		row := mask[int(y)*int(w) : (int(y)+1)*int(w)]
		for i := range row[a:b] {
			row[int(a)+i] = 1
		}
	}
	return mask
}

// unionFind is a disjoint-set forest over 0..n-1. The root of a set is always
// its smallest element, which makes results independent of the order in which
// unions are made.
type unionFind []int32

func newUnionFind(n int) unionFind {
	u := make(unionFind, n)
	for i := range u {
		u[i] = int32(i)
	}
	return u
}

// find returns the root of i, halving the path on the way.
func (u unionFind) find(i int32) int32 {
	for u[i] != i {
		u[i] = u[u[i]]
		i = u[i]
	}
	return i
}

// union joins the sets of a and b.
func (u unionFind) union(a, b int32) {
	a, b = u.find(a), u.find(b)
	switch {
	case a < b:
		u[b] = a
	case b < a:
		u[a] = b
	}
}

// linkRows calls link(i, j) for every pair of runs on adjacent rows whose
// x-intervals overlap (4-connectivity between rows). runs must be canonical.
// It runs in O(len(runs) + number of calls).
func linkRows(runs []Run, link func(i, j int)) {
	prevLo, prevHi := 0, 0 // the runs of the previous non-empty row
	for lo := 0; lo < len(runs); {
		y := runs[lo].Y
		hi := lo + 1
		for hi < len(runs) && runs[hi].Y == y {
			hi++
		}
		if prevHi > prevLo && runs[prevLo].Y == y-1 {
			p := prevLo
			for i := lo; i < hi; i++ {
				r := runs[i]
				// Runs of the previous row that end before r starts cannot
				// overlap r or any later run of this row.
				for p < prevHi && runs[p].X1 <= r.X0 {
					p++
				}
				for q := p; q < prevHi && runs[q].X0 < r.X1; q++ {
					link(q, i)
				}
			}
		}
		prevLo, prevHi = lo, hi
		lo = hi
	}
}
