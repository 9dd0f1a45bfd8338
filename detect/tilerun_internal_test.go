package detect

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"sync"
	"testing"

	"github.com/weipian/weipian/pipeline"
)

// memBlobs is a blob store in memory.
type memBlobs struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (b *memBlobs) Get(_ context.Context, key string) (io.ReadCloser, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	v, ok := b.m[key]
	if !ok {
		return nil, pipeline.ErrNotFound
	}
	return io.NopCloser(bytes.NewReader(v)), nil
}

func (b *memBlobs) Put(_ context.Context, key string, r io.Reader, _ int64) error {
	v, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.m[key] = v
	return nil
}

func (b *memBlobs) Delete(_ context.Context, key string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.m, key)
	return nil
}

// A run of tiles that PrefetchTiles started holds one pair of cached
// readers for all of its tiles, fetches the other tiles' windows in the
// background once the first tile has read its own, and gives the pair
// back when it ends; its tiles equal the tiles detected one by one. A run
// that ends before any tile, or whose context is cancelled, stops its
// fetch and still gives its readers back.
func TestTileRunPrefetch(t *testing.T) {
	ctx := context.Background()
	blobs := &memBlobs{m: map[string][]byte{}}
	e := &Engine{Blobs: blobs, Resolve: filepath.Abs, Readers: NewReaderCache(2)}
	b := pipeline.Batch{ID: "run", State: pipeline.BatchDetecting,
		Spec: pipeline.BatchSpec{Before: "../testdata/juelich/LS20010525.tif", After: "../testdata/juelich/LS20010626.tif", TileSize: 256}}
	if _, _, err := e.Ingest(ctx, b); err != nil {
		t.Fatal(err)
	}
	keys := []string{"0_1", "1_1", "2_1", "3_1"}
	alone := map[string][]byte{}
	plain := &Engine{Blobs: blobs, Resolve: filepath.Abs}
	for _, k := range keys {
		if _, err := plain.Tile(ctx, b, k); err != nil {
			t.Fatal(err)
		}
		alone[k] = blobs.m[tileKey(b.ID, k)]
	}
	idle := func() int {
		e.Readers.mu.Lock()
		defer e.Readers.mu.Unlock()
		return len(e.Readers.entries[0].idle)
	}

	rctx, end, err := e.PrefetchTiles(ctx, b, keys)
	if err != nil {
		t.Fatal(err)
	}
	r, ok := rctx.Value(tileRunKey{}).(*tileRun)
	if !ok {
		t.Fatal("the run's context carries no run")
	}
	for i, k := range keys {
		if _, err := e.Tile(rctx, b, k); err != nil {
			t.Fatal(err)
		}
		if got := blobs.m[tileKey(b.ID, k)]; !bytes.Equal(got, alone[k]) {
			t.Errorf("tile %s of the run differs from the tile detected alone", k)
		}
		if i == 0 {
			select {
			case <-r.read:
			default:
				t.Fatal("the first tile did not release the background fetch")
			}
		}
		if n := idle(); n != 0 {
			t.Fatalf("after tile %s the cache holds %d idle pairs; the run holds the only one", k, n)
		}
	}
	if err := end(); err != nil {
		t.Fatal(err)
	}
	if !r.fetched {
		t.Error("the run's other windows were not fetched")
	}
	if n := idle(); n != 1 {
		t.Fatalf("%d idle pairs after the run ended, want its 1", n)
	}

	// Ended before any tile: the fetch never starts, the pair comes back.
	rctx, end, err = e.PrefetchTiles(ctx, b, keys)
	if err != nil {
		t.Fatal(err)
	}
	if err := end(); err != nil {
		t.Fatal(err)
	}
	if rctx.Value(tileRunKey{}).(*tileRun).fetched {
		t.Error("a run ended before its first tile fetched its windows")
	}
	// Cancelled after its first tile: the fetch stops without an error.
	cctx, cancel := context.WithCancel(ctx)
	rctx, end, err = e.PrefetchTiles(cctx, b, keys)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Tile(rctx, b, keys[0]); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := end(); err != nil {
		t.Fatalf("end of a cancelled run: %v", err)
	}
	if n := idle(); n != 1 {
		t.Fatalf("%d idle pairs after the runs ended, want 1", n)
	}
	// A tile of another batch, or of a changed scene, does not use the
	// run's readers.
	rctx, end, err = e.PrefetchTiles(ctx, b, keys)
	if err != nil {
		t.Fatal(err)
	}
	defer end()
	blobs.m[sceneKey(b.ID)] = append(bytes.Clone(blobs.m[sceneKey(b.ID)]), ' ')
	if _, err := e.Tile(rctx, b, keys[0]); err != nil {
		t.Fatal(err)
	}
	if n := len(e.Readers.entries[0].idle); n != 1 || e.Readers.entries[0].data[len(e.Readers.entries[0].data)-1] != ' ' {
		t.Errorf("a tile of a changed scene went through the run's readers")
	}
}
