package workers_test

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/weipian/weipian/detect"
	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/store"
	"github.com/weipian/weipian/workers"
)

// cancelAfterFirstTile cancels the batch once its first tile is done.
type cancelAfterFirstTile struct {
	pipeline.Stages
	orch  *pipeline.Orchestrator
	tiles atomic.Int32
}

func (c *cancelAfterFirstTile) Tile(ctx context.Context, b pipeline.Batch, key string) (pipeline.TileStats, error) {
	st, err := c.Stages.Tile(ctx, b, key)
	if c.tiles.Add(1) == 1 {
		c.orch.Cancel(ctx, b.ID)
	}
	return st, err
}

func TestCancelStopsABatch(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(t.Context(), filepath.Join(dir, "weipian.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	blobs := workers.Dir{Root: filepath.Join(dir, "data")}
	q := &workers.InProcess{Concurrency: 1}
	eng := &detect.Engine{Blobs: blobs, Resolve: func(s string) (string, error) { return filepath.Abs(s) }, BlobName: blobs.Path}
	o := &pipeline.Orchestrator{Store: st, Queue: q}
	stages := &cancelAfterFirstTile{Stages: eng, orch: o}
	o.Stages = stages
	q.Handle, q.Failed = o.Handle, o.Failed
	b, _, err := o.Submit(t.Context(), pipeline.BatchSpec{Name: "cancel", Before: juelichBefore, After: juelichAfter, TileSize: 256})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Run(t.Context(), true); err != nil {
		t.Fatal(err)
	}
	end, _ := st.GetBatch(t.Context(), b.ID)
	if end.State != pipeline.BatchCancelled {
		t.Fatalf("state %s, want cancelled", end.State)
	}
	if n := stages.tiles.Load(); n != 1 {
		t.Errorf("%d tiles ran after the cancel, want only the first", n)
	}
	if _, err := os.Stat(blobs.Path(detect.OutputKey(b.ID, "summary.json"))); err == nil {
		t.Error("a cancelled batch must not be finalized")
	}
	if ok, _ := o.Cancel(t.Context(), b.ID); ok {
		t.Error("cancelling an ended batch must report false")
	}
}
