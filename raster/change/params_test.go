package change

import "testing"

// WeakRegion keeps a region without a pixel above ChangeT only when it is at
// least WeakM2 and its mean strength at least WeakStrength; WeakStrength 1
// turns it off; negative values are refused.
func TestWeakRegion(t *testing.T) {
	p := DefaultParams(0.5)
	p.WeakStrength, p.WeakM2 = 0.6, 2000
	const px = 0.25 // m² of a 0.5 m pixel
	for _, c := range []struct {
		n, sum int64
		want   bool
	}{
		{8000, 8000 * 600, true},    // 2000 m² at a mean of 0.6
		{8000, 8000*600 - 1, false}, // just below the mean
		{7999, 7999 * 900, false},   // just below the area
		{40000, 40000 * 700, true},
		{0, 0, false},
	} {
		if got := p.WeakRegion(c.n, c.sum, px); got != c.want {
			t.Errorf("WeakRegion(%d px, mean %.4f) = %v, want %v", c.n, float64(c.sum)/1000/float64(max(c.n, 1)), got, c.want)
		}
	}
	p.WeakStrength = 1
	if p.WeakRegion(40000, 40000*990, px) {
		t.Error("WeakStrength 1 keeps a weak region; want the rule off")
	}
	for _, bad := range []func(*Params){func(q *Params) { q.WeakStrength = -0.1 }, func(q *Params) { q.WeakM2 = -1 }} {
		q := DefaultParams(0.5)
		bad(&q)
		if err := q.Validate(); err == nil {
			t.Errorf("Validate accepted WeakStrength %v, WeakM2 %v", q.WeakStrength, q.WeakM2)
		}
	}
}
