package overlay_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/paulmach/orb"
	"github.com/weipian/weipian/pipeline/overlay"
)

// star returns a random simple polygon in metres, star-shaped around c:
// k vertices at jittered angles and radii in [0.3r, r], in random
// orientation.
func star(rng *rand.Rand, c xy, r float64, k int) []xy {
	pts := make([]xy, k)
	for i := range pts {
		a := 2 * math.Pi * (float64(i) + 0.6*(rng.Float64()-0.5)) / float64(k)
		rad := r * (0.3 + 0.7*rng.Float64())
		pts[i] = xy{c[0] + rad*math.Cos(a), c[1] + rad*math.Sin(a)}
	}
	if rng.IntN(2) == 0 {
		reverse(pts)
	}
	return pts
}

// convex returns a random convex polygon in metres: k points on a circle of
// radius r around c, counter-clockwise.
func convex(rng *rand.Rand, c xy, r float64, k int) []xy {
	pts := make([]xy, k)
	for i := range pts {
		a := 2 * math.Pi * (float64(i) + 0.8*(rng.Float64()-0.5)) / float64(k)
		pts[i] = xy{c[0] + r*math.Cos(a), c[1] + r*math.Sin(a)}
	}
	return pts
}

func reverse(pts []xy) {
	for i, j := 0, len(pts)-1; i < j; i, j = i+1, j-1 {
		pts[i], pts[j] = pts[j], pts[i]
	}
}

// clipHalf clips the metre polygon pts to the half-plane left of the
// directed line a→b (Sutherland–Hodgman). The result may have zero-width
// bridges along the line, but its area is that of the intersection.
func clipHalf(pts []xy, a, b xy) []xy {
	side := func(p xy) float64 { return (b[0]-a[0])*(p[1]-a[1]) - (b[1]-a[1])*(p[0]-a[0]) }
	var out []xy
	for i := range pts {
		p, q := pts[i], pts[(i+1)%len(pts)]
		sp, sq := side(p), side(q)
		if sp >= 0 {
			out = append(out, p)
		}
		if (sp >= 0) != (sq >= 0) {
			t := sp / (sp - sq)
			out = append(out, xy{p[0] + t*(q[0]-p[0]), p[1] + t*(q[1]-p[1])})
		}
	}
	return out
}

// clipConvex clips pts to the counter-clockwise convex polygon c.
func clipConvex(pts, c []xy) []xy {
	for i := range c {
		if len(pts) == 0 {
			break
		}
		pts = clipHalf(pts, c[i], c[(i+1)%len(c)])
	}
	return pts
}

// metreArea is the area of a metre polygon with holes.
func metreArea(rings ...[]xy) float64 {
	a := shoelace(rings[0])
	for _, h := range rings[1:] {
		a -= shoelace(h)
	}
	return a
}

// validPiece reports whether a clipped metre polygon still has an area.
func validPiece(pts []xy) bool { return len(pts) >= 3 && shoelace(pts) > 1e-6 }

func polyOf(rings ...[]xy) orb.Polygon {
	p := make(orb.Polygon, len(rings))
	for i, r := range rings {
		p[i] = ringOf(r)
	}
	return p
}

// hitArea returns the area of the hit with the given ID, or 0.
func hitArea(r overlay.Result, id string) float64 {
	for _, h := range r.Hits {
		if h.ID == id {
			return h.AreaM2
		}
	}
	return 0
}

func mustLayer(t testing.TB, fs []overlay.Feature, opts ...overlay.Option) *overlay.Layer {
	t.Helper()
	l, err := overlay.NewLayer(fs, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func mustOverlay(t testing.TB, l *overlay.Layer, p orb.Polygon) overlay.Result {
	t.Helper()
	r, err := l.Overlay(p)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// randomPair returns two random polygons (metres) that overlap in part:
// star-shaped, sometimes with a hole.
func randomPair(rng *rand.Rand) (a, b [][]xy) {
	mk := func(c xy) [][]xy {
		r := 20 + 80*rng.Float64()
		k := 5 + rng.IntN(40)
		p := [][]xy{star(rng, c, r, k)}
		if rng.IntN(3) == 0 {
			h := convex(rng, c, 0.1*r, 3+rng.IntN(5)) // inside: r·0.3·cos(0.8π/5) > 0.1r
			if rng.IntN(2) == 0 {
				reverse(h)
			}
			p = append(p, h)
		}
		return p
	}
	a = mk(xy{0, 0})
	b = mk(xy{100 * (rng.Float64() - 0.5), 100 * (rng.Float64() - 0.5)})
	return a, b
}

// Against an independent reference: Sutherland–Hodgman clipping of random
// non-convex polygons with holes by random convex polygons, in metres.
func TestAgainstSutherlandHodgman(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 300 {
		a, _ := randomPair(rng)
		c := convex(rng, xy{80 * (rng.Float64() - 0.5), 80 * (rng.Float64() - 0.5)}, 10+60*rng.Float64(), 3+rng.IntN(12))
		want := shoelace(clipConvex(a[0], c))
		for _, h := range a[1:] {
			want -= shoelace(clipConvex(h, c))
		}
		l := mustLayer(t, []overlay.Feature{{ID: "C", Geometry: orb.MultiPolygon{polyOf(c)}}}, overlay.WithMinHitArea(0))
		r := mustOverlay(t, l, polyOf(a...))
		if got := hitArea(r, "C"); !near(got, want) || !near(r.Covered, want) {
			t.Errorf("case %d: hit %.9f, covered %.9f, want %.9f", i, got, r.Covered, want)
		}
		if !near(r.AreaM2, metreArea(a...)) {
			t.Errorf("case %d: AreaM2 %.9f, want %.9f", i, r.AreaM2, metreArea(a...))
		}
	}
}

// area(A∩B) = area(B∩A) ≤ min(area A, area B).
func TestSymmetryAndBounds(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 300 {
		a, b := randomPair(rng)
		pa, pb := polyOf(a...), polyOf(b...)
		la := mustLayer(t, []overlay.Feature{{ID: "A", Geometry: orb.MultiPolygon{pa}}}, overlay.WithMinHitArea(0))
		lb := mustLayer(t, []overlay.Feature{{ID: "B", Geometry: orb.MultiPolygon{pb}}}, overlay.WithMinHitArea(0))
		ab := mustOverlay(t, lb, pa) // patch A against layer {B}
		ba := mustOverlay(t, la, pb)
		x, y := hitArea(ab, "B"), hitArea(ba, "A")
		if !near(x, y) || !near(ab.Covered, ba.Covered) {
			t.Errorf("case %d: area(A∩B) %.9f ≠ area(B∩A) %.9f", i, x, y)
		}
		if x > min(ab.AreaM2, ba.AreaM2)*(1+1e-12) {
			t.Errorf("case %d: area(A∩B) %.9f > min(%.9f, %.9f)", i, x, ab.AreaM2, ba.AreaM2)
		}
	}
}

// Cutting B into pieces (by two lines, so the pieces share edges and may
// have zero-width bridges) and overlaying A with the pieces gives hits that
// add up to area(A∩B), and Covered equals it too.
func TestSplitAdditivity(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 200 {
		a, b := randomPair(rng)
		whole := mustOverlay(t, mustLayer(t, []overlay.Feature{{ID: "B", Geometry: orb.MultiPolygon{polyOf(b...)}}}, overlay.WithMinHitArea(0)), polyOf(a...))
		// Two cutting lines through random points near B's centre.
		c := b[0][0]
		p := xy{c[0] + 30*(rng.Float64()-0.5), c[1] + 30*(rng.Float64()-0.5)}
		ang := math.Pi * rng.Float64()
		d := xy{math.Cos(ang), math.Sin(ang)}
		q := xy{p[0] + d[0], p[1] + d[1]}
		p2 := xy{p[0] - d[1], p[1] + d[0]} // perpendicular through p
		var fs []overlay.Feature
		for k, half := range [][2]xy{{p, q}, {q, p}} {
			for m, half2 := range [][2]xy{{p, p2}, {p2, p}} {
				var rings [][]xy
				for j, r := range b {
					piece := clipHalf(clipHalf(r, half[0], half[1]), half2[0], half2[1])
					if !validPiece(piece) {
						if j == 0 {
							break
						}
						continue
					}
					rings = append(rings, piece)
				}
				if len(rings) > 0 {
					fs = append(fs, overlay.Feature{ID: string(rune('a' + 2*k + m)), Geometry: orb.MultiPolygon{polyOf(rings...)}})
				}
			}
		}
		r := mustOverlay(t, mustLayer(t, fs, overlay.WithMinHitArea(0)), polyOf(a...))
		var sum float64
		for _, h := range r.Hits {
			sum += h.AreaM2
		}
		want := hitArea(whole, "B")
		if !near(sum, want) || !near(r.Covered, want) {
			t.Errorf("case %d: %d pieces: hits add up to %.9f, covered %.9f, whole %.9f", i, len(fs), sum, r.Covered, want)
		}
	}
}

// Covered follows inclusion–exclusion for two overlapping convex features:
// area(A∩(C1∪C2)) = area(A∩C1) + area(A∩C2) − area(A∩C1∩C2), the last by
// Sutherland–Hodgman.
func TestCoveredInclusionExclusion(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for i := range 300 {
		a, _ := randomPair(rng)
		c1 := convex(rng, xy{60 * (rng.Float64() - 0.5), 60 * (rng.Float64() - 0.5)}, 10+50*rng.Float64(), 3+rng.IntN(10))
		c2 := convex(rng, xy{60 * (rng.Float64() - 0.5), 60 * (rng.Float64() - 0.5)}, 10+50*rng.Float64(), 3+rng.IntN(10))
		both := shoelace(clipConvex(clipConvex(a[0], c1), c2))
		for _, h := range a[1:] {
			both -= shoelace(clipConvex(clipConvex(h, c1), c2))
		}
		l := mustLayer(t, []overlay.Feature{
			{ID: "C1", Geometry: orb.MultiPolygon{polyOf(c1)}},
			{ID: "C2", Geometry: orb.MultiPolygon{polyOf(c2)}},
		}, overlay.WithMinHitArea(0))
		r := mustOverlay(t, l, polyOf(a...))
		want := hitArea(r, "C1") + hitArea(r, "C2") - both
		if !near(r.Covered, want) {
			t.Errorf("case %d: Covered %.9f, want %.9f", i, r.Covered, want)
		}
		if r.Covered > r.AreaM2 {
			t.Errorf("case %d: Covered %.17g > AreaM2 %.17g", i, r.Covered, r.AreaM2)
		}
	}
}

// randomLayer returns a jittered grid of parcels with some mid-edge
// vertices and a few large wiggly features, and random patches, in
// lon/lat.
func randomLayer(rng *rand.Rand) ([]overlay.Feature, []orb.Polygon) {
	const n, cell = 12, 50.0
	node := func(i, j int) xy {
		h := uint64(i*7919 + j*104729)
		jx := float64(h%13)/13 - 0.5
		jy := float64(h%17)/17 - 0.5
		return xy{float64(i)*cell + 8*jx, float64(j)*cell + 8*jy}
	}
	var fs []overlay.Feature
	for i := range n {
		for j := range n {
			pts := []xy{node(i, j), node(i+1, j), node(i+1, j+1), node(i, j+1)}
			if (i+j)%3 == 0 { // a vertex on the edge (T-junction for the neighbour)
				m := xy{(pts[1][0] + pts[2][0]) / 2, (pts[1][1] + pts[2][1]) / 2}
				pts = []xy{pts[0], pts[1], m, pts[2], pts[3]}
			}
			fs = append(fs, overlay.Feature{ID: string(rune(0x4e00 + i*n + j)), Geometry: orb.MultiPolygon{polyOf(pts)}})
		}
	}
	// Large features: a 300-gon disc with a hole, overlapping the grid.
	big := star(rng, xy{300, 300}, 250, 300)
	fs = append(fs, overlay.Feature{ID: "big", Geometry: orb.MultiPolygon{polyOf(big, convex(rng, xy{300, 300}, 40, 100))}})
	var patches []orb.Polygon
	for range 200 {
		c := xy{600 * rng.Float64(), 600 * rng.Float64()}
		var p orb.Polygon
		switch rng.IntN(3) {
		case 0:
			p = polyOf(star(rng, c, 10+60*rng.Float64(), 4+rng.IntN(57)))
		case 1: // a parcel exactly
			p = fs[rng.IntN(n*n)].Geometry[0]
		default: // a staircase of 2 m pixels
			var pts []xy
			x0, y0 := 2*math.Round(c[0]/2), 2*math.Round(c[1]/2)
			steps := 2 + rng.IntN(12)
			for s := range steps {
				pts = append(pts, xy{x0 + float64(2*s), y0 + float64(2*s)}, xy{x0 + float64(2*s+2), y0 + float64(2*s)})
			}
			pts = append(pts, xy{x0 + float64(2*steps), y0 - 10}, xy{x0, y0 - 10})
			p = polyOf(pts)
		}
		patches = append(patches, p)
	}
	return fs, patches
}

// The per-zone prepared path for large features gives the same areas as
// projecting every feature for every patch.
func TestLargeFeaturePath(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	fs, patches := randomLayer(rng)
	small := mustLayer(t, fs, overlay.WithLargeVertices(math.MaxInt))
	large := mustLayer(t, fs, overlay.WithLargeVertices(0))
	for i, p := range patches {
		rs, rl := mustOverlay(t, small, p), mustOverlay(t, large, p)
		if rs.AreaM2 != rl.AreaM2 || !near(rs.Covered, rl.Covered) || len(rs.Hits) != len(rl.Hits) {
			t.Fatalf("patch %d: small path %+v, large path %+v", i, rs, rl)
		}
		for k := range rs.Hits {
			if rs.Hits[k].ID != rl.Hits[k].ID || !near(rs.Hits[k].AreaM2, rl.Hits[k].AreaM2) {
				t.Errorf("patch %d: hit %d: %v vs %v", i, k, rs.Hits[k], rl.Hits[k])
			}
		}
		var sum float64
		for _, h := range rs.Hits {
			sum += h.AreaM2
		}
		if rs.Covered > rs.AreaM2 || sum < rs.Covered-1e-6 {
			t.Errorf("patch %d: AreaM2 %v, Covered %v, hits add up to %v", i, rs.AreaM2, rs.Covered, sum)
		}
	}
}

// OverlayAll gives exactly the results of Overlay, for any number of
// workers.
func TestOverlayAllDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	fs, patches := randomLayer(rng)
	for range 3 {
		patches = append(patches, patches...)
	}
	l := mustLayer(t, fs)
	want := make([]overlay.Result, len(patches))
	for i, p := range patches {
		want[i] = mustOverlay(t, l, p)
	}
	for _, workers := range []int{0, 1, 3, 16} {
		got, err := l.OverlayAll(context.Background(), patches, workers)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("workers=%d: results differ from Overlay", workers)
		}
	}
	multi := make([]orb.MultiPolygon, len(patches))
	for i, p := range patches {
		multi[i] = orb.MultiPolygon{p}
	}
	got, err := l.OverlayAllMulti(context.Background(), multi, 2)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("OverlayAllMulti: err %v, results equal: %v", err, reflect.DeepEqual(got, want))
	}
}

func TestOverlayAllCancelled(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	fs, patches := randomLayer(rng)
	l := mustLayer(t, fs)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.OverlayAll(ctx, patches, 2); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if r, err := l.OverlayAll(context.Background(), nil, 2); err != nil || len(r) != 0 {
		t.Errorf("no patches: %v, %v", r, err)
	}
}

// A patch that is exactly a parcel of a tiled layer (shared edges with all
// its neighbours, T-junctions on some of them) hits that parcel alone and is
// covered exactly.
func TestPatchEqualsParcel(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	fs, _ := randomLayer(rng)
	fs = fs[:len(fs)-1] // the grid only
	l := mustLayer(t, fs)
	for _, f := range fs {
		r, err := l.OverlayMulti(f.Geometry)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Hits) != 1 || r.Hits[0].ID != f.ID || !near(r.Hits[0].AreaM2, r.AreaM2) || !near(r.Covered, r.AreaM2) {
			t.Errorf("parcel %s: AreaM2 %.9f, Covered %.9f, Hits %v", f.ID, r.AreaM2, r.Covered, r.Hits)
		}
	}
}
