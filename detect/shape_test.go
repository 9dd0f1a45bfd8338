package detect

import (
	"math"
	"testing"

	"github.com/weipian/weipian/raster/region"
)

func TestShape(t *testing.T) {
	rect := func(x0, y0, w, h int32) []region.Run {
		var rs []region.Run
		for y := y0; y < y0+h; y++ {
			rs = append(rs, region.Run{Y: y, X0: x0, X1: x0 + w})
		}
		return rs
	}
	for _, tc := range []struct {
		name          string
		runs          []region.Run
		px, len, wide float64
	}{
		{"10×2 bar", rect(5, 7, 10, 2), 1, 10, 2},
		{"2×10 bar, 2 m pixels", rect(0, 0, 2, 10), 2, 20, 4},
		{"30×30 square", rect(0, 0, 30, 30), 0.5, 15, 15},
	} {
		l, w, fill := shape(tc.runs, tc.px)
		if math.Abs(l-tc.len) > 0.02*tc.len || math.Abs(w-tc.wide) > 0.02*tc.wide {
			t.Errorf("%s: length %.3f width %.3f, want %.1f × %.1f", tc.name, l, w, tc.len, tc.wide)
		}
		if fill < 0.97 {
			t.Errorf("%s: a rectangle fills %.3f of its equivalent rectangle, want about 1", tc.name, fill)
		}
	}
	// A ring (the edges of a 30×30 field) fills much less.
	var ring []region.Run
	for y := int32(0); y < 30; y++ {
		if y < 2 || y >= 28 {
			ring = append(ring, region.Run{Y: y, X0: 0, X1: 30})
		} else {
			ring = append(ring, region.Run{Y: y, X0: 0, X1: 2}, region.Run{Y: y, X0: 28, X1: 30})
		}
	}
	if _, _, fill := shape(ring, 1); fill > 0.4 {
		t.Errorf("a ring fills %.3f of its equivalent rectangle, want < 0.4", fill)
	}
}
