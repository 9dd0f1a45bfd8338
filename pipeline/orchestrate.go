package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
)

// Job kinds of a batch. Each is handled by the Orchestrator method of the
// same name, whichever executor (in-process or asynq) delivers it.
const (
	JobIngest   = "batch:ingest"
	JobTile     = "tile:detect"
	JobFinalize = "batch:finalize"
)

// Job is one unit of queued work (a queue job; not to be confused with a
// verification task, package pipeline/task).
type Job struct {
	Kind    string `json:"kind"`
	BatchID string `json:"batch_id"`
	Key     string `json:"key,omitempty"` // tile key for JobTile: the first of a run
	// More are the run's further tiles, neighbours of Key in the tile
	// order (see tileRuns), done one after the other by one worker.
	More []string `json:"more,omitempty"`
}

// ID is the job's idempotency key: enqueueing a job whose ID is already
// queued or running is a no-op.
func (t Job) ID() string {
	if t.Kind == JobTile {
		if len(t.More) > 0 {
			return fmt.Sprintf("%s:tile:%s+%d", t.BatchID, t.Key, len(t.More))
		}
		return t.BatchID + ":tile:" + t.Key
	}
	return t.BatchID + ":" + t.Kind
}

// TileKeys returns the tiles of a JobTile: Key and then More.
func (t Job) TileKeys() []string {
	if t.Key == "" {
		return nil
	}
	return append([]string{t.Key}, t.More...)
}

// Queue delivers jobs to workers. Enqueue ignores jobs whose ID is already
// pending or running.
type Queue interface {
	Enqueue(ctx context.Context, jobs ...Job) error
}

// TileStats is what a tile stage reports.
type TileStats struct {
	Millis int64 // wall time of the tile
	Bytes  int64 // image bytes read
}

// Stages are the batch's work, implemented over imagery and object storage
// (package detect). Each stage is idempotent: running it again writes the
// same objects.
type Stages interface {
	// Ingest validates and aligns the pair, writes what the tiles need and
	// returns the scene's ID and its tile keys.
	Ingest(ctx context.Context, b Batch) (sceneID string, tileKeys []string, err error)
	// Tile detects change in one tile and stores its result.
	Tile(ctx context.Context, b Batch, key string) (TileStats, error)
	// Finalize merges the tiles, writes the outputs and returns the patches.
	Finalize(ctx context.Context, b Batch) ([]Patch, error)
}

// TilePrefetcher is what Stages may also do: fetch what a run of tiles
// will read in fewer and larger reads than the tiles would make one by one
// (the run's windows together), in the background while the run's tiles
// are detected. PrefetchTiles starts that fetch and returns the context
// the run's tiles are to be detected with (it carries what they share)
// and end, which the run calls once its tiles are done: end stops the
// fetch, waits for it and gives back what it held. The fetch is a hint:
// the tiles read what they need whether or not it was fetched, so an
// error from PrefetchTiles or end other than the context's is only logged.
type TilePrefetcher interface {
	PrefetchTiles(ctx context.Context, b Batch, keys []string) (run context.Context, end func() error, err error)
}

// ErrStale is returned by a handler whose task no longer applies (e.g.
// another worker holds the stage); the executor drops the task.
var ErrStale = errors.New("pipeline: stale task")

// Orchestrator moves batches through their stages. Its handlers are called
// by the executors with at-least-once delivery; together with the store's
// compare-and-set transitions they make every stage take effect once.
// It holds no state of its own and is safe for concurrent use.
type Orchestrator struct {
	Store  BatchStore
	Queue  Queue
	Stages Stages
	// Judge, when set, turns the finalized batch's patches into 图斑 and
	// verification tasks before the batch is done. It must be idempotent.
	Judge Judger
	// Log takes what the orchestrator only reports (nil: slog.Default()).
	Log *slog.Logger
}

func (o *Orchestrator) log() *slog.Logger {
	if o.Log != nil {
		return o.Log
	}
	return slog.Default()
}

// Judger judges a finalized batch (package casework).
type Judger interface {
	JudgeBatch(ctx context.Context, batchID string) error
}

// Submit records the batch (idempotent on its ID) and queues its ingest.
// A resubmitted batch that already exists is returned as it is; if it
// ended in failure or was cancelled, it is not restarted.
func (o *Orchestrator) Submit(ctx context.Context, spec BatchSpec, inputVersions ...string) (Batch, bool, error) {
	if spec.Before == "" || spec.After == "" {
		return Batch{}, false, fmt.Errorf("%w: a batch needs before and after images", ErrInvalid)
	}
	if spec.Name == "" {
		return Batch{}, false, fmt.Errorf("%w: a batch needs a name", ErrInvalid)
	}
	b := Batch{ID: spec.ID(inputVersions...), Spec: spec, State: BatchQueued}
	got, created, err := o.Store.CreateBatch(ctx, b)
	if err != nil {
		return Batch{}, false, err
	}
	if !got.State.Terminal() {
		if err := o.Queue.Enqueue(ctx, Job{Kind: JobIngest, BatchID: got.ID}); err != nil {
			return got, created, err
		}
	}
	return got, created, nil
}

// Cancel stops a batch that has not ended; queued tasks of it are dropped
// when they come up.
func (o *Orchestrator) Cancel(ctx context.Context, id string) (bool, error) {
	return o.Store.TransitionBatch(ctx, id,
		[]BatchState{BatchQueued, BatchIngesting, BatchDetecting, BatchFinalizing}, BatchCancelled, "cancelled by user", "")
}

// Handle runs one task. retry says the executor delivers it again after a
// failed or interrupted attempt. A returned error wrapping ErrInvalid is
// permanent (the batch has been marked failed); other errors are transient
// and the task should be retried.
func (o *Orchestrator) Handle(ctx context.Context, t Job, retry bool) error {
	switch t.Kind {
	case JobIngest:
		return o.ingest(ctx, t.BatchID, retry)
	case JobTile:
		return o.tileRun(ctx, t, retry)
	case JobFinalize:
		return o.finalize(ctx, t.BatchID, retry)
	}
	return fmt.Errorf("%w: unknown task kind %q", ErrInvalid, t.Kind)
}

// Failed records that a task failed for good (retries exhausted) and fails
// its batch, so the failure is visible in the batch status.
func (o *Orchestrator) Failed(ctx context.Context, t Job, cause error) error {
	msg := cause.Error()
	if t.Kind == JobTile {
		key := t.Key
		var te *tileError
		if errors.As(cause, &te) {
			key, cause = te.key, te.err
			msg = cause.Error()
		}
		if err := o.Store.TileFailed(ctx, t.BatchID, key, msg, true); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		msg = fmt.Sprintf("tile %s: %s", key, msg)
	}
	_, err := o.Store.TransitionBatch(ctx, t.BatchID,
		[]BatchState{BatchQueued, BatchIngesting, BatchDetecting, BatchFinalizing}, BatchFailed, msg, "")
	return err
}

func (o *Orchestrator) fail(ctx context.Context, id string, cause error) error {
	if _, err := o.Store.TransitionBatch(ctx, id,
		[]BatchState{BatchQueued, BatchIngesting, BatchDetecting, BatchFinalizing}, BatchFailed, cause.Error(), ""); err != nil {
		return err
	}
	return cause
}

func (o *Orchestrator) ingest(ctx context.Context, id string, retry bool) error {
	b, err := o.Store.GetBatch(ctx, id)
	if err != nil {
		return err
	}
	switch b.State {
	case BatchDetecting:
		// Ingest finished before; make sure every pending tile is queued
		// (a crash may have come between the two).
		return o.enqueuePending(ctx, id)
	case BatchQueued:
		ok, err := o.Store.TransitionBatch(ctx, id, []BatchState{BatchQueued}, BatchIngesting, "", "")
		if err != nil {
			return err
		}
		if !ok {
			return ErrStale
		}
	case BatchIngesting:
		if !retry {
			return ErrStale // another worker is ingesting
		}
	default:
		return nil // finalizing, done, failed or cancelled: nothing to do
	}
	sceneID, keys, err := o.Stages.Ingest(ctx, b)
	if err != nil {
		if errors.Is(err, ErrInvalid) {
			return o.fail(ctx, id, err)
		}
		return err
	}
	if err := o.Store.InitTiles(ctx, id, keys); err != nil {
		return err
	}
	ok, err := o.Store.TransitionBatch(ctx, id, []BatchState{BatchIngesting}, BatchDetecting, "", sceneID)
	if err != nil {
		return err
	}
	if !ok {
		return nil // cancelled meanwhile
	}
	return o.enqueuePending(ctx, id)
}

func (o *Orchestrator) enqueuePending(ctx context.Context, id string) error {
	tiles, err := o.Store.Tiles(ctx, id)
	if err != nil {
		return err
	}
	var pending []string
	for _, t := range tiles {
		if t.State != TileDone {
			pending = append(pending, t.Key)
		}
	}
	if len(pending) == 0 {
		return o.Queue.Enqueue(ctx, Job{Kind: JobFinalize, BatchID: id})
	}
	return o.Queue.Enqueue(ctx, tileRuns(id, pending)...)
}

// Tile runs. A worker keeps its images open between tiles, so the blocks a
// tile shares with the one before it (its halo) come from GDAL's block
// cache. Workers take jobs in turn, so with one tile per job two workers
// never get neighbouring tiles: each decodes, and the object store serves,
// every shared block again. A job is therefore a run of up to
// tileRunMax neighbouring tiles along a row of the tile grid (keys
// "col_row" in grid order: by row, then by column, numbers compared as
// numbers), as long as the batch still has at least tileRunJobs jobs for
// its workers to share. Along a row rather than down a column: an image's
// block row is one stretch of its file, so the windows of a run along a
// row can be fetched with one range request per block row (see
// TilePrefetcher).
const (
	tileRunMax  = 4
	tileRunJobs = 32
)

// tileRuns groups the pending tile keys of batch id into jobs.
func tileRuns(id string, keys []string) []Job {
	keys = slices.Clone(keys)
	slices.SortFunc(keys, gridCompare)
	n := max(1, min(tileRunMax, len(keys)/tileRunJobs))
	var jobs []Job
	for i := 0; i < len(keys); {
		// A run ends after n tiles or where the key's last number (its
		// row) differs from its first's.
		e := i + 1
		for e < len(keys) && e-i < n && lineOf(keys[e]) == lineOf(keys[i]) {
			e++
		}
		j := Job{Kind: JobTile, BatchID: id, Key: keys[i]}
		if e-i > 1 {
			j.More = slices.Clone(keys[i+1 : e])
		}
		jobs = append(jobs, j)
		i = e
	}
	return jobs
}

// lineOf is the last number of a key: the row of "col_row".
func lineOf(key string) string {
	return key[len(strings.TrimRight(key, "0123456789")):]
}

// gridCompare orders tile keys "col_row" along the rows of the grid: by
// their last number, then by the rest, digit runs compared as numbers.
func gridCompare(a, b string) int {
	if c := naturalCompare(lineOf(a), lineOf(b)); c != 0 {
		return c
	}
	return naturalCompare(a, b)
}

// naturalCompare orders strings with their digit runs compared as numbers
// ("0_2" before "0_10").
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		da, db := digitPrefix(a), digitPrefix(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if c := cmp.Compare(len(na), len(nb)); c != 0 {
				return c
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			if c := cmp.Compare(da, db); c != 0 {
				return c
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return cmp.Compare(a[0], b[0])
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

func digitPrefix(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// tileError names the tile of a run that failed.
type tileError struct {
	key string
	err error
}

func (e *tileError) Error() string { return fmt.Sprintf("tile %s: %v", e.key, e.err) }
func (e *tileError) Unwrap() error { return e.err }

// tileRun runs the tiles of a JobTile in order. A retried run skips the
// tiles that are already done; a failing tile stops the run and names
// itself in the error.
func (o *Orchestrator) tileRun(ctx context.Context, t Job, retry bool) error {
	keys := t.TileKeys()
	if len(keys) == 1 {
		return o.tile(ctx, t.BatchID, keys[0])
	}
	var done map[string]bool
	if retry {
		tiles, err := o.Store.Tiles(ctx, t.BatchID)
		if err != nil {
			return err
		}
		done = map[string]bool{}
		for _, tl := range tiles {
			done[tl.Key] = tl.State == TileDone
		}
	}
	todo := slices.DeleteFunc(slices.Clone(keys), func(k string) bool { return done[k] })
	if p, ok := o.Stages.(TilePrefetcher); ok && len(todo) > 1 {
		b, err := o.Store.GetBatch(ctx, t.BatchID)
		if err != nil {
			return err
		}
		if b.State != BatchDetecting {
			return nil // cancelled, failed, or already finalizing: drop
		}
		rctx, end, err := p.PrefetchTiles(ctx, b, todo)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			o.log().Warn("tile run prefetch failed; the tiles read on their own", "batch", t.BatchID, "tiles", todo, "err", err)
		} else {
			defer func() {
				if err := end(); err != nil && ctx.Err() == nil {
					o.log().Warn("tile run prefetch failed; the tiles read on their own", "batch", t.BatchID, "tiles", todo, "err", err)
				}
			}()
			return o.tiles(rctx, t.BatchID, todo)
		}
	}
	return o.tiles(ctx, t.BatchID, todo)
}

// tiles runs the tiles keys of batch id in order; a failing tile stops
// them and names itself in the error.
func (o *Orchestrator) tiles(ctx context.Context, id string, keys []string) error {
	for _, k := range keys {
		if err := o.tile(ctx, id, k); err != nil {
			if errors.Is(err, ErrInvalid) || errors.Is(err, ErrStale) {
				return err
			}
			return &tileError{key: k, err: err}
		}
	}
	return nil
}

func (o *Orchestrator) tile(ctx context.Context, id, key string) error {
	b, err := o.Store.GetBatch(ctx, id)
	if err != nil {
		return err
	}
	if b.State != BatchDetecting {
		return nil // cancelled, failed, or already finalizing: drop
	}
	start := time.Now()
	st, err := o.Stages.Tile(ctx, b, key)
	if err != nil {
		if errors.Is(err, ErrInvalid) {
			if ferr := o.Store.TileFailed(ctx, id, key, err.Error(), true); ferr != nil {
				return ferr
			}
			return o.fail(ctx, id, fmt.Errorf("tile %s: %w", key, err))
		}
		if ferr := o.Store.TileFailed(ctx, id, key, err.Error(), false); ferr != nil {
			return ferr
		}
		return err
	}
	if st.Millis == 0 {
		st.Millis = time.Since(start).Milliseconds()
	}
	remaining, _, err := o.Store.TileDone(ctx, id, key, st.Millis, st.Bytes)
	if err != nil {
		return err
	}
	if remaining == 0 {
		// Every tile is done: queue the finalize (a duplicate is a no-op;
		// queued again on a repeat in case a crash lost the first).
		return o.Queue.Enqueue(ctx, Job{Kind: JobFinalize, BatchID: id})
	}
	return nil
}

func (o *Orchestrator) finalize(ctx context.Context, id string, retry bool) error {
	b, err := o.Store.GetBatch(ctx, id)
	if err != nil {
		return err
	}
	switch b.State {
	case BatchDetecting:
		if b.TilesDone < b.TilesTotal {
			return fmt.Errorf("pipeline: batch %s: finalize with %d of %d tiles done", id, b.TilesDone, b.TilesTotal)
		}
		ok, err := o.Store.TransitionBatch(ctx, id, []BatchState{BatchDetecting}, BatchFinalizing, "", "")
		if err != nil {
			return err
		}
		if !ok {
			return ErrStale
		}
	case BatchFinalizing:
		if !retry {
			return ErrStale // another worker is finalizing
		}
	default:
		return nil
	}
	patches, err := o.Stages.Finalize(ctx, b)
	if err != nil {
		if errors.Is(err, ErrInvalid) {
			return o.fail(ctx, id, err)
		}
		return err
	}
	if err := o.Store.ReplacePatches(ctx, id, patches); err != nil {
		return err
	}
	if o.Judge != nil {
		if err := o.Judge.JudgeBatch(ctx, id); err != nil {
			if errors.Is(err, ErrInvalid) {
				return o.fail(ctx, id, err)
			}
			return fmt.Errorf("pipeline: judge batch %s: %w", id, err)
		}
	}
	_, err = o.Store.TransitionBatch(ctx, id, []BatchState{BatchFinalizing}, BatchDone, "", "")
	return err
}

// Unfinished returns, for every batch that has not ended, the task that
// carries it on from where it stands: for an executor that lost its queue
// (the embedded mode after a crash). The tasks must run as retries, so that
// they may take over a stage a dead worker held.
func (o *Orchestrator) Unfinished(ctx context.Context) ([]Job, error) {
	bs, err := o.Store.ListBatches(ctx, 0)
	if err != nil {
		return nil, err
	}
	var tasks []Job
	for _, b := range bs {
		switch b.State {
		case BatchQueued, BatchIngesting, BatchDetecting:
			tasks = append(tasks, Job{Kind: JobIngest, BatchID: b.ID}) // detecting: re-queues its pending tiles
		case BatchFinalizing:
			tasks = append(tasks, Job{Kind: JobFinalize, BatchID: b.ID})
		}
	}
	return tasks, nil
}
