package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
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

// Schema errors of Open; match them with errors.Is.
var (
	// ErrSchemaTooNew: the database has a migration this weipian does
	// not know, so a newer weipian wrote it: upgrade weipian.
	ErrSchemaTooNew = errors.New("store: database schema newer than this weipian")
	// ErrForeignDatabase: the database holds tables but not weipian's
	// schema_migrations (or one of another program): it is not a weipian
	// database, and weipian will not add its tables to it.
	ErrForeignDatabase = errors.New("store: not a weipian database")
	// ErrSchemaIncomplete: schema_migrations records migrations whose
	// tables are missing (changed outside weipian, or half restored).
	ErrSchemaIncomplete = errors.New("store: incomplete database schema")
)

// kindError is an error message that matches a sentinel (kind) without
// repeating its text.
type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string { return e.msg }

// Is reports whether target is the error's sentinel.
func (e *kindError) Is(target error) bool { return target == e.kind }

func kindErr(kind error, format string, args ...any) error {
	return &kindError{kind: kind, msg: fmt.Sprintf(format, args...)}
}

// applyMigrations applies ms in order, skipping those already recorded, on
// one connection: under an advisory lock on PostgreSQL, each in a BEGIN
// IMMEDIATE transaction that checks again on SQLite.
//
// It first looks without writing: when every migration is recorded it
// takes no write lock at all, so opening a store never waits for another
// process's long write (SQLite). It refuses a database whose
// schema_migrations records a migration that ms lacks (ErrSchemaTooNew), a
// database with tables but no weipian schema_migrations
// (ErrForeignDatabase), and one whose recorded migrations' tables are
// missing (ErrSchemaIncomplete).
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
	q := runner{q: conn, dialect: s.dialect, retry: s.retryBusy}
	tables, err := listTables(ctx, q, s.dialect)
	if err != nil {
		return err
	}
	applied := map[int]string{}
	if slices.Contains(tables, "schema_migrations") {
		if err := checkMigrationsTable(ctx, q, s.dialect); err != nil {
			return err
		}
		if applied, err = readApplied(ctx, q); err != nil {
			return err
		}
	} else if len(tables) > 0 {
		return kindErr(ErrForeignDatabase, "not a weipian database: it has %d table(s) (%s) but no schema_migrations: use a new database file (or an empty PostgreSQL database)",
			len(tables), listSome(tables, 5))
	}
	if err := checkKnown(applied, ms); err != nil {
		return err
	}
	pending := 0
	for _, m := range ms {
		if _, ok := applied[m.version]; !ok {
			pending++
		}
	}
	if pending > 0 {
		if err := s.migrateMissing(ctx, conn, ms, applied); err != nil {
			return err
		}
		if tables, err = listTables(ctx, q, s.dialect); err != nil {
			return err
		}
	}
	return checkTables(tables, ms)
}

// migrateMissing creates schema_migrations if needed and applies the
// migrations of ms not in applied, each in its own transaction.
func (s *Store) migrateMissing(ctx context.Context, conn *sql.Conn, ms []migration, applied map[int]string) error {
	err := inTx(ctx, conn, s.dialect, s.retryBusy, func(tx *Tx) error {
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
	for _, m := range ms {
		if _, ok := applied[m.version]; ok {
			continue
		}
		err := inTx(ctx, conn, s.dialect, s.retryBusy, func(tx *Tx) error {
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
		var be *BusyError
		if errors.As(err, &be) {
			return err
		}
		if err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	return nil
}

// checkKnown refuses recorded migrations that ms lacks: a newer weipian
// applied them.
func checkKnown(applied map[int]string, ms []migration) error {
	known := map[int]bool{}
	newest := 0
	for _, m := range ms {
		known[m.version] = true
		newest = max(newest, m.version)
	}
	var unknown []int
	for v := range applied {
		if !known[v] {
			unknown = append(unknown, v)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	top := unknown[len(unknown)-1]
	if top > newest {
		return kindErr(ErrSchemaTooNew, "database schema version %d is newer than this weipian (max %d): upgrade weipian", top, newest)
	}
	return kindErr(ErrSchemaTooNew, "the database has migration %d (%s), which this weipian (max %d) does not know: it was written by another weipian version; upgrade weipian",
		unknown[0], applied[unknown[0]], newest)
}

// Table names a migration creates, drops or renames (outside comments).
var (
	reCreateTable = regexp.MustCompile(`(?i)\bCREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?"?([A-Za-z_][A-Za-z0-9_]*)"?`)
	reDropTable   = regexp.MustCompile(`(?i)\bDROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?"?([A-Za-z_][A-Za-z0-9_]*)"?`)
	reRenameTable = regexp.MustCompile(`(?i)\bALTER\s+TABLE\s+"?([A-Za-z_][A-Za-z0-9_]*)"?\s+RENAME\s+TO\s+"?([A-Za-z_][A-Za-z0-9_]*)"?`)
	reSQLComment  = regexp.MustCompile(`--[^\n]*`)
)

// expectedTables returns the tables that the migrations leave, sorted.
func expectedTables(ms []migration) []string {
	set := map[string]bool{"schema_migrations": true}
	type op struct {
		at   int
		kind byte // c create, d drop, r rename
		a, b string
	}
	for _, m := range ms {
		body := reSQLComment.ReplaceAllString(m.sql, "")
		var ops []op
		for _, x := range reCreateTable.FindAllStringSubmatchIndex(body, -1) {
			ops = append(ops, op{x[0], 'c', strings.ToLower(body[x[2]:x[3]]), ""})
		}
		for _, x := range reDropTable.FindAllStringSubmatchIndex(body, -1) {
			ops = append(ops, op{x[0], 'd', strings.ToLower(body[x[2]:x[3]]), ""})
		}
		for _, x := range reRenameTable.FindAllStringSubmatchIndex(body, -1) {
			ops = append(ops, op{x[0], 'r', strings.ToLower(body[x[2]:x[3]]), strings.ToLower(body[x[4]:x[5]])})
		}
		slices.SortFunc(ops, func(a, b op) int { return a.at - b.at })
		for _, o := range ops {
			switch o.kind {
			case 'c':
				set[o.a] = true
			case 'd':
				delete(set, o.a)
			case 'r':
				delete(set, o.a)
				set[o.b] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for t := range set {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// checkTables refuses a database that lacks tables the migrations create.
func checkTables(tables []string, ms []migration) error {
	have := map[string]bool{}
	for _, t := range tables {
		have[strings.ToLower(t)] = true
	}
	var missing []string
	for _, t := range expectedTables(ms) {
		if !have[t] {
			missing = append(missing, t)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return kindErr(ErrSchemaIncomplete, "incomplete database: table(s) %s missing although schema_migrations records the migrations that create them (the database was changed outside weipian, half restored, or belongs to another program): restore it from a backup or start a new database",
		listSome(missing, 8))
}

// listTables returns the names of the database's tables (SQLite: the
// file's; PostgreSQL: the current schema's), sorted.
func listTables(ctx context.Context, q querier, d Dialect) ([]string, error) {
	query := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\'`
	if d == Postgres {
		query = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("list tables: %w", err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	slices.Sort(out)
	return out, nil
}

// checkMigrationsTable refuses a schema_migrations table that is not
// weipian's (golang-migrate and others use the same name).
func checkMigrationsTable(ctx context.Context, q querier, d Dialect) error {
	query := `SELECT name FROM pragma_table_info('schema_migrations')`
	if d == Postgres {
		query = `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'schema_migrations'`
	}
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return fmt.Errorf("read schema_migrations: %w", err)
	}
	defer rows.Close()
	cols := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return fmt.Errorf("read schema_migrations: %w", err)
		}
		cols[strings.ToLower(n)] = true
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read schema_migrations: %w", err)
	}
	if !cols["version"] || !cols["name"] || !cols["applied_at"] {
		return kindErr(ErrForeignDatabase, "not a weipian database: its schema_migrations table is another program's (no version, name and applied_at columns): use a new database file (or an empty PostgreSQL database)")
	}
	return nil
}

// listSome joins at most n names, with "…" after.
func listSome(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:n], ", ") + ", …"
}

// readApplied returns the versions recorded in schema_migrations,
// with their names.
func readApplied(ctx context.Context, q querier) (map[int]string, error) {
	rows, err := q.QueryContext(ctx, "SELECT version, name FROM schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	defer rows.Close()
	applied := map[int]string{}
	for rows.Next() {
		var v int
		var name string
		if err := rows.Scan(&v, &name); err != nil {
			return nil, fmt.Errorf("read schema_migrations: %w", err)
		}
		applied[v] = name
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	return applied, nil
}
