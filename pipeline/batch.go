package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"time"
)

// BatchState is where a batch is in its life.
type BatchState string

// Batch states. A batch moves queued → ingesting → detecting → finalizing →
// done; it may end in failed or cancelled from any state before done.
const (
	BatchQueued     BatchState = "queued"
	BatchIngesting  BatchState = "ingesting"
	BatchDetecting  BatchState = "detecting"
	BatchFinalizing BatchState = "finalizing"
	BatchDone       BatchState = "done"
	BatchFailed     BatchState = "failed"
	BatchCancelled  BatchState = "cancelled"
)

// Terminal reports whether the state is final.
func (s BatchState) Terminal() bool {
	return s == BatchDone || s == BatchFailed || s == BatchCancelled
}

// BatchSpec is what a user submits: an imagery pair and its options.
type BatchSpec struct {
	Name   string `json:"name"`
	Region string `json:"region,omitempty"` // 6-digit XZQDM of the region, optional
	// Before and After are object URLs (s3://bucket/key) or local paths.
	Before string `json:"before"`
	After  string `json:"after"`
	// BeforeBands and AfterBands name the bands (empty: from metadata/defaults).
	BeforeBands []string `json:"before_bands,omitempty"`
	AfterBands  []string `json:"after_bands,omitempty"`
	MMU         float64  `json:"mmu_m2,omitempty"`
	TileSize    int      `json:"tile_size,omitempty"`
	// Kind is "" for a detection batch, KindXiafa for a batch of 图斑
	// issued (下发) by Source (部, 省 or 市) and read from File.
	Kind   string `json:"kind,omitempty"`
	Source string `json:"source,omitempty"`
	File   string `json:"file,omitempty"`
}

// KindXiafa is the BatchSpec.Kind of a batch of issued (下发) 图斑.
const KindXiafa = "xiafa"

// ID derives the batch ID from the spec (and the inputs' versions, e.g.
// ETags), so resubmitting the same batch gives the same ID.
func (s BatchSpec) ID(inputVersions ...string) string {
	b, _ := json.Marshal(struct {
		S BatchSpec
		V []string
	}{s, inputVersions})
	h := sha256.Sum256(b)
	return "b" + hex.EncodeToString(h[:])[:15]
}

// Batch is a submitted batch and its progress.
type Batch struct {
	ID    string     `json:"id"`
	Spec  BatchSpec  `json:"spec"`
	State BatchState `json:"state"`
	// Error says why the batch failed (or was cancelled).
	Error       string `json:"error,omitempty"`
	TilesTotal  int    `json:"tiles_total"`
	TilesDone   int    `json:"tiles_done"`
	TilesFailed int    `json:"tiles_failed"`
	PatchCount  int    `json:"patch_count"`
	// SceneID identifies the ingested scene (imagery, grid, parameters).
	SceneID   string    `json:"scene_id,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// StartedAt is when tile detection started (for the ETA).
	StartedAt time.Time `json:"started_at,omitzero"`
	// FinishedAt is when the batch reached a terminal state.
	FinishedAt time.Time `json:"finished_at,omitzero"`
}

// TileState is where one tile of a batch is.
type TileState string

// Tile states.
const (
	TilePending TileState = "pending"
	TileDone    TileState = "done"
	TileFailed  TileState = "failed"
)

// Tile is the record of one tile of a batch.
type Tile struct {
	BatchID  string    `json:"batch_id"`
	Key      string    `json:"key"` // "col_row"
	State    TileState `json:"state"`
	Attempts int       `json:"attempts"`
	Error    string    `json:"error,omitempty"`
	// Millis is how long the successful attempt took; Bytes how many image
	// bytes it read.
	Millis int64 `json:"millis,omitempty"`
	Bytes  int64 `json:"bytes,omitempty"`
}

// ErrNotFound is returned by stores for a missing record.
var ErrNotFound = errors.New("pipeline: not found")

// ErrInvalid marks a permanent failure caused by the input (bad imagery, bad
// request): retrying cannot help. Wrap it: fmt.Errorf("...: %w", ErrInvalid).
var ErrInvalid = errors.New("pipeline: invalid input")

// BatchStore is what batch orchestration needs from the state store. Every
// method is safe for concurrent use by many workers, and idempotent where
// its doc says so.
type BatchStore interface {
	// CreateBatch inserts b (State queued) unless a batch with its ID
	// exists; it returns the stored batch and whether it was created.
	CreateBatch(ctx context.Context, b Batch) (Batch, bool, error)
	// GetBatch returns ErrNotFound for an unknown ID.
	GetBatch(ctx context.Context, id string) (Batch, error)
	// ListBatches returns the newest batches first.
	ListBatches(ctx context.Context, limit int) ([]Batch, error)
	// TransitionBatch sets the state to `to` (and errMsg, and SceneID when
	// non-empty) only if the current state is one of `from`; it reports
	// whether it did. This is the compare-and-set that makes stages run once.
	TransitionBatch(ctx context.Context, id string, from []BatchState, to BatchState, errMsg, sceneID string) (bool, error)
	// InitTiles records the batch's tiles as pending (idempotent: existing
	// tiles are kept) and sets TilesTotal.
	InitTiles(ctx context.Context, id string, keys []string) error
	// TileDone marks a tile done (idempotent). It returns how many tiles
	// of the batch are not done yet, and whether this call was the one
	// that marked it (false for a repeat).
	TileDone(ctx context.Context, id, key string, millis, bytes int64) (remaining int, marked bool, err error)
	// TileFailed records a failed attempt of a tile (final says the tile
	// will not be retried).
	TileFailed(ctx context.Context, id, key, errMsg string, final bool) error
	// Tiles lists a batch's tiles ordered by key.
	Tiles(ctx context.Context, id string) ([]Tile, error)
	// ReplacePatches stores the batch's patches, replacing any stored
	// before, in one transaction, and sets PatchCount.
	ReplacePatches(ctx context.Context, id string, patches []Patch) error
	// Patches returns the batch's patches in stored order.
	Patches(ctx context.Context, id string) ([]Patch, error)
}

// BlobStore is what a batch needs from object storage (MinIO, or a local
// directory in the embedded mode). Keys are slash-separated.
type BlobStore interface {
	// Get returns ErrNotFound for a missing key. The caller closes the reader.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// Put stores the object atomically: readers see all of it or none.
	Put(ctx context.Context, key string, r io.Reader, size int64) error
	// Delete removes the object; a missing object is not an error.
	Delete(ctx context.Context, key string) error
}
