package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/paulmach/orb"

	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/pipeline/task"
)

// JudgeTx is the transaction in which a batch's patches are judged: it
// holds the lock on the 图斑 tables, so two batches judged at the same time
// cannot both take the same monitoring number or both create a 图斑 for the
// same change.
type JudgeTx struct{ tx *Tx }

// Judge runs fn in a transaction that locks the 图斑 and task tables.
func (s *Store) Judge(ctx context.Context, fn func(jt *JudgeTx) error) error {
	return s.Tx(ctx, func(tx *Tx) error {
		if tx.Dialect() == Postgres {
			if _, err := tx.ExecContext(ctx, `LOCK TABLE tubans, tasks, jcbh_seq IN SHARE ROW EXCLUSIVE MODE`); err != nil {
				return fmt.Errorf("store: lock 图斑 tables: %w", err)
			}
		}
		return fn(&JudgeTx{tx: tx})
	})
}

// TubansIn returns the 图斑 whose bounding box meets b.
func (jt *JudgeTx) TubansIn(ctx context.Context, b orb.Bound) ([]pipeline.Tuban, error) {
	return queryTubans(ctx, jt.tx, `WHERE max_lon >= ? AND min_lon <= ? AND max_lat >= ? AND min_lat <= ?`,
		b.Min[0], b.Max[0], b.Min[1], b.Max[1])
}

// Tasks returns the tasks with the given IDs (missing ones are left out).
func (jt *JudgeTx) Tasks(ctx context.Context, ids []string) (map[string]*task.Task, error) {
	out := map[string]*task.Task{}
	for _, id := range ids {
		t, _, err := getTask(ctx, jt.tx, id)
		if errors.Is(err, pipeline.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[id] = t
	}
	return out, nil
}

// NextSeq returns the next free JCBH sequence number for prefix.
func (jt *JudgeTx) NextSeq(ctx context.Context, prefix string) (int, error) {
	var n int
	err := jt.tx.QueryRowContext(ctx, `SELECT next FROM jcbh_seq WHERE prefix = ?`, prefix).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 1, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: JCBH sequence %s: %w", prefix, err)
	}
	return n, nil
}

// Save stores the judged 图斑 (insert or update), records that batchID saw
// them, stores their tasks (insert or update), and advances the JCBH
// sequences past the numbers used.
func (jt *JudgeTx) Save(ctx context.Context, batchID string, tubans []pipeline.Tuban, tasks []*task.Task, now string) error {
	tx := jt.tx
	used := map[string]int{}
	for i := range tubans {
		t := &tubans[i]
		geom, err := encodePolygon(t.Geometry)
		if err != nil {
			return fmt.Errorf("store: 图斑 %s geometry: %v: %w", t.JCBH, err, pipeline.ErrInvalid)
		}
		data, err := json.Marshal(t)
		if err != nil {
			return fmt.Errorf("store: 图斑 %s: %w", t.JCBH, err)
		}
		b := t.Geometry.Bound()
		_, err = tx.ExecContext(ctx, `INSERT INTO tubans (id, jcbh, xzqdm, first_batch, last_batch, judgement, team, task_id,
    min_lon, min_lat, max_lon, max_lat, geometry, data, updated_at)
VALUES (`+placeholders(15)+`)
ON CONFLICT (id) DO UPDATE SET jcbh = excluded.jcbh, xzqdm = excluded.xzqdm, last_batch = excluded.last_batch, judgement = excluded.judgement, team = excluded.team,
    task_id = excluded.task_id, min_lon = excluded.min_lon, min_lat = excluded.min_lat, max_lon = excluded.max_lon,
    max_lat = excluded.max_lat, geometry = excluded.geometry, data = excluded.data, updated_at = excluded.updated_at`,
			t.ID, t.JCBH, t.XZQDM, t.FirstBatch, t.LastBatch, t.Judgement, t.Team, t.TaskID,
			b.Min[0], b.Min[1], b.Max[0], b.Max[1], geom, string(data), now)
		if err != nil {
			return fmt.Errorf("store: save 图斑 %s: %w", t.JCBH, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO tuban_batches (tuban_id, batch_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, t.ID, batchID); err != nil {
			return fmt.Errorf("store: 图斑 %s batch: %w", t.JCBH, err)
		}
		if len(t.JCBH) > 4 {
			var seq int
			if _, err := fmt.Sscanf(t.JCBH[len(t.JCBH)-4:], "%d", &seq); err == nil {
				p := t.JCBH[:len(t.JCBH)-4]
				used[p] = max(used[p], seq+1)
			}
		}
	}
	prefixes := make([]string, 0, len(used))
	for p := range used {
		prefixes = append(prefixes, p)
	}
	sort.Strings(prefixes)
	for _, p := range prefixes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO jcbh_seq (prefix, next) VALUES (?, ?)
ON CONFLICT (prefix) DO UPDATE SET next = CASE WHEN excluded.next > jcbh_seq.next THEN excluded.next ELSE jcbh_seq.next END`, p, used[p]); err != nil {
			return fmt.Errorf("store: JCBH sequence %s: %w", p, err)
		}
	}
	for _, t := range tasks {
		if err := putTask(ctx, tx, t, now); err != nil {
			return err
		}
	}
	return nil
}

func putTask(ctx context.Context, tx *Tx, t *task.Task, now string) error {
	data, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("store: task %s: %w", t.ID, err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO tasks (id, tuban_id, jcbh, team, state, priority, due_verify, version, data, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)
ON CONFLICT (id) DO UPDATE SET jcbh = excluded.jcbh, team = excluded.team, state = excluded.state,
    priority = excluded.priority, due_verify = excluded.due_verify, version = tasks.version + 1,
    data = excluded.data, updated_at = excluded.updated_at`,
		t.ID, t.TubanID, t.JCBH, t.Team, string(t.State), t.Priority, t.DueVerify.String(), string(data), now)
	if err != nil {
		return fmt.Errorf("store: save task %s: %w", t.ID, err)
	}
	return nil
}

func queryTubans(ctx context.Context, q querier, where string, args ...any) ([]pipeline.Tuban, error) {
	rows, err := q.QueryContext(ctx, `SELECT data, geometry FROM tubans `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("store: 图斑: %w", err)
	}
	var out []pipeline.Tuban
	for rows.Next() {
		var data, geom string
		if err := rows.Scan(&data, &geom); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: 图斑: %w", err)
		}
		var t pipeline.Tuban
		if err := json.Unmarshal([]byte(data), &t); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: 图斑 record: %w", err)
		}
		if t.Geometry, err = decodePolygon(geom); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: 图斑 %s geometry: %w", t.JCBH, err)
		}
		out = append(out, t)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("store: 图斑: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].JCBH < out[j].JCBH })
	return out, nil
}

// TubansOfBatch returns the 图斑 a batch saw, by JCBH.
func (s *Store) TubansOfBatch(ctx context.Context, batchID string) ([]pipeline.Tuban, error) {
	return queryTubans(ctx, s.auto, `WHERE id IN (SELECT tuban_id FROM tuban_batches WHERE batch_id = ?)`, batchID)
}

// AllTubans returns every 图斑, by JCBH.
func (s *Store) AllTubans(ctx context.Context) ([]pipeline.Tuban, error) {
	return queryTubans(ctx, s.auto, ``)
}

// Tuban returns a 图斑 by ID or JCBH.
func (s *Store) Tuban(ctx context.Context, idOrJCBH string) (pipeline.Tuban, error) {
	ts, err := queryTubans(ctx, s.auto, `WHERE id = ? OR jcbh = ?`, idOrJCBH, idOrJCBH)
	if err != nil {
		return pipeline.Tuban{}, err
	}
	if len(ts) == 0 {
		return pipeline.Tuban{}, fmt.Errorf("store: 图斑 %s: %w", idOrJCBH, pipeline.ErrNotFound)
	}
	return ts[0], nil
}

// UpdateTubanPatrol stores the reconciliation outcome of 图斑 (by ID).
func (s *Store) UpdateTubanPatrol(ctx context.Context, checks map[string]*pipeline.PatrolCheck, now string) error {
	ids := make([]string, 0, len(checks))
	for id := range checks {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return s.Tx(ctx, func(tx *Tx) error {
		for _, id := range ids {
			ts, err := queryTubans(ctx, tx, `WHERE id = ?`, id)
			if err != nil {
				return err
			}
			if len(ts) == 0 {
				return fmt.Errorf("store: 图斑 %s: %w", id, pipeline.ErrNotFound)
			}
			t := ts[0]
			t.Patrol = checks[id]
			data, err := json.Marshal(t)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE tubans SET data = ?, updated_at = ? WHERE id = ?`, string(data), now, id); err != nil {
				return fmt.Errorf("store: 图斑 %s: %w", id, err)
			}
		}
		return nil
	})
}

// TaskFilter selects tasks; empty fields select all.
type TaskFilter struct {
	Team, State, BatchID string
}

// Tasks returns the tasks matching f, most urgent first.
func (s *Store) Tasks(ctx context.Context, f TaskFilter) ([]*task.Task, error) {
	q := `SELECT data FROM tasks WHERE 1 = 1`
	var args []any
	if f.Team != "" {
		q += ` AND team = ?`
		args = append(args, f.Team)
	}
	if f.State != "" {
		q += ` AND state = ?`
		args = append(args, f.State)
	}
	if f.BatchID != "" {
		q += ` AND tuban_id IN (SELECT tuban_id FROM tuban_batches WHERE batch_id = ?)`
		args = append(args, f.BatchID)
	}
	rows, err := s.auto.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: tasks: %w", err)
	}
	var out []*task.Task
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: tasks: %w", err)
		}
		var t task.Task
		if err := json.Unmarshal([]byte(data), &t); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: task record: %w", err)
		}
		out = append(out, &t)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("store: tasks: %w", err)
	}
	task.SortByPriority(out)
	return out, nil
}

func getTask(ctx context.Context, q querier, id string) (*task.Task, int, error) {
	var data string
	var version int
	err := q.QueryRowContext(ctx, `SELECT data, version FROM tasks WHERE id = ?`, id).Scan(&data, &version)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, fmt.Errorf("store: task %s: %w", id, pipeline.ErrNotFound)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("store: task %s: %w", id, err)
	}
	var t task.Task
	if err := json.Unmarshal([]byte(data), &t); err != nil {
		return nil, 0, fmt.Errorf("store: task %s record: %w", id, err)
	}
	return &t, version, nil
}

// Task returns a task by ID (or by its 图斑's JCBH).
func (s *Store) Task(ctx context.Context, idOrJCBH string) (*task.Task, error) {
	t, _, err := getTask(ctx, s.auto, idOrJCBH)
	if errors.Is(err, pipeline.ErrNotFound) {
		var id string
		if e := s.auto.QueryRowContext(ctx, `SELECT id FROM tasks WHERE jcbh = ?`, idOrJCBH).Scan(&id); e == nil {
			t, _, err = getTask(ctx, s.auto, id)
		}
	}
	return t, err
}

// UpdateTask loads a task, applies fn to it and stores it, in one
// transaction; fn's error aborts without a change.
func (s *Store) UpdateTask(ctx context.Context, id string, fn func(t *task.Task) error, now string) (*task.Task, error) {
	var out *task.Task
	err := s.Tx(ctx, func(tx *Tx) error {
		q := `SELECT id FROM tasks WHERE id = ?`
		if tx.Dialect() == Postgres {
			q += ` FOR UPDATE`
		}
		var got string
		if err := tx.QueryRowContext(ctx, q, id).Scan(&got); errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: task %s: %w", id, pipeline.ErrNotFound)
		} else if err != nil {
			return err
		}
		t, _, err := getTask(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := fn(t); err != nil {
			return err
		}
		out = t
		return putTask(ctx, tx, t, now)
	})
	return out, err
}
