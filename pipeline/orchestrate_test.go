package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/weipian/weipian/pipeline"
)

// memStore is an in-memory BatchStore with the same compare-and-set rules
// as the real stores.
type memStore struct {
	mu      sync.Mutex
	batches map[string]*pipeline.Batch
	tiles   map[string]map[string]*pipeline.Tile
	patches map[string][]pipeline.Patch
}

func newMemStore() *memStore {
	return &memStore{batches: map[string]*pipeline.Batch{}, tiles: map[string]map[string]*pipeline.Tile{}, patches: map[string][]pipeline.Patch{}}
}

func (s *memStore) CreateBatch(_ context.Context, b pipeline.Batch) (pipeline.Batch, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if got, ok := s.batches[b.ID]; ok {
		return *got, false, nil
	}
	s.batches[b.ID] = &b
	return b, true, nil
}

func (s *memStore) GetBatch(_ context.Context, id string) (pipeline.Batch, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.batches[id]
	if !ok {
		return pipeline.Batch{}, fmt.Errorf("batch %s: %w", id, pipeline.ErrNotFound)
	}
	return *b, nil
}

func (s *memStore) ListBatches(_ context.Context, limit int) ([]pipeline.Batch, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []pipeline.Batch
	for _, b := range s.batches {
		out = append(out, *b)
	}
	return out, nil
}

func (s *memStore) TransitionBatch(_ context.Context, id string, from []pipeline.BatchState, to pipeline.BatchState, errMsg, sceneID string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.batches[id]
	if !ok {
		return false, pipeline.ErrNotFound
	}
	if len(from) > 0 && !slices.Contains(from, b.State) {
		return false, nil
	}
	b.State = to
	if errMsg != "" {
		b.Error = errMsg
	}
	if sceneID != "" {
		b.SceneID = sceneID
	}
	return true, nil
}

func (s *memStore) InitTiles(_ context.Context, id string, keys []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tiles[id] == nil {
		s.tiles[id] = map[string]*pipeline.Tile{}
	}
	for _, k := range keys {
		if s.tiles[id][k] == nil {
			s.tiles[id][k] = &pipeline.Tile{BatchID: id, Key: k, State: pipeline.TilePending}
		}
	}
	s.batches[id].TilesTotal = len(s.tiles[id])
	return nil
}

func (s *memStore) TileDone(_ context.Context, id, key string, millis, bytes int64) (int, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tiles[id][key]
	marked := t.State != pipeline.TileDone
	if marked {
		t.State = pipeline.TileDone
		s.batches[id].TilesDone++
	}
	remaining := 0
	for _, t := range s.tiles[id] {
		if t.State != pipeline.TileDone {
			remaining++
		}
	}
	return remaining, marked, nil
}

func (s *memStore) TileFailed(_ context.Context, id, key, errMsg string, final bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tiles[id][key]
	t.Attempts++
	t.Error = errMsg
	if final {
		t.State = pipeline.TileFailed
		s.batches[id].TilesFailed++
	}
	return nil
}

func (s *memStore) Tiles(_ context.Context, id string) ([]pipeline.Tile, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []pipeline.Tile
	for _, t := range s.tiles[id] {
		out = append(out, *t)
	}
	slices.SortFunc(out, func(a, b pipeline.Tile) int { return cmpString(a.Key, b.Key) })
	return out, nil
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (s *memStore) ReplacePatches(_ context.Context, id string, ps []pipeline.Patch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.patches[id] = ps
	s.batches[id].PatchCount = len(ps)
	return nil
}

func (s *memStore) Patches(_ context.Context, id string) ([]pipeline.Patch, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.patches[id], nil
}

// memQueue records jobs; run delivers them until none is left.
type memQueue struct {
	mu   sync.Mutex
	jobs []pipeline.Job
	seen map[string]int
}

func (q *memQueue) Enqueue(_ context.Context, jobs ...pipeline.Job) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.seen == nil {
		q.seen = map[string]int{}
	}
	for _, j := range jobs {
		q.seen[j.ID()]++
		q.jobs = append(q.jobs, j)
	}
	return nil
}

func (q *memQueue) pop() (pipeline.Job, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.jobs) == 0 {
		return pipeline.Job{}, false
	}
	j := q.jobs[0]
	q.jobs = q.jobs[1:]
	return j, true
}

// run delivers the queued jobs, retrying transient errors up to tries
// times; it returns the permanent errors.
func run(t *testing.T, o *pipeline.Orchestrator, q *memQueue, tries int) []error {
	t.Helper()
	var permanent []error
	attempts := map[string]int{}
	for {
		j, ok := q.pop()
		if !ok {
			return permanent
		}
		err := o.Handle(t.Context(), j, attempts[j.ID()] > 0)
		switch {
		case err == nil, errors.Is(err, pipeline.ErrStale):
		case errors.Is(err, pipeline.ErrInvalid):
			permanent = append(permanent, err)
		default:
			attempts[j.ID()]++
			if attempts[j.ID()] < tries {
				q.Enqueue(t.Context(), j)
			} else if ferr := o.Failed(t.Context(), j, err); ferr != nil {
				t.Fatal(ferr)
			}
		}
	}
}

// stages fakes detection: tiles "0_0".."0_n-1", one patch per tile; errors
// can be injected per stage.
type stages struct {
	n                        int
	keys                     func(i int) string // tile keys (default "0_i")
	ingestErr, finalizeErr   error
	tileErr                  map[string][]error // consumed one per attempt
	ingests, tiles, finalize int
	mu                       sync.Mutex
}

func (s *stages) Ingest(_ context.Context, b pipeline.Batch) (string, []string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ingests++
	if s.ingestErr != nil {
		return "", nil, s.ingestErr
	}
	keys := make([]string, s.n)
	for i := range keys {
		keys[i] = fmt.Sprintf("0_%d", i)
		if s.keys != nil {
			keys[i] = s.keys(i)
		}
	}
	return "scene-" + b.ID, keys, nil
}

func (s *stages) Tile(_ context.Context, b pipeline.Batch, key string) (pipeline.TileStats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tiles++
	if errs := s.tileErr[key]; len(errs) > 0 {
		s.tileErr[key] = errs[1:]
		if errs[0] != nil {
			return pipeline.TileStats{}, errs[0]
		}
	}
	return pipeline.TileStats{Millis: 1, Bytes: 10}, nil
}

func (s *stages) Finalize(_ context.Context, b pipeline.Batch) ([]pipeline.Patch, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.finalize++
	if s.finalizeErr != nil {
		return nil, s.finalizeErr
	}
	ps := make([]pipeline.Patch, s.n)
	for i := range ps {
		ps[i] = pipeline.Patch{ID: fmt.Sprintf("p%d", i)}
	}
	return ps, nil
}

type judger struct {
	err   error
	calls int
}

func (j *judger) JudgeBatch(context.Context, string) error { j.calls++; return j.err }

func setup(st *stages, j pipeline.Judger) (*pipeline.Orchestrator, *memStore, *memQueue) {
	s, q := newMemStore(), &memQueue{}
	return &pipeline.Orchestrator{Store: s, Queue: q, Stages: st, Judge: j}, s, q
}

func submit(t *testing.T, o *pipeline.Orchestrator) pipeline.Batch {
	t.Helper()
	b, created, err := o.Submit(t.Context(), pipeline.BatchSpec{Name: "一批", Before: "a.tif", After: "b.tif"}, "v1", "v2")
	if err != nil || !created {
		t.Fatalf("submit: %v %v", created, err)
	}
	return b
}

func TestOrchestratorRunsABatchOnce(t *testing.T) {
	st := &stages{n: 3}
	j := &judger{}
	o, s, q := setup(st, j)
	b := submit(t, o)
	if again, created, _ := o.Submit(t.Context(), b.Spec, "v1", "v2"); created || again.ID != b.ID {
		t.Errorf("resubmission created a second batch")
	}
	// Duplicate deliveries of every job change nothing.
	q.Enqueue(t.Context(), pipeline.Job{Kind: pipeline.JobIngest, BatchID: b.ID})
	if errs := run(t, o, q, 3); len(errs) > 0 {
		t.Fatal(errs)
	}
	for _, k := range []string{"0_0", "0_1", "0_2"} {
		o.Handle(t.Context(), pipeline.Job{Kind: pipeline.JobTile, BatchID: b.ID, Key: k}, true)
	}
	o.Handle(t.Context(), pipeline.Job{Kind: pipeline.JobFinalize, BatchID: b.ID}, false)
	got, _ := s.GetBatch(t.Context(), b.ID)
	if got.State != pipeline.BatchDone || got.PatchCount != 3 || got.TilesDone != 3 {
		t.Fatalf("batch %+v, want done with 3 tiles and 3 patches", got)
	}
	if st.ingests != 1 || st.finalize != 1 || j.calls != 1 {
		t.Errorf("ingest %d, finalize %d, judge %d times; want each once", st.ingests, st.finalize, j.calls)
	}
}

func TestOrchestratorRetryRule(t *testing.T) {
	transient := errors.New("connection reset")
	for _, tc := range []struct {
		name      string
		st        *stages
		judge     error
		wantState pipeline.BatchState
		wantTiles int // tile attempts
	}{
		{"transient tile error is retried", &stages{n: 2, tileErr: map[string][]error{"0_1": {transient, transient}}}, nil, pipeline.BatchDone, 4},
		{"transient errors past the retries fail the batch", &stages{n: 2, tileErr: map[string][]error{"0_1": {transient, transient, transient}}}, nil, pipeline.BatchFailed, 4},
		// The first tile fails the batch; the second is then dropped.
		{"invalid tile is not retried", &stages{n: 2, tileErr: map[string][]error{"0_0": {fmt.Errorf("tile: %w", pipeline.ErrInvalid)}}}, nil, pipeline.BatchFailed, 1},
		{"invalid ingest is not retried", &stages{n: 2, ingestErr: fmt.Errorf("bad image: %w", pipeline.ErrInvalid)}, nil, pipeline.BatchFailed, 0},
		// A judging error caused by the input (e.g. broken zones) is
		// permanent: the batch fails at once, it is not retried as if
		// transient.
		{"invalid input to judging fails the batch", &stages{n: 1}, fmt.Errorf("judge: broken zones: %w", pipeline.ErrInvalid), pipeline.BatchFailed, 1},
		{"transient judging error is retried", &stages{n: 1}, transient, pipeline.BatchFailed, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := &judger{err: tc.judge}
			o, s, q := setup(tc.st, j)
			b := submit(t, o)
			run(t, o, q, 3)
			got, _ := s.GetBatch(t.Context(), b.ID)
			if got.State != tc.wantState {
				t.Errorf("state %s (%s), want %s", got.State, got.Error, tc.wantState)
			}
			if tc.st.tiles != tc.wantTiles {
				t.Errorf("%d tile attempts, want %d", tc.st.tiles, tc.wantTiles)
			}
			if tc.judge != nil && errors.Is(tc.judge, pipeline.ErrInvalid) && j.calls != 1 {
				t.Errorf("judging ran %d times, want once (permanent)", j.calls)
			}
			if tc.judge == transient && j.calls != 3 {
				t.Errorf("judging ran %d times, want 3 (retried)", j.calls)
			}
		})
	}
}

func TestOrchestratorCancelAndResume(t *testing.T) {
	st := &stages{n: 4}
	o, s, q := setup(st, nil)
	b := submit(t, o)
	// Ingest, then cancel before the tiles run: they are dropped.
	j, _ := q.pop()
	if err := o.Handle(t.Context(), j, false); err != nil {
		t.Fatal(err)
	}
	if ok, _ := o.Cancel(t.Context(), b.ID); !ok {
		t.Fatal("cancel refused")
	}
	run(t, o, q, 3)
	if st.tiles != 0 || st.finalize != 0 {
		t.Errorf("a cancelled batch ran %d tiles and %d finalizes", st.tiles, st.finalize)
	}
	if ok, _ := o.Cancel(t.Context(), b.ID); ok {
		t.Error("an ended batch was cancelled again")
	}
	// Resume after a crash: Unfinished gives the job that carries a batch on.
	st2 := &stages{n: 2}
	o2, s2, q2 := setup(st2, nil)
	b2 := submit(t, o2)
	j2, _ := q2.pop()
	o2.Handle(t.Context(), j2, false)
	q2.jobs = nil // the executor lost its queue
	jobs, err := o2.Unfinished(t.Context())
	if err != nil || len(jobs) != 1 || jobs[0].Kind != pipeline.JobIngest {
		t.Fatalf("unfinished: %v %v", jobs, err)
	}
	for _, j := range jobs {
		o2.Handle(t.Context(), j, true)
	}
	run(t, o2, q2, 3)
	if got, _ := s2.GetBatch(t.Context(), b2.ID); got.State != pipeline.BatchDone {
		t.Errorf("resumed batch %s", got.State)
	}
	_ = s
}

// A batch of many tiles is queued as runs of neighbouring tiles (along a
// row of the grid, numbers compared as numbers), each run done by one
// worker in order after the stages prefetched its windows together; a run
// that fails part-way is retried from its failing tile (prefetching only
// what is left), and when its retries are spent the batch names that tile.
func TestOrchestratorTileRuns(t *testing.T) {
	transient := errors.New("connection reset")
	st := &stages{n: 130, keys: func(i int) string { return fmt.Sprintf("%d_0", i) },
		tileErr: map[string][]error{"6_0": {transient}, "9_0": {transient, transient, transient}}}
	pf := &prefetchStages{stages: st}
	o, s, q := setup(st, nil)
	o.Stages = pf
	b := submit(t, o)
	j, _ := q.pop()
	if err := o.Handle(t.Context(), j, false); err != nil {
		t.Fatal(err)
	}
	jobs := slices.Clone(q.jobs)
	if len(jobs) != 33 {
		t.Fatalf("%d tile jobs for 130 tiles, want 33 runs of up to 4", len(jobs))
	}
	var order []string
	for _, j := range jobs {
		if j.Kind != pipeline.JobTile || len(j.TileKeys()) > 4 {
			t.Fatalf("job %+v", j)
		}
		order = append(order, j.TileKeys()...)
	}
	for i, k := range order {
		if want := fmt.Sprintf("%d_0", i); k != want {
			t.Fatalf("tile %d of the runs is %s, want %s (grid order)", i, k, want)
		}
	}
	if got := jobs[1].ID(); got != b.ID+":tile:4_0+3" {
		t.Errorf("run ID %q", got)
	}
	// A run does not go on into the next row of the grid: 3 rows of 45
	// columns ("col_row") give runs of 4, 4, … and 1 per row, in row order.
	st3 := &stages{n: 135, keys: func(i int) string { return fmt.Sprintf("%d_%d", i/3, i%3) }}
	o3, _, q3 := setup(st3, nil)
	submit(t, o3)
	j3, _ := q3.pop()
	if err := o3.Handle(t.Context(), j3, false); err != nil {
		t.Fatal(err)
	}
	if len(q3.jobs) != 36 {
		t.Errorf("%d jobs for 3 rows of 45 tiles, want 36", len(q3.jobs))
	}
	for i, j := range q3.jobs {
		k := j.TileKeys()
		if row := i / 12; k[0] != fmt.Sprintf("%d_%d", i%12*4, row) || !strings.HasSuffix(k[len(k)-1], fmt.Sprintf("_%d", row)) {
			t.Errorf("run %d is %v, want tiles of row %d from column %d", i, k, row, i%12*4)
		}
	}
	run(t, o, q, 3)
	got, _ := s.GetBatch(t.Context(), b.ID)
	if got.State != pipeline.BatchFailed || !strings.HasPrefix(got.Error, "tile 9_0: ") || got.TilesDone != 127 {
		t.Fatalf("batch %s (%q), %d tiles done; want failed naming tile 9_0, 127 done", got.State, got.Error, got.TilesDone)
	}
	tiles, _ := s.Tiles(t.Context(), b.ID)
	for _, tl := range tiles {
		if (tl.Key == "9_0") != (tl.State == pipeline.TileFailed) || (tl.Key == "9_0" && tl.Error != transient.Error()) {
			t.Errorf("tile %s %s %q", tl.Key, tl.State, tl.Error)
		}
	}
	// Attempts: the 122 tiles of the other runs once; run 4_0..7_0 three
	// and then, retried from 6_0 (4_0 and 5_0 are done), two; run
	// 8_0..11_0 stops at 9_0 three times: 8_0 once, 9_0 thrice, 10_0 and
	// 11_0 never (127 tiles done).
	if want := 122 + 3 + 2 + 4; st.tiles != want {
		t.Errorf("%d tile attempts, want %d", st.tiles, want)
	}
	// Each attempt of a run prefetched the tiles it still had to do (a
	// failed prefetch changes nothing): 4_0..7_0 whole, then 6_0, 7_0;
	// 8_0..11_0 whole, then twice 9_0..11_0 (8_0 was done); the last run
	// of two tiles too.
	want := map[string]int{"4_0,5_0,6_0,7_0": 1, "6_0,7_0": 1, "8_0,9_0,10_0,11_0": 1, "9_0,10_0,11_0": 2, "128_0,129_0": 1}
	for k, n := range want {
		if pf.runs[k] != n {
			t.Errorf("prefetches of %s: %d, want %d (all: %v)", k, pf.runs[k], n, pf.runs)
		}
	}
	if len(pf.runs) != 33+2 {
		t.Errorf("%d distinct prefetches, want 35: %v", len(pf.runs), pf.runs)
	}
	// Runs whose first tile has an even column got a run context: the 32
	// first attempts of the runs of 4 (first columns 0, 4, … 124), 128_0,
	// 129_0 and the retry 6_0, 7_0 (the retries 9_0..11_0 did not). Their
	// tiles went with it (120 of the other runs, 4_0, 5_0, 6_0; 8_0, 9_0;
	// 128_0, 129_0; 6_0, 7_0), and every one of them ended.
	if pf.started != pf.ended || pf.started != 32+1+1 {
		t.Errorf("%d prefetches started, %d ended; want 34 both", pf.started, pf.ended)
	}
	if len(pf.outsideRun) > 0 || pf.inRun != 120+3+2+2+2 {
		t.Errorf("%d tiles detected with their run's context; tiles given another run's: %v", pf.inRun, pf.outsideRun)
	}
}

// prefetchStages records the runs the orchestrator prefetches. The
// prefetch of a run whose first tile has an odd column fails (it is only
// a hint); the others give a context that names the run, which their
// tiles must be detected with, and an end that must be called once.
type prefetchStages struct {
	*stages
	runs                  map[string]int
	started, ended, inRun int
	outsideRun            []string
}

type runKey struct{}

func (p *prefetchStages) PrefetchTiles(ctx context.Context, b pipeline.Batch, keys []string) (context.Context, func() error, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.runs == nil {
		p.runs = map[string]int{}
	}
	p.runs[strings.Join(keys, ",")]++
	var col int
	fmt.Sscanf(keys[0], "%d_", &col)
	if col%2 == 1 {
		return nil, nil, errors.New("prefetch is only a hint")
	}
	p.started++
	return context.WithValue(ctx, runKey{}, keys), func() error {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.ended++
		return errors.New("the end of a prefetch is only a hint too")
	}, nil
}

func (p *prefetchStages) Tile(ctx context.Context, b pipeline.Batch, key string) (pipeline.TileStats, error) {
	if keys, ok := ctx.Value(runKey{}).([]string); ok {
		p.mu.Lock()
		if slices.Contains(keys, key) {
			p.inRun++
		} else {
			p.outsideRun = append(p.outsideRun, key)
		}
		p.mu.Unlock()
	}
	return p.stages.Tile(ctx, b, key)
}
