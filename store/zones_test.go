package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paulmach/orb"

	"github.com/weipian/weipian/pipeline"
)

// testZones returns n patrol zones with awkward coordinates (no short
// decimal form) and Chinese text.
func testZones(n int) []pipeline.Zone {
	zs := make([]pipeline.Zone, n)
	for i := range zs {
		x, y := 113+float64(i)/3, 34+math.Pi/1e3*float64(i)
		zs[i] = pipeline.Zone{
			ID: int64(10 * i), Kind: pipeline.ZonePatrol,
			Name: fmt.Sprintf("东关%d片区", i), Grade: pipeline.Grade(1 + i%3), Team: "城关中队", Person: "张三", Contact: "13800000000",
			XZQDM: "410102001", XZQMC: "东关街道",
			Attrs: map[string]string{"备注": "城乡结合部", "BSM": fmt.Sprint(i)},
			Geometry: orb.MultiPolygon{
				{{{x, y}, {x + 0.1, y}, {x + 0.1, y + 0.1}, {x, y + 0.1}, {x, y}},
					{{x + 0.01, y + 0.01}, {x + 0.02, y + 0.01}, {x + 0.02, y + 0.02}, {x + 0.01, y + 0.01}}},
				{{{x + 0.2, y}, {x + 0.3, y}, {x + 0.3, y + 1e-9}, {x + 0.2, y}}},
			},
		}
	}
	return zs
}

func testLayer(kind pipeline.ZoneKind, name string, zones []pipeline.Zone) pipeline.ZoneLayer {
	for i := range zones {
		zones[i].Kind = kind
	}
	return pipeline.ZoneLayer{
		Kind: kind, Name: name, Source: "/data/" + name + ".shp",
		Fields:   map[string]string{pipeline.FieldName: "MC", pipeline.FieldGrade: "DJ"},
		Problems: []pipeline.ZoneProblem{{FeatureID: 10, Problem: "invalid polygon repaired", Warning: true}},
		Zones:    zones,
	}
}

// fixedClock is a clock that says what it is set to.
type fixedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fixedClock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fixedClock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

func mustImport(t *testing.T, s *Store, l pipeline.ZoneLayer) int {
	t.Helper()
	v, err := s.ImportZoneLayer(testCtx(t), l)
	if err != nil {
		t.Fatalf("ImportZoneLayer(%s): %v", l.Name, err)
	}
	return v
}

func TestZoneLayerRoundTrip(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := b.open(t, WithClock((&fixedClock{t: t0}).now))
			ctx := testCtx(t)
			want := testLayer(pipeline.ZonePatrol, "2026年巡查区", testZones(3))
			want.Zones[1].Attrs = nil
			if v := mustImport(t, s, want); v != 1 {
				t.Fatalf("first version %d, want 1", v)
			}
			got, err := s.ActiveZones(ctx, pipeline.ZonePatrol)
			if err != nil {
				t.Fatal(err)
			}
			want.Version, want.ImportedAt = 1, t0
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ActiveZones (-want +got):\n%s", diff)
			}
			// Exact geometry round trip.
			if !orb.Equal(got.Zones[2].Geometry, want.Zones[2].Geometry) || got.Zones[2].Geometry[0][0][1][0] != 113+2.0/3+0.1 {
				t.Error("geometry changed in the round trip")
			}
			appr := testLayer(pipeline.ZoneApproval, "批准用地", testZones(1))
			appr.Zones[0].ApprovalNo, appr.Zones[0].ApprovalType, appr.Zones[0].ApprovedAreaM2 = "豫政土〔2025〕12号", pipeline.ApprovalTemporary, 1234.5
			appr.Zones[0].ValidFrom, appr.Zones[0].ValidTo = "2025-03-01", ""
			mustImport(t, s, appr)
			gotA, err := s.ZoneLayerAt(ctx, pipeline.ZoneApproval, 1)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(appr.Zones, gotA.Zones); diff != "" {
				t.Errorf("approval zones (-want +got):\n%s", diff)
			}
			vs, err := s.ActiveZoneVersions(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(map[pipeline.ZoneKind]int{pipeline.ZonePatrol: 1, pipeline.ZoneApproval: 1}, vs); diff != "" {
				t.Error(diff)
			}
		})
	}
}

func TestZoneLayerVersions(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			clk := &fixedClock{t: t0}
			s := b.open(t, WithClock(clk.now))
			ctx := testCtx(t)
			v1 := testLayer(pipeline.ZoneCultivated, "2025年耕地", testZones(2))
			v2 := testLayer(pipeline.ZoneCultivated, "2026年三调耕地", testZones(5))
			v2.Problems = nil
			if mustImport(t, s, v1) != 1 {
				t.Fatal("first version is not 1")
			}
			clk.set(t0.Add(time.Second))
			if mustImport(t, s, v2) != 2 {
				t.Fatal("second version is not 2")
			}
			active, err := s.ActiveZones(ctx, pipeline.ZoneCultivated)
			if err != nil || active.Version != 2 || len(active.Zones) != 5 || active.Name != "2026年三调耕地" {
				t.Fatalf("active %d %q %d zones, %v", active.Version, active.Name, len(active.Zones), err)
			}
			old, err := s.ZoneLayerAt(ctx, pipeline.ZoneCultivated, 1)
			if err != nil || len(old.Zones) != 2 || old.Name != "2025年耕地" || !old.ImportedAt.Equal(t0) {
				t.Fatalf("version 1: %+v, %v", old, err)
			}
			infos, err := s.ZoneLayerVersions(ctx, pipeline.ZoneCultivated)
			if err != nil {
				t.Fatal(err)
			}
			want := []pipeline.ZoneLayerInfo{v1.Info(), v2.Info()}
			want[0].Version, want[0].ImportedAt = 1, t0
			want[1].Version, want[1].ImportedAt, want[1].Active = 2, t0.Add(time.Second), true
			want[1].Problems = []pipeline.ZoneProblem{}
			if diff := cmp.Diff(want, infos); diff != "" {
				t.Errorf("versions (-want +got):\n%s", diff)
			}
			if none, err := s.ZoneLayerVersions(ctx, pipeline.ZoneAdmin); err != nil || len(none) != 0 {
				t.Errorf("admin versions %v, %v", none, err)
			}
		})
	}
}

// zoneRowCount returns how many zone_features rows kind's version v has.
func zoneRowCount(t *testing.T, s *Store, kind pipeline.ZoneKind, v int) int {
	t.Helper()
	var n int
	if err := s.auto.QueryRowContext(testCtx(t), `SELECT COUNT(*) FROM zone_features WHERE kind = ? AND version = ?`, kind.Code(), v).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestZoneImportFailureLeavesNothing(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := b.open(t)
			ctx := testCtx(t)
			mustImport(t, s, testLayer(pipeline.ZonePatrol, "v1", testZones(3)))

			// 250 zones whose 241st repeats the first one's feature ID:
			// the first two INSERTs of 100 features succeed, the third
			// fails in the database, mid-import.
			bad := testLayer(pipeline.ZonePatrol, "v2-broken", testZones(250))
			bad.Zones[240].ID = bad.Zones[0].ID
			if _, err := s.ImportZoneLayer(ctx, bad); err == nil {
				t.Fatal("import with a duplicate feature ID succeeded")
			}
			// A cancelled import fails too.
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			if _, err := s.ImportZoneLayer(cctx, testLayer(pipeline.ZonePatrol, "cancelled", testZones(3))); err == nil {
				t.Fatal("cancelled import succeeded")
			}

			active, err := s.ActiveZones(ctx, pipeline.ZonePatrol)
			if err != nil || active.Version != 1 || active.Name != "v1" || len(active.Zones) != 3 {
				t.Fatalf("after the failures: version %d %q, %d zones, %v; want version 1 untouched", active.Version, active.Name, len(active.Zones), err)
			}
			if n := zoneRowCount(t, s, pipeline.ZonePatrol, 2); n != 0 {
				t.Errorf("%d features of the failed version 2 were left behind", n)
			}
			if infos, _ := s.ZoneLayerVersions(ctx, pipeline.ZonePatrol); len(infos) != 1 {
				t.Errorf("%d versions after the failure, want 1", len(infos))
			}
			if v := mustImport(t, s, testLayer(pipeline.ZonePatrol, "v2", testZones(250))); v != 2 {
				t.Errorf("next import got version %d, want 2 (no number used up)", v)
			}
			if n := zoneRowCount(t, s, pipeline.ZonePatrol, 2); n != 250 {
				t.Errorf("version 2 has %d features, want 250", n)
			}
		})
	}
}

func TestZoneImportsConcurrent(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			dsn := b.dsn(t)
			const n = 4
			var wg sync.WaitGroup
			versions := make([]int, n)
			errs := make([]error, n)
			ctx := testCtx(t)
			for i := range n {
				s := openStore(t, dsn) // one store per "process"
				wg.Add(1)
				go func() {
					defer wg.Done()
					versions[i], errs[i] = s.ImportZoneLayer(ctx, testLayer(pipeline.ZoneAdmin, fmt.Sprint("import ", i), testZones(120)))
				}()
			}
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			sort.Ints(versions)
			if diff := cmp.Diff([]int{1, 2, 3, 4}, versions); diff != "" {
				t.Errorf("versions: %s", diff)
			}
			s := openStore(t, dsn)
			vs, err := s.ActiveZoneVersions(testCtx(t))
			if err != nil || vs[pipeline.ZoneAdmin] != n {
				t.Errorf("active %v, %v; want %d", vs, err, n)
			}
			for v := 1; v <= n; v++ {
				if c := zoneRowCount(t, s, pipeline.ZoneAdmin, v); c != 120 {
					t.Errorf("version %d has %d features", v, c)
				}
			}
		})
	}
}

func TestZonesIn(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := b.open(t)
			mustImport(t, s, testLayer(pipeline.ZoneEcoRedLine, "红线", testZones(9)))
			// Zone i spans lon 113+i/3 … 113+i/3+0.3.
			got, err := s.ZonesIn(testCtx(t), pipeline.ZoneEcoRedLine, 1, orb.Bound{Min: orb.Point{113.5, 30}, Max: orb.Point{113.7, 40}})
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, z := range got {
				ids = append(ids, z.ID)
			}
			if diff := cmp.Diff([]int64{10, 20}, ids); diff != "" {
				t.Errorf("zones in the box: %s", diff)
			}
		})
	}
}

func TestZoneStoreErrors(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := b.open(t)
			ctx := testCtx(t)
			nan := testLayer(pipeline.ZonePatrol, "nan", testZones(2))
			nan.Zones[1].Geometry[0][0][2] = orb.Point{math.NaN(), 34}
			wrongKind := testLayer(pipeline.ZonePatrol, "kind", testZones(2))
			wrongKind.Zones[0].Kind = pipeline.ZoneAdmin
			for name, l := range map[string]pipeline.ZoneLayer{
				"no kind":    {Zones: testZones(1)},
				"no zones":   {Kind: pipeline.ZonePatrol},
				"NaN":        nan,
				"wrong kind": wrongKind,
				"no geometry": func() pipeline.ZoneLayer {
					l := testLayer(pipeline.ZonePatrol, "g", testZones(1))
					l.Zones[0].Geometry = nil
					return l
				}(),
			} {
				if _, err := s.ImportZoneLayer(ctx, l); !errors.Is(err, pipeline.ErrInvalid) {
					t.Errorf("%s: %v, want ErrInvalid", name, err)
				}
			}
			if vs, err := s.ActiveZoneVersions(ctx); err != nil || len(vs) != 0 {
				t.Errorf("after refused imports: %v, %v", vs, err)
			}
			if _, err := s.ActiveZones(ctx, pipeline.ZonePatrol); !errors.Is(err, pipeline.ErrNotFound) {
				t.Errorf("ActiveZones of an empty store: %v", err)
			}
			if _, err := s.ZoneLayerAt(ctx, pipeline.ZonePatrol, 7); !errors.Is(err, pipeline.ErrNotFound) {
				t.Errorf("ZoneLayerAt missing: %v", err)
			}
			if _, err := s.ActiveZones(ctx, 0); !errors.Is(err, pipeline.ErrInvalid) {
				t.Errorf("ActiveZones(0): %v", err)
			}
		})
	}
}
