package app

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/weipian/weipian/tiles/xyz"
)

// juelichApp is an App with the Jülich pair run as a batch.
func juelichApp(t *testing.T) (*App, string) {
	t.Helper()
	dir := t.TempDir()
	a, err := Open(t.Context(), Config{DB: filepath.Join(dir, "s.db"), Data: filepath.Join(dir, "data")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	op := Operator("test")
	b, _, err := a.SubmitBatch(t.Context(), op, BatchRequest{Name: "于利希", Before: "../testdata/juelich/LS20010525.tif", After: "../testdata/juelich/LS20010626.tif"})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.RunQueued(t.Context(), true); err != nil {
		t.Fatal(err)
	}
	st, err := a.Batch(t.Context(), op, b.ID)
	if err != nil || st.Batch.SceneID == "" {
		t.Fatalf("batch %s: %v %+v", b.ID, err, st.Batch)
	}
	return a, b.ID
}

// Renders are bounded: with one render slot and a queue of one, a request
// that finds the slot taken and the queue full is refused as busy; and the
// cache keeps within its bytes.
func TestTilesBounded(t *testing.T) {
	a, batch := juelichApp(t)
	op := Operator("test")
	tl := NewTiles(a, TileOptions{Renders: 1, Queue: 1, CacheBytes: 300 << 10})
	info, err := tl.Info(t.Context(), op, batch)
	if err != nil {
		t.Fatal(err)
	}
	cLon, cLat := (info.Bounds[0]+info.Bounds[2])/2, (info.Bounds[1]+info.Bounds[3])/2
	x, y := xyz.TileOf(cLon, cLat, 13)
	inSlot := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	tl.rendering = func() {
		once.Do(func() {
			close(inSlot)
			<-release
		})
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Add(1)
	go func() { defer wg.Done(); _, errs[0] = tl.Tile(context.Background(), op, batch, xyz.Before, 13, x, y) }()
	<-inSlot // the first render holds the only slot
	wg.Add(1)
	go func() { defer wg.Done(); _, errs[1] = tl.Tile(context.Background(), op, batch, xyz.Before, 13, x+1, y) }()
	for tl.waiting.Load() < 1 { // the second waits in the queue
		time.Sleep(5 * time.Millisecond)
	}
	_, err = tl.Tile(t.Context(), op, batch, xyz.Before, 13, x, y+1)
	if KindOf(err) != KindBusy {
		t.Errorf("a third render with the slot taken and the queue full: %v, want busy", err)
	}
	close(release)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("request %d: %v", i, err)
		}
	}
	// The cache stays within its bound.
	for i := range 12 {
		if _, err := tl.Tile(t.Context(), op, batch, xyz.After, 13, x-2+i%4, y-1+i/4); err != nil {
			t.Fatal(err)
		}
	}
	if n := tl.CachedTileBytes(); n > 300<<10 || n == 0 {
		t.Errorf("cache holds %d bytes, bound %d", n, 300<<10)
	}
	// A cached tile comes back without a render.
	tl.rendering = func() { t.Error("a cached tile was rendered again") }
	if _, err := tl.Tile(t.Context(), op, batch, xyz.After, 13, x+1, y+1); err != nil {
		t.Fatal(err)
	}
	if _, err := tl.Tile(t.Context(), op, batch, xyz.Before, 40, 0, 0); KindOf(err) != KindInvalid {
		t.Errorf("zoom 40: %v", err)
	}
	if _, err := tl.Tile(t.Context(), op, batch, xyz.Before, 3, 4, 2); KindOf(err) != KindNotFound {
		t.Errorf("zoom 3 (below the range): %v", err)
	}
	if _, err := tl.Tile(t.Context(), Principal{}, batch, xyz.Before, 13, x, y); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("anonymous: %v", err)
	}
}
