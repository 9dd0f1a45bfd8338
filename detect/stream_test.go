package detect_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/weipian/weipian/detect"
)

// RunTo (tile rows merged as they finish, patches written through a scratch
// file) writes byte for byte what Run and WriteOutputs write, with one tile
// and with many rows of tiles.
func TestRunToEqualsRun(t *testing.T) {
	for _, size := range []int{1000, 173} {
		res, dir := run(t, before, after, detect.Options{TileSize: size})
		out := t.TempDir()
		sum, _, err := (&detect.Local{Concurrency: 2}).RunTo(context.Background(), before, after,
			detect.Options{TileSize: size, WorkDir: t.TempDir()}, out)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"patches.geojson", "patches.gpkg", "nonconcern.geojson", "nonconcern.gpkg", "summary.json"} {
			if !bytes.Equal(read(t, filepath.Join(dir, f)), read(t, filepath.Join(out, f))) {
				t.Errorf("tile size %d: %s written by RunTo differs from Run's", size, f)
			}
		}
		ja, _ := json.Marshal(res.Summary)
		jb, _ := json.Marshal(sum)
		if !bytes.Equal(ja, jb) {
			t.Errorf("tile size %d: RunTo's summary differs from Run's", size)
		}
	}
}

// A memory budget chooses the tile size (smaller budget, smaller tiles,
// never below the minimum); the outputs do not depend on it.
func TestTileSizeFromMemory(t *testing.T) {
	if a, b := detect.TileSizeFor(400<<20, 2, 168, 4), detect.TileSizeFor(800<<20, 2, 168, 4); !(a < b) || a%64 != 0 {
		t.Errorf("tile sizes %d (400 MiB) and %d (800 MiB): want multiples of 64 growing with memory", a, b)
	}
	if got := detect.TileSizeFor(1<<20, 2, 168, 4); got != detect.MinTileSize {
		t.Errorf("tiny budget: tile size %d, want the minimum %d", got, detect.MinTileSize)
	}
	_, dirOne := run(t, before, after, detect.Options{TileSize: 1000})
	out := t.TempDir()
	l := &detect.Local{Concurrency: 2, TileBytes: 40 << 20}
	sum, _, err := l.RunTo(context.Background(), before, after, detect.Options{WorkDir: t.TempDir()}, out)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Tiles.Count < 9 || sum.Tiles.Size%64 != 0 {
		t.Fatalf("40 MiB for the tiles: %d tiles of %d px, want at least 9 tiles of a multiple of 64", sum.Tiles.Count, sum.Tiles.Size)
	}
	for _, f := range []string{"patches.geojson", "patches.gpkg", "nonconcern.geojson", "nonconcern.gpkg"} {
		if !bytes.Equal(read(t, filepath.Join(dirOne, f)), read(t, filepath.Join(out, f))) {
			t.Errorf("%s differs between one tile and %d tiles sized from memory", f, sum.Tiles.Count)
		}
	}
}
