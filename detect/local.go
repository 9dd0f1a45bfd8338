package detect

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
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
}

// Run ingests the pair, detects every tile and finalizes the scene.
func (l *Local) Run(ctx context.Context, before, after string, opt Options) (*Result, Timings, error) {
	log := l.Log
	if log == nil {
		log = slog.Default()
	}
	var tm Timings
	t0 := time.Now()
	scene, err := Ingest(ctx, before, after, opt)
	if err != nil {
		return nil, tm, err
	}
	tm.Ingest = time.Since(t0)
	for _, n := range scene.Notes {
		log.Info("align", "note", n)
	}
	st := scene.Stats
	log.Info("scene statistics", "scene", scene.ID, "grid", fmt.Sprintf("%dx%d", scene.Grid.Width, scene.Grid.Height),
		"pixel_m", scene.PixelSize, "bands", scene.BandNames, "normalisation", st.Normalisation,
		"irmad_iterations", st.MAD.Iterations, "sample", st.SamplePixels)
	g := scene.Tiles()
	keys := g.Keys()
	tm.TileCount = len(keys)
	t1 := time.Now()
	results, err := l.tiles(ctx, scene, keys, log)
	if err != nil {
		return nil, tm, err
	}
	tm.Tiles = time.Since(t1)
	t2 := time.Now()
	res, err := Finalize(ctx, scene, results)
	if err != nil {
		return nil, tm, err
	}
	tm.Finalize = time.Since(t2)
	tm.Total = time.Since(t0)
	return res, tm, nil
}

func (l *Local) tiles(ctx context.Context, scene *Scene, keys []tiles.Key, log *slog.Logger) ([]*TileResult, error) {
	n := l.Concurrency
	if n <= 0 {
		n = runtime.NumCPU()
	}
	results := make([]*TileResult, len(keys))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(n)
	for i, k := range keys {
		g.Go(func() error {
			r, err := Tile(gctx, scene, k)
			if err != nil {
				return fmt.Errorf("tile %v: %w", k, err)
			}
			results[i] = r
			log.Debug("tile done", "tile", k.String(), "parts", len(r.Parts))
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return results, nil
}
