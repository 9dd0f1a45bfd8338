package xyz

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/weipian/weipian/internal/testsrv"
	"github.com/weipian/weipian/raster"
	"github.com/weipian/weipian/workers"
)

// TestRenderFromObjectStore renders the tiles of the distributed mode: the
// pair as Cloud-Optimized GeoTIFFs in MinIO, read by range requests through
// GDAL's VSI handler. They must be the tiles of the local files, byte for
// byte.
func TestRenderFromObjectStore(t *testing.T) {
	ctx := context.Background()
	m := testsrv.StartMinIO(t)
	objs, err := workers.NewObjects(ctx, workers.S3Config{Endpoint: m.Endpoint, AccessKey: m.AccessKey, SecretKey: m.SecretKey, Region: m.Region}, workers.NewMetrics(prometheus.NewRegistry()))
	if err != nil {
		t.Fatal(err)
	}
	if err := raster.UseObjectReader(objs); err != nil {
		t.Fatal(err)
	}
	local := sceneOf(t, before, after)
	remote := local
	dir := t.TempDir()
	for d, name := range []string{"before.tif", "after.tif"} {
		cog := filepath.Join(dir, name)
		src, err := raster.WriteCOG(ctx, local.Sources[d], local.Grid, cog, 100)
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(cog)
		if err != nil {
			t.Fatal(err)
		}
		st, _ := f.Stat()
		key := "batches/test/" + name
		err = objs.Put(ctx, key, f, st.Size())
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		src.Name = raster.ObjectName(objs.Bucket(), key)
		remote.Sources[d] = src
	}
	rl, err := NewRenderer(ctx, local)
	if err != nil {
		t.Fatal(err)
	}
	rr, err := NewRenderer(ctx, remote)
	if err != nil {
		t.Fatal(err)
	}
	if rl.Stretch() != rr.Stretch() || rl.Bounds() != rr.Bounds() {
		t.Fatalf("stretch or bounds differ: %v %v / %v %v", rl.Stretch(), rl.Bounds(), rr.Stretch(), rr.Bounds())
	}
	b := rl.Bounds()
	lo, _ := rl.ZoomRange()
	for _, z := range []int{lo, 12, 14} {
		x, y := TileOf((b[0]+b[2])/2, (b[1]+b[3])/2, z)
		for _, d := range []Date{Before, After} {
			a, _, err := rl.Render(ctx, d, z, x, y)
			if err != nil {
				t.Fatal(err)
			}
			c, blank, err := rr.Render(ctx, d, z, x, y)
			if err != nil || blank {
				t.Fatalf("z%d %s from MinIO: %v, blank %v", z, d, err, blank)
			}
			if !bytes.Equal(a, c) {
				t.Errorf("z%d %s: the tile from MinIO differs from the local one", z, d)
			}
		}
	}
}
