package detect

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"math"
	"runtime"

	"github.com/weipian/weipian/pipeline/crs"
	"github.com/weipian/weipian/raster"
	"github.com/weipian/weipian/raster/change"
	"github.com/weipian/weipian/tiles"
	"golang.org/x/sync/errgroup"
)

// DefaultTileSize is the default processing tile side in pixels;
// MinTileSize and MaxTileSize bound what may be asked for.
const (
	DefaultTileSize = 1024
	MinTileSize     = 64
	MaxTileSize     = 16384
)

// Check refuses option values that are out of range (rather than silently
// replacing them by defaults).
func (o Options) Check() error {
	if !(o.MMU >= 0) || math.IsInf(o.MMU, 0) {
		return fmt.Errorf("detect: minimum mapping unit %v m²: want a number >= 0 (0: the default)", o.MMU)
	}
	if o.TileSize != 0 && (o.TileSize < MinTileSize || o.TileSize > MaxTileSize) {
		return fmt.Errorf("detect: tile size %d: want %d to %d pixels (0: the default %d)", o.TileSize, MinTileSize, MaxTileSize, DefaultTileSize)
	}
	if !(o.PixelSize >= 0) || math.IsInf(o.PixelSize, 0) {
		return fmt.Errorf("detect: pixel size %v m: want a number >= 0 (0: from the files)", o.PixelSize)
	}
	return nil
}

// Options are the optional inputs of Ingest. The zero value uses defaults.
type Options struct {
	// BeforeBands and AfterBands name the bands of each file, e.g.
	// []string{"B","G","R","NIR"}; empty: from the file's metadata, else
	// B,G,R,NIR for 4 bands and R,G,B for 3.
	BeforeBands, AfterBands []string
	// MMU is the minimum mapping unit in m² (0: 200 m²).
	MMU float64
	// TileSize is the tile side in pixels (0: DefaultTileSize).
	TileSize int
	// PixelSize overrides the pixel size in metres (0: from the files).
	PixelSize float64
	// WorkDir receives intermediate rasters (the warped after image).
	WorkDir string
	// Tune, when set, adjusts the parameters after the defaults (parameter
	// search in evaluation only; batches never set it).
	Tune func(*change.Params)
	// CRS is the CRS of the vector outputs (the zero value: CGCS2000,
	// EPSG:4490; crs.GK: the 3-degree Gauss-Krüger zone of the scene's
	// centre). Areas are computed in Gauss-Krüger whatever it is.
	CRS crs.CRS
}

// Scene is the outcome of Ingest: everything the tile and finalize stages
// need. It is plain data and serialises to JSON.
type Scene struct {
	ID                    string           `json:"id"`
	Version               string           `json:"version"`
	BeforePath, AfterPath string           `json:"-"`
	Inputs                [2]InputInfo     `json:"inputs"`
	Before, After         raster.Source    `json:"-"`
	Sources               [2]raster.Source `json:"sources"`
	Grid                  raster.Grid      `json:"grid"`
	BandNames             []string         `json:"bands"`
	PixelSize             float64          `json:"pixel_size_m"`
	Params                change.Params    `json:"params"`
	// OutputEPSG is the CRS of the vector outputs (Options.CRS resolved on
	// the scene; 0 in scenes of earlier versions: WGS84).
	OutputEPSG int                `json:"output_epsg,omitempty"`
	Stats      *change.SceneStats `json:"stats"`
	TileSize   int                `json:"tile_size"`
	Halo       int                `json:"halo"`
	Warped     bool               `json:"warped"`
	Notes      []string           `json:"notes"`
	// shared, when set, reads the tiles through one open dataset per date
	// (readTile).
	shared *pairReaders
}

// InputInfo records an input file as given.
type InputInfo struct {
	Path     string `json:"path"`
	Date     string `json:"date,omitempty"`
	Width    int    `json:"width"`
	Height   int    `json:"height"`
	Bands    int    `json:"bands"`
	DataType string `json:"data_type"`
}

// Tiles returns the scene's processing grid.
func (s *Scene) Tiles() tiles.Grid {
	g, _ := tiles.NewGrid(s.Grid.Width, s.Grid.Height, s.TileSize, s.Halo)
	return g
}

// MarshalJSON/UnmarshalJSON keep Before/After in Sources.
func (s *Scene) sync() { s.Sources = [2]raster.Source{s.Before, s.After} }

// Encode serialises the scene (JSON).
func (s *Scene) Encode() ([]byte, error) {
	s.sync()
	return json.Marshal(s)
}

// DecodeScene parses the output of Encode.
func DecodeScene(b []byte) (*Scene, error) {
	var s Scene
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("detect: decode scene: %w", err)
	}
	if s.Stats == nil || s.Grid.Width <= 0 || s.TileSize <= 0 {
		return nil, fmt.Errorf("detect: decode scene: incomplete scene")
	}
	s.Before, s.After = s.Sources[0], s.Sources[1]
	s.BeforePath, s.AfterPath = s.Inputs[0].Path, s.Inputs[1].Path
	return &s, nil
}

// Ingest validates both images, aligns after onto before's grid over their
// overlap (warping into opt.WorkDir when the grids differ), samples the
// scene and computes its statistics (IR-MAD normalisation and thresholds)
// once. Bad input gives a *raster.InputError naming the file.
func Ingest(ctx context.Context, beforePath, afterPath string, opt Options) (*Scene, error) {
	if err := opt.Check(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	bi, err := raster.Inspect(beforePath)
	if err != nil {
		return nil, err
	}
	ai, err := raster.Inspect(afterPath)
	if err != nil {
		return nil, err
	}
	pair, err := raster.Align(ctx, bi, ai, raster.AlignOptions{
		BeforeBands: opt.BeforeBands, AfterBands: opt.AfterBands,
		WorkDir: opt.WorkDir, DefaultNames: change.DefaultBandNames,
	})
	if err != nil {
		return nil, err
	}
	ps := pair.PixelSize
	if opt.PixelSize > 0 {
		ps = opt.PixelSize
	}
	p := change.DefaultParams(ps)
	if opt.MMU > 0 {
		p.MMU = opt.MMU
	}
	if opt.Tune != nil {
		opt.Tune(&p)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	ts := opt.TileSize
	if ts <= 0 {
		ts = DefaultTileSize
	}
	s := &Scene{
		Version: change.Version, BeforePath: beforePath, AfterPath: afterPath,
		Inputs: [2]InputInfo{
			{Path: beforePath, Date: bi.Date, Width: bi.Width, Height: bi.Height, Bands: bi.Bands, DataType: bi.DataType},
			{Path: afterPath, Date: ai.Date, Width: ai.Width, Height: ai.Height, Bands: ai.Bands, DataType: ai.DataType},
		},
		Before: pair.Before, After: pair.After, Grid: pair.Grid, BandNames: pair.BandNames,
		PixelSize: ps, Params: p, TileSize: ts, Halo: p.Halo(), Warped: pair.Warped, Notes: pair.Notes,
	}
	s.sync()
	if s.OutputEPSG, err = outputEPSG(opt.CRS, s.Grid); err != nil {
		return nil, &raster.InputError{Path: beforePath, Err: err, Problem: err.Error()}
	}
	bands, err := change.NewBands(pair.BandNames)
	if err != nil {
		return nil, err
	}
	r := p.Radii()
	margin := r.Smooth
	plan := change.SamplePlan(s.Grid.Width, s.Grid.Height, p.SampleTarget, margin)
	wins, hash, err := readSample(ctx, s, plan)
	if err != nil {
		return nil, err
	}
	st, err := change.Estimate(wins, bands, p)
	if errors.Is(err, change.ErrCloudy) {
		return nil, &raster.InputError{Path: afterPath, Err: err, Problem: fmt.Sprintf("with %s: %v", beforePath, err)}
	}
	if err != nil {
		return nil, fmt.Errorf("detect: scene statistics of %s and %s: %w", beforePath, afterPath, err)
	}
	s.Stats = st
	s.ID = sceneID(s, hash)
	return s, nil
}

// readSample reads the sample windows of both dates (on as many goroutines
// as there are CPUs, each with its own readers) and hashes their pixels in
// the plan's order.
func readSample(ctx context.Context, s *Scene, plan []change.SampleRect) ([]change.SampleWindow, []byte, error) {
	nb := len(s.BandNames)
	wins := make([]change.SampleWindow, len(plan))
	g, gctx := errgroup.WithContext(ctx)
	workers := min(runtime.GOMAXPROCS(0), len(plan))
	for k := 0; k < workers; k++ {
		g.Go(func() error {
			rb, err := raster.OpenReader(s.Before)
			if err != nil {
				return err
			}
			defer rb.Close()
			ra, err := raster.OpenReader(s.After)
			if err != nil {
				return err
			}
			defer ra.Close()
			for j := k; j < len(plan); j += workers {
				sr := plan[j]
				w, err := readWindow(gctx, rb, ra, sr.Outer, nb)
				if err != nil {
					return err
				}
				wins[j] = change.SampleWindow{Window: *w, Inner: sr.Inner.Sub(sr.Outer.Min)}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	h := sha256.New()
	anyValid := false
	for _, sw := range wins {
		w, inner := &sw.Window, sw.Inner
		for y := inner.Min.Y; y < inner.Max.Y; y++ {
			for x := inner.Min.X; x < inner.Max.X; x++ {
				i := y*w.W + x
				if !w.Valid[i] {
					h.Write([]byte{0})
					continue
				}
				anyValid = true
				var b [4]byte
				for band := 0; band < nb; band++ {
					binary.LittleEndian.PutUint32(b[:], math.Float32bits(w.Before[band][i]))
					h.Write(b[:])
					binary.LittleEndian.PutUint32(b[:], math.Float32bits(w.After[band][i]))
					h.Write(b[:])
				}
			}
		}
	}
	if !anyValid {
		return nil, nil, &raster.InputError{Path: s.AfterPath, Err: raster.ErrAllNoData, Problem: fmt.Sprintf(
			"has no valid pixel where %s has one: the overlap is all nodata", s.BeforePath)}
	}
	return wins, h.Sum(nil), nil
}

// readWindow reads the same window of both dates; a pixel is valid only
// where both are.
func readWindow(ctx context.Context, rb, ra *raster.Reader, win image.Rectangle, nb int) (*change.Window, error) {
	n := win.Dx() * win.Dy()
	w := &change.Window{W: win.Dx(), H: win.Dy(), Before: make([][]float32, nb), After: make([][]float32, nb), Valid: make([]bool, n)}
	for b := 0; b < nb; b++ {
		w.Before[b] = make([]float32, n)
		w.After[b] = make([]float32, n)
	}
	va := make([]bool, n)
	if err := rb.Read(ctx, win, w.Before, w.Valid); err != nil {
		return nil, err
	}
	if err := ra.Read(ctx, win, w.After, va); err != nil {
		return nil, err
	}
	for i := range va {
		w.Valid[i] = w.Valid[i] && va[i]
	}
	return w, nil
}

// sceneID hashes what determines the result: algorithm version, grid,
// bands, parameters, dates and the sampled pixels of both dates. The tile
// layout is left out on purpose: results do not depend on it.
func sceneID(s *Scene, sample []byte) string {
	h := sha256.New()
	meta, _ := json.Marshal(struct {
		V string
		G raster.Grid
		B []string
		P change.Params
		D [2]string
	}{s.Version, s.Grid, s.BandNames, s.Params, [2]string{s.Inputs[0].Date, s.Inputs[1].Date}})
	h.Write(meta)
	h.Write(sample)
	return hex.EncodeToString(h.Sum(nil))[:24]
}

// ReadAll reads the whole aligned pair of a scene as one window (for
// evaluation and baselines on small benchmark images only).
func ReadAll(ctx context.Context, s *Scene) (*change.Window, error) {
	rb, err := raster.OpenReader(s.Before)
	if err != nil {
		return nil, err
	}
	defer rb.Close()
	ra, err := raster.OpenReader(s.After)
	if err != nil {
		return nil, err
	}
	defer ra.Close()
	return readWindow(ctx, rb, ra, image.Rect(0, 0, s.Grid.Width, s.Grid.Height), len(s.BandNames))
}

// outputEPSG resolves the CRS of the outputs on the scene: the Gauss-Krüger
// zone of its centre for crs.GK.
func outputEPSG(c crs.CRS, g raster.Grid) (int, error) {
	if !c.IsAuto() {
		return c.EPSG(), nil
	}
	tr, err := raster.NewTransformer(g.WKT)
	if err != nil {
		return 0, err
	}
	defer tr.Close()
	x, y := g.PixelToGeo(float64(g.Width)/2, float64(g.Height)/2)
	xs, ys := []float64{x}, []float64{y}
	if err := tr.ToLonLat(xs, ys); err != nil {
		return 0, err
	}
	z, err := c.ResolveAt(xs[0])
	if err != nil {
		return 0, fmt.Errorf("detect: output CRS: %w", err)
	}
	return z.EPSG(), nil
}
