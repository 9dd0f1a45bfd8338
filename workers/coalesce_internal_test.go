package workers

import "testing"

// Nearby ranges share a request; distant ones, and a request that would
// grow beyond coalesceMax, do not.
func TestCoalesce(t *testing.T) {
	b := func(n int) []byte { return make([]byte, n) }
	cases := []struct {
		name  string
		bufs  [][]byte
		offs  []int64
		want  int // requests
		first []int
	}{
		{"one block row", [][]byte{b(100), b(100), b(100)}, []int64{200, 0, 100}, 1, []int{1, 2, 0}},
		{"a gap under 256 KiB", [][]byte{b(10), b(10)}, []int64{0, coalesceGap}, 1, []int{0, 1}},
		{"a gap over 256 KiB", [][]byte{b(10), b(10)}, []int64{0, coalesceGap + 11}, 2, []int{0}},
		{"too long together", [][]byte{b(coalesceMax / 2), b(coalesceMax/2 + 1)}, []int64{0, coalesceMax / 2}, 2, []int{0}},
		{"empty ranges skipped", [][]byte{b(0), b(5)}, []int64{1 << 40, 3}, 1, []int{1}},
	}
	for _, c := range cases {
		g := coalesce(c.bufs, c.offs)
		if len(g) != c.want {
			t.Errorf("%s: %d requests, want %d (%+v)", c.name, len(g), c.want, g)
			continue
		}
		if len(g[0].idx) != len(c.first) {
			t.Errorf("%s: first request serves %v, want %v", c.name, g[0].idx, c.first)
			continue
		}
		for i := range c.first {
			if g[0].idx[i] != c.first[i] {
				t.Errorf("%s: first request serves %v, want %v", c.name, g[0].idx, c.first)
			}
		}
	}
}
