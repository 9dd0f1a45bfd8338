package store

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/weipian/weipian/ledger"
)

// LedgerImport counts what an import of ledger rows did.
type LedgerImport struct {
	Added, Replaced, Unchanged int
}

// ImportLedger stores ledger rows in one transaction: a row already stored
// (same content) is left alone, a row with the same patrol identity but new
// content (a corrected row) replaces the old one, others are added.
func (s *Store) ImportLedger(ctx context.Context, entries []ledger.Entry, now string) (LedgerImport, error) {
	var st LedgerImport
	err := s.Tx(ctx, func(tx *Tx) error {
		for i := range entries {
			e := &entries[i]
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM ledger_entries WHERE id = ?`, e.ID).Scan(&n); err != nil {
				return fmt.Errorf("store: ledger row %s: %w", e.Ref(), err)
			}
			if n > 0 {
				st.Unchanged++
				continue
			}
			res, err := tx.ExecContext(ctx, `DELETE FROM ledger_entries WHERE row_key = ?`, e.Key)
			if err != nil {
				return fmt.Errorf("store: ledger row %s: %w", e.Ref(), err)
			}
			if k, _ := res.RowsAffected(); k > 0 {
				st.Replaced++
			} else {
				st.Added++
			}
			data, err := json.Marshal(e)
			if err != nil {
				return fmt.Errorf("store: ledger row %s: %w", e.Ref(), err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO ledger_entries (id, row_key, file, ref, start_at, data, imported_at)
VALUES (?, ?, ?, ?, ?, ?, ?)`, e.ID, e.Key, e.File, e.Ref(), formatTime(e.Start), string(data), now); err != nil {
				return fmt.Errorf("store: ledger row %s: %w", e.Ref(), err)
			}
		}
		return nil
	})
	return st, err
}

// LedgerEntries returns every stored ledger row, by start time then ID.
func (s *Store) LedgerEntries(ctx context.Context) ([]ledger.Entry, error) {
	rows, err := s.auto.QueryContext(ctx, `SELECT data FROM ledger_entries`)
	if err != nil {
		return nil, fmt.Errorf("store: ledger: %w", err)
	}
	var out []ledger.Entry
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			rows.Close()
			return nil, err
		}
		var e ledger.Entry
		if err := json.Unmarshal([]byte(data), &e); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: ledger row record: %w", err)
		}
		out = append(out, e)
	}
	err = rows.Err()
	rows.Close()
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Start.Equal(out[j].Start) {
			return out[i].Start.Before(out[j].Start)
		}
		return out[i].ID < out[j].ID
	})
	return out, err
}

// ImportTracks stores GPS tracks; a track already stored is left alone. It
// returns how many were added.
func (s *Store) ImportTracks(ctx context.Context, tracks []ledger.Track, now string) (added int, err error) {
	err = s.Tx(ctx, func(tx *Tx) error {
		for i := range tracks {
			t := &tracks[i]
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM ledger_tracks WHERE id = ?`, t.ID()).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				continue
			}
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			if err := json.NewEncoder(zw).Encode(t); err != nil {
				return err
			}
			if err := zw.Close(); err != nil {
				return err
			}
			pts := 0
			for _, sg := range t.Segments {
				pts += len(sg)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO ledger_tracks (id, team, file, points, data, imported_at) VALUES (?, ?, ?, ?, ?, ?)`,
				t.ID(), t.Team, t.File, pts, base64.StdEncoding.EncodeToString(buf.Bytes()), now); err != nil {
				return fmt.Errorf("store: track %s: %w", t.File, err)
			}
			added++
		}
		return nil
	})
	return added, err
}

// Tracks returns every stored GPS track, by ID.
func (s *Store) Tracks(ctx context.Context) ([]ledger.Track, error) {
	rows, err := s.auto.QueryContext(ctx, `SELECT id, data FROM ledger_tracks`)
	if err != nil {
		return nil, fmt.Errorf("store: tracks: %w", err)
	}
	type rec struct{ id, data string }
	var recs []rec
	for rows.Next() {
		var r rec
		if err := rows.Scan(&r.id, &r.data); err != nil {
			rows.Close()
			return nil, err
		}
		recs = append(recs, r)
	}
	err = rows.Err()
	rows.Close()
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].id < recs[j].id })
	out := make([]ledger.Track, 0, len(recs))
	for _, r := range recs {
		raw, err := base64.StdEncoding.DecodeString(r.data)
		if err != nil {
			return nil, fmt.Errorf("store: track %s: %w", r.id, err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("store: track %s: %w", r.id, err)
		}
		var t ledger.Track
		err = json.NewDecoder(zr).Decode(&t)
		io.Copy(io.Discard, zr)
		if err != nil {
			return nil, fmt.Errorf("store: track %s: %w", r.id, err)
		}
		out = append(out, t)
	}
	return out, nil
}
