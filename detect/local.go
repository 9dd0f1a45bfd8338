package detect

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/weipian/weipian/tiles"
)

// Timings are the wall-clock durations of a run's stages (not part of any
// deterministic output).
type Timings struct {
	Ingest, Tiles, Finalize, Total time.Duration
	TileCount                      int
}

// Local runs the stages of one scene in this process: the embedded mode.
// Tiles run on Concurrency goroutines (0: the number of CPUs), each with its
// own GDAL datasets. The zero value is usable.
type Local struct {
	Concurrency int
	Log         *slog.Logger
	// TileBytes, when > 0 and Options.TileSize is 0, sizes the tiles so
	// that Concurrency tiles in flight need about this much memory: the
	// larger a tile, the smaller the share of its halo, which is read and
	// computed again by its neighbours. Results do not depend on it.
	TileBytes int64
}

// TileSizeFor returns the tile side for which n tiles with the given halo
// and number of bands need about mem bytes (the detector's planes over the
// tile's window), rounded down to a multiple of 64 and within MinTileSize
// and MaxTileSize.
func TileSizeFor(mem int64, n, halo, bands int) int {
	// At its peak a tile holds both dates' smoothed planes (8 bytes a
	// pixel and band) and about 56 bytes a pixel of scratch (summed-area
	// tables, log planes and sums): 83 bytes measured for 4 bands.
	perPixel := int64(8*bands + 60)
	side := int(math.Sqrt(float64(mem / int64(max(n, 1)) / perPixel)))
	return min(MaxTileSize, max(MinTileSize, (side-2*halo)/64*64))
}

// Run ingests the pair, detects every tile and finalizes the scene, keeping
// every patch in memory (evaluation, tests). RunTo streams a scene of any
// size to its outputs.
func (l *Local) Run(ctx context.Context, before, after string, opt Options) (*Result, Timings, error) {
	c := &memCollector{}
	tm, err := l.run(ctx, before, after, opt, c)
	if err != nil {
		return nil, tm, err
	}
	return c.res, tm, nil
}

// RunTo ingests the pair, detects every tile and writes the outputs into dir
// (as WriteOutputs would), returning the summary. Tile rows are merged as
// soon as they are done and patches are written through a scratch file in
// opt.WorkDir, so memory does not grow with the scene or its patch count.
func (l *Local) RunTo(ctx context.Context, before, after string, opt Options, dir string) (*Summary, Timings, error) {
	c, err := newSpillCollector(dir, opt.WorkDir)
	if err != nil {
		return nil, Timings{}, err
	}
	defer c.close()
	tm, err := l.run(ctx, before, after, opt, c)
	if err != nil {
		return nil, tm, err
	}
	return &c.summary, tm, nil
}

func (l *Local) run(ctx context.Context, before, after string, opt Options, out collector) (Timings, error) {
	log := l.Log
	if log == nil {
		log = slog.Default()
	}
	var tm Timings
	t0 := time.Now()
	scene, err := Ingest(ctx, before, after, opt)
	if err != nil {
		return tm, err
	}
	tm.Ingest = time.Since(t0)
	for _, n := range scene.Notes {
		log.Info("align", "note", n)
	}
	st := scene.Stats
	log.Info("scene statistics", "scene", scene.ID, "grid", fmt.Sprintf("%dx%d", scene.Grid.Width, scene.Grid.Height),
		"pixel_m", scene.PixelSize, "bands", scene.BandNames, "normalisation", st.Normalisation,
		"irmad_iterations", st.MAD.Iterations, "sample", st.SamplePixels)
	conc := l.Concurrency
	if conc <= 0 {
		conc = runtime.NumCPU()
	}
	if opt.TileSize == 0 && l.TileBytes > 0 {
		scene.TileSize = TileSizeFor(l.TileBytes, conc, scene.Halo, len(scene.BandNames))
	}
	keys := scene.Tiles().Keys()
	tm.TileCount = len(keys)
	log.Info("tiles", "size", scene.TileSize, "halo", scene.Halo, "count", len(keys), "concurrency", conc)
	t1 := time.Now()
	shared, err := openPairReaders(scene)
	if err != nil {
		return tm, err
	}
	scene.shared = shared
	f := newFinalizer(ctx, scene, out)
	err = l.tiles(ctx, scene, keys, f, log)
	scene.shared = nil
	shared.close()
	tm.Tiles = time.Since(t1)
	t2 := time.Now()
	if err := f.close(err); err != nil {
		return tm, err
	}
	tm.Finalize = time.Since(t2)
	tm.Total = time.Since(t0)
	return tm, nil
}

// tiles detects the tiles on Concurrency goroutines, in row-major order, and
// hands each result to the finalizer as it is done.
func (l *Local) tiles(ctx context.Context, scene *Scene, keys []tiles.Key, f *finalizer, log *slog.Logger) error {
	n := l.Concurrency
	if n <= 0 {
		n = runtime.NumCPU()
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(n)
	for _, k := range keys {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			r, err := Tile(gctx, scene, k)
			if err != nil {
				return fmt.Errorf("tile %v: %w", k, err)
			}
			log.Debug("tile done", "tile", k.String(), "parts", len(r.Parts))
			mu.Lock()
			defer mu.Unlock()
			return f.add(r)
		})
	}
	return g.Wait()
}
