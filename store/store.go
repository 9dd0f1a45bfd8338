package store

// Layout of this package, for those who add tables:
//
//   - Each feature has its own file of methods on *Store (batches.go for
//     pipeline.BatchStore) and its own migrations in migrations/, named
//     NNNN_what.sql and applied in numeric order, once, each in its own
//     transaction. Never edit a migration that has been committed: add one.
//   - Migration numbers are reserved by area, so that parallel work does not
//     collide:
//       0001-0099  batches, tiles, patches
//       0100-0199  zones, 图斑 (monitored patches), verification tasks
//       0200-0299  patrol ledgers and reconciliation
//       0300-      reports
//   - Write portable SQL: TEXT for JSON, GeoJSON and timestamps (formatTime:
//     RFC 3339, nanoseconds, UTC, fixed width, so text order is time order),
//     INTEGER, BIGINT and DOUBLE PRECISION for numbers, ? placeholders (the
//     query methods of Tx and of s.auto rebind them for PostgreSQL), ON
//     CONFLICT ... DO NOTHING / DO UPDATE, RETURNING. Do not order by text
//     that is not ASCII-only and fixed-format in SQL: PostgreSQL collations
//     differ from SQLite's byte order; sort in Go instead.
//   - When a migration really must differ, write NNNN_what.postgres.sql and
//     NNNN_what.sqlite.sql instead of NNNN_what.sql. In queries, branch on
//     Store.IsPostgres or Tx.Dialect (see lockBatch for the one case so far:
//     FOR NO KEY UPDATE).
//   - Read-modify-write goes through Store.Tx. On PostgreSQL, lock the parent
//     row first (lockBatch) so that concurrent transactions serialize on it
//     and never deadlock on children; on SQLite every transaction is BEGIN
//     IMMEDIATE, which serializes writers.
//   - SQLite runs with one connection per Store: never run a query on the
//     Store (s.auto) inside a Tx, nor a second query while iterating rows:
//     collect the rows first.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialect is the SQL dialect of a Store's database.
type Dialect string

// The dialects Open supports.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Rebind returns query with its ? placeholders in the dialect's form: $1,
// $2, … for PostgreSQL, unchanged for SQLite. Question marks inside '…'
// string literals, "…" identifiers and -- comments are left alone; do not
// use PostgreSQL's ? JSON operators or $$ quoting in queries.
func (d Dialect) Rebind(query string) string {
	if d != Postgres || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		switch c := query[i]; c {
		case '\'', '"':
			j := strings.IndexByte(query[i+1:], c)
			if j < 0 {
				b.WriteString(query[i:])
				return b.String()
			}
			b.WriteString(query[i : i+j+2])
			i += j + 1
		case '-':
			if i+1 < len(query) && query[i+1] == '-' {
				j := strings.IndexByte(query[i:], '\n')
				if j < 0 {
					b.WriteString(query[i:])
					return b.String()
				}
				b.WriteString(query[i : i+j+1])
				i += j
				continue
			}
			b.WriteByte(c)
		case '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// SQLite connection settings. synchronous=NORMAL is WAL's usual setting (a
// power cut may lose the last commits, never consistency, and the pipeline
// redoes lost work); _txlock=immediate makes every transaction BEGIN
// IMMEDIATE, so a transaction takes the write lock up front and waits for
// it instead of failing with SQLITE_BUSY halfway. WAL mode (readers run
// beside the writer) is set by setWAL: it is a property of the file, and
// switching to it can fail with SQLITE_BUSY without waiting.
//
// Waiting for the write lock of a file another process holds (a long
// import) is bounded twice: SQLite's busy handler waits at most
// sqliteAttemptTimeout per attempt (it does not see the context), and the
// store retries the attempt with backoff until the busy timeout of the
// Store (WithBusyTimeout, default DefaultBusyTimeout) is spent, checking
// the context between attempts; then it returns a *BusyError (ErrBusy).
const (
	sqliteParams          = "_busy_timeout=1000&_synchronous=NORMAL&_foreign_keys=1&_txlock=immediate"
	sqliteAttemptTimeout  = time.Second
	sqliteBusyTimeout     = 5 * time.Second // of setWAL only
	busyBackoffMin        = 20 * time.Millisecond
	busyBackoffMax        = 500 * time.Millisecond
	DefaultBusyTimeout    = 30 * time.Second
	defaultBusyRetryAfter = 5 * time.Second
)

// ErrBusy: the SQLite database stayed locked by another process (a long
// import, say) for the whole busy timeout. It is temporary: the same call
// may succeed later. The error is a *BusyError; an HTTP layer answers 503
// with Retry-After. Match it with errors.Is.
var ErrBusy = errors.New("store: database busy")

// BusyError is an SQLite database that stayed locked for the busy timeout.
// It matches ErrBusy and wraps SQLite's own error.
type BusyError struct {
	// Path is the database file; Waited how long the store waited.
	Path   string
	Waited time.Duration
	Err    error
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("store: database %s is busy: another process has held its write lock for %s (a long import?); try again later",
		e.Path, e.Waited.Round(100*time.Millisecond))
}

// Is reports whether target is ErrBusy.
func (e *BusyError) Is(target error) bool { return target == ErrBusy }

// Unwrap returns SQLite's error.
func (e *BusyError) Unwrap() error { return e.Err }

// RetryAfter suggests how long a client should wait before trying again.
func (e *BusyError) RetryAfter() time.Duration { return defaultBusyRetryAfter }

// isBusy reports whether err is SQLite's SQLITE_BUSY (or SQLITE_LOCKED).
func isBusy(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	c := se.Code() & 0xff
	return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
}

// retryBusy runs op again, with backoff, while it fails with SQLITE_BUSY,
// for at most the store's busy timeout; then it returns a *BusyError. op
// must be safe to repeat after a busy failure: a BEGIN, or an autocommit
// statement (which changed nothing if it was busy). On PostgreSQL it runs
// op once.
func (s *Store) retryBusy(ctx context.Context, op func() error) error {
	if s.dialect != SQLite {
		return op()
	}
	start := time.Now()
	wait := busyBackoffMin
	for {
		err := op()
		if err == nil || !isBusy(err) {
			return err
		}
		left := s.busyTimeout - time.Since(start)
		if left <= 0 {
			return &BusyError{Path: s.path, Waited: time.Since(start), Err: err}
		}
		t := time.NewTimer(min(wait, left))
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("store: waiting for the database lock: %w", ctx.Err())
		case <-t.C:
		}
		wait = min(2*wait, busyBackoffMax)
	}
}

// PostgreSQL pool limits of one Store. A worker process holds one Store, so
// this bounds its connections; the server default allows 100.
const (
	pgMaxOpenConns = 16
	pgMaxIdleConns = 8
	pgConnMaxIdle  = 5 * time.Minute
)

// Store is the state store on one database. It is safe for concurrent use by
// many goroutines; the caller must Close it.
type Store struct {
	db      *sql.DB
	dialect Dialect
	now     func() time.Time
	// auto runs single statements outside a transaction.
	auto runner
	// path is the SQLite file (or the redacted PostgreSQL URL), for
	// messages; busyTimeout bounds the waits for a locked SQLite file.
	path        string
	busyTimeout time.Duration
}

// Option configures Open.
type Option func(*options)

type options struct {
	now         func() time.Time
	busyTimeout time.Duration
}

// WithBusyTimeout sets how long a call waits for an SQLite database whose
// write lock another process holds (a long import) before it fails with a
// *BusyError (ErrBusy); d <= 0 keeps DefaultBusyTimeout (30 s). Reads do
// not wait: SQLite runs in WAL mode, so readers run beside a writer.
func WithBusyTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.busyTimeout = d
		}
	}
}

// WithClock makes the store take its timestamps (CreatedAt, UpdatedAt,
// StartedAt, FinishedAt) from now instead of time.Now. They are stored in
// UTC with nanosecond precision.
func WithClock(now func() time.Time) Option {
	return func(o *options) { o.now = now }
}

// Open opens the store named by dsn and brings its schema up to date.
//
// A dsn starting with postgres:// or postgresql:// opens PostgreSQL (any
// pgx connection URL). Anything else is the path of an SQLite database file,
// optionally prefixed sqlite:// (sqlite:///abs/path or sqlite://rel/path);
// the file is created when missing, its directory is not. The path may not
// contain '?'.
//
// Open applies the embedded migrations that the database lacks, each in its
// own transaction, recorded in schema_migrations. Concurrent Opens of one
// database are safe: on PostgreSQL they serialize on an advisory lock, on
// SQLite on BEGIN IMMEDIATE. The caller must Close the returned Store.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	o := options{now: time.Now, busyTimeout: DefaultBusyTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	dialect, target, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	var db *sql.DB
	switch dialect {
	case Postgres:
		cfg, err := pgx.ParseConfig(target)
		if err != nil {
			return nil, fmt.Errorf("store: parse postgres dsn: %w", err)
		}
		db = stdlib.OpenDB(*cfg)
		db.SetMaxOpenConns(pgMaxOpenConns)
		db.SetMaxIdleConns(pgMaxIdleConns)
		db.SetConnMaxIdleTime(pgConnMaxIdle)
	case SQLite:
		// SQLite opens a file it cannot write read-only without a word,
		// and fails later with "attempt to write a readonly database".
		if err := sqliteAccess(target); err != nil {
			return nil, err
		}
		c, err := sqlite.NewConnector(target + "?" + sqliteParams)
		if err != nil {
			return nil, fmt.Errorf("store: sqlite %s: %w", target, err)
		}
		db = sql.OpenDB(c)
		// One connection: writers are serialized anyway, and one
		// connection means no SQLITE_BUSY between goroutines of this
		// process (other processes wait busy_timeout).
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
	}
	s := &Store{db: db, dialect: dialect, now: o.now, path: redact(dialect, target), busyTimeout: o.busyTimeout}
	s.auto = runner{q: db, dialect: dialect, retry: s.retryBusy}
	if dialect == SQLite {
		if err := s.setWAL(ctx); err != nil {
			db.Close()
			return nil, sqliteOpenError(target, err)
		}
	}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		if dialect == SQLite {
			return nil, sqliteOpenError(target, err)
		}
		return nil, fmt.Errorf("store: open %s: %w", redact(dialect, target), err)
	}
	return s, nil
}

// ErrReadOnly: the SQLite database file, a file beside it (-wal, -shm) or
// its directory cannot be written, and weipian must write to them.
var ErrReadOnly = errors.New("store: read-only database")

// sqliteOpenError explains a failed open of the SQLite file at path:
// SQLite says "unable to open database file (14)" or "attempt to write a
// readonly database (8)" when the file, its -wal or -shm file or its
// directory cannot be written (or the directory does not exist); say which
// (wrapping ErrReadOnly). Other errors are returned as they are, named.
func sqliteOpenError(path string, err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM, sqlite3.SQLITE_AUTH, sqlite3.SQLITE_IOERR:
			if why := sqliteAccess(path); why != nil {
				return why
			}
		}
	}
	return fmt.Errorf("store: open %s: %w", path, err)
}

// sqliteAccess checks that the SQLite file at path, the -wal and -shm files
// beside it and its directory can be written, and returns the first that
// cannot as an error (wrapping ErrReadOnly), or nil. A missing file is
// fine (SQLite creates it); a missing directory is not.
func sqliteAccess(path string) error {
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("store: open %s: the directory %s does not exist: create it first", path, dir)
	case err != nil:
		return fmt.Errorf("store: open %s: %w", path, err)
	case !st.IsDir():
		return fmt.Errorf("store: open %s: %s is not a directory", path, dir)
	}
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		fh, err := os.OpenFile(f, os.O_RDWR, 0)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			what := "database file"
			if f != path {
				what = "file " + filepath.Base(f) + " beside the database (created by another user?)"
			}
			return kindErr(ErrReadOnly, "store: the %s %s is read-only (%v): weipian must write to it; make it writable (chmod u+w, or run as its owner) or work on a copy",
				what, f, errors.Unwrap(err))
		}
		fh.Close()
	}
	probe, err := os.CreateTemp(dir, ".weipian-write-test-*")
	if err != nil {
		return kindErr(ErrReadOnly, "store: the directory %s of the database %s is read-only (%v): SQLite must create %s-wal and %s-shm beside the file; make the directory writable or move the database",
			dir, path, errors.Unwrap(err), filepath.Base(path), filepath.Base(path))
	}
	probe.Close()
	os.Remove(probe.Name())
	return nil
}

// setWAL puts the SQLite database in WAL mode. When another process (or
// Store) is switching the same new file at the same moment, SQLite reports
// SQLITE_BUSY at once rather than calling the busy handler, so it retries
// for up to the busy timeout.
func (s *Store) setWAL(ctx context.Context) error {
	deadline := time.Now().Add(sqliteBusyTimeout)
	for wait := 5 * time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		var mode string
		err := s.db.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode)
		if err == nil {
			if !strings.EqualFold(mode, "wal") {
				return fmt.Errorf("journal_mode is %s, not wal", mode)
			}
			return nil
		}
		var se *sqlite.Error
		if !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return fmt.Errorf("set journal_mode=WAL: %w", err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("set journal_mode=WAL: %w", ctx.Err())
		case <-time.After(wait):
		}
	}
}

// parseDSN returns the dialect of dsn and what its driver opens: the URL for
// PostgreSQL, the file path for SQLite.
func parseDSN(dsn string) (Dialect, string, error) {
	lower := strings.ToLower(dsn)
	switch {
	case strings.HasPrefix(lower, "postgres://"), strings.HasPrefix(lower, "postgresql://"):
		return Postgres, dsn, nil
	case strings.HasPrefix(lower, "sqlite://"):
		dsn = dsn[len("sqlite://"):]
	}
	if dsn == "" {
		return "", "", errors.New("store: empty database path")
	}
	if strings.Contains(dsn, "?") {
		return "", "", fmt.Errorf("store: sqlite path %q: '?' is not allowed in the path", dsn)
	}
	return SQLite, dsn, nil
}

// redact removes a password from a PostgreSQL URL for messages.
func redact(d Dialect, target string) string {
	if d != Postgres {
		return target
	}
	u, err := url.Parse(target)
	if err != nil {
		return "postgres database"
	}
	return u.Redacted()
}

// Close closes the database. In-flight calls fail; the Store cannot be used
// after.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// Dialect returns the store's SQL dialect.
func (s *Store) Dialect() Dialect { return s.dialect }

// IsPostgres reports whether the store is on PostgreSQL.
func (s *Store) IsPostgres() bool { return s.dialect == Postgres }

// querier runs queries with ? placeholders: a *Tx, or the store's
// autocommit runner s.auto. (The marker method keeps a raw *sql.DB, which
// would not rebind, from passing for one.)
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	rebinds()
}

// sqlQuerier is what *sql.DB, *sql.Conn and *sql.Tx have in common.
type sqlQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// runner rebinds the placeholders of each query for its dialect. The
// store's autocommit runner also retries statements that find the SQLite
// file locked (retry); a transaction's runner does not need to, as it
// holds the write lock.
type runner struct {
	q       sqlQuerier
	dialect Dialect
	retry   func(ctx context.Context, op func() error) error
}

func (runner) rebinds() {}

// ExecContext runs a statement; ? placeholders are rebound for the dialect.
func (r runner) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	query = r.dialect.Rebind(query)
	if r.retry == nil {
		return r.q.ExecContext(ctx, query, args...)
	}
	var res sql.Result
	err := r.retry(ctx, func() (err error) {
		res, err = r.q.ExecContext(ctx, query, args...)
		return err
	})
	return res, err
}

// QueryContext runs a query; ? placeholders are rebound for the dialect. The
// caller must Close the rows.
func (r runner) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	query = r.dialect.Rebind(query)
	if r.retry == nil {
		return r.q.QueryContext(ctx, query, args...)
	}
	var rows *sql.Rows
	err := r.retry(ctx, func() (err error) {
		rows, err = r.q.QueryContext(ctx, query, args...)
		return err
	})
	return rows, err
}

// QueryRowContext runs a query that returns at most one row; ? placeholders
// are rebound for the dialect.
func (r runner) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return r.q.QueryRowContext(ctx, r.dialect.Rebind(query), args...)
}

// Tx is a transaction of a Store, given to the function passed to
// [Store.Tx]. Its query methods take ? placeholders. It is not safe for
// concurrent use and must not be used after that function returns.
type Tx struct {
	runner
}

// Dialect returns the dialect of the transaction's database.
func (tx *Tx) Dialect() Dialect { return tx.dialect }

// Tx runs fn in a transaction: it commits when fn returns nil and rolls back
// when fn returns an error or panics (the panic goes on). On SQLite the
// transaction is BEGIN IMMEDIATE: it holds the database's write lock from
// the start. When another process holds that lock, Tx waits for it, for at
// most the busy timeout (WithBusyTimeout), before fn runs, and then fails
// with a *BusyError (ErrBusy); fn runs once. fn may run SQL only through
// tx, never through s.
func (s *Store) Tx(ctx context.Context, fn func(tx *Tx) error) error {
	return inTx(ctx, s.db, s.dialect, s.retryBusy, fn)
}

// beginner is *sql.DB or *sql.Conn.
type beginner interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

// inTx runs fn in a transaction of b; retry repeats the BEGIN while the
// database is busy.
func inTx(ctx context.Context, b beginner, d Dialect, retry func(context.Context, func() error) error, fn func(tx *Tx) error) (err error) {
	var stx *sql.Tx
	err = retry(ctx, func() (err error) {
		stx, err = b.BeginTx(ctx, nil)
		return err
	})
	var be *BusyError
	if errors.As(err, &be) {
		return err
	}
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			// The error of fn (or its panic) is what matters; a failed
			// rollback leaves nothing behind that the database keeps.
			_ = stx.Rollback()
		}
	}()
	if err := fn(&Tx{runner{q: stx, dialect: d}}); err != nil {
		return err
	}
	committed = true
	if err := stx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// timeLayout is RFC 3339 with nanoseconds at a fixed width, so that stored
// timestamps sort as text in time order.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// FormatTime returns t as stored: UTC, fixed-width RFC 3339 with nanoseconds.
func FormatTime(t time.Time) string { return formatTime(t) }

// formatTime returns t as stored: UTC, fixed-width RFC 3339 with nanoseconds.
func formatTime(t time.Time) string {
	return t.UTC().Format(timeLayout)
}

// parseTime parses a stored timestamp; NULL gives the zero time.
func parseTime(s sql.NullString) (time.Time, error) {
	if !s.Valid || s.String == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s.String)
	if err != nil {
		return time.Time{}, fmt.Errorf("store: bad stored time %q: %w", s.String, err)
	}
	return t.UTC(), nil
}

// placeholders returns n comma-separated ? placeholders.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}
