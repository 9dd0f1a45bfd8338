package overlay

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestRTreeSearch(t *testing.T) {
	for _, n := range []int{0, 1, 15, 16, 17, 256, 1000, 5003} {
		rng := rand.New(rand.NewPCG(uint64(n), 1))
		items := make([]box, n)
		for i := range items {
			x, y := rng.Float64()*1000, rng.Float64()*1000
			items[i] = box{x, y, x + rng.Float64()*20, y + rng.Float64()*20}
		}
		tr := newRTree(items)
		var out, stack []int32
		for q := range 200 {
			x, y := rng.Float64()*1000, rng.Float64()*1000
			qb := box{x, y, x + rng.Float64()*100, y + rng.Float64()*100}
			if q%10 == 0 {
				qb = box{x, y, x, y} // a point
			}
			out, stack = tr.search(qb, out[:0], stack)
			got := slices.Clone(out)
			slices.Sort(got)
			var want []int32
			for i, b := range items {
				if b.intersects(qb) {
					want = append(want, int32(i))
				}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("n=%d query %v: got %v, want %v", n, qb, got, want)
			}
		}
	}
}

func TestHilbertIsABijection(t *testing.T) {
	// On a 256×256 corner of the grid the curve of order 16 visits each
	// cell once; check there are no collisions.
	seen := make(map[uint32]bool)
	for x := range uint32(256) {
		for y := range uint32(256) {
			h := hilbert(x, y)
			if seen[h] {
				t.Fatalf("hilbert(%d, %d) = %d repeats", x, y, h)
			}
			seen[h] = true
		}
	}
}
