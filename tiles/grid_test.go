package tiles

import (
	"image"
	"testing"
)

func TestGridCoversSceneOnce(t *testing.T) {
	for _, tc := range []struct{ w, h, size, halo int }{
		{1000, 1000, 256, 10}, {1, 1, 512, 40}, {513, 257, 256, 0}, {100, 3000, 1024, 100},
	} {
		g, err := NewGrid(tc.w, tc.h, tc.size, tc.halo)
		if err != nil {
			t.Fatal(err)
		}
		seen := make([]int, tc.w*tc.h)
		for _, k := range g.Keys() {
			c := g.Core(k)
			win := g.Window(k)
			if !c.In(win) || !win.In(image.Rect(0, 0, tc.w, tc.h)) {
				t.Fatalf("%+v: tile %v core %v window %v", tc, k, c, win)
			}
			if c.Min.X-win.Min.X != min(tc.halo, c.Min.X) || c.Min.Y-win.Min.Y != min(tc.halo, c.Min.Y) {
				t.Fatalf("%+v: tile %v halo not applied: core %v window %v", tc, k, c, win)
			}
			for y := c.Min.Y; y < c.Max.Y; y++ {
				for x := c.Min.X; x < c.Max.X; x++ {
					seen[y*tc.w+x]++
				}
			}
			back, err := ParseKey(k.String())
			if err != nil || back != k {
				t.Fatalf("key round trip %v -> %q -> %v, %v", k, k.String(), back, err)
			}
		}
		for i, n := range seen {
			if n != 1 {
				t.Fatalf("%+v: pixel %d covered %d times", tc, i, n)
			}
		}
	}
}

func TestGridRejectsBadSizes(t *testing.T) {
	for _, tc := range [][4]int{{0, 1, 1, 0}, {1, 0, 1, 0}, {1, 1, 0, 0}, {1, 1, 1, -1}} {
		if _, err := NewGrid(tc[0], tc[1], tc[2], tc[3]); err == nil {
			t.Errorf("NewGrid%v: want error", tc)
		}
	}
	if _, err := ParseKey("x_1"); err == nil {
		t.Error("ParseKey(x_1): want error")
	}
}
