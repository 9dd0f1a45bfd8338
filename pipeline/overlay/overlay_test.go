package overlay_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/weipian/weipian/pipeline/geodesy"
	"github.com/weipian/weipian/pipeline/overlay"
)

func feat(id string, polys ...orb.Polygon) overlay.Feature {
	return overlay.Feature{ID: id, Geometry: orb.MultiPolygon(polys)}
}

func TestOverlayFixtures(t *testing.T) {
	// A staircase of 10 m pixels along the diagonal y = x of [0,100]²:
	// column i covers y in [0, 10i+10]; its corners (10i+10, 10i+10) lie on
	// the diagonal.
	var stair []xy
	for i := range 10 {
		x := float64(10 * i)
		stair = append(stair, xy{x, x + 10}, xy{x + 10, x + 10})
	}
	stair = append(stair, xy{100, 0}, xy{0, 0})
	// A 60-gon of radius 40 around (50, 50).
	var circle []xy
	for i := range 60 {
		a := 2 * math.Pi * float64(i) / 60
		circle = append(circle, xy{50 + 40*math.Cos(a), 50 + 40*math.Sin(a)})
	}

	tests := []struct {
		name    string
		layer   []overlay.Feature
		patch   orb.MultiPolygon
		area    float64
		covered float64
		hits    []overlay.Hit
	}{
		{
			name:    "inside one parcel",
			layer:   []overlay.Feature{feat("A", poly(rect(0, 0, 300, 300)))},
			patch:   orb.MultiPolygon{poly(rect(100, 100, 200, 200))},
			area:    10000,
			covered: 10000,
			hits:    []overlay.Hit{{"A", 10000}},
		},
		{
			name:    "half over a parcel",
			layer:   []overlay.Feature{feat("A", poly(rect(0, 0, 100, 100)))},
			patch:   orb.MultiPolygon{poly(rect(50, 20, 150, 80))},
			area:    6000,
			covered: 3000,
			hits:    []overlay.Hit{{"A", 3000}},
		},
		{
			name:  "identical polygons",
			layer: []overlay.Feature{feat("A", poly(rect(0, 0, 100, 100)))},
			patch: orb.MultiPolygon{poly(rect(0, 0, 100, 100))},
			area:  10000, covered: 10000,
			hits: []overlay.Hit{{"A", 10000}},
		},
		{
			name:  "identical, opposite orientations",
			layer: []overlay.Feature{feat("A", poly(rev(rect(0, 0, 100, 100))))},
			patch: orb.MultiPolygon{poly(rect(0, 0, 100, 100))},
			area:  10000, covered: 10000,
			hits: []overlay.Hit{{"A", 10000}},
		},
		{
			name:  "shared edge only",
			layer: []overlay.Feature{feat("A", poly(rect(100, 0, 200, 100)))},
			patch: orb.MultiPolygon{poly(rect(0, 0, 100, 100))},
			area:  10000, covered: 0,
		},
		{
			name:  "shared edge, parcel on both sides",
			layer: []overlay.Feature{feat("L", poly(rect(-100, 0, 0, 100))), feat("R", poly(rect(100, 0, 200, 100)))},
			patch: orb.MultiPolygon{poly(rect(0, 0, 100, 100))},
			area:  10000, covered: 0,
		},
		{
			name:  "touching at a corner",
			layer: []overlay.Feature{feat("A", poly(rect(100, 100, 200, 200)))},
			patch: orb.MultiPolygon{poly(rect(0, 0, 100, 100))},
			area:  10000, covered: 0,
		},
		{
			name:  "disjoint",
			layer: []overlay.Feature{feat("A", poly(rect(300, 300, 400, 400)))},
			patch: orb.MultiPolygon{poly(rect(0, 0, 100, 100))},
			area:  10000, covered: 0,
		},
		{
			name:  "collinear overlapping bottom edge",
			layer: []overlay.Feature{feat("A", poly(rect(0, 0, 100, 100)))},
			patch: orb.MultiPolygon{poly(rect(50, 0, 150, 50))},
			area:  5000, covered: 2500,
			hits: []overlay.Hit{{"A", 2500}},
		},
		{
			name:  "patch contains parcel",
			layer: []overlay.Feature{feat("A", poly(rect(40, 40, 60, 70)))},
			patch: orb.MultiPolygon{poly(rect(0, 0, 100, 100))},
			area:  10000, covered: 600,
			hits: []overlay.Hit{{"A", 600}},
		},
		{
			name: "across 3 parcels sharing edges",
			layer: []overlay.Feature{
				feat("P1", poly(rect(0, 0, 100, 100))),
				feat("P2", poly(rev(rect(100, 0, 200, 100)))),
				feat("P3", poly(rect(200, 0, 300, 100))),
			},
			patch: orb.MultiPolygon{poly(rect(50, 20, 250, 80))},
			area:  12000, covered: 12000,
			hits: []overlay.Hit{{"P2", 6000}, {"P1", 3000}, {"P3", 3000}},
		},
		{
			name: "overlapping parcels not double counted",
			layer: []overlay.Feature{
				feat("A", poly(rect(0, 0, 100, 100))),
				feat("B", poly(rect(50, 0, 150, 100))),
			},
			patch: orb.MultiPolygon{poly(rect(0, 0, 200, 100))},
			area:  20000, covered: 15000,
			hits: []overlay.Hit{{"A", 10000}, {"B", 10000}},
		},
		{
			name: "duplicate parcels",
			layer: []overlay.Feature{
				feat("A", poly(rect(0, 0, 100, 100))),
				feat("A-copy", poly(rev(rect(0, 0, 100, 100)))),
			},
			patch: orb.MultiPolygon{poly(rect(50, 50, 150, 150))},
			area:  10000, covered: 2500,
			hits: []overlay.Hit{{"A", 2500}, {"A-copy", 2500}},
		},
		{
			name: "sliver overlap between neighbours",
			layer: []overlay.Feature{
				feat("A", poly(rect(0, 0, 100.5, 100))),
				feat("B", poly(rect(100, 0, 200, 100))),
			},
			patch: orb.MultiPolygon{poly(rect(0, 0, 200, 100))},
			area:  20000, covered: 20000,
			hits: []overlay.Hit{{"A", 10050}, {"B", 10000}},
		},
		{
			name:  "L-shaped patch",
			layer: []overlay.Feature{feat("A", poly(rect(0, 0, 60, 60)))},
			// L: [0,100]×[0,40] ∪ [0,40]×[40,100]
			patch: orb.MultiPolygon{poly(ring(xy{0, 0}, xy{100, 0}, xy{100, 40}, xy{40, 40}, xy{40, 100}, xy{0, 100}))},
			area:  6400, covered: 60*40 + 40*20,
			hits: []overlay.Hit{{"A", 3200}},
		},
		{
			name:  "patch with a hole",
			layer: []overlay.Feature{feat("A", poly(rect(0, 0, 50, 100)))},
			patch: orb.MultiPolygon{poly(rect(0, 0, 100, 100), rect(25, 25, 75, 75))},
			area:  7500, covered: 5000 - 25*50,
			hits: []overlay.Hit{{"A", 3750}},
		},
		{
			name:  "patch with a hole, same orientation as its exterior",
			layer: []overlay.Feature{feat("A", poly(rect(0, 0, 50, 100)))},
			patch: orb.MultiPolygon{poly(rev(rect(0, 0, 100, 100)), rev(rect(25, 25, 75, 75)))},
			area:  7500, covered: 3750,
			hits: []overlay.Hit{{"A", 3750}},
		},
		{
			name:  "parcel with a hole, patch in the hole",
			layer: []overlay.Feature{feat("A", poly(rect(0, 0, 100, 100), rev(rect(20, 20, 80, 80))))},
			patch: orb.MultiPolygon{poly(rect(30, 30, 70, 70))},
			area:  1600, covered: 0,
		},
		{
			name:  "parcel with a hole, patch equal to the hole",
			layer: []overlay.Feature{feat("A", poly(rect(0, 0, 100, 100), rect(20, 20, 80, 80)))},
			patch: orb.MultiPolygon{poly(rect(20, 20, 80, 80))},
			area:  3600, covered: 0,
		},
		{
			name:  "parcel with a hole, patch over the rim",
			layer: []overlay.Feature{feat("A", poly(rect(0, 0, 100, 100), rect(20, 20, 80, 80)))},
			patch: orb.MultiPolygon{poly(rect(10, 10, 50, 50))},
			area:  1600, covered: 1600 - 900,
			hits: []overlay.Hit{{"A", 700}},
		},
		{
			name: "multipolygon patch",
			layer: []overlay.Feature{
				feat("A", poly(rect(0, 0, 100, 100))),
				feat("B", poly(rect(200, 0, 300, 100))),
			},
			patch: orb.MultiPolygon{poly(rect(10, 10, 20, 20)), poly(rev(rect(250, 50, 350, 60)))},
			area:  100 + 1000, covered: 100 + 500,
			hits: []overlay.Hit{{"B", 500}, {"A", 100}},
		},
		{
			name:  "multipolygon parcel",
			layer: []overlay.Feature{feat("A", poly(rect(0, 0, 100, 100)), poly(rev(rect(200, 0, 300, 100))))},
			patch: orb.MultiPolygon{poly(rect(50, 40, 250, 60))},
			area:  4000, covered: 2000,
			hits: []overlay.Hit{{"A", 2000}},
		},
		{
			name:  "triangle with vertices on the parcel edges",
			layer: []overlay.Feature{feat("A", poly(rect(0, 0, 100, 100)))},
			// apex on the top edge, base corners on the left and right edges
			patch: orb.MultiPolygon{poly(ring(xy{0, 50}, xy{100, 50}, xy{50, 100}))},
			area:  2500, covered: 2500,
			hits: []overlay.Hit{{"A", 2500}},
		},
		{
			name: "T-junction: parcel edge split by a neighbour's vertex",
			layer: []overlay.Feature{
				feat("A", poly(ring(xy{0, 0}, xy{100, 0}, xy{100, 50}, xy{100, 100}, xy{0, 100}))),
				feat("B", poly(rect(100, 0, 200, 50))),
				feat("C", poly(rect(100, 50, 200, 100))),
			},
			patch: orb.MultiPolygon{poly(ring(xy{50, 25}, xy{150, 25}, xy{150, 75}, xy{50, 75}))},
			area:  5000, covered: 5000,
			hits: []overlay.Hit{{"A", 2500}, {"B", 1250}, {"C", 1250}},
		},
		{
			name:  "pixel staircase along a diagonal parcel edge",
			layer: []overlay.Feature{feat("T", poly(ring(xy{0, 0}, xy{100, 0}, xy{100, 100})))},
			patch: orb.MultiPolygon{poly(ringOf(stair))},
			area:  5500, covered: 5000,
			hits: []overlay.Hit{{"T", 5000}},
		},
		{
			name:  "60-gon inside a parcel",
			layer: []overlay.Feature{feat("A", poly(rect(0, 0, 100, 100)))},
			patch: orb.MultiPolygon{poly(ringOf(circle))},
			area:  shoelace(circle), covered: shoelace(circle),
			hits: []overlay.Hit{{"A", shoelace(circle)}},
		},
		{
			name:  "60-gon cut by a parcel edge through its centre",
			layer: []overlay.Feature{feat("A", poly(rect(0, 0, 50, 100)))},
			patch: orb.MultiPolygon{poly(ringOf(circle))},
			area:  shoelace(circle), covered: shoelace(circle) / 2,
			hits: []overlay.Hit{{"A", shoelace(circle) / 2}},
		},
		{
			name:  "empty layer",
			patch: orb.MultiPolygon{poly(rect(0, 0, 10, 10))},
			area:  100, covered: 0,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l, err := overlay.NewLayer(tc.layer)
			if err != nil {
				t.Fatal(err)
			}
			got, err := l.OverlayMulti(tc.patch)
			if err != nil {
				t.Fatal(err)
			}
			if got.Zone.EPSG != 4526 {
				t.Errorf("zone %v, want EPSG:4526", got.Zone)
			}
			if !near(got.AreaM2, tc.area) {
				t.Errorf("AreaM2 = %.9f, want %.9f", got.AreaM2, tc.area)
			}
			if want := geodesy.AreaMulti(got.Zone, tc.patch); !near(got.AreaM2, want) {
				t.Errorf("AreaM2 = %.9f, geodesy.AreaMulti = %.9f", got.AreaM2, want)
			}
			if !near(got.Covered, tc.covered) {
				t.Errorf("Covered = %.9f, want %.9f", got.Covered, tc.covered)
			}
			if got.Covered > got.AreaM2 {
				t.Errorf("Covered %.12g > AreaM2 %.12g", got.Covered, got.AreaM2)
			}
			if len(got.Hits) != len(tc.hits) {
				t.Fatalf("Hits = %v, want %v", got.Hits, tc.hits)
			}
			// Equal expected areas may come out in either order, a few
			// 1e-10 m² apart; compare by ID, then check the order.
			want := make(map[string]float64)
			for _, h := range tc.hits {
				want[h.ID] = h.AreaM2
			}
			for i, h := range got.Hits {
				if w, ok := want[h.ID]; !ok || !near(h.AreaM2, w) {
					t.Errorf("Hits[%d] = %v, want %v", i, h, tc.hits)
				}
				if i > 0 && (h.AreaM2 > got.Hits[i-1].AreaM2 || h.AreaM2 == got.Hits[i-1].AreaM2 && h.ID < got.Hits[i-1].ID) {
					t.Errorf("Hits out of order: %v", got.Hits)
				}
			}
		})
	}
}

// A patch wholly inside one feature is covered to the last bit, however
// the feature is drawn.
func TestCoveredEqualsAreaInside(t *testing.T) {
	l, err := overlay.NewLayer([]overlay.Feature{
		feat("big", poly(ring(xy{-500, -480}, xy{900, -300}, xy{700, 800}, xy{-600, 650}))),
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, patch := range []orb.Polygon{
		poly(rect(0, 0, 100, 100)),
		poly(ring(xy{3, 7}, xy{130.1, 2.5}, xy{99, 140}, xy{60, 60}, xy{10, 120})),
		poly(rect(-100, -100, 300, 300), rev(rect(0, 0, 10, 10))),
	} {
		r, err := l.Overlay(patch)
		if err != nil {
			t.Fatal(err)
		}
		if r.Covered != r.AreaM2 || len(r.Hits) != 1 || r.Hits[0].AreaM2 != r.AreaM2 {
			t.Errorf("patch %d: AreaM2 %.17g, Covered %.17g, Hits %v", i, r.AreaM2, r.Covered, r.Hits)
		}
	}
}

func TestMinHitArea(t *testing.T) {
	layer := []overlay.Feature{
		feat("A", poly(rect(0, 0, 100, 100))),
		feat("B", poly(rect(100, 0, 200, 100))),
	}
	patch := poly(rect(0, 0, 100.5, 10)) // 5 m² in B
	for _, tc := range []struct {
		min  float64
		want []string
	}{
		{0, []string{"A", "B"}},
		{overlay.DefaultMinHitArea, []string{"A", "B"}},
		{5.5, []string{"A"}},
	} {
		t.Run(fmt.Sprint(tc.min), func(t *testing.T) {
			l, err := overlay.NewLayer(layer, overlay.WithMinHitArea(tc.min))
			if err != nil {
				t.Fatal(err)
			}
			r, err := l.Overlay(patch)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, h := range r.Hits {
				ids = append(ids, h.ID)
			}
			if !reflect.DeepEqual(ids, tc.want) {
				t.Errorf("hits %v, want %v", r.Hits, tc.want)
			}
			if !near(r.Covered, 1005) {
				t.Errorf("Covered = %v, want 1005", r.Covered)
			}
		})
	}
}

func TestNewLayerInvalid(t *testing.T) {
	good := poly(rect(0, 0, 10, 10))
	open := rect(0, 0, 10, 10)
	open = open[:len(open)-1]
	nan := rect(0, 0, 10, 10)
	nan[2] = orb.Point{math.NaN(), 30}
	tests := []struct {
		name string
		feat overlay.Feature
		want string
	}{
		{"empty ID", overlay.Feature{Geometry: orb.MultiPolygon{good}}, `feature "" (#1): empty ID`},
		{"duplicate ID", feat("ok", good), `feature "ok" (#1): duplicate ID, also feature #0`},
		{"no polygons", overlay.Feature{ID: "F"}, `feature "F" (#1): no polygons`},
		{"no rings", feat("F", orb.Polygon{}), `feature "F" (#1): polygon 0: polygon has no rings`},
		{"not closed", feat("F", poly(open)), `feature "F" (#1): polygon 0 ring 0: ring is not closed`},
		{"too short", feat("F", poly(orb.Ring{{114, 30}, {114.1, 30}, {114, 30}})), `ring has 3 points, want at least 4`},
		{"NaN", feat("F", poly(nan)), `polygon 0 ring 0: point 2 is not finite`},
		{"projected coordinates", feat("F", poly(orb.Ring{{38500000, 3390000}, {38500100, 3390000}, {38500100, 3390100}, {38500000, 3390000}})), `point 0 is not lon/lat degrees`},
		{"two distinct points", feat("F", poly(orb.Ring{{114, 30}, {114.1, 30}, {114.1, 30}, {114, 30}})), `ring has 2 distinct points, want at least 3`},
		{"zero area", feat("F", poly(orb.Ring{{114, 30}, {114.1, 30}, {114.2, 30}, {114, 30}})), `ring has zero area`},
		{"bad hole", feat("F", poly(rect(0, 0, 10, 10), open)), `feature "F" (#1): polygon 0 ring 1: ring is not closed`},
		{"second polygon", feat("F", good, poly(nan)), `polygon 1 ring 0: point 2 is not finite`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := overlay.NewLayer([]overlay.Feature{feat("ok", good), tc.feat})
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, overlay.ErrInvalid) {
				t.Errorf("%v is not ErrInvalid", err)
			}
			var ie *overlay.InvalidError
			if !errors.As(err, &ie) || ie.Index != 1 || ie.Patch {
				t.Errorf("%#v: want an *InvalidError for feature #1", err)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "overlay: ") {
				t.Errorf("error %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestOverlayInvalidPatch(t *testing.T) {
	l, err := overlay.NewLayer(nil)
	if err != nil {
		t.Fatal(err)
	}
	bad := poly(orb.Ring{{114, 30}, {114.1, 30}, {114.1, 30.1}})
	if _, err := l.Overlay(bad); !errors.Is(err, overlay.ErrInvalid) || err.Error() != "overlay: patch: polygon 0 ring 0: ring has 3 points, want at least 4 (closed, 3 distinct)" {
		t.Errorf("Overlay: %v", err)
	}
	patches := []orb.Polygon{poly(rect(0, 0, 1, 1)), poly(rect(0, 0, 1, 1)), bad}
	_, err = l.OverlayAll(context.Background(), patches, 2)
	var ie *overlay.InvalidError
	if !errors.As(err, &ie) || !ie.Patch || ie.Index != 2 || !strings.HasPrefix(err.Error(), "overlay: patch 2: polygon 0 ring 0: ") {
		t.Errorf("OverlayAll: %v", err)
	}
	if _, err := l.OverlayMulti(nil); !errors.Is(err, overlay.ErrInvalid) {
		t.Errorf("OverlayMulti(nil): %v", err)
	}
}
