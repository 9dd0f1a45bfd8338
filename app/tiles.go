package app

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/paulmach/orb"
	"golang.org/x/sync/singleflight"

	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/raster"
	"github.com/weipian/weipian/tiles/chip"
	"github.com/weipian/weipian/tiles/xyz"
)

// TileOptions bound the map tiles' memory and CPU. Zero values are the
// documented defaults.
type TileOptions struct {
	// CacheBytes bounds the rendered tiles kept in memory (0 = 64 MiB).
	CacheBytes int64
	// Renders bounds the tiles rendered at once (0 = GOMAXPROCS).
	Renders int
	// Queue bounds the requests waiting for a render; more are refused as
	// busy (0 = 64).
	Queue int
}

// Tiles renders the map tiles of batches' imagery (前时相/后时相) for the
// web console, with the access rules of the 图斑: whoever may read 图斑 may
// see the imagery of a batch, and a patrol member only that of a batch
// where their team has 图斑. Rendered tiles are cached in memory within a
// bound, and renders are limited in number. Safe for concurrent use.
type Tiles struct {
	a   *App
	opt TileOptions

	renderers *lru.Cache[string, *xyz.Renderer] // by batch ID + scene ID
	made      singleflight.Group

	mu     sync.Mutex
	cache  *lru.Cache[string, []byte]
	bytes  int64
	render singleflight.Group

	slots   chan struct{}
	waiting atomic.Int64

	teams *expirable.LRU[string, bool] // batch|team → the team has 图斑 there

	rendering func() // tests: called in a render slot, before the render
}

// renderVersion changes when tiles of the same scene would look different.
const renderVersion = "1"

// NewTiles returns the tile renderer of a.
func NewTiles(a *App, opt TileOptions) *Tiles {
	if opt.CacheBytes <= 0 {
		opt.CacheBytes = 64 << 20
	}
	if opt.Renders <= 0 {
		opt.Renders = runtime.GOMAXPROCS(0)
	}
	if opt.Queue <= 0 {
		opt.Queue = 64
	}
	t := &Tiles{a: a, opt: opt, slots: make(chan struct{}, opt.Renders)}
	t.renderers, _ = lru.New[string, *xyz.Renderer](32)
	t.cache, _ = lru.NewWithEvict[string, []byte](1<<20, func(_ string, v []byte) { t.bytes -= int64(len(v)) + 64 })
	t.teams = expirable.NewLRU[string, bool](1024, nil, time.Minute)
	return t
}

// TileInfo describes a batch's imagery for a map: its WGS84 bounds (min
// lon, min lat, max lon, max lat), the zoom levels tiles exist at, and the
// two dates.
type TileInfo struct {
	Batch      string     `json:"batch"`
	Bounds     [4]float64 `json:"bounds"`
	MinZoom    int        `json:"min_zoom"`
	MaxZoom    int        `json:"max_zoom"`
	NativeZoom int        `json:"native_zoom"`
	Before     string     `json:"before_date"` // 前时相
	After      string     `json:"after_date"`  // 后时相
	// URL is the tile URL template ({date} is before or after).
	URL string `json:"url"`
}

// Tile is one rendered tile: a PNG, or Blank when the tile shows nothing
// of the scene. ETag identifies its content.
type Tile struct {
	PNG   []byte
	Blank bool
	ETag  string
}

// checkBatch applies the access rules to a batch's imagery and returns the
// batch.
func (t *Tiles) checkBatch(ctx context.Context, p Principal, batchID string) (pipeline.Batch, error) {
	if err := p.authorize(ActTubanRead); err != nil {
		return pipeline.Batch{}, err
	}
	b, err := t.a.store.GetBatch(ctx, batchID)
	if err != nil {
		return b, wrapNotFound(err, "批次", batchID)
	}
	if team, scoped := p.TeamScope(); scoped {
		key := batchID + "|" + team
		ok, known := t.teams.Get(key)
		if !known {
			ts, err := t.a.store.TubansOfBatch(ctx, batchID)
			if err != nil {
				return b, err
			}
			for _, tb := range ts {
				ok = ok || tb.Team == team
			}
			t.teams.Add(key, ok)
		}
		if !ok {
			return b, ErrForbidden
		}
	}
	if b.SceneID == "" {
		return b, notFound("批次影像", batchID+"（尚未完成预处理）", nil)
	}
	return b, nil
}

// renderer returns the batch's tile renderer, made once per scene.
func (t *Tiles) renderer(ctx context.Context, b pipeline.Batch) (*xyz.Renderer, error) {
	key := b.ID + "/" + b.SceneID
	if r, ok := t.renderers.Get(key); ok {
		return r, nil
	}
	v, err, _ := t.made.Do(key, func() (any, error) {
		sc, err := t.a.scene(context.WithoutCancel(ctx), b.ID)
		if err != nil {
			return nil, err
		}
		bands, err := chip.BandsFromNames(sc.BandNames)
		if err != nil {
			return nil, invalid("批次 %s 的影像没有红、绿、蓝波段（%v），无法显示", b.ID, sc.BandNames)
		}
		in := xyz.Scene{Grid: sc.Grid, Sources: [2]raster.Source{sc.Before, sc.After}, Bands: bands, PixelSizeM: sc.PixelSize}
		// The after date is shown at the before date's brightness, as
		// detect compares them (each date relative to its own median).
		if st := sc.Stats; st != nil && st.ScaleBefore > 0 && st.ScaleAfter > 0 {
			for range sc.BandNames {
				in.Gain = append(in.Gain, st.ScaleBefore/st.ScaleAfter)
				in.Offset = append(in.Offset, 0)
			}
		}
		r, err := xyz.NewRenderer(context.WithoutCancel(ctx), in)
		if err != nil {
			return nil, err
		}
		t.renderers.Add(key, r)
		return r, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*xyz.Renderer), nil
}

// Info describes a batch's imagery for a map.
func (t *Tiles) Info(ctx context.Context, p Principal, batchID string) (TileInfo, error) {
	b, err := t.checkBatch(ctx, p, batchID)
	if err != nil {
		return TileInfo{}, err
	}
	r, err := t.renderer(ctx, b)
	if err != nil {
		return TileInfo{}, err
	}
	info := TileInfo{Batch: b.ID, Bounds: r.Bounds(), NativeZoom: r.NativeZoom(), URL: "/tiles/" + b.ID + "/{date}/{z}/{x}/{y}.png"}
	info.MinZoom, info.MaxZoom = r.ZoomRange()
	if sc, err := t.a.scene(ctx, b.ID); err == nil {
		info.Before, info.After = sc.Inputs[0].Date, sc.Inputs[1].Date
	}
	return info, nil
}

// TileETag returns the ETag of a tile without rendering it, for
// conditional requests; access is checked as for Tile.
func (t *Tiles) TileETag(ctx context.Context, p Principal, batchID string, d xyz.Date, z, x, y int) (string, error) {
	b, err := t.checkBatch(ctx, p, batchID)
	if err != nil {
		return "", err
	}
	return tileETag(b, d, z, x, y), nil
}

func tileETag(b pipeline.Batch, d xyz.Date, z, x, y int) string {
	return fmt.Sprintf(`"%s-%s-%d-%d-%d-v%s"`, b.SceneID, d, z, x, y, renderVersion)
}

// Tile renders (or takes from the cache) tile z/x/y of a batch's date.
// Zoom levels outside the scene's range are KindNotFound; when too many
// requests wait for a render the answer is KindBusy.
func (t *Tiles) Tile(ctx context.Context, p Principal, batchID string, d xyz.Date, z, x, y int) (Tile, error) {
	if z < 0 || z > xyz.MaxZoom {
		return Tile{}, invalid("缩放级别 %d：应为 0–%d", z, xyz.MaxZoom)
	}
	if n := int64(1) << z; x < 0 || y < 0 || int64(x) >= n || int64(y) >= n {
		return Tile{}, invalid("瓦片 %d/%d/%d 不存在：x、y 应为 0–%d", z, x, y, n-1)
	}
	b, err := t.checkBatch(ctx, p, batchID)
	if err != nil {
		return Tile{}, err
	}
	etag := tileETag(b, d, z, x, y)
	key := etag
	t.mu.Lock()
	data, ok := t.cache.Get(key)
	t.mu.Unlock()
	if ok {
		return Tile{PNG: data, Blank: len(data) == 0, ETag: etag}, nil
	}
	r, err := t.renderer(ctx, b)
	if err != nil {
		return Tile{}, err
	}
	if lo, hi := r.ZoomRange(); z < lo || z > hi {
		return Tile{}, notFound("瓦片", fmt.Sprintf("%d/%d/%d（该批次影像的缩放级别为 %d–%d）", z, x, y, lo, hi), nil)
	}
	if !r.Covers(z, x, y) {
		return Tile{Blank: true, ETag: etag}, nil
	}
	v, err, _ := t.render.Do(key, func() (any, error) {
		if n := t.waiting.Add(1); n > int64(t.opt.Queue) {
			t.waiting.Add(-1)
			return nil, &Error{Kind: KindBusy, Message: "地图瓦片请求过多，请稍后重试（tile renderer busy）"}
		}
		select {
		case t.slots <- struct{}{}:
			t.waiting.Add(-1)
		case <-ctx.Done():
			t.waiting.Add(-1)
			return nil, ctx.Err()
		}
		defer func() { <-t.slots }()
		if t.rendering != nil {
			t.rendering()
		}
		data, blank, err := r.Render(ctx, d, z, x, y)
		if errors.Is(err, xyz.ErrZoom) {
			return nil, notFound("瓦片", strconv.Itoa(z)+"/"+strconv.Itoa(x)+"/"+strconv.Itoa(y), err)
		}
		if err != nil {
			return nil, err
		}
		if blank {
			data = []byte{}
		}
		t.put(key, data)
		return data, nil
	})
	if err != nil {
		return Tile{}, err
	}
	data = v.([]byte)
	return Tile{PNG: data, Blank: len(data) == 0, ETag: etag}, nil
}

// put caches a tile and evicts the least recently used ones above the
// byte bound.
func (t *Tiles) put(key string, data []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cache.Contains(key) {
		return
	}
	t.cache.Add(key, data)
	t.bytes += int64(len(data)) + 64
	for t.bytes > t.opt.CacheBytes && t.cache.Len() > 0 {
		t.cache.RemoveOldest()
	}
}

// CachedTileBytes returns the bytes of the tiles in the cache.
func (t *Tiles) CachedTileBytes() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.bytes
}

// TubanChips renders the before and after image chips of a 图斑 from the
// imagery of its latest batch, with its outline, as the exports do.
func (a *App) TubanChips(ctx context.Context, p Principal, id string) (before, after []byte, err error) {
	tv, err := a.Tuban(ctx, p, id)
	if err != nil {
		return nil, nil, err
	}
	tb, err := a.store.Tuban(ctx, tv.ID)
	if err != nil {
		return nil, nil, wrapNotFound(err, "图斑", id)
	}
	if len(tb.Geometry) == 0 {
		return nil, nil, notFound("图斑轮廓", id, nil)
	}
	sc, err := a.scene(ctx, tb.LastBatch)
	if err != nil {
		return nil, nil, err
	}
	inv, err := raster.NewInverseTransformer(sc.Grid.WKT)
	if err != nil {
		return nil, nil, err
	}
	defer inv.Close()
	poly, err := toCRS(inv, tb.Geometry)
	if err != nil {
		return nil, nil, err
	}
	px, err := chip.PixelPolygon(sc.Grid, poly)
	if err != nil {
		return nil, nil, err
	}
	bands, err := chip.BandsFromNames(sc.BandNames)
	if err != nil {
		return nil, nil, invalid("批次 %s 的影像没有红、绿、蓝波段，无法生成切片", tb.LastBatch)
	}
	before, after, err = chip.ChipPair(ctx, sc.Before, sc.After, sc.Grid, bands, px, chip.ChipOptions{})
	if errors.Is(err, chip.ErrOutside) {
		return nil, nil, notFound("图斑影像切片", id+"（图斑不在批次影像范围内）", err)
	}
	return before, after, err
}

// toCRS projects a lon/lat polygon with an inverse transformer.
func toCRS(inv *raster.Transformer, g orb.Polygon) (orb.Polygon, error) {
	out := make(orb.Polygon, len(g))
	for k, ring := range g {
		xs, ys := make([]float64, len(ring)), make([]float64, len(ring))
		for j, pt := range ring {
			xs[j], ys[j] = pt[0], pt[1]
		}
		if err := inv.ToCRS(xs, ys); err != nil {
			return nil, err
		}
		out[k] = make(orb.Ring, len(ring))
		for j := range ring {
			out[k][j] = orb.Point{xs[j], ys[j]}
		}
	}
	return out, nil
}
