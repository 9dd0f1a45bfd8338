package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/weipian/weipian/pipeline"
)

var _ pipeline.BatchStore = (*Store)(nil)

// Rows per multi-row INSERT: well under SQLite's 32766 and PostgreSQL's
// 65535 parameters per statement.
const (
	tileInsertRows  = 500 // 3 parameters each
	patchInsertRows = 200 // patchColumnCount parameters each
)

const batchColumns = `id, spec, state, error, scene_id, tiles_total, tiles_done, tiles_failed,
    patch_count, created_at, updated_at, started_at, finished_at`

// rowScanner is *sql.Row or *sql.Rows.
type rowScanner interface {
	Scan(dest ...any) error
}

func scanBatch(r rowScanner) (pipeline.Batch, error) {
	var (
		b                                   pipeline.Batch
		spec, state                         string
		created, updated, started, finished sql.NullString
	)
	err := r.Scan(&b.ID, &spec, &state, &b.Error, &b.SceneID, &b.TilesTotal, &b.TilesDone, &b.TilesFailed,
		&b.PatchCount, &created, &updated, &started, &finished)
	if err != nil {
		return pipeline.Batch{}, err
	}
	b.State = pipeline.BatchState(state)
	if err := json.Unmarshal([]byte(spec), &b.Spec); err != nil {
		return pipeline.Batch{}, fmt.Errorf("store: batch %s: bad stored spec: %w", b.ID, err)
	}
	for _, f := range []struct {
		dst *time.Time
		src sql.NullString
	}{{&b.CreatedAt, created}, {&b.UpdatedAt, updated}, {&b.StartedAt, started}, {&b.FinishedAt, finished}} {
		if *f.dst, err = parseTime(f.src); err != nil {
			return pipeline.Batch{}, fmt.Errorf("store: batch %s: %w", b.ID, err)
		}
	}
	return b, nil
}

func batchNotFound(id string) error {
	return fmt.Errorf("store: batch %s: %w", id, pipeline.ErrNotFound)
}

func getBatch(ctx context.Context, q querier, id string) (pipeline.Batch, error) {
	b, err := scanBatch(q.QueryRowContext(ctx, `SELECT `+batchColumns+` FROM batches WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return pipeline.Batch{}, batchNotFound(id)
	}
	if err != nil {
		return pipeline.Batch{}, fmt.Errorf("store: get batch %s: %w", id, err)
	}
	return b, nil
}

// batchExists reports whether the batch id exists.
func batchExists(ctx context.Context, q querier, id string) (bool, error) {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM batches WHERE id = ?`, id).Scan(&n); err != nil {
		return false, fmt.Errorf("store: batch %s: %w", id, err)
	}
	return n > 0, nil
}

// lockBatch locks the batch row for the rest of tx, or returns ErrNotFound.
// Every transaction that changes a batch's tiles, patches or counters takes
// this lock first, so that on PostgreSQL they serialize per batch and cannot
// deadlock on the child rows. (On SQLite, BEGIN IMMEDIATE already holds the
// database's write lock.)
func lockBatch(ctx context.Context, tx *Tx, id string) error {
	q := `SELECT id FROM batches WHERE id = ?`
	if tx.Dialect() == Postgres {
		q += ` FOR NO KEY UPDATE`
	}
	var got string
	err := tx.QueryRowContext(ctx, q, id).Scan(&got)
	if errors.Is(err, sql.ErrNoRows) {
		return batchNotFound(id)
	}
	if err != nil {
		return fmt.Errorf("store: lock batch %s: %w", id, err)
	}
	return nil
}

// CreateBatch inserts b in state queued, with CreatedAt and UpdatedAt from
// the store's clock, unless a batch with its ID exists. Only ID, Spec and
// SceneID of b are used; the counters start at zero. It returns the stored
// batch and whether this call created it: a resubmission gets the batch as
// it is, created false. An empty ID is an error wrapping
// pipeline.ErrInvalid.
func (s *Store) CreateBatch(ctx context.Context, b pipeline.Batch) (pipeline.Batch, bool, error) {
	if b.ID == "" {
		return pipeline.Batch{}, false, fmt.Errorf("store: create batch: empty id: %w", pipeline.ErrInvalid)
	}
	spec, err := json.Marshal(b.Spec)
	if err != nil {
		return pipeline.Batch{}, false, fmt.Errorf("store: create batch %s: spec: %w", b.ID, err)
	}
	now := formatTime(s.now())
	var (
		out     pipeline.Batch
		created bool
	)
	err = s.Tx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO batches (id, spec, state, scene_id, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			b.ID, string(spec), string(pipeline.BatchQueued), b.SceneID, now, now)
		if err != nil {
			return fmt.Errorf("store: create batch %s: %w", b.ID, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("store: create batch %s: %w", b.ID, err)
		}
		created = n == 1
		out, err = getBatch(ctx, tx, b.ID)
		return err
	})
	if err != nil {
		return pipeline.Batch{}, false, err
	}
	return out, created, nil
}

// GetBatch returns the batch id, or an error wrapping pipeline.ErrNotFound.
func (s *Store) GetBatch(ctx context.Context, id string) (pipeline.Batch, error) {
	return getBatch(ctx, s.auto, id)
}

// ListBatches returns up to limit batches, newest (by CreatedAt, then ID)
// first; limit <= 0 means all.
func (s *Store) ListBatches(ctx context.Context, limit int) ([]pipeline.Batch, error) {
	q := `SELECT ` + batchColumns + ` FROM batches ORDER BY created_at DESC, id DESC`
	var args []any
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := s.auto.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list batches: %w", err)
	}
	defer rows.Close()
	var out []pipeline.Batch
	for rows.Next() {
		b, err := scanBatch(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list batches: %w", err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list batches: %w", err)
	}
	return out, nil
}

func knownState(st pipeline.BatchState) bool {
	switch st {
	case pipeline.BatchQueued, pipeline.BatchIngesting, pipeline.BatchDetecting, pipeline.BatchFinalizing,
		pipeline.BatchDone, pipeline.BatchFailed, pipeline.BatchCancelled:
		return true
	}
	return false
}

// TransitionBatch sets the batch's state to `to`, its Error to errMsg, and
// its SceneID to sceneID when that is not empty, in one compare-and-set
// statement that applies only if the current state is one of from; it
// reports whether it applied. It also sets UpdatedAt, StartedAt when to is
// detecting, and FinishedAt when to is terminal. An unknown batch gives an
// error wrapping pipeline.ErrNotFound, an unknown `to` one wrapping
// pipeline.ErrInvalid.
func (s *Store) TransitionBatch(ctx context.Context, id string, from []pipeline.BatchState, to pipeline.BatchState, errMsg, sceneID string) (bool, error) {
	if !knownState(to) {
		return false, fmt.Errorf("store: transition batch %s: unknown state %q: %w", id, to, pipeline.ErrInvalid)
	}
	if len(from) > 0 {
		now := formatTime(s.now())
		set := `state = ?, error = ?, updated_at = ?`
		args := []any{string(to), errMsg, now}
		if sceneID != "" {
			set += `, scene_id = ?`
			args = append(args, sceneID)
		}
		if to == pipeline.BatchDetecting {
			set += `, started_at = ?`
			args = append(args, now)
		}
		if to.Terminal() {
			set += `, finished_at = ?`
			args = append(args, now)
		}
		args = append(args, id)
		for _, f := range from {
			args = append(args, string(f))
		}
		res, err := s.auto.ExecContext(ctx,
			`UPDATE batches SET `+set+` WHERE id = ? AND state IN (`+placeholders(len(from))+`)`, args...)
		if err != nil {
			return false, fmt.Errorf("store: transition batch %s to %s: %w", id, to, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return false, fmt.Errorf("store: transition batch %s to %s: %w", id, to, err)
		}
		if n == 1 {
			return true, nil
		}
	}
	ok, err := batchExists(ctx, s.auto, id)
	if err != nil {
		return false, err
	}
	if !ok {
		return false, batchNotFound(id)
	}
	return false, nil
}

// InitTiles records the batch's tiles as pending, keeping the tiles that
// exist (and their state), and sets TilesTotal to the number of tiles the
// batch has. It is idempotent. An empty key is an error wrapping
// pipeline.ErrInvalid, an unknown batch one wrapping pipeline.ErrNotFound.
func (s *Store) InitTiles(ctx context.Context, id string, keys []string) error {
	seen := make(map[string]bool, len(keys))
	uniq := make([]string, 0, len(keys))
	for _, k := range keys {
		if k == "" {
			return fmt.Errorf("store: init tiles of %s: empty tile key: %w", id, pipeline.ErrInvalid)
		}
		if !seen[k] {
			seen[k] = true
			uniq = append(uniq, k)
		}
	}
	now := formatTime(s.now())
	return s.Tx(ctx, func(tx *Tx) error {
		if err := lockBatch(ctx, tx, id); err != nil {
			return err
		}
		for start := 0; start < len(uniq); start += tileInsertRows {
			chunk := uniq[start:min(start+tileInsertRows, len(uniq))]
			args := make([]any, 0, 4*len(chunk))
			for _, k := range chunk {
				args = append(args, id, k, string(pipeline.TilePending), now)
			}
			q := `INSERT INTO tiles (batch_id, tile_key, state, updated_at) VALUES ` +
				repeatJoin("(?, ?, ?, ?)", len(chunk)) + ` ON CONFLICT (batch_id, tile_key) DO NOTHING`
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return fmt.Errorf("store: init tiles of %s: %w", id, err)
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE batches
SET tiles_total = (SELECT COUNT(*) FROM tiles WHERE batch_id = ?), updated_at = ?
WHERE id = ?`, id, now, id)
		if err != nil {
			return fmt.Errorf("store: init tiles of %s: %w", id, err)
		}
		return nil
	})
}

// repeatJoin returns n copies of s joined by ", ".
func repeatJoin(s string, n int) string {
	if n <= 0 {
		return ""
	}
	b := make([]byte, 0, n*(len(s)+2))
	for i := 0; i < n; i++ {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, s...)
	}
	return string(b)
}

// TileDone marks the tile done, recording how long the successful attempt
// took (millis) and how many image bytes it read, and counts it in the
// batch's TilesDone, all in one transaction. It is idempotent: a repeat
// changes nothing and returns marked false. remaining is TilesTotal -
// TilesDone after the call; of concurrent calls on a batch's tiles, exactly
// one sees 0 (the one that marked the last tile). A tile that had failed for
// good is marked done too (a late success wins) and leaves TilesFailed. An
// unknown batch or tile gives an error wrapping pipeline.ErrNotFound.
func (s *Store) TileDone(ctx context.Context, id, key string, millis, bytes int64) (remaining int, marked bool, err error) {
	now := formatTime(s.now())
	err = s.Tx(ctx, func(tx *Tx) error {
		if err := lockBatch(ctx, tx, id); err != nil {
			return err
		}
		const markDone = `UPDATE tiles
SET state = ?, attempts = attempts + 1, error = '', millis = ?, bytes = ?, updated_at = ?
WHERE batch_id = ? AND tile_key = ? AND `
		args := []any{string(pipeline.TileDone), millis, bytes, now, id, key}
		// First a tile that failed for good, so that TilesFailed can be
		// given back; then any other tile not done yet.
		wasFailed, err := execOne(ctx, tx, markDone+`state = ?`, append(args, string(pipeline.TileFailed))...)
		if err != nil {
			return fmt.Errorf("store: tile %s/%s done: %w", id, key, err)
		}
		marked = wasFailed
		if !marked {
			if marked, err = execOne(ctx, tx, markDone+`state <> ?`, append(args, string(pipeline.TileDone))...); err != nil {
				return fmt.Errorf("store: tile %s/%s done: %w", id, key, err)
			}
		}
		if marked {
			unfail := 0
			if wasFailed {
				unfail = 1
			}
			err := tx.QueryRowContext(ctx, `UPDATE batches
SET tiles_done = tiles_done + 1, tiles_failed = tiles_failed - ?, updated_at = ?
WHERE id = ?
RETURNING tiles_total - tiles_done`, unfail, now, id).Scan(&remaining)
			if err != nil {
				return fmt.Errorf("store: tile %s/%s done: count: %w", id, key, err)
			}
			return nil
		}
		if err := tileExists(ctx, tx, id, key); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT tiles_total - tiles_done FROM batches WHERE id = ?`, id).Scan(&remaining); err != nil {
			return fmt.Errorf("store: tile %s/%s done: count: %w", id, key, err)
		}
		return nil
	})
	if err != nil {
		return 0, false, err
	}
	return remaining, marked, nil
}

// execOne runs a statement and reports whether it changed exactly one row.
func execOne(ctx context.Context, q querier, query string, args ...any) (bool, error) {
	res, err := q.ExecContext(ctx, query, args...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	return n == 1, nil
}

// tileExists returns an error wrapping pipeline.ErrNotFound if the batch has
// no tile key.
func tileExists(ctx context.Context, q querier, id, key string) error {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM tiles WHERE batch_id = ? AND tile_key = ?`, id, key).Scan(&n); err != nil {
		return fmt.Errorf("store: tile %s/%s: %w", id, key, err)
	}
	if n == 0 {
		return fmt.Errorf("store: tile %s/%s: %w", id, key, pipeline.ErrNotFound)
	}
	return nil
}

// TileFailed records a failed attempt of the tile: it increments Attempts
// and stores errMsg. When final, the tile becomes failed and, the first
// time, counts in the batch's TilesFailed. A tile that is already done is
// left alone (a late report of an attempt that lost the race). An unknown
// batch or tile gives an error wrapping pipeline.ErrNotFound.
func (s *Store) TileFailed(ctx context.Context, id, key, errMsg string, final bool) error {
	now := formatTime(s.now())
	return s.Tx(ctx, func(tx *Tx) error {
		if err := lockBatch(ctx, tx, id); err != nil {
			return err
		}
		const bump = `UPDATE tiles SET attempts = attempts + 1, error = ?, updated_at = ?`
		const where = ` WHERE batch_id = ? AND tile_key = ? AND `
		var (
			ok  bool
			err error
		)
		if final {
			ok, err = execOne(ctx, tx, bump+`, state = ?`+where+`state = ?`,
				errMsg, now, string(pipeline.TileFailed), id, key, string(pipeline.TilePending))
			if err == nil && ok {
				_, err = tx.ExecContext(ctx, `UPDATE batches SET tiles_failed = tiles_failed + 1, updated_at = ? WHERE id = ?`, now, id)
			}
			if err == nil && !ok {
				// Failed for good before: count the attempt only.
				ok, err = execOne(ctx, tx, bump+where+`state = ?`, errMsg, now, id, key, string(pipeline.TileFailed))
			}
		} else {
			ok, err = execOne(ctx, tx, bump+where+`state <> ?`, errMsg, now, id, key, string(pipeline.TileDone))
		}
		if err != nil {
			return fmt.Errorf("store: tile %s/%s failed: %w", id, key, err)
		}
		if ok {
			return nil
		}
		return tileExists(ctx, tx, id, key)
	})
}

// Tiles returns the batch's tiles ordered by key (byte order). An unknown
// batch gives an error wrapping pipeline.ErrNotFound.
func (s *Store) Tiles(ctx context.Context, id string) ([]pipeline.Tile, error) {
	rows, err := s.auto.QueryContext(ctx, `SELECT tile_key, state, attempts, error, millis, bytes
FROM tiles WHERE batch_id = ?`, id)
	if err != nil {
		return nil, fmt.Errorf("store: tiles of %s: %w", id, err)
	}
	var out []pipeline.Tile
	for rows.Next() {
		t := pipeline.Tile{BatchID: id}
		var state string
		if err := rows.Scan(&t.Key, &state, &t.Attempts, &t.Error, &t.Millis, &t.Bytes); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: tiles of %s: %w", id, err)
		}
		t.State = pipeline.TileState(state)
		out = append(out, t)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("store: tiles of %s: %w", id, err)
	}
	if len(out) == 0 {
		if ok, err := batchExists(ctx, s.auto, id); err != nil {
			return nil, err
		} else if !ok {
			return nil, batchNotFound(id)
		}
	}
	// In Go, not SQL: PostgreSQL's collation may not be byte order.
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

const patchColumns = `patch_id, class, class_label, confidence, score, mad_chi2, area_m2, area_mu, area_crs,
    centroid_lon, centroid_lat, before_date, after_date, pixels, geometry,
    bright_ratio, sat_after, length_m, width_m, elongation, before_state, after_state, reason, fill, cv_after`

const patchColumnCount = 27 // with batch_id and seq

// ReplacePatches stores patches as the batch's patches, in their order,
// replacing any stored before, and sets PatchCount, in one transaction.
// Every field is kept exactly, the geometry as GeoJSON text. A non-finite
// number or a geometry that cannot be encoded is an error wrapping
// pipeline.ErrInvalid (and nothing changes); an unknown batch one wrapping
// pipeline.ErrNotFound.
func (s *Store) ReplacePatches(ctx context.Context, id string, patches []pipeline.Patch) error {
	geoms := make([]string, len(patches))
	for i := range patches {
		p := &patches[i]
		for _, f := range []struct {
			name string
			v    float64
		}{
			{"Score", p.Score}, {"MADChi2", p.MADChi2}, {"AreaM2", p.AreaM2}, {"AreaMu", p.AreaMu},
			{"CentroidLon", p.CentroidLon}, {"CentroidLat", p.CentroidLat},
			{"BrightRatio", p.BrightRatio}, {"SatAfter", p.SatAfter}, {"LengthM", p.LengthM},
			{"WidthM", p.WidthM}, {"Elongation", p.Elongation}, {"Fill", p.Fill}, {"CVAfter", p.CVAfter},
		} {
			if math.IsNaN(f.v) || math.IsInf(f.v, 0) {
				return fmt.Errorf("store: patches of %s: patch %d (%s): %s is %v: %w", id, i, p.ID, f.name, f.v, pipeline.ErrInvalid)
			}
		}
		g, err := encodePolygon(p.Geometry)
		if err != nil {
			return fmt.Errorf("store: patches of %s: patch %d (%s): geometry: %v: %w", id, i, p.ID, err, pipeline.ErrInvalid)
		}
		geoms[i] = g
	}
	now := formatTime(s.now())
	return s.Tx(ctx, func(tx *Tx) error {
		// The UPDATE first: it locks the batch row, so concurrent
		// replacements run one after the other.
		ok, err := execOne(ctx, tx, `UPDATE batches SET patch_count = ?, updated_at = ? WHERE id = ?`, len(patches), now, id)
		if err != nil {
			return fmt.Errorf("store: patches of %s: %w", id, err)
		}
		if !ok {
			return batchNotFound(id)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM patches WHERE batch_id = ?`, id); err != nil {
			return fmt.Errorf("store: patches of %s: delete: %w", id, err)
		}
		for start := 0; start < len(patches); start += patchInsertRows {
			end := min(start+patchInsertRows, len(patches))
			args := make([]any, 0, patchColumnCount*(end-start))
			for i := start; i < end; i++ {
				p := &patches[i]
				args = append(args, id, i, p.ID, p.Class, p.ClassLabel, p.Confidence, p.Score, p.MADChi2,
					p.AreaM2, p.AreaMu, p.AreaCRS, p.CentroidLon, p.CentroidLat, p.BeforeDate, p.AfterDate,
					p.Pixels, geoms[i], p.BrightRatio, p.SatAfter, p.LengthM, p.WidthM, p.Elongation,
					p.BeforeState, p.AfterState, p.Reason, p.Fill, p.CVAfter)
			}
			q := `INSERT INTO patches (batch_id, seq, ` + patchColumns + `) VALUES ` +
				repeatJoin("("+placeholders(patchColumnCount)+")", end-start)
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return fmt.Errorf("store: patches of %s: insert: %w", id, err)
			}
		}
		return nil
	})
}

// Patches returns the batch's patches in stored order. An unknown batch
// gives an error wrapping pipeline.ErrNotFound.
func (s *Store) Patches(ctx context.Context, id string) ([]pipeline.Patch, error) {
	rows, err := s.auto.QueryContext(ctx, `SELECT `+patchColumns+` FROM patches WHERE batch_id = ? ORDER BY seq`, id)
	if err != nil {
		return nil, fmt.Errorf("store: patches of %s: %w", id, err)
	}
	var out []pipeline.Patch
	for rows.Next() {
		var (
			p    pipeline.Patch
			geom string
		)
		err := rows.Scan(&p.ID, &p.Class, &p.ClassLabel, &p.Confidence, &p.Score, &p.MADChi2, &p.AreaM2, &p.AreaMu,
			&p.AreaCRS, &p.CentroidLon, &p.CentroidLat, &p.BeforeDate, &p.AfterDate, &p.Pixels, &geom,
			&p.BrightRatio, &p.SatAfter, &p.LengthM, &p.WidthM, &p.Elongation,
			&p.BeforeState, &p.AfterState, &p.Reason, &p.Fill, &p.CVAfter)
		if err == nil {
			p.Geometry, err = decodePolygon(geom)
		}
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: patches of %s: patch %d (%s): %w", id, len(out), p.ID, err)
		}
		out = append(out, p)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("store: patches of %s: %w", id, err)
	}
	if len(out) == 0 {
		if ok, err := batchExists(ctx, s.auto, id); err != nil {
			return nil, err
		} else if !ok {
			return nil, batchNotFound(id)
		}
	}
	return out, nil
}

// encodePolygon returns p as a GeoJSON Polygon geometry. Coordinates are
// written in the shortest form that parses back to the same float64
// (encoding/json's strconv formatting), so they round-trip exactly.
func encodePolygon(p orb.Polygon) (string, error) {
	b, err := geojson.NewGeometry(p).MarshalJSON()
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// decodePolygon parses a GeoJSON Polygon geometry.
func decodePolygon(s string) (orb.Polygon, error) {
	g, err := geojson.UnmarshalGeometry([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("bad stored geometry: %w", err)
	}
	p, ok := g.Geometry().(orb.Polygon)
	if !ok {
		return nil, fmt.Errorf("stored geometry is a %s, not a Polygon", g.Type)
	}
	return p, nil
}
