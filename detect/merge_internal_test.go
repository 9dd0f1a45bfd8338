package detect

import (
	"cmp"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"testing"

	"github.com/paulmach/orb"

	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/raster/change"
	"github.com/weipian/weipian/raster/region"
)

// blobMask is a w×h mask of random blobs, with long snakes that cross many
// tile rows and join late (a U shape whose arms meet only at the bottom).
func blobMask(rng *rand.Rand, w, h int, density float64) []uint8 {
	m := make([]uint8, w*h)
	for i := range m {
		if rng.Float64() < density {
			m[i] = 1
		}
	}
	// grow: a pixel is set when most of its 3×3 neighbourhood is
	out := make([]uint8, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			n := 0
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					xx, yy := x+dx, y+dy
					if xx >= 0 && yy >= 0 && xx < w && yy < h && m[yy*w+xx] == 1 {
						n++
					}
				}
			}
			if n >= 4 {
				out[y*w+x] = 1
			}
		}
	}
	// a U: two vertical arms joined at the bottom row only
	x0, x1 := w/5, w/5+w/3
	for y := 1; y < h-1; y++ {
		out[y*w+x0] = 1
		out[y*w+x1] = 1
	}
	for x := x0; x <= x1; x++ {
		out[(h-2)*w+x] = 1
	}
	// a U whose left arm starts lower than its right one: the region met
	// first along a seam is not the one that started first
	// (the join is halfway down and a tail goes on below it, so the
	// joined region stays open)
	x0, x1 = w/5+w/3+3, w-3
	for y := 1; y < 17*h/20; y++ {
		if y > h/2 {
			out[y*w+x0] = 1
		}
		out[y*w+x1] = 1
	}
	for x := x0; x <= x1; x++ {
		out[(17*h/20)*w+x] = 1
	}
	for y := 17 * h / 20; y < h-1; y++ {
		out[y*w+x0] = 1
	}
	return out
}

// The row-by-row merge gives exactly the regions, runs and statistics of one
// region.Merge over every tile of the scene, whatever the tile size.
func TestRowMergerEqualsSceneMerge(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		w, h := 60+rng.IntN(90), 60+rng.IntN(90)
		density := 0.3 + 0.3*rng.Float64()
		if seed == 1 {
			density = 0 // the shapes alone, no blob joins them early
		}
		m := blobMask(rng, w, h, density)
		for _, size := range []int{7, 16, 33, 1000} {
			// label each tile core, as Tile does
			var rows [][]*change.Part
			var all [][]region.Run
			var allParts []*change.Part
			for ty := 0; ty*size < h; ty++ {
				var row []*change.Part
				for tx := 0; tx*size < w; tx++ {
					cw, ch := min(size, w-tx*size), min(size, h-ty*size)
					core := make([]uint8, cw*ch)
					for y := 0; y < ch; y++ {
						copy(core[y*cw:(y+1)*cw], m[(ty*size+y)*w+tx*size:])
					}
					for _, runs := range region.Label(core, cw, ch, int32(tx*size), int32(ty*size)) {
						p := &change.Part{Class: change.Changed, Runs: runs, Pixels: region.Area(runs), Strong: 1, BrightA: int64(len(runs))}
						row = append(row, p)
						all = append(all, runs)
						allParts = append(allParts, p)
					}
				}
				rows = append(rows, row)
			}
			type reg struct {
				runs          []region.Run
				pixels, other int64
			}
			var want []reg
			for _, g := range region.Merge(all) {
				var st change.Part
				for _, i := range g.Parts {
					st.Add(allParts[i])
				}
				want = append(want, reg{g.Runs, st.Pixels, st.BrightA})
			}
			var got []reg
			var mg rowMerger
			var mark uint64 // no region completed later may sort before it
			for ty, row := range rows {
				y0, y1 := int32(ty*size), int32(min(h, (ty+1)*size))
				err := mg.add(row, y0, y1, ty == len(rows)-1, func(st *change.Part, runs []region.Run) error {
					if firstKey(runs) < mark {
						t.Fatalf("seed %d size %d: region at row %d completes after the mark (row %d)", seed, size, runs[0].Y, mark>>32)
					}
					got = append(got, reg{runs, st.Pixels, st.BrightA})
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				for _, o := range mg.open {
					if want := firstKey(slices.MinFunc(o.chunks, func(a, b []region.Run) int { return cmp.Compare(firstKey(a), firstKey(b)) })); o.first != want {
						t.Fatalf("seed %d size %d: open region's first key %x, want %x", seed, size, o.first, want)
					}
				}
				mark = mg.mark(y1)
			}
			if len(mg.open) != 0 {
				t.Fatalf("seed %d size %d: %d regions left open", seed, size, len(mg.open))
			}
			slices.SortFunc(got, func(a, b reg) int {
				return cmp.Compare(firstKey(a.runs), firstKey(b.runs))
			})
			if len(got) != len(want) {
				t.Fatalf("seed %d size %d: %d regions, scene-wide merge %d", seed, size, len(got), len(want))
			}
			for i := range want {
				if !reflect.DeepEqual(got[i], want[i]) {
					t.Fatalf("seed %d size %d: region %d differs:\n got %v\nwant %v", seed, size, i, got[i], want[i])
				}
			}
		}
	}
}

func TestPatchRecordRoundTrip(t *testing.T) {
	p := pipeline.Patch{ID: "WP0123", Class: "built_gain", ClassLabel: "建设/硬化增加", Confidence: "high",
		Score: 1.2345678901234567, MADChi2: math.Nextafter(3, 4), AreaM2: 812.25, AreaMu: 1.218, AreaCRS: "EPSG:4526",
		CentroidLon: 116.1234567, CentroidLat: 39.7654321, BeforeDate: "2025-10-01", AfterDate: "", Pixels: 1300,
		BrightRatio: 1.7, SatAfter: 0.1, LengthM: 40, WidthM: 20, Elongation: 2, Fill: 0.93,
		BeforeState: "vegetated", AfterState: "built", Reason: "植被→建筑/硬化", Concern: true,
		Geometry: orb.Polygon{{{1, 2}, {3, 4}, {5, 6}, {1, 2}}, {{0.5, 0.25}, {0.75, 0.5}, {0.5, 0.25}}}}
	b := encodePatch(nil, &p)
	q, err := decodePatch(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*q, p) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", *q, p)
	}
	for n := 0; n < len(b); n++ {
		if _, err := decodePatch(b[:n]); err == nil {
			t.Fatalf("a record cut to %d of %d bytes decodes", n, len(b))
		}
	}
}

// Outputs of a run that stops before the end leave nothing behind: the
// writers started by a mark remove their unfinished files.
func TestSpillCollectorAbortLeavesNoFile(t *testing.T) {
	dir, scratch := t.TempDir(), t.TempDir()
	c, err := newSpillCollector(dir, scratch)
	if err != nil {
		t.Fatal(err)
	}
	p := pipeline.Patch{ID: "WP1", Class: "built_gain", Concern: true, Geometry: orb.Polygon{{{1, 1}, {2, 1}, {2, 2}, {1, 1}}}}
	if err := c.add(&p, []region.Run{{Y: 3, X0: 4, X1: 9}}); err != nil {
		t.Fatal(err)
	}
	if err := c.advance(firstKey([]region.Run{{Y: 100}})); err != nil {
		t.Fatal(err)
	}
	c.close()
	for _, d := range []string{dir, scratch} {
		if es, _ := os.ReadDir(d); len(es) != 0 {
			t.Errorf("%s holds %d files after an abandoned run, e.g. %s", d, len(es), es[0].Name())
		}
	}
}
