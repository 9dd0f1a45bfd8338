package region

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// tileSizes are the tilings of the tiling-invariance test; 0 means the whole
// width or height.
var tileSizes = [][2]int{{1, 1}, {7, 5}, {16, 16}, {64, 64}, {13, 29}, {50, 37}, {1, 0}, {0, 1}, {0, 0}}

// TestLabelProperty checks that Label partitions the set pixels into their
// 4-connected regions and that Rasterize gives the mask back.
func TestLabelProperty(t *testing.T) {
	t.Parallel()
	for _, c := range propertyMasks() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			checkLabel(t, c.mask, c.w, c.h, 0, 0, Label(c.mask, c.w, c.h, 0, 0))
			checkLabel(t, c.mask, c.w, c.h, -1000, 77, Label(c.mask, c.w, c.h, -1000, 77))
		})
	}
}

// TestTilingInvariance checks that labelling tiles and merging them gives
// exactly the labels of the whole mask, for any tiling and any input order.
func TestTilingInvariance(t *testing.T) {
	t.Parallel()
	for _, c := range propertyMasks() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			whole := Label(c.mask, c.w, c.h, 0, 0)
			rng := rand.New(rand.NewPCG(uint64(len(c.mask)), 42))
			for _, ts := range tileSizes {
				tw, th := ts[0], ts[1]
				if tw == 0 {
					tw = c.w
				}
				if th == 0 {
					th = c.h
				}
				name := fmt.Sprintf("tiles %dx%d", tw, th)
				parts := flatten(labelTiles(c.mask, c.w, c.h, tw, th))
				groups := Merge(parts)
				checkGroups(t, name, parts, groups, whole)

				// Shuffled parts, with their runs reversed and split into
				// touching pieces: same runs, Parts renumbered.
				perm := rng.Perm(len(parts))
				shuffled := make([][]Run, len(parts))
				for i, p := range perm {
					shuffled[p] = messUp(parts[i])
				}
				sg := Merge(shuffled)
				checkGroups(t, name+" shuffled", shuffled, sg, whole)
				for g := range groups {
					var back []int
					for _, p := range sg[g].Parts {
						back = append(back, slices.Index(perm, p))
					}
					slices.Sort(back)
					if !slices.Equal(back, groups[g].Parts) {
						t.Fatalf("%s: group %d has parts %v shuffled, %v in order", name, g, back, groups[g].Parts)
					}
				}
			}
		})
	}
}

// messUp returns the runs of a part in reverse order, each split into pieces
// that touch, with an empty run in between.
func messUp(runs []Run) []Run {
	var out []Run
	for i := len(runs) - 1; i >= 0; i-- {
		r := runs[i]
		mid := r.X0 + (r.X1-r.X0)/2
		out = append(out, Run{r.Y, mid, r.X1}, Run{r.Y, r.X0, r.X0}, Run{r.Y, r.X0, mid})
	}
	return out
}

// checkGroups verifies Merge's groups against the labels of the whole mask:
// same runs in the same order, and each part in exactly one group whose runs
// contain it.
func checkGroups(t *testing.T, name string, parts [][]Run, groups []Group, whole [][]Run) {
	t.Helper()
	if len(groups) != len(whole) {
		t.Fatalf("%s: Merge gave %d groups, Label of the whole mask %d regions", name, len(groups), len(whole))
	}
	seen := make([]int, len(parts))
	for g, gr := range groups {
		if !slices.Equal(gr.Runs, whole[g]) {
			t.Fatalf("%s: group %d runs\n%v\nwant\n%v", name, g, gr.Runs, whole[g])
		}
		if !slices.IsSorted(gr.Parts) || len(gr.Parts) == 0 {
			t.Fatalf("%s: group %d parts %v not sorted or empty", name, g, gr.Parts)
		}
		var union []Run
		for _, p := range gr.Parts {
			seen[p]++
			union = append(union, parts[p]...)
		}
		if !slices.Equal(Canonical(union), gr.Runs) {
			t.Fatalf("%s: group %d: union of its parts differs from its runs", name, g)
		}
	}
	for p, n := range seen {
		if want := min(int(Area(parts[p])), 1); n != want {
			t.Fatalf("%s: part %d is in %d groups, want %d", name, p, n, want)
		}
	}
}

// TestTraceProperty checks every traced region of the generated masks, and
// that tracing a region merged from tiles gives the same polygon.
func TestTraceProperty(t *testing.T) {
	t.Parallel()
	for _, c := range propertyMasks() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			whole := Label(c.mask, c.w, c.h, 3, -8)
			for _, reg := range whole {
				p, err := Trace(reg)
				if err != nil {
					t.Fatalf("Trace:\n%s: %v", picture(reg), err)
				}
				checkPolygon(t, reg, p)
			}
			for _, ts := range [][2]int{{1, 1}, {7, 5}, {16, 16}} {
				var tiles [][][]Run
				for _, tl := range tiling(c.w, c.h, ts[0], ts[1]) {
					sub := make([]uint8, 0, tl.w*tl.h)
					for y := tl.y; y < tl.y+tl.h; y++ {
						sub = append(sub, c.mask[y*c.w+tl.x:y*c.w+tl.x+tl.w]...)
					}
					tiles = append(tiles, Label(sub, tl.w, tl.h, int32(tl.x)+3, int32(tl.y)-8))
				}
				groups, polys, err := Stitch(tiles)
				if err != nil {
					t.Fatal(err)
				}
				if len(groups) != len(whole) {
					t.Fatalf("tiles %v: %d groups, want %d", ts, len(groups), len(whole))
				}
				for i, reg := range whole {
					want, _ := Trace(reg)
					if !reflect.DeepEqual(polys[i], want) {
						t.Fatalf("tiles %v: region %d: merged trace\n%v\nwhole trace\n%v", ts, i, polys[i], want)
					}
				}
			}
		})
	}
}

// TestTraceDense traces every pattern of a 4×4 window (as the one region of
// each connected pattern) so that all local corner configurations occur.
func TestTraceDense(t *testing.T) {
	t.Parallel()
	const w, h = 4, 4
	for bits := 1; bits < 1<<(w*h); bits++ {
		m := make([]uint8, w*h)
		for i := range m {
			m[i] = uint8(bits >> i & 1)
		}
		regions := Label(m, w, h, 0, 0)
		for _, reg := range regions {
			p, err := Trace(reg)
			if err != nil {
				t.Fatalf("mask %#x: %v", bits, err)
			}
			checkPolygon(t, reg, p)
		}
	}
}
