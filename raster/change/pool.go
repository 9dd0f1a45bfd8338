package change

import "sync"

// Scratch planes of a tile are large (8 bytes per pixel each) and short-lived:
// they are kept for the next tile rather than given back to the allocator,
// whose fresh pages the kernel would have to fault in and zero again.
var f64Pool, i64Pool sync.Pool

// getF64 returns a zeroed plane of n values.
func getF64(n int) []float64 {
	if p, ok := f64Pool.Get().(*[]float64); ok && cap(*p) >= n {
		s := (*p)[:n]
		clear(s)
		return s
	}
	return make([]float64, n)
}

// putF64 keeps s for a later getF64; the caller must not use it after.
func putF64(s []float64) {
	if cap(s) > 0 {
		f64Pool.Put(&s)
	}
}

// getSumTable returns a summed-area table of (w+1)×(h+1) values whose first
// row and first column are 0; the other values are whatever was there (the
// caller writes every one of them).
func getSumTable(w, h int) []int64 {
	w1, n := w+1, (w+1)*(h+1)
	p, ok := i64Pool.Get().(*[]int64)
	if !ok || cap(*p) < n {
		return make([]int64, n)
	}
	s := (*p)[:n]
	clear(s[:w1])
	for y := 1; y <= h; y++ {
		s[y*w1] = 0
	}
	return s
}

func putSumTable(s []int64) {
	if cap(s) > 0 {
		i64Pool.Put(&s)
	}
}
