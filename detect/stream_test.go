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
