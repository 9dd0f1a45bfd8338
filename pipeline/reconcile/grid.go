package reconcile

import "math"

// maxCells bounds the dense grid (4 Mi cells = 16 MiB of offsets).
const maxCells = 1 << 22

// grid is a dense uniform grid over a projected extent, in compressed-row
// form: the items of cell c are items[start[c]:start[c+1]]. It is built once
// and then only read, so it is safe for concurrent queries.
type grid struct {
	x0, y0, cs float64
	nx, ny     int
	start      []int32
	items      []int32
}

// newGrid lays a grid of about cell metres over ext, coarser if needed to
// stay under maxCells.
func newGrid(ext box, cell float64) *grid {
	w, h := ext.maxx-ext.minx, ext.maxy-ext.miny
	cell = max(cell, 1)
	for (w/cell+1)*(h/cell+1) > maxCells {
		cell *= 1.5
	}
	return &grid{
		x0: ext.minx, y0: ext.miny, cs: cell,
		nx: int(w/cell) + 1, ny: int(h/cell) + 1,
	}
}

// span returns the cell index range covered by b, clamped to the grid, and
// false if b misses the grid.
func (g *grid) span(b box) (i0, j0, i1, j1 int, ok bool) {
	fi0 := math.Floor((b.minx - g.x0) / g.cs)
	fj0 := math.Floor((b.miny - g.y0) / g.cs)
	fi1 := math.Floor((b.maxx - g.x0) / g.cs)
	fj1 := math.Floor((b.maxy - g.y0) / g.cs)
	if fi1 < 0 || fj1 < 0 || fi0 >= float64(g.nx) || fj0 >= float64(g.ny) || math.IsNaN(fi0+fj0+fi1+fj1) {
		return 0, 0, 0, 0, false
	}
	i0 = int(max(fi0, 0))
	j0 = int(max(fj0, 0))
	i1 = int(min(fi1, float64(g.nx-1)))
	j1 = int(min(fj1, float64(g.ny-1)))
	return i0, j0, i1, j1, true
}

// fill indexes n items; bb returns an item's box, or false to leave it out.
// bb is called twice per item.
func (g *grid) fill(n int, bb func(i int) (box, bool)) {
	count := make([]int32, g.nx*g.ny+1)
	for i := range n {
		b, ok := bb(i)
		if !ok {
			continue
		}
		i0, j0, i1, j1, ok := g.span(b)
		if !ok {
			continue
		}
		for j := j0; j <= j1; j++ {
			for ii := i0; ii <= i1; ii++ {
				count[j*g.nx+ii+1]++
			}
		}
	}
	for c := 1; c < len(count); c++ {
		count[c] += count[c-1]
	}
	g.start = count
	g.items = make([]int32, count[len(count)-1])
	next := make([]int32, len(count)-1)
	copy(next, count[:len(count)-1])
	for i := range n {
		b, ok := bb(i)
		if !ok {
			continue
		}
		i0, j0, i1, j1, ok := g.span(b)
		if !ok {
			continue
		}
		for j := j0; j <= j1; j++ {
			for ii := i0; ii <= i1; ii++ {
				c := j*g.nx + ii
				g.items[next[c]] = int32(i)
				next[c]++
			}
		}
	}
}

// query calls visit for every item indexed in a cell that b overlaps. An
// item spanning several cells is visited once per cell; callers dedupe.
func (g *grid) query(b box, visit func(item int32)) {
	i0, j0, i1, j1, ok := g.span(b)
	if !ok {
		return
	}
	for j := j0; j <= j1; j++ {
		for i := i0; i <= i1; i++ {
			c := j*g.nx + i
			for _, it := range g.items[g.start[c]:g.start[c+1]] {
				visit(it)
			}
		}
	}
}
