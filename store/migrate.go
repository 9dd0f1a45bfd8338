package store

import (
	"context"
	"database/sql/driver"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
)

// migrationFiles holds migrations/NNNN_name[.postgres|.sqlite].sql.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrateLockID is the PostgreSQL advisory lock key that serializes
// concurrent migrations ("weipian" in ASCII). Advisory locks are scoped to
// one database.
const migrateLockID int64 = 0x77656970_69616e

// migration is one schema change.
type migration struct {
	version int
	name    string // file name, e.g. 0001_batches.sql
	sql     string
}

// loadMigrations returns the migrations in dir of fsys for dialect d, by
// version. A version has either one file for both dialects (NNNN_x.sql) or
// one for each (NNNN_x.postgres.sql and NNNN_x.sqlite.sql).
func loadMigrations(fsys fs.FS, dir string, d Dialect) ([]migration, error) {
	migrationName := regexp.MustCompile(`^([0-9]{4,9})_([a-z0-9_]+)(?:\.(postgres|sqlite))?\.sql$`)
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	type files struct{ both, pg, lite string }
	byVersion := map[int]*files{}
	stems := map[int]string{}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migration %s: name is not NNNN_name[.postgres|.sqlite].sql", e.Name())
		}
		v, _ := strconv.Atoi(m[1]) // 4 to 9 digits: no error
		if v == 0 {
			return nil, fmt.Errorf("migration %s: version 0", e.Name())
		}
		if stem, ok := stems[v]; ok && stem != m[2] {
			return nil, fmt.Errorf("migration %s: version %d is also %s", e.Name(), v, stem)
		}
		stems[v] = m[2]
		f := byVersion[v]
		if f == nil {
			f = &files{}
			byVersion[v] = f
		}
		slot := map[string]*string{"": &f.both, "postgres": &f.pg, "sqlite": &f.lite}[m[3]]
		if *slot != "" {
			return nil, fmt.Errorf("migration %s: duplicate of %s", e.Name(), *slot)
		}
		*slot = e.Name()
	}
	out := make([]migration, 0, len(byVersion))
	for v, f := range byVersion {
		name := f.both
		switch {
		case f.both != "" && (f.pg != "" || f.lite != ""):
			return nil, fmt.Errorf("migration %d: both a common file and dialect files", v)
		case f.both == "" && (f.pg == "" || f.lite == ""):
			return nil, fmt.Errorf("migration %d: needs both a .postgres.sql and a .sqlite.sql file", v)
		case f.both == "" && d == Postgres:
			name = f.pg
		case f.both == "":
			name = f.lite
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("read migration: %w", err)
		}
		out = append(out, migration{version: v, name: name, sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// migrate applies the embedded migrations the database lacks.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := loadMigrations(migrationFiles, "migrations", s.dialect)
	if err != nil {
		return err
	}
	return s.applyMigrations(ctx, ms)
}

// applyMigrations applies ms in order, skipping those already recorded, on
// one connection: under an advisory lock on PostgreSQL, each in a BEGIN
// IMMEDIATE transaction that checks again on SQLite.
func (s *Store) applyMigrations(ctx context.Context, ms []migration) (err error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close()
	if s.IsPostgres() {
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", migrateLockID); err != nil {
			return fmt.Errorf("lock migrations: %w", err)
		}
		defer func() {
			var ok bool
			uerr := conn.QueryRowContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrateLockID).Scan(&ok)
			if uerr != nil || !ok {
				// Drop the connection: the session lock ends with it
				// rather than staying held in the pool.
				_ = conn.Raw(func(any) error { return driver.ErrBadConn })
			}
		}()
	}
	err = inTx(ctx, conn, s.dialect, func(tx *Tx) error {
		_, err := tx.q.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    BIGINT PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
)`)
		return err
	})
	if err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	applied, err := appliedVersions(ctx, runner{q: conn, dialect: s.dialect})
	if err != nil {
		return err
	}
	for _, m := range ms {
		if applied[m.version] {
			continue
		}
		err := inTx(ctx, conn, s.dialect, func(tx *Tx) error {
			// Another process may have applied it since we looked (SQLite;
			// on PostgreSQL the advisory lock rules that out).
			var n int
			if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations WHERE version = ?", m.version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			// The body runs as is: no placeholders to rebind, and several
			// statements in one string.
			if _, err := tx.q.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
				m.version, m.name, formatTime(s.now()))
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	return nil
}

// appliedVersions returns the versions recorded in schema_migrations.
func appliedVersions(ctx context.Context, q querier) (map[int]bool, error) {
	rows, err := q.QueryContext(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	defer rows.Close()
	applied := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("read schema_migrations: %w", err)
		}
		applied[v] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	return applied, nil
}
