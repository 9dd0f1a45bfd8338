package detect

import (
	"context"
	"sync"
	"testing"

	"github.com/weipian/weipian/tiles"
)

// The cache hands the tiles of one scene the same open images, opens new
// ones when the stored scene changes or another batch comes, closes what
// it evicts only once no tile uses it, and its tiles are the tiles of
// readers of their own.
func TestReaderCache(t *testing.T) {
	ctx := context.Background()
	s, err := Ingest(ctx, "../testdata/juelich/LS20010525.tif", "../testdata/juelich/LS20010626.tif", Options{WorkDir: t.TempDir(), TileSize: 256})
	if err != nil {
		t.Fatal(err)
	}
	data, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	c := NewReaderCache(1)
	a, relA, err := c.acquire("b1", data)
	if err != nil {
		t.Fatal(err)
	}
	b, relB, err := c.acquire("b1", data)
	if err != nil {
		t.Fatal(err)
	}
	if a == b || a.shared == nil || a.shared != b.shared {
		t.Fatalf("two tiles of one scene: scenes %p %p, readers %p %p; want own scenes, shared readers", a, b, a.shared, b.shared)
	}
	// Concurrent tiles through the shared readers give the tiles of a
	// scene without them.
	keys := s.Tiles().Keys()
	var wg sync.WaitGroup
	got := make([][]byte, len(keys))
	for i, k := range keys {
		wg.Go(func() {
			sc := a
			if i%2 == 1 {
				sc = b
			}
			r, err := Tile(ctx, sc, k)
			if err != nil {
				t.Error(err)
				return
			}
			got[i] = r.Encode()
		})
	}
	wg.Wait()
	for i, k := range keys {
		r, err := Tile(ctx, s, k)
		if err != nil {
			t.Fatal(err)
		}
		if string(r.Encode()) != string(got[i]) {
			t.Errorf("tile %v through the cache differs from the tile with readers of its own", k)
		}
	}
	// A changed description of the same batch gets readers of its own; the
	// old ones stay open while in use.
	changed := append([]byte(nil), data...)
	changed = append(changed[:len(changed)-1], ' ', '}')
	d, relD, err := c.acquire("b1", changed)
	if err != nil {
		t.Fatal(err)
	}
	if d.shared == a.shared {
		t.Fatal("a changed scene description reused the old readers")
	}
	if _, err := Tile(ctx, a, tiles.Key{}); err != nil {
		t.Fatalf("evicted readers still in use were closed: %v", err)
	}
	relA()
	relB()
	relD()
	// Another batch evicts the idle entry (max 1).
	e, relE, err := c.acquire("b2", data)
	if err != nil {
		t.Fatal(err)
	}
	if e.shared == d.shared || len(c.entries) != 1 || c.entries[0].id != "b2" {
		t.Fatalf("entries after a second batch: %d, first %q", len(c.entries), c.entries[0].id)
	}
	relE()
	c.Close()
	if len(c.entries) != 0 {
		t.Fatal("Close left entries")
	}
}
