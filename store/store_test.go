package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/weipian/weipian/internal/testsrv"
)

// The one PostgreSQL server of this test binary, started by the first test
// that needs it and stopped by TestMain; each test gets a database of its
// own on it.
var shared sharedPostgres

func TestMain(m *testing.M) {
	code := m.Run()
	shared.stop()
	os.Exit(code)
}

type sharedPostgres struct {
	once sync.Once
	tb   *mainTB
	pg   *testsrv.Postgres
	// skip or fail says why there is no server.
	skip, fail string
}

// get returns the shared server, starting it on first use; it skips or fails
// t as testsrv.StartPostgres did.
func (s *sharedPostgres) get(t *testing.T) *testsrv.Postgres {
	t.Helper()
	s.once.Do(func() {
		s.tb = &mainTB{}
		start := time.Now()
		s.pg, s.skip, s.fail = s.tb.run(testsrv.StartPostgres)
		if s.pg != nil {
			t.Logf("shared postgres ready in %v", time.Since(start).Round(time.Millisecond))
		}
	})
	switch {
	case s.fail != "":
		t.Fatal(s.fail)
	case s.skip != "":
		t.Skip(s.skip)
	}
	return s.pg
}

func (s *sharedPostgres) stop() {
	if s.tb != nil {
		s.tb.runCleanups()
	}
}

// mainTB is the testing.TB that the shared server is started with: its
// cleanups run at the end of TestMain, not of the test that started it.
// testsrv.StartPostgres calls only the methods defined here; the embedded
// nil TB supplies the unexported method of the interface.
type mainTB struct {
	testing.TB
	mu       sync.Mutex
	cleanups []func()
	failed   bool
}

// tbStop ends a call of a function under mainTB on Skip or Fatal.
type tbStop struct {
	msg  string
	skip bool
}

func (m *mainTB) run(start func(testing.TB) *testsrv.Postgres) (pg *testsrv.Postgres, skip, fail string) {
	defer func() {
		if r := recover(); r != nil {
			stop, ok := r.(tbStop)
			if !ok {
				panic(r)
			}
			if stop.skip {
				skip = stop.msg
			} else {
				fail = stop.msg
			}
		}
	}()
	return start(m), "", ""
}

func (m *mainTB) runCleanups() {
	m.mu.Lock()
	cs := m.cleanups
	m.cleanups = nil
	m.mu.Unlock()
	for i := len(cs) - 1; i >= 0; i-- {
		cs[i]()
	}
}

func (m *mainTB) Helper()      {}
func (m *mainTB) Name() string { return "store-shared-postgres" }
func (m *mainTB) Cleanup(f func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cleanups = append(m.cleanups, f)
}
func (m *mainTB) Failed() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.failed
}
func (m *mainTB) Log(args ...any)                 { fmt.Fprintln(os.Stderr, args...) }
func (m *mainTB) Logf(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
func (m *mainTB) Error(args ...any)               { m.fail(); m.Log(args...) }
func (m *mainTB) Errorf(format string, args ...any) {
	m.fail()
	m.Logf(format, args...)
}
func (m *mainTB) Fatal(args ...any) { m.fail(); panic(tbStop{msg: fmt.Sprint(args...)}) }
func (m *mainTB) Fatalf(format string, args ...any) {
	m.fail()
	panic(tbStop{msg: fmt.Sprintf(format, args...)})
}
func (m *mainTB) FailNow()                         { m.Fatal("FailNow") }
func (m *mainTB) Skip(args ...any)                 { panic(tbStop{msg: fmt.Sprint(args...), skip: true}) }
func (m *mainTB) Skipf(format string, args ...any) { m.Skip(fmt.Sprintf(format, args...)) }
func (m *mainTB) SkipNow()                         { m.Skip("SkipNow") }
func (m *mainTB) fail() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failed = true
}

// backend is a database the suite runs on.
type backend struct {
	name string
	// dsn returns the DSN of a new, empty database.
	dsn func(t *testing.T) string
	// open opens a Store on a new, empty database, closed at the end of t.
	open func(t *testing.T, opts ...Option) *Store
}

// backends returns SQLite (a file in t.TempDir) and PostgreSQL (a database
// on the shared server; the subtest skips when there is no postgres, unless
// REQUIRE_SERVERS=1). Call dsn and open inside the subtest of the backend.
func backends(t *testing.T) []backend {
	t.Helper()
	bs := []backend{
		{name: "sqlite", dsn: func(t *testing.T) string {
			return filepath.Join(t.TempDir(), "state.db")
		}},
		{name: "postgres", dsn: func(t *testing.T) string {
			return shared.get(t).NewDatabase(t)
		}},
	}
	for i := range bs {
		dsn := bs[i].dsn
		bs[i].open = func(t *testing.T, opts ...Option) *Store {
			t.Helper()
			return openStore(t, dsn(t), opts...)
		}
	}
	return bs
}

// openStore opens dsn and closes the store at the end of t.
func openStore(t *testing.T, dsn string, opts ...Option) *Store {
	t.Helper()
	s, err := Open(testCtx(t), dsn, opts...)
	if err != nil {
		t.Fatalf("Open(%s): %v", dsn, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// testCtx returns a context that ends with the test, or after a minute.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// stepClock returns a clock that starts at start and advances by step on
// every call: distinct, increasing timestamps.
func stepClock(start time.Time, step time.Duration) func() time.Time {
	var n atomic.Int64
	return func() time.Time {
		return start.Add(time.Duration(n.Add(1)-1) * step)
	}
}

func TestRebind(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, pg string
	}{
		{"none", "SELECT 1", "SELECT 1"},
		{"several", "UPDATE t SET a = ?, b = ? WHERE id = ?", "UPDATE t SET a = $1, b = $2 WHERE id = $3"},
		{"in list", "x IN (?, ?,?)", "x IN ($1, $2,$3)"},
		{"string literal", "SELECT '?', ? FROM t WHERE s = 'it''s ?'", "SELECT '?', $1 FROM t WHERE s = 'it''s ?'"},
		{"identifier", `SELECT "a?b" FROM t WHERE x = ?`, `SELECT "a?b" FROM t WHERE x = $1`},
		{"comment", "SELECT ? -- why?\nFROM t WHERE x = ?", "SELECT $1 -- why?\nFROM t WHERE x = $2"},
		{"comment at end", "SELECT ? -- why?", "SELECT $1 -- why?"},
		{"minus", "SELECT a - ? FROM t", "SELECT a - $1 FROM t"},
		{"unterminated", "SELECT ? 'oops ?", "SELECT $1 'oops ?"},
		{"ten", strings.Repeat("?,", 9) + "?", "$1,$2,$3,$4,$5,$6,$7,$8,$9,$10"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := Postgres.Rebind(tc.in); got != tc.pg {
				t.Errorf("Postgres.Rebind(%q) = %q, want %q", tc.in, got, tc.pg)
			}
			if got := SQLite.Rebind(tc.in); got != tc.in {
				t.Errorf("SQLite.Rebind(%q) = %q, want it unchanged", tc.in, got)
			}
		})
	}
}

func TestParseDSN(t *testing.T) {
	t.Parallel()
	tests := []struct {
		dsn     string
		dialect Dialect
		target  string
		wantErr bool
	}{
		{dsn: "postgres://u@h:5432/db?sslmode=disable", dialect: Postgres, target: "postgres://u@h:5432/db?sslmode=disable"},
		{dsn: "postgresql://u@h/db", dialect: Postgres, target: "postgresql://u@h/db"},
		{dsn: "POSTGRES://u@h/db", dialect: Postgres, target: "POSTGRES://u@h/db"},
		{dsn: "/var/lib/weipian/state.db", dialect: SQLite, target: "/var/lib/weipian/state.db"},
		{dsn: "state.db", dialect: SQLite, target: "state.db"},
		{dsn: "sqlite:///abs/state.db", dialect: SQLite, target: "/abs/state.db"},
		{dsn: "sqlite://rel/state.db", dialect: SQLite, target: "rel/state.db"},
		{dsn: "", wantErr: true},
		{dsn: "sqlite://", wantErr: true},
		{dsn: "state.db?mode=ro", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.dsn, func(t *testing.T) {
			t.Parallel()
			d, target, err := parseDSN(tc.dsn)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("parseDSN(%q) = %s, %q; want an error", tc.dsn, d, target)
				}
				return
			}
			if err != nil || d != tc.dialect || target != tc.target {
				t.Fatalf("parseDSN(%q) = %s, %q, %v; want %s, %q", tc.dsn, d, target, err, tc.dialect, tc.target)
			}
		})
	}
}

func TestLoadMigrations(t *testing.T) {
	t.Parallel()
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	tests := []struct {
		name    string
		files   fstest.MapFS
		dialect Dialect
		want    []string // names, in order
		wantErr string
	}{
		{
			name: "sorted by number",
			files: fstest.MapFS{
				"m/0100_zones.sql":   file("z"),
				"m/0002_tiles.sql":   file("t"),
				"m/0001_batches.sql": file("b"),
			},
			dialect: SQLite,
			want:    []string{"0001_batches.sql", "0002_tiles.sql", "0100_zones.sql"},
		},
		{
			name: "dialect files",
			files: fstest.MapFS{
				"m/0001_a.sql":          file("a"),
				"m/0002_b.postgres.sql": file("pg"),
				"m/0002_b.sqlite.sql":   file("lite"),
			},
			dialect: Postgres,
			want:    []string{"0001_a.sql", "0002_b.postgres.sql"},
		},
		{
			name: "dialect files, sqlite",
			files: fstest.MapFS{
				"m/0002_b.postgres.sql": file("pg"),
				"m/0002_b.sqlite.sql":   file("lite"),
			},
			dialect: SQLite,
			want:    []string{"0002_b.sqlite.sql"},
		},
		{
			name:    "one dialect only",
			files:   fstest.MapFS{"m/0002_b.postgres.sql": file("pg")},
			dialect: SQLite,
			wantErr: "needs both",
		},
		{
			name:    "common and dialect",
			files:   fstest.MapFS{"m/0002_b.sql": file("x"), "m/0002_b.sqlite.sql": file("y"), "m/0002_b.postgres.sql": file("z")},
			dialect: SQLite,
			wantErr: "both a common file",
		},
		{
			name:    "same number twice",
			files:   fstest.MapFS{"m/0003_a.sql": file("x"), "m/0003_b.sql": file("y")},
			dialect: SQLite,
			wantErr: "version 3 is also",
		},
		{
			name:    "bad name",
			files:   fstest.MapFS{"m/3_a.sql": file("x")},
			dialect: SQLite,
			wantErr: "name is not",
		},
		{
			name:    "version zero",
			files:   fstest.MapFS{"m/0000_a.sql": file("x")},
			dialect: SQLite,
			wantErr: "version 0",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ms, err := loadMigrations(tc.files, "m", tc.dialect)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("loadMigrations: %v, want an error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range ms {
				got = append(got, m.name)
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Fatalf("loadMigrations = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestEmbeddedMigrations checks the shipped files against the numbering
// convention of store.go.
func TestEmbeddedMigrations(t *testing.T) {
	t.Parallel()
	for _, d := range []Dialect{SQLite, Postgres} {
		ms, err := loadMigrations(migrationFiles, "migrations", d)
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		if len(ms) == 0 || ms[0].name != "0001_batches.sql" {
			t.Fatalf("%s: migrations %v do not start with 0001_batches.sql", d, ms)
		}
	}
}

// appliedMigrations returns version → applied_at of schema_migrations.
func appliedMigrations(t *testing.T, s *Store) map[int]string {
	t.Helper()
	rows, err := s.auto.QueryContext(testCtx(t), `SELECT version, applied_at FROM schema_migrations`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int]string{}
	for rows.Next() {
		var (
			v  int
			at string
		)
		if err := rows.Scan(&v, &at); err != nil {
			t.Fatal(err)
		}
		out[v] = at
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestMigrations(t *testing.T) {
	t.Parallel()
	ms, err := loadMigrations(migrationFiles, "migrations", SQLite)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			t.Run("reopen is a no-op", func(t *testing.T) {
				t.Parallel()
				dsn := b.dsn(t)
				s1 := openStore(t, dsn, WithClock(stepClock(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Second)))
				first := appliedMigrations(t, s1)
				if len(first) != len(ms) {
					t.Fatalf("schema_migrations has %d rows, want %d", len(first), len(ms))
				}
				for _, m := range ms {
					if first[m.version] == "" {
						t.Errorf("migration %s not recorded", m.name)
					}
				}
				s2 := openStore(t, dsn, WithClock(stepClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Second)))
				second := appliedMigrations(t, s2)
				if fmt.Sprint(first) != fmt.Sprint(second) {
					t.Fatalf("re-open changed schema_migrations:\n%v\n%v", first, second)
				}
				if err := s2.Ping(testCtx(t)); err != nil {
					t.Fatal(err)
				}
			})
			t.Run("concurrent opens", func(t *testing.T) {
				t.Parallel()
				dsn := b.dsn(t)
				const n = 4
				stores := make([]*Store, n)
				errs := make([]error, n)
				ctx := testCtx(t)
				var wg sync.WaitGroup
				for i := range n {
					wg.Go(func() { stores[i], errs[i] = Open(ctx, dsn) })
				}
				wg.Wait()
				for i := range n {
					if errs[i] != nil {
						t.Errorf("Open %d: %v", i, errs[i])
						continue
					}
					t.Cleanup(func() { stores[i].Close() })
				}
				if t.Failed() {
					return
				}
				if got := appliedMigrations(t, stores[0]); len(got) != len(ms) {
					t.Fatalf("schema_migrations has %d rows, want %d", len(got), len(ms))
				}
			})
			t.Run("new migration applies once", func(t *testing.T) {
				t.Parallel()
				s := b.open(t)
				ctx := testCtx(t)
				extra := append(append([]migration(nil), ms...), migration{
					version: 9999, name: "9999_extra.sql",
					sql: "CREATE TABLE extra (a INTEGER);\nINSERT INTO extra (a) VALUES (1);",
				})
				for range 2 {
					if err := s.applyMigrations(ctx, extra); err != nil {
						t.Fatal(err)
					}
				}
				var n int
				if err := s.auto.QueryRowContext(ctx, `SELECT COUNT(*) FROM extra`).Scan(&n); err != nil || n != 1 {
					t.Fatalf("extra has %d rows (%v), want 1: migration ran more than once", n, err)
				}
			})
			t.Run("failed migration rolls back", func(t *testing.T) {
				t.Parallel()
				s := b.open(t)
				ctx := testCtx(t)
				bad := append(append([]migration(nil), ms...), migration{
					version: 9998, name: "9998_bad.sql",
					sql: "CREATE TABLE half (a INTEGER);\nINSERT INTO no_such_table VALUES (1);",
				})
				if err := s.applyMigrations(ctx, bad); err == nil || !strings.Contains(err.Error(), "9998_bad.sql") {
					t.Fatalf("applyMigrations with a bad migration: %v, want an error naming it", err)
				}
				if got := appliedMigrations(t, s); len(got) != len(ms) {
					t.Fatalf("schema_migrations has %d rows after a failed migration, want %d", len(got), len(ms))
				}
				var n int
				if err := s.auto.QueryRowContext(ctx, `SELECT COUNT(*) FROM half`).Scan(&n); err == nil {
					t.Fatal("table half exists: the failed migration was not rolled back")
				}
			})
		})
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, dsn string }{
		{"missing directory", filepath.Join(t.TempDir(), "no", "such", "dir", "state.db")},
		{"query in path", filepath.Join(t.TempDir(), "state.db?mode=ro")},
		{"bad postgres url", "postgres://u@h:notaport/db"},
		{"postgres not listening", "postgres://u@127.0.0.1:1/db?sslmode=disable&connect_timeout=2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := Open(testCtx(t), tc.dsn)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded, want an error", tc.dsn)
			}
			if !strings.HasPrefix(err.Error(), "store: ") {
				t.Errorf("error %q lacks the store: prefix", err)
			}
		})
	}
}

func TestTx(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := b.open(t)
			ctx := testCtx(t)
			insert := func(tx *Tx, id string) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO batches (id, spec, state, created_at, updated_at) VALUES (?, '{}', 'queued', ?, ?)`,
					id, "2025-01-01T00:00:00.000000000Z", "2025-01-01T00:00:00.000000000Z")
				return err
			}
			if err := s.Tx(ctx, func(tx *Tx) error { return insert(tx, "committed") }); err != nil {
				t.Fatal(err)
			}
			errBoom := errors.New("boom")
			if err := s.Tx(ctx, func(tx *Tx) error {
				if err := insert(tx, "rolled-back"); err != nil {
					return err
				}
				return errBoom
			}); !errors.Is(err, errBoom) {
				t.Fatalf("Tx = %v, want the error of fn", err)
			}
			func() {
				defer func() {
					if r := recover(); r != "panic in tx" {
						t.Fatalf("recovered %v, want the panic of fn", r)
					}
				}()
				s.Tx(ctx, func(tx *Tx) error {
					if err := insert(tx, "panicked"); err != nil {
						return err
					}
					panic("panic in tx")
				})
			}()
			for id, want := range map[string]bool{"committed": true, "rolled-back": false, "panicked": false} {
				ok, err := batchExists(ctx, s.auto, id)
				if err != nil || ok != want {
					t.Errorf("batch %s exists = %v (%v), want %v", id, ok, err, want)
				}
			}
			// Foreign keys are enforced (SQLite needs them switched on).
			err := s.Tx(ctx, func(tx *Tx) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO tiles (batch_id, tile_key, state, updated_at) VALUES (?, ?, ?, ?)`,
					"no-such-batch", "0_0", "pending", "2025-01-01T00:00:00.000000000Z")
				return err
			})
			if err == nil {
				t.Error("a tile of a missing batch was inserted: foreign keys are off")
			}
			if got := s.Dialect(); got != Dialect(b.name) || s.IsPostgres() != (b.name == "postgres") {
				t.Errorf("Dialect() = %s, IsPostgres() = %v on %s", got, s.IsPostgres(), b.name)
			}
		})
	}
}
