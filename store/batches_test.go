package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paulmach/orb"

	"github.com/weipian/weipian/pipeline"
)

var t0 = time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.UTC)

func testBatch(id string) pipeline.Batch {
	return pipeline.Batch{
		ID: id,
		Spec: pipeline.BatchSpec{
			Name:        "2025年第一季度 " + id,
			Region:      "330110",
			Before:      "s3://imagery/2024q4.tif",
			After:       "s3://imagery/2025q1.tif",
			BeforeBands: []string{"red", "green", "blue", "nir"},
			AfterBands:  []string{"red", "green", "blue", "nir"},
			MMU:         400,
			TileSize:    1024,
		},
	}
}

func mustCreate(t *testing.T, s *Store, id string) pipeline.Batch {
	t.Helper()
	b, created, err := s.CreateBatch(testCtx(t), testBatch(id))
	if err != nil || !created {
		t.Fatalf("CreateBatch(%s) = created %v, %v", id, created, err)
	}
	return b
}

func mustGet(t *testing.T, s *Store, id string) pipeline.Batch {
	t.Helper()
	b, err := s.GetBatch(testCtx(t), id)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustInitTiles(t *testing.T, s *Store, id string, keys ...string) {
	t.Helper()
	if err := s.InitTiles(testCtx(t), id, keys); err != nil {
		t.Fatalf("InitTiles(%s): %v", id, err)
	}
}

func tileKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("%d_%d", i%7, i/7)
	}
	return keys
}

func TestCreateBatch(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := b.open(t, WithClock(func() time.Time { return t0 }))
			ctx := testCtx(t)

			in := testBatch("b1")
			in.State = pipeline.BatchDone // ignored: a new batch is queued
			in.TilesDone = 7              // ignored
			in.SceneID = "scene-1"
			got, created, err := s.CreateBatch(ctx, in)
			if err != nil || !created {
				t.Fatalf("CreateBatch = created %v, %v; want created", created, err)
			}
			want := pipeline.Batch{
				ID: "b1", Spec: in.Spec, State: pipeline.BatchQueued, SceneID: "scene-1",
				CreatedAt: t0, UpdatedAt: t0,
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Fatalf("created batch (-want +got):\n%s", d)
			}
			if d := cmp.Diff(want, mustGet(t, s, "b1")); d != "" {
				t.Fatalf("GetBatch (-want +got):\n%s", d)
			}

			again := testBatch("b1")
			again.Spec.Name = "resubmitted"
			got2, created, err := s.CreateBatch(ctx, again)
			if err != nil || created {
				t.Fatalf("second CreateBatch = created %v, %v; want not created", created, err)
			}
			if d := cmp.Diff(want, got2); d != "" {
				t.Fatalf("resubmission returned (-want +got):\n%s", d)
			}

			if _, _, err := s.CreateBatch(ctx, pipeline.Batch{}); !errors.Is(err, pipeline.ErrInvalid) {
				t.Fatalf("CreateBatch with no ID: %v, want ErrInvalid", err)
			}
		})
	}
}

func TestCreateBatchConcurrent(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			dsn := b.dsn(t)
			stores := []*Store{openStore(t, dsn), openStore(t, dsn)}
			ctx := testCtx(t)
			const n = 16
			var (
				wg      sync.WaitGroup
				mu      sync.Mutex
				created int
				ids     = map[time.Time]int{}
			)
			for i := range n {
				wg.Go(func() {
					got, c, err := stores[i%2].CreateBatch(ctx, testBatch("bsame"))
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					defer mu.Unlock()
					if c {
						created++
					}
					ids[got.CreatedAt]++
				})
			}
			wg.Wait()
			if created != 1 || len(ids) != 1 {
				t.Fatalf("%d concurrent CreateBatch: %d created, %d distinct batches returned; want 1 and 1", n, created, len(ids))
			}
		})
	}
}

func TestTransitionBatch(t *testing.T) {
	t.Parallel()
	type step struct {
		from      []pipeline.BatchState
		to        pipeline.BatchState
		errMsg    string
		sceneID   string
		want      bool
		wantErrIs error
	}
	all := []pipeline.BatchState{pipeline.BatchQueued, pipeline.BatchIngesting, pipeline.BatchDetecting, pipeline.BatchFinalizing}
	tests := []struct {
		name  string
		steps []step
		check func(t *testing.T, b pipeline.Batch)
	}{
		{
			name:  "from matches",
			steps: []step{{from: []pipeline.BatchState{pipeline.BatchQueued}, to: pipeline.BatchIngesting, want: true}},
			check: func(t *testing.T, b pipeline.Batch) {
				if b.State != pipeline.BatchIngesting || !b.StartedAt.IsZero() || !b.FinishedAt.IsZero() || !b.UpdatedAt.After(b.CreatedAt) {
					t.Errorf("batch = %+v", b)
				}
			},
		},
		{
			name:  "from does not match",
			steps: []step{{from: []pipeline.BatchState{pipeline.BatchIngesting, pipeline.BatchDetecting}, to: pipeline.BatchFinalizing, want: false}},
			check: func(t *testing.T, b pipeline.Batch) {
				if b.State != pipeline.BatchQueued || !b.UpdatedAt.Equal(b.CreatedAt) {
					t.Errorf("batch changed: %+v", b)
				}
			},
		},
		{
			name:  "empty from",
			steps: []step{{from: nil, to: pipeline.BatchIngesting, want: false}},
			check: func(t *testing.T, b pipeline.Batch) {
				if b.State != pipeline.BatchQueued {
					t.Errorf("state = %s", b.State)
				}
			},
		},
		{
			name: "detecting sets StartedAt, scene kept when empty",
			steps: []step{
				{from: []pipeline.BatchState{pipeline.BatchQueued}, to: pipeline.BatchIngesting, sceneID: "scene-9", want: true},
				{from: []pipeline.BatchState{pipeline.BatchIngesting}, to: pipeline.BatchDetecting, want: true},
			},
			check: func(t *testing.T, b pipeline.Batch) {
				if b.State != pipeline.BatchDetecting || b.SceneID != "scene-9" || b.StartedAt.IsZero() ||
					!b.StartedAt.Equal(b.UpdatedAt) || !b.FinishedAt.IsZero() {
					t.Errorf("batch = %+v", b)
				}
			},
		},
		{
			name: "terminal sets FinishedAt and Error",
			steps: []step{
				{from: all, to: pipeline.BatchFailed, errMsg: "after.tif: no overlap with before.tif", want: true},
				{from: all, to: pipeline.BatchCancelled, want: false},
			},
			check: func(t *testing.T, b pipeline.Batch) {
				if b.State != pipeline.BatchFailed || b.Error != "after.tif: no overlap with before.tif" ||
					!b.FinishedAt.Equal(b.UpdatedAt) || !b.StartedAt.IsZero() {
					t.Errorf("batch = %+v", b)
				}
			},
		},
		{
			name:  "unknown state",
			steps: []step{{from: all, to: "exploded", wantErrIs: pipeline.ErrInvalid}},
			check: func(t *testing.T, b pipeline.Batch) {
				if b.State != pipeline.BatchQueued {
					t.Errorf("state = %s", b.State)
				}
			},
		},
	}
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := b.open(t, WithClock(stepClock(t0, time.Millisecond)))
			for i, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					ctx := testCtx(t)
					id := fmt.Sprintf("b%d", i)
					mustCreate(t, s, id)
					for j, st := range tc.steps {
						ok, err := s.TransitionBatch(ctx, id, st.from, st.to, st.errMsg, st.sceneID)
						if st.wantErrIs != nil {
							if !errors.Is(err, st.wantErrIs) {
								t.Fatalf("step %d: err %v, want %v", j, err, st.wantErrIs)
							}
							continue
						}
						if err != nil || ok != st.want {
							t.Fatalf("step %d: TransitionBatch(%v → %s) = %v, %v; want %v", j, st.from, st.to, ok, err, st.want)
						}
					}
					tc.check(t, mustGet(t, s, id))
				})
			}
		})
	}
}

func TestTransitionBatchConcurrent(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			dsn := b.dsn(t)
			stores := []*Store{openStore(t, dsn), openStore(t, dsn)}
			ctx := testCtx(t)
			mustCreate(t, stores[0], "b1")
			// Each round, n workers race to move the batch one stage on:
			// exactly one wins each stage.
			stages := []pipeline.BatchState{pipeline.BatchQueued, pipeline.BatchIngesting, pipeline.BatchDetecting,
				pipeline.BatchFinalizing, pipeline.BatchDone}
			const n = 12
			for k := 0; k+1 < len(stages); k++ {
				var (
					wg   sync.WaitGroup
					mu   sync.Mutex
					wins int
				)
				for i := range n {
					wg.Go(func() {
						ok, err := stores[i%2].TransitionBatch(ctx, "b1", stages[k:k+1], stages[k+1], "", "")
						if err != nil {
							t.Error(err)
						}
						if ok {
							mu.Lock()
							wins++
							mu.Unlock()
						}
					})
				}
				wg.Wait()
				if wins != 1 {
					t.Fatalf("%s → %s: %d of %d concurrent transitions won, want 1", stages[k], stages[k+1], wins, n)
				}
			}
			if got := mustGet(t, stores[1], "b1"); got.State != pipeline.BatchDone || got.FinishedAt.IsZero() || got.StartedAt.IsZero() {
				t.Fatalf("batch = %+v", got)
			}
		})
	}
}

func TestInitTiles(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := b.open(t)
			ctx := testCtx(t)
			mustCreate(t, s, "b1")

			mustInitTiles(t, s, "b1", "1_10", "10_2", "2_1", "1_2", "1_10")
			if got := mustGet(t, s, "b1"); got.TilesTotal != 4 {
				t.Fatalf("TilesTotal = %d, want 4", got.TilesTotal)
			}
			if _, marked, err := s.TileDone(ctx, "b1", "2_1", 1500, 1<<20); err != nil || !marked {
				t.Fatalf("TileDone = %v, %v", marked, err)
			}
			// Again, with one more: the done tile stays done.
			mustInitTiles(t, s, "b1", "2_1", "1_10", "10_2", "1_2", "0_0")
			got := mustGet(t, s, "b1")
			if got.TilesTotal != 5 || got.TilesDone != 1 {
				t.Fatalf("TilesTotal, TilesDone = %d, %d; want 5, 1", got.TilesTotal, got.TilesDone)
			}
			tiles, err := s.Tiles(ctx, "b1")
			if err != nil {
				t.Fatal(err)
			}
			want := []pipeline.Tile{
				{BatchID: "b1", Key: "0_0", State: pipeline.TilePending},
				{BatchID: "b1", Key: "10_2", State: pipeline.TilePending},
				{BatchID: "b1", Key: "1_10", State: pipeline.TilePending},
				{BatchID: "b1", Key: "1_2", State: pipeline.TilePending},
				{BatchID: "b1", Key: "2_1", State: pipeline.TileDone, Attempts: 1, Millis: 1500, Bytes: 1 << 20},
			}
			if d := cmp.Diff(want, tiles); d != "" {
				t.Fatalf("Tiles (-want +got):\n%s", d)
			}

			// More tiles than one INSERT takes.
			mustCreate(t, s, "big")
			keys := tileKeys(2*tileInsertRows + 7)
			mustInitTiles(t, s, "big", keys...)
			mustInitTiles(t, s, "big", keys...)
			if got := mustGet(t, s, "big"); got.TilesTotal != len(keys) {
				t.Fatalf("TilesTotal = %d, want %d", got.TilesTotal, len(keys))
			}

			// No tiles at all.
			mustCreate(t, s, "empty")
			mustInitTiles(t, s, "empty")
			if tiles, err := s.Tiles(ctx, "empty"); err != nil || len(tiles) != 0 {
				t.Fatalf("Tiles of a batch without tiles = %v, %v", tiles, err)
			}

			if err := s.InitTiles(ctx, "b1", []string{"1_1", ""}); !errors.Is(err, pipeline.ErrInvalid) {
				t.Fatalf("InitTiles with an empty key: %v, want ErrInvalid", err)
			}
		})
	}
}

func TestInitTilesConcurrent(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			dsn := b.dsn(t)
			stores := []*Store{openStore(t, dsn), openStore(t, dsn)}
			ctx := testCtx(t)
			mustCreate(t, stores[0], "b1")
			keys := tileKeys(40)
			var wg sync.WaitGroup
			for i := range 8 {
				wg.Go(func() {
					// Overlapping key sets, as a retried ingest task may send.
					if err := stores[i%2].InitTiles(ctx, "b1", keys[:20+(i%3)*10]); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			if got := mustGet(t, stores[0], "b1"); got.TilesTotal != len(keys) {
				t.Fatalf("TilesTotal = %d, want %d", got.TilesTotal, len(keys))
			}
		})
	}
}

func TestTileDone(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := b.open(t)
			ctx := testCtx(t)
			mustCreate(t, s, "b1")
			mustInitTiles(t, s, "b1", "0_0", "0_1", "1_0")
			steps := []struct {
				key           string
				wantRemaining int
				wantMarked    bool
			}{
				{"0_1", 2, true},
				{"0_1", 2, false},
				{"1_0", 1, true},
				{"0_0", 0, true},
				{"0_0", 0, false},
				{"0_1", 0, false},
			}
			for i, st := range steps {
				remaining, marked, err := s.TileDone(ctx, "b1", st.key, int64(100*i), int64(1000*i))
				if err != nil || remaining != st.wantRemaining || marked != st.wantMarked {
					t.Fatalf("step %d: TileDone(%s) = %d, %v, %v; want %d, %v", i, st.key, remaining, marked, err, st.wantRemaining, st.wantMarked)
				}
			}
			tiles, err := s.Tiles(ctx, "b1")
			if err != nil {
				t.Fatal(err)
			}
			// A repeat does not overwrite the stats of the attempt that counted.
			if tl := tiles[1]; tl.Key != "0_1" || tl.State != pipeline.TileDone || tl.Attempts != 1 || tl.Millis != 0 || tl.Bytes != 0 {
				t.Fatalf("tile 0_1 = %+v", tl)
			}
			if tl := tiles[0]; tl.Millis != 300 || tl.Bytes != 3000 {
				t.Fatalf("tile 0_0 = %+v", tl)
			}
			if got := mustGet(t, s, "b1"); got.TilesDone != 3 || got.TilesTotal != 3 {
				t.Fatalf("TilesDone, TilesTotal = %d, %d", got.TilesDone, got.TilesTotal)
			}
		})
	}
}

// doneResult is what one TileDone call saw.
type doneResult struct {
	key       string
	remaining int
	marked    bool
}

// markConcurrently calls TileDone for each key copies times, all at once,
// spread over stores, and returns the results.
func markConcurrently(t *testing.T, stores []*Store, id string, keys []string, copies int) []doneResult {
	t.Helper()
	ctx := testCtx(t)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		out   []doneResult
		start = make(chan struct{})
	)
	for c := range copies {
		for i, k := range keys {
			wg.Go(func() {
				<-start
				remaining, marked, err := stores[(i+c)%len(stores)].TileDone(ctx, id, k, 10, 20)
				if err != nil {
					t.Errorf("TileDone(%s): %v", k, err)
					return
				}
				mu.Lock()
				out = append(out, doneResult{k, remaining, marked})
				mu.Unlock()
			})
		}
	}
	close(start)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return out
}

// checkMarkedOnce checks that each key was marked by exactly one call and
// that the marking calls saw remaining n-1, n-2, …, 0, one each.
func checkMarkedOnce(t *testing.T, results []doneResult, keys []string) {
	t.Helper()
	markedBy := map[string]int{}
	var remainings []int
	for _, r := range results {
		if r.marked {
			markedBy[r.key]++
			remainings = append(remainings, r.remaining)
		}
	}
	for _, k := range keys {
		if markedBy[k] != 1 {
			t.Errorf("tile %s marked by %d calls, want 1", k, markedBy[k])
		}
	}
	sort.Ints(remainings)
	for i, r := range remainings {
		if r != i {
			t.Fatalf("marking calls saw remaining %v, want 0…%d once each", remainings, len(keys)-1)
		}
	}
}

func TestTileDoneConcurrent(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			dsn := b.dsn(t)
			// Two stores on one database stand for two worker processes.
			stores := []*Store{openStore(t, dsn), openStore(t, dsn)}
			s := stores[0]

			t.Run("one call per tile", func(t *testing.T) {
				mustCreate(t, s, "b1")
				keys := tileKeys(48)
				mustInitTiles(t, s, "b1", keys...)
				results := markConcurrently(t, stores, "b1", keys, 1)
				checkMarkedOnce(t, results, keys)
				zeros := 0
				for _, r := range results {
					if r.remaining == 0 {
						zeros++
					}
				}
				if zeros != 1 {
					t.Fatalf("%d calls saw remaining 0, want exactly 1", zeros)
				}
				// Repeats, all at once: no-ops.
				for _, r := range markConcurrently(t, stores, "b1", keys, 1) {
					if r.marked || r.remaining != 0 {
						t.Fatalf("repeated TileDone(%s) = %d, %v; want 0, false", r.key, r.remaining, r.marked)
					}
				}
				if got := mustGet(t, s, "b1"); got.TilesDone != len(keys) {
					t.Fatalf("TilesDone = %d, want %d", got.TilesDone, len(keys))
				}
			})

			t.Run("duplicates racing", func(t *testing.T) {
				mustCreate(t, s, "b2")
				keys := tileKeys(32)
				mustInitTiles(t, s, "b2", keys...)
				checkMarkedOnce(t, markConcurrently(t, stores, "b2", keys, 3), keys)
			})

			t.Run("last two tiles", func(t *testing.T) {
				for round := range 10 {
					id := fmt.Sprintf("last%d", round)
					mustCreate(t, s, id)
					mustInitTiles(t, s, id, "0_0", "0_1", "1_0")
					if _, _, err := s.TileDone(testCtx(t), id, "1_0", 1, 1); err != nil {
						t.Fatal(err)
					}
					results := markConcurrently(t, stores, id, []string{"0_0", "0_1"}, 1)
					got := []int{results[0].remaining, results[1].remaining}
					slices.Sort(got)
					if !results[0].marked || !results[1].marked || got[0] != 0 || got[1] != 1 {
						t.Fatalf("round %d: the last two TileDone calls returned %+v, want remaining 0 and 1", round, results)
					}
				}
			})
		})
	}
}

func TestTileFailed(t *testing.T) {
	t.Parallel()
	type want struct {
		state               pipeline.TileState
		attempts            int
		errMsg              string
		tilesDone, tilesBad int
	}
	steps := []struct {
		name string
		do   func(ctx context.Context, s *Store) error
		want want
	}{
		{
			name: "retryable failure",
			do: func(ctx context.Context, s *Store) error {
				return s.TileFailed(ctx, "b1", "0_0", "read window: timeout", false)
			},
			want: want{pipeline.TilePending, 1, "read window: timeout", 0, 0},
		},
		{
			name: "final failure",
			do:   func(ctx context.Context, s *Store) error { return s.TileFailed(ctx, "b1", "0_0", "bad block", true) },
			want: want{pipeline.TileFailed, 2, "bad block", 0, 1},
		},
		{
			name: "final failure again counts once",
			do:   func(ctx context.Context, s *Store) error { return s.TileFailed(ctx, "b1", "0_0", "bad block 2", true) },
			want: want{pipeline.TileFailed, 3, "bad block 2", 0, 1},
		},
		{
			name: "late success wins",
			do: func(ctx context.Context, s *Store) error {
				remaining, marked, err := s.TileDone(ctx, "b1", "0_0", 5, 6)
				if err == nil && (remaining != 1 || !marked) {
					err = fmt.Errorf("TileDone = %d, %v; want 1, true", remaining, marked)
				}
				return err
			},
			want: want{pipeline.TileDone, 4, "", 1, 0},
		},
		{
			name: "failure after done is ignored",
			do: func(ctx context.Context, s *Store) error {
				return s.TileFailed(ctx, "b1", "0_0", "duplicate attempt failed", true)
			},
			want: want{pipeline.TileDone, 4, "", 1, 0},
		},
	}
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := b.open(t)
			ctx := testCtx(t)
			mustCreate(t, s, "b1")
			mustInitTiles(t, s, "b1", "0_0", "0_1")
			for _, st := range steps {
				if err := st.do(ctx, s); err != nil {
					t.Fatalf("%s: %v", st.name, err)
				}
				tiles, err := s.Tiles(ctx, "b1")
				if err != nil {
					t.Fatal(err)
				}
				tl, bt := tiles[0], mustGet(t, s, "b1")
				got := want{tl.State, tl.Attempts, tl.Error, bt.TilesDone, bt.TilesFailed}
				if got != st.want {
					t.Fatalf("%s: tile and batch = %+v, want %+v", st.name, got, st.want)
				}
				if tiles[1].State != pipeline.TilePending || tiles[1].Attempts != 0 {
					t.Fatalf("%s: the other tile changed: %+v", st.name, tiles[1])
				}
			}
		})
	}
}

// testPatches returns patches whose numbers need every bit of a float64.
func testPatches() []pipeline.Patch {
	ring := orb.Ring{
		{116.39139284712345, 39.90719823456789},
		{116.39139284712345 + 1e-12, 39.90719823456789},
		{math.Nextafter(116.4, 117), 0.1 + 0.2},
		{-179.99999999999997, -0.0},
		{5e-324, 1.7976931348623157e308},
		{116.39139284712345, 39.90719823456789},
	}
	hole := orb.Ring{{116.3914, 39.9072}, {116.3915, 39.9072}, {116.3915, 39.9073}, {116.3914, 39.9072}}
	return []pipeline.Patch{
		{
			ID: "p-0001", Class: "built_gain", ClassLabel: "新增建设用地", Confidence: "high",
			Score: 0.1 + 0.2, MADChi2: 123.456789012345678, AreaM2: 1234.5678901234567, AreaMu: 1234.5678901234567 / 666.6666666666666,
			AreaCRS: "EPSG:4549", CentroidLon: 116.39139284712345, CentroidLat: 39.90719823456789,
			BeforeDate: "2024-12-01", AfterDate: "2025-03-01", Pixels: math.MaxInt64,
			BrightRatio: 1.2345678901234567, SatAfter: 0.1, LengthM: 123.25, WidthM: 7.5, Elongation: 16.433333333333334,
			BeforeState: "vegetated", AfterState: "built", Reason: "植被→建筑/硬化：新增建筑", Fill: 0.8125, CVAfter: 0.123456789012345678,
			Geometry: orb.Polygon{ring, hole},
		},
		{
			ID: "p-0002", Class: "vegetation_loss", ClassLabel: `植被减少 "'?`, Confidence: "low",
			Score: 1e-300, MADChi2: math.SmallestNonzeroFloat64, AreaM2: 1, AreaMu: 0.0015, AreaCRS: "EPSG:32650",
			CentroidLon: -1e-7, CentroidLat: 1e21, Pixels: 1,
			Geometry: orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}},
		},
		{ID: "p-0003", Class: "water_gain", Confidence: "medium"}, // no geometry, no dates
	}
}

func TestReplacePatches(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := b.open(t)
			ctx := testCtx(t)
			mustCreate(t, s, "b1")
			mustCreate(t, s, "other")

			check := func(t *testing.T, id string, want []pipeline.Patch) {
				t.Helper()
				got, err := s.Patches(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(want, got); d != "" {
					t.Fatalf("Patches(%s) (-want +got):\n%s", id, d)
				}
				if n := mustGet(t, s, id).PatchCount; n != len(want) {
					t.Fatalf("PatchCount = %d, want %d", n, len(want))
				}
			}
			replace := func(t *testing.T, id string, ps []pipeline.Patch) {
				t.Helper()
				if err := s.ReplacePatches(ctx, id, ps); err != nil {
					t.Fatal(err)
				}
			}

			all := testPatches()
			otherPatches := []pipeline.Patch{all[1]}
			replace(t, "other", otherPatches)
			replace(t, "b1", all)
			check(t, "b1", all)

			// Replacement, in a new order.
			replace(t, "b1", []pipeline.Patch{all[2], all[0]})
			check(t, "b1", []pipeline.Patch{all[2], all[0]})

			// More than one INSERT takes, order kept.
			many := make([]pipeline.Patch, 2*patchInsertRows+3)
			for i := range many {
				many[i] = all[i%2]
				many[i].ID = fmt.Sprintf("p-%05d", len(many)-i)
			}
			replace(t, "b1", many)
			check(t, "b1", many)

			// Bad input changes nothing.
			bad := testPatches()
			bad[1].Score = math.NaN()
			if err := s.ReplacePatches(ctx, "b1", bad); !errors.Is(err, pipeline.ErrInvalid) {
				t.Fatalf("ReplacePatches with a NaN: %v, want ErrInvalid", err)
			}
			bad = testPatches()
			bad[0].Geometry[0][2][0] = math.Inf(1)
			if err := s.ReplacePatches(ctx, "b1", bad); !errors.Is(err, pipeline.ErrInvalid) {
				t.Fatalf("ReplacePatches with an infinite coordinate: %v, want ErrInvalid", err)
			}
			check(t, "b1", many)

			// None.
			replace(t, "b1", nil)
			check(t, "b1", nil)

			// The other batch's patches were never touched.
			check(t, "other", otherPatches)
		})
	}
}

func TestReplacePatchesConcurrent(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			dsn := b.dsn(t)
			stores := []*Store{openStore(t, dsn), openStore(t, dsn)}
			ctx := testCtx(t)
			mustCreate(t, stores[0], "b1")
			sets := make([][]pipeline.Patch, 6)
			for i := range sets {
				for j := range 3 + i {
					p := testPatches()[j%3]
					p.ID = fmt.Sprintf("set%d-%d", i, j)
					sets[i] = append(sets[i], p)
				}
			}
			var wg sync.WaitGroup
			for i, set := range sets {
				wg.Go(func() {
					if err := stores[i%2].ReplacePatches(ctx, "b1", set); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			got, err := stores[0].Patches(ctx, "b1")
			if err != nil {
				t.Fatal(err)
			}
			for _, set := range sets {
				if cmp.Equal(set, got) {
					if n := mustGet(t, stores[0], "b1").PatchCount; n != len(set) {
						t.Fatalf("PatchCount = %d, want %d", n, len(set))
					}
					return
				}
			}
			t.Fatalf("after concurrent replacements the patches are not one of the sets: %d patches", len(got))
		})
	}
}

func TestListBatches(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			// Steps cross second and sub-second boundaries, where
			// variable-width RFC 3339 text would sort wrongly.
			s := b.open(t, WithClock(stepClock(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), 300*time.Millisecond)))
			ctx := testCtx(t)
			if got, err := s.ListBatches(ctx, 10); err != nil || len(got) != 0 {
				t.Fatalf("ListBatches of an empty store = %v, %v", got, err)
			}
			for _, id := range []string{"bc", "ba", "bd", "bb", "be"} {
				mustCreate(t, s, id)
			}
			// A transition does not reorder: the order is by creation.
			if _, err := s.TransitionBatch(ctx, "bc", []pipeline.BatchState{pipeline.BatchQueued}, pipeline.BatchIngesting, "", ""); err != nil {
				t.Fatal(err)
			}
			tests := []struct {
				limit int
				want  []string
			}{
				{0, []string{"be", "bb", "bd", "ba", "bc"}},
				{-1, []string{"be", "bb", "bd", "ba", "bc"}},
				{2, []string{"be", "bb"}},
				{5, []string{"be", "bb", "bd", "ba", "bc"}},
				{50, []string{"be", "bb", "bd", "ba", "bc"}},
			}
			for _, tc := range tests {
				got, err := s.ListBatches(ctx, tc.limit)
				if err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, b := range got {
					ids = append(ids, b.ID)
				}
				if !slices.Equal(ids, tc.want) {
					t.Errorf("ListBatches(%d) = %v, want %v", tc.limit, ids, tc.want)
				}
			}

			// Same CreatedAt: by ID, descending.
			s2 := b.open(t, WithClock(func() time.Time { return t0 }))
			for _, id := range []string{"b2", "b3", "b1"} {
				mustCreate(t, s2, id)
			}
			got, err := s2.ListBatches(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 3 || got[0].ID != "b3" || got[1].ID != "b2" || got[2].ID != "b1" {
				t.Fatalf("ListBatches with equal times = %v", got)
			}
		})
	}
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	calls := []struct {
		name string
		call func(ctx context.Context, s *Store) error
	}{
		{"GetBatch", func(ctx context.Context, s *Store) error { _, err := s.GetBatch(ctx, "nope"); return err }},
		{"TransitionBatch", func(ctx context.Context, s *Store) error {
			_, err := s.TransitionBatch(ctx, "nope", []pipeline.BatchState{pipeline.BatchQueued}, pipeline.BatchIngesting, "", "")
			return err
		}},
		{"TransitionBatch empty from", func(ctx context.Context, s *Store) error {
			_, err := s.TransitionBatch(ctx, "nope", nil, pipeline.BatchIngesting, "", "")
			return err
		}},
		{"InitTiles", func(ctx context.Context, s *Store) error { return s.InitTiles(ctx, "nope", []string{"0_0"}) }},
		{"TileDone", func(ctx context.Context, s *Store) error {
			_, _, err := s.TileDone(ctx, "nope", "0_0", 0, 0)
			return err
		}},
		{"TileDone unknown tile", func(ctx context.Context, s *Store) error { _, _, err := s.TileDone(ctx, "b1", "9_9", 0, 0); return err }},
		{"TileFailed", func(ctx context.Context, s *Store) error { return s.TileFailed(ctx, "nope", "0_0", "x", false) }},
		{"TileFailed unknown tile", func(ctx context.Context, s *Store) error { return s.TileFailed(ctx, "b1", "9_9", "x", false) }},
		{"TileFailed unknown tile final", func(ctx context.Context, s *Store) error { return s.TileFailed(ctx, "b1", "9_9", "x", true) }},
		{"Tiles", func(ctx context.Context, s *Store) error { _, err := s.Tiles(ctx, "nope"); return err }},
		{"ReplacePatches", func(ctx context.Context, s *Store) error { return s.ReplacePatches(ctx, "nope", testPatches()) }},
		{"Patches", func(ctx context.Context, s *Store) error { _, err := s.Patches(ctx, "nope"); return err }},
	}
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := b.open(t)
			mustCreate(t, s, "b1")
			mustInitTiles(t, s, "b1", "0_0")
			for _, c := range calls {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					if err := c.call(testCtx(t), s); !errors.Is(err, pipeline.ErrNotFound) {
						t.Fatalf("%s: %v, want ErrNotFound", c.name, err)
					}
				})
			}
		})
	}
}
