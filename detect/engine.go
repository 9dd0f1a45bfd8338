package detect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/pipeline/crs"
	"github.com/weipian/weipian/raster"
	"github.com/weipian/weipian/tiles"
)

// Engine runs the detection stages of a batch over a blob store: the scene
// description, tile results and outputs are objects under batches/<id>/.
// It implements pipeline.Stages; one Engine serves every batch and
// goroutine. Its only state between calls is the optional cache of open
// images (Readers), checked against the stored scene on every tile.
type Engine struct {
	Blobs pipeline.BlobStore
	// Resolve turns a batch input (s3://bucket/key or a local path) into a
	// GDAL dataset name.
	Resolve func(input string) (string, error)
	// Materialize copies the aligned pair into the blob store as
	// Cloud-Optimized GeoTIFFs, read back through BlobName: for workers on
	// other machines. Without it tiles read the inputs directly (embedded
	// mode).
	Materialize bool
	BlobName    func(key string) string
	// TempDir is where per-stage scratch directories are made ("" = OS default).
	TempDir string
	// OutputCRS is the CRS of the batches' vector outputs (zero value:
	// CGCS2000, EPSG:4490); Ingest resolves it on the scene.
	OutputCRS crs.CRS
	// Readers, when set, keeps recent scenes' images open between tiles
	// (a worker process of the distributed mode); nil opens them per tile.
	Readers *ReaderCache
}

var _ pipeline.Stages = (*Engine)(nil)

// Object keys of a batch.
func sceneKey(id string) string        { return "batches/" + id + "/scene.json" }
func tileKey(id, key string) string    { return "batches/" + id + "/tiles/" + key + ".bin" }
func pairKey(id, which string) string  { return "batches/" + id + "/" + which + ".tif" }
func outputKey(id, name string) string { return "batches/" + id + "/" + name }

// OutputKey returns the blob key of one of a batch's outputs
// (patches.geojson, patches.gpkg, summary.json).
func OutputKey(batchID, name string) string { return outputKey(batchID, name) }

// invalid marks input errors (bad imagery, missing objects) as permanent.
func invalid(err error) error {
	var ie *raster.InputError
	if errors.As(err, &ie) {
		return fmt.Errorf("%w: %w", pipeline.ErrInvalid, err)
	}
	return err
}

// Ingest validates and aligns the batch's pair, computes the scene
// statistics and stores the scene (and, when materialising, the aligned pair).
func (e *Engine) Ingest(ctx context.Context, b pipeline.Batch) (string, []string, error) {
	before, err := e.Resolve(b.Spec.Before)
	if err != nil {
		return "", nil, fmt.Errorf("%w: before image %s: %w", pipeline.ErrInvalid, b.Spec.Before, err)
	}
	after, err := e.Resolve(b.Spec.After)
	if err != nil {
		return "", nil, fmt.Errorf("%w: after image %s: %w", pipeline.ErrInvalid, b.Spec.After, err)
	}
	work, err := os.MkdirTemp(e.TempDir, "weipian-ingest-")
	if err != nil {
		return "", nil, err
	}
	defer os.RemoveAll(work)
	s, err := Ingest(ctx, before, after, Options{BeforeBands: b.Spec.BeforeBands, AfterBands: b.Spec.AfterBands,
		MMU: b.Spec.MMU, TileSize: b.Spec.TileSize, WorkDir: work, CRS: e.OutputCRS})
	if err != nil {
		return "", nil, invalid(e.nameObjects(err, b))
	}
	s.Inputs[0].Path, s.Inputs[1].Path = b.Spec.Before, b.Spec.After
	if e.Materialize || s.Warped {
		// A warped after image lives in a scratch directory: it must be
		// stored for the tiles even in the embedded mode.
		for i, which := range []string{"before", "after"} {
			src := &s.Before
			if i == 1 {
				src = &s.After
			}
			if i == 0 && !e.Materialize {
				continue
			}
			local := filepath.Join(work, which+".tif")
			cog, err := raster.WriteCOG(ctx, *src, s.Grid, local, s.Halo)
			if err != nil {
				return "", nil, invalid(e.nameObjects(err, b))
			}
			if err := e.putFile(ctx, pairKey(b.ID, which), local); err != nil {
				return "", nil, err
			}
			cog.Name = e.BlobName(pairKey(b.ID, which))
			*src = cog
		}
	}
	data, err := s.Encode()
	if err != nil {
		return "", nil, err
	}
	if err := e.Blobs.Put(ctx, sceneKey(b.ID), bytes.NewReader(data), int64(len(data))); err != nil {
		return "", nil, err
	}
	keys := s.Tiles().Keys()
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.String()
	}
	return s.ID, out, nil
}

// nameObjects replaces GDAL object names in an error with the batch's
// own names (s3://bucket/key), so the user sees the object they gave.
func (e *Engine) nameObjects(err error, b pipeline.Batch) error {
	msg := err.Error()
	for _, in := range []string{b.Spec.Before, b.Spec.After} {
		if name, rerr := e.Resolve(in); rerr == nil && name != in {
			msg = strings.ReplaceAll(msg, name, in)
		}
	}
	if msg == err.Error() {
		return err
	}
	return &renamed{msg: msg, err: err}
}

type renamed struct {
	msg string
	err error
}

func (r *renamed) Error() string { return r.msg }
func (r *renamed) Unwrap() error { return r.err }

func (e *Engine) putFile(ctx context.Context, key, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	return e.Blobs.Put(ctx, key, f, st.Size())
}

func (e *Engine) getBytes(ctx context.Context, key string) ([]byte, error) {
	r, err := e.Blobs.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("detect: get %s: %w", key, err)
	}
	defer r.Close()
	return io.ReadAll(r)
}

func (e *Engine) scene(ctx context.Context, id string) (*Scene, error) {
	data, err := e.getBytes(ctx, sceneKey(id))
	if err != nil {
		return nil, err
	}
	return DecodeScene(data)
}

// Tile detects one tile and stores its result. A tile of a run that
// PrefetchTiles started reads through the readers the run holds.
func (e *Engine) Tile(ctx context.Context, b pipeline.Batch, key string) (pipeline.TileStats, error) {
	var s *Scene
	var read func()
	if e.Readers == nil {
		var err error
		if s, err = e.scene(ctx, b.ID); err != nil {
			return pipeline.TileStats{}, err
		}
	} else {
		data, err := e.getBytes(ctx, sceneKey(b.ID))
		if err != nil {
			return pipeline.TileStats{}, err
		}
		if r, ok := ctx.Value(tileRunKey{}).(*tileRun); ok && r.id == b.ID && bytes.Equal(r.data, data) {
			s, read = r.scene, r.tileRead
		} else {
			var release func()
			if s, release, err = e.cachedScene(b, data); err != nil {
				return pipeline.TileStats{}, err
			}
			defer release()
		}
	}
	k, err := tiles.ParseKey(key)
	if err != nil {
		return pipeline.TileStats{}, fmt.Errorf("%w: %w", pipeline.ErrInvalid, err)
	}
	res, err := tile(ctx, s, k, read)
	if err != nil {
		return pipeline.TileStats{}, invalid(e.nameObjects(err, b))
	}
	data := res.Encode()
	if err := e.Blobs.Put(ctx, tileKey(b.ID, key), bytes.NewReader(data), int64(len(data))); err != nil {
		return pipeline.TileStats{}, err
	}
	win := s.Tiles().Window(k)
	return pipeline.TileStats{Bytes: int64(win.Dx()*win.Dy()) * int64(2*len(s.BandNames)) * bytesPerSample(s)}, nil
}

// cachedScene is batch b's scene described by data, reading through a
// pair of the worker's cached readers, and the function that gives them
// back.
func (e *Engine) cachedScene(b pipeline.Batch, data []byte) (*Scene, func(), error) {
	s, release, err := e.Readers.acquire(b.ID, data)
	if err != nil {
		return nil, nil, invalid(e.nameObjects(err, b))
	}
	return s, release, nil
}

// tileRun is a run of tiles that PrefetchTiles started: the scene reading
// through the pair of cached readers the run holds until it ends, and the
// signal that its first tile has read its windows (the background fetch
// of the other tiles' windows waits for it, so as not to hold the readers
// while the first tile needs them).
type tileRun struct {
	id    string
	data  []byte
	scene *Scene
	read  chan struct{}
	once  sync.Once
	// fetched is set once the background fetch has read every window.
	fetched bool
}

type tileRunKey struct{}

// tileRead is called by each tile of the run once it has read its windows.
func (r *tileRun) tileRead() { r.once.Do(func() { close(r.read) }) }

// PrefetchTiles starts fetching the windows of a run of tiles into GDAL's
// block cache (pipeline.TilePrefetcher): the run takes a pair of the
// worker's cached readers for all of its tiles, and once its first tile has
// read its own window, a goroutine reads the windows of the others
// together while the first tile is detected. For a run along a row of the
// grid that is one range request per block row and date instead of one per
// block row, date and tile, and the wait for the object store and the
// decoding overlap with detection. It does nothing without a reader cache,
// or when the windows' blocks of both dates would fill more than half of
// the block cache (they would push each other out before the tiles read
// them).
func (e *Engine) PrefetchTiles(ctx context.Context, b pipeline.Batch, keys []string) (context.Context, func() error, error) {
	none := func() error { return nil }
	if e.Readers == nil || len(keys) < 2 {
		return ctx, none, nil
	}
	data, err := e.getBytes(ctx, sceneKey(b.ID))
	if err != nil {
		return nil, nil, err
	}
	s, release, err := e.cachedScene(b, data)
	if err != nil {
		return nil, nil, err
	}
	g := s.Tiles()
	var all, rest image.Rectangle
	for i, key := range keys {
		k, err := tiles.ParseKey(key)
		if err != nil || !g.Contains(k) {
			release()
			return ctx, none, nil // the tile itself reports it
		}
		all = all.Union(g.Window(k))
		if i > 0 {
			rest = rest.Union(g.Window(k))
		}
	}
	p := s.shared
	if 2*(p.rb.DecodedBytes(all)+p.ra.DecodedBytes(all)) > raster.BlockCacheBytes() {
		release()
		return ctx, none, nil
	}
	r := &tileRun{id: b.ID, data: data, scene: s, read: make(chan struct{})}
	fctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		select {
		case <-r.read:
		case <-fctx.Done():
			done <- nil
			return
		}
		err := p.rb.Prefetch(fctx, rest)
		if err == nil {
			err = p.ra.Prefetch(fctx, rest)
		}
		if fctx.Err() != nil {
			err = nil // stopped by end: the tiles read the rest themselves
		}
		r.fetched = err == nil && fctx.Err() == nil
		done <- err
	}()
	end := func() error {
		stop()
		err := <-done
		release()
		return err
	}
	return context.WithValue(ctx, tileRunKey{}, r), end, nil
}

func bytesPerSample(s *Scene) int64 {
	switch s.Inputs[0].DataType {
	case "Byte", "Int8":
		return 1
	case "UInt16", "Int16":
		return 2
	case "Float64", "CFloat64":
		return 8
	}
	return 4
}

// Finalize merges the batch's tiles, writes patches.geojson, patches.gpkg
// and summary.json under batches/<id>/ and returns the patches. Tile results
// are read one row of tiles at a time and merged at once, and the outputs
// are written through a scratch file, so memory holds one row of tiles and
// the patches returned, whatever the scene's size.
func (e *Engine) Finalize(ctx context.Context, b pipeline.Batch) ([]pipeline.Patch, error) {
	s, err := e.scene(ctx, b.ID)
	if err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp(e.TempDir, "weipian-finalize-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	c, err := newSpillCollector(filepath.Join(work, "out"), work)
	if err != nil {
		return nil, err
	}
	defer c.close()
	var patches []pipeline.Patch
	c.each = func(p *pipeline.Patch) error {
		patches = append(patches, *p)
		return nil
	}
	f := newFinalizer(ctx, s, c)
	for _, k := range s.Tiles().Keys() {
		var t *TileResult
		data, err := e.getBytes(ctx, tileKey(b.ID, k.String()))
		if err == nil {
			if t, err = DecodeTileResult(data); err != nil {
				err = fmt.Errorf("detect: %s: %w", tileKey(b.ID, k.String()), err)
			}
		}
		if err == nil {
			err = f.add(t)
		}
		if err != nil {
			f.close(err)
			return nil, err
		}
	}
	if err := f.close(nil); err != nil {
		return nil, err
	}
	// summary.json last: its presence says the outputs are complete.
	for _, name := range []string{"patches.geojson", "patches.gpkg", "summary.json"} {
		if err := e.putFile(ctx, outputKey(b.ID, name), filepath.Join(work, "out", name)); err != nil {
			return nil, err
		}
	}
	return patches, nil
}
