package detect

import (
	"context"
	"sync"
	"testing"
)

// The cache gives each tile in progress readers of its own, hands a tile
// the readers the last finished tile left, opens new ones when the stored
// scene changes or another batch comes, closes what it evicts only once no
// tile uses it, and its tiles are the tiles of readers of their own.
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
	if a == b || a.shared == nil || b.shared == nil || a.shared == b.shared {
		t.Fatalf("two tiles in progress: scenes %p %p, readers %p %p; want readers of their own", a, b, a.shared, b.shared)
	}
	relA()
	a2, relA2, err := c.acquire("b1", data)
	if err != nil {
		t.Fatal(err)
	}
	if a2.shared != a.shared {
		t.Fatal("the next tile did not get the readers the last one left")
	}
	// Concurrent tiles through cached readers give the tiles of a scene
	// that opens its own.
	keys := s.Tiles().Keys()
	got := make([][]byte, len(keys))
	var wg sync.WaitGroup
	for i, k := range keys {
		wg.Go(func() {
			sc, rel, err := c.acquire("b1", data)
			if err != nil {
				t.Error(err)
				return
			}
			defer rel()
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
	// old ones in use stay open until released.
	changed := append(append([]byte(nil), data[:len(data)-1]...), ' ', '}')
	d, relD, err := c.acquire("b1", changed)
	if err != nil {
		t.Fatal(err)
	}
	if d.shared == a2.shared || d.shared == b.shared {
		t.Fatal("a changed scene description reused the old readers")
	}
	if _, err := Tile(ctx, b, keys[0]); err != nil {
		t.Fatalf("evicted readers still in use: %v", err)
	}
	if len(c.entries) != 1 || c.entries[0].data[len(c.entries[0].data)-2] != ' ' {
		t.Fatalf("entries after a changed scene: %d", len(c.entries))
	}
	relA2()
	relB()
	relD()
	// Another batch evicts the idle entry (max 1).
	e, relE, err := c.acquire("b2", data)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.entries) != 1 || c.entries[0].id != "b2" || e.shared == d.shared {
		t.Fatalf("entries after a second batch: %d", len(c.entries))
	}
	relE()
	c.Close()
	if len(c.entries) != 0 {
		t.Fatal("Close left entries")
	}
}
