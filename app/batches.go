package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/weipian/weipian/detect"
	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/raster"
	"github.com/weipian/weipian/store"
	"github.com/weipian/weipian/workers"
)

// Imagery is a registered image: the HTTP API submits batches by its ID.
type Imagery struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"`
	URI          string    `json:"uri,omitempty"` // shown to staff only
	Acquired     string    `json:"acquired,omitempty"`
	Width        int       `json:"width"`
	Height       int       `json:"height"`
	Bands        int       `json:"bands"`
	DataType     string    `json:"data_type"`
	PixelSizeM   float64   `json:"pixel_size_m"`
	BandNames    []string  `json:"band_names"`
	RegisteredBy string    `json:"registered_by"`
	RegisteredAt time.Time `json:"registered_at"`
}

type imageryInfo struct {
	Width, Height, Bands int
	DataType             string
	PixelSize            float64
	BandNames            []string
}

func imageryOf(im store.Imagery, withURI bool) Imagery {
	var in imageryInfo
	_ = json.Unmarshal([]byte(im.Info), &in)
	out := Imagery{ID: im.ID, Name: im.Name, Acquired: im.Acquired, Width: in.Width, Height: in.Height, Bands: in.Bands,
		DataType: in.DataType, PixelSizeM: in.PixelSize, BandNames: in.BandNames, RegisteredBy: im.RegisteredBy, RegisteredAt: im.RegisteredAt}
	if out.BandNames == nil {
		out.BandNames = []string{}
	}
	if withURI {
		out.URI = im.URI
	}
	return out
}

// ImageryIDPrefix starts every registered image's ID.
const ImageryIDPrefix = "img-"

// RegisterImagery registers an image for batches. Over HTTP only object
// URIs (s3://bucket/key, distributed mode) are accepted, never server
// paths; the CLI operator may register a local file. The image is inspected
// (readable, georeferenced, not empty) before it is registered.
func (a *App) RegisterImagery(ctx context.Context, p Principal, uri, name string) (Imagery, bool, error) {
	var out Imagery
	var created bool
	err := a.audited(ctx, p, "imagery.register", uri, func() (string, error) {
		if err := p.authorize(ActImageryAdd); err != nil {
			return "", err
		}
		uri = strings.TrimSpace(uri)
		if uri == "" {
			return "", invalid("影像地址为空（want s3://bucket/key or, on the CLI, a file）")
		}
		isObject := strings.HasPrefix(uri, "s3://")
		if !isObject && p.Source != "cli" {
			return "", invalid("只能登记对象存储中的影像 s3://bucket/key（server paths are not accepted）")
		}
		if isObject && !a.Distributed() {
			return "", invalid("s3:// 影像需要分布式模式（--redis 与 --s3-endpoint）")
		}
		dsName := uri
		if isObject {
			k, _, err := a.objects.Locate(uri)
			if err != nil {
				return "", invalid("影像地址 %s：应为 s3://bucket/key", uri)
			}
			dsName = raster.ObjectPrefix + k
		} else {
			abs, err := filepath.Abs(uri)
			if err != nil {
				return "", err
			}
			uri, dsName = abs, abs
		}
		info, err := raster.Inspect(dsName)
		if err != nil {
			var ie *raster.InputError
			if errors.As(err, &ie) {
				return "", invalid("影像 %s 不可用：%s", uri, strings.TrimPrefix(strings.ReplaceAll(err.Error(), dsName, uri), uri+" "))
			}
			return "", err
		}
		if name == "" {
			name = strings.TrimSuffix(filepath.Base(uri), filepath.Ext(uri))
		}
		data, _ := json.Marshal(imageryInfo{Width: info.Width, Height: info.Height, Bands: info.Bands, DataType: info.DataType, PixelSize: info.PixelSize, BandNames: info.BandNames})
		h := sha256.Sum256([]byte(uri))
		im := store.Imagery{ID: ImageryIDPrefix + hex.EncodeToString(h[:6]), Name: name, URI: uri, Acquired: info.Date, Info: string(data),
			RegisteredBy: p.User, RegisteredAt: a.now()}
		got, c, err := a.store.RegisterImagery(ctx, im)
		if err != nil {
			return "", err
		}
		out, created = imageryOf(got, true), c
		return out.ID, nil
	})
	return out, created, err
}

// ImageryList lists the registered images.
func (a *App) ImageryList(ctx context.Context, p Principal) ([]Imagery, error) {
	if err := p.authorize(ActImageryRead); err != nil {
		return nil, err
	}
	ims, err := a.store.ImageryList(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Imagery, 0, len(ims))
	for _, im := range ims {
		out = append(out, imageryOf(im, p.Can(ActImageryAdd)))
	}
	return out, nil
}

// BatchRequest is a batch to submit. Before and After are registered
// imagery IDs or s3://bucket/key URIs; the CLI operator may also give local
// files.
type BatchRequest struct {
	Name, Region  string
	Before, After string
	Bands         []string // band names of both images
	MMU           float64
	TileSize      int
}

// IsXZQDM reports whether s is a 6-digit administrative code.
func IsXZQDM(s string) bool {
	if len(s) != 6 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// resolveInput turns a batch input into what the stages read, and refuses
// server paths from the HTTP API.
func (a *App) resolveInput(ctx context.Context, p Principal, which, in string) (string, error) {
	in = strings.TrimSpace(in)
	switch {
	case in == "":
		return "", invalid("%s：缺少影像（want an imagery ID or s3://bucket/key）", which)
	case strings.HasPrefix(in, ImageryIDPrefix):
		im, err := a.store.GetImagery(ctx, in)
		if err != nil {
			return "", wrapNotFound(err, "影像", in)
		}
		return im.URI, nil
	case strings.HasPrefix(in, "s3://"):
		if !a.Distributed() {
			return "", invalid("%s：s3:// 影像需要分布式模式", which)
		}
		return in, nil
	case p.Source == "cli":
		return in, nil
	}
	return "", invalid("%s：应为已登记影像的编号（img-…）或 s3://bucket/key（server paths are not accepted）", which)
}

// version tags an input for the batch ID.
func (a *App) version(ctx context.Context, input string) (string, error) {
	if a.objects != nil {
		return a.objects.Version(ctx, input)
	}
	p, err := filepath.Abs(input)
	if err != nil {
		return "", err
	}
	return workers.LocalVersion(p)
}

// SubmitBatch records a batch and queues it; the same pair submitted again
// returns the existing batch (created false). In the embedded mode the
// caller runs the queue (RunQueued), as `weipian batch submit` and `weipian
// serve` do.
func (a *App) SubmitBatch(ctx context.Context, p Principal, req BatchRequest) (pipeline.Batch, bool, error) {
	var b pipeline.Batch
	var created bool
	err := a.audited(ctx, p, "batch.submit", req.Name, func() (string, error) {
		if err := p.authorize(ActBatchSubmit); err != nil {
			return "", err
		}
		if strings.TrimSpace(req.Name) == "" {
			return "", invalid("批次名称为空（name）")
		}
		if len([]rune(req.Name)) > 200 {
			return "", invalid("批次名称过长（name: at most 200 characters）")
		}
		if req.Region != "" && !IsXZQDM(req.Region) {
			return "", invalid("region %q：应为 6 位行政区代码（XZQDM）", req.Region)
		}
		if req.MMU < 0 || req.MMU != req.MMU || req.MMU > 1e7 {
			return "", invalid("mmu_m2 %v：应为 0–10000000 平方米", req.MMU)
		}
		if req.TileSize != 0 && (req.TileSize < 64 || req.TileSize > 8192) {
			return "", invalid("tile_size %d：应为 64–8192 像素", req.TileSize)
		}
		if len(req.Bands) > 16 {
			return "", invalid("bands：最多 16 个波段名")
		}
		before, err := a.resolveInput(ctx, p, "before（前时相）", req.Before)
		if err != nil {
			return "", err
		}
		after, err := a.resolveInput(ctx, p, "after（后时相）", req.After)
		if err != nil {
			return "", err
		}
		spec := pipeline.BatchSpec{Name: req.Name, Region: req.Region, Before: before, After: after,
			BeforeBands: req.Bands, AfterBands: req.Bands, MMU: req.MMU, TileSize: req.TileSize}
		var versions []string
		for i, in := range []string{before, after} {
			v, err := a.version(ctx, in)
			if err != nil {
				which := []string{"before（前时相）", "after（后时相）"}[i]
				if p.Source != "cli" {
					return "", invalid("%s：影像不可用", which)
				}
				return "", invalid("%s：%s 不可读：%v", which, in, err)
			}
			versions = append(versions, v)
		}
		b, created, err = a.orch.Submit(ctx, spec, versions...)
		if err != nil {
			return "", err
		}
		return b.ID, nil
	})
	return b, created, err
}

// BatchStatus is a batch with its failed tiles and a progress line.
type BatchStatus struct {
	Batch       pipeline.Batch  `json:"batch"`
	FailedTiles []pipeline.Tile `json:"failed_tiles"`
	Progress    string          `json:"progress"`
}

// Batch returns a batch's status.
func (a *App) Batch(ctx context.Context, p Principal, id string) (BatchStatus, error) {
	if err := p.authorize(ActBatchRead); err != nil {
		return BatchStatus{}, err
	}
	b, err := a.store.GetBatch(ctx, id)
	if err != nil {
		return BatchStatus{}, wrapNotFound(err, "批次", id)
	}
	tiles, err := a.store.Tiles(ctx, id)
	if err != nil {
		return BatchStatus{}, err
	}
	failed := []pipeline.Tile{}
	for _, t := range tiles {
		if t.State == pipeline.TileFailed || t.Error != "" {
			failed = append(failed, t)
		}
	}
	return BatchStatus{Batch: b, FailedTiles: failed, Progress: ProgressLine(b, a.now())}, nil
}

// Batches lists the newest batches.
func (a *App) Batches(ctx context.Context, p Principal, pg Page) (List[pipeline.Batch], error) {
	if err := p.authorize(ActBatchRead); err != nil {
		return List[pipeline.Batch]{}, err
	}
	pg, err := pg.norm()
	if err != nil {
		return List[pipeline.Batch]{}, err
	}
	bs, err := a.store.ListBatches(ctx, pg.Offset+pg.Limit+1)
	if err != nil {
		return List[pipeline.Batch]{}, err
	}
	out := paginate(bs, pg)
	if len(bs) > pg.Offset+pg.Limit {
		out.Total = -1 // more than this page: the store does not count
	}
	return out, nil
}

// CancelBatch cancels a batch that has not ended.
func (a *App) CancelBatch(ctx context.Context, p Principal, id string) (pipeline.Batch, error) {
	var b pipeline.Batch
	err := a.audited(ctx, p, "batch.cancel", id, func() (string, error) {
		if err := p.authorize(ActBatchCancel); err != nil {
			return "", err
		}
		cur, err := a.store.GetBatch(ctx, id)
		if err != nil {
			return "", wrapNotFound(err, "批次", id)
		}
		ok, err := a.orch.Cancel(ctx, id)
		if err != nil {
			return "", err
		}
		if !ok {
			return "", errorf(KindConflict, "批次 %s 已结束（%s）", id, cur.State)
		}
		b, err = a.store.GetBatch(ctx, id)
		return "", err
	})
	return b, err
}

// BatchOutputs are the downloadable outputs of a finished batch.
var BatchOutputs = []string{"patches.geojson", "patches.gpkg", "summary.json", "nonconcern.geojson", "nonconcern.gpkg"}

// BatchOutput opens one output of a finished batch; the caller closes it.
func (a *App) BatchOutput(ctx context.Context, p Principal, id, name string) (io.ReadCloser, error) {
	if err := p.authorize(ActBatchRead); err != nil {
		return nil, err
	}
	known := false
	for _, n := range BatchOutputs {
		known = known || n == name
	}
	if !known {
		return nil, notFound("输出", fmt.Sprintf("%q（%s）", name, strings.Join(BatchOutputs, ", ")), nil)
	}
	b, err := a.store.GetBatch(ctx, id)
	if err != nil {
		return nil, wrapNotFound(err, "批次", id)
	}
	if b.State != pipeline.BatchDone {
		return nil, errorf(KindConflict, "批次 %s 状态为 %s，尚未完成", id, b.State)
	}
	r, err := a.blobs.Get(ctx, detect.OutputKey(id, name))
	return r, wrapNotFound(err, "输出", name)
}

// OutputDir returns the local directory of a batch's outputs in the
// embedded mode ("" in the distributed mode).
func (a *App) OutputDir(id string) string {
	if a.inproc == nil {
		return ""
	}
	return filepath.Dir(a.dir.Path(detect.OutputKey(id, "summary.json")))
}

// ProgressLine describes a batch's progress in one line with an ETA.
func ProgressLine(b pipeline.Batch, now time.Time) string {
	const width = 30
	frac := 0.0
	if b.TilesTotal > 0 {
		frac = float64(b.TilesDone) / float64(b.TilesTotal)
	}
	if b.State == pipeline.BatchDone {
		frac = 1
	}
	n := int(frac * width)
	bar := strings.Repeat("█", n) + strings.Repeat("░", width-n)
	eta := ""
	if b.State == pipeline.BatchDetecting && b.TilesDone > 0 && !b.StartedAt.IsZero() {
		el := now.Sub(b.StartedAt)
		rem := time.Duration(float64(el) / float64(b.TilesDone) * float64(b.TilesTotal-b.TilesDone))
		eta = " ETA " + rem.Round(time.Second).String()
	}
	s := fmt.Sprintf("%s %-10s %s %d/%d tiles", b.ID, b.State, bar, b.TilesDone, b.TilesTotal)
	if b.TilesFailed > 0 {
		s += fmt.Sprintf(", %d failed", b.TilesFailed)
	}
	s += eta
	if b.State == pipeline.BatchDone {
		s += fmt.Sprintf(", %d patches", b.PatchCount)
	}
	if b.Error != "" {
		s += ": " + b.Error
	}
	return s
}
