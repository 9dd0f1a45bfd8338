package store

import (
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/sqlite"
)

// Open checks the schema: a database written by a newer weipian, another
// program's database and a database missing tables are refused with a
// message saying what to do, never used.
func TestSchemaChecks(t *testing.T) {
	t.Parallel()
	ms, err := loadMigrations(migrationFiles, "migrations", SQLite)
	if err != nil {
		t.Fatal(err)
	}
	newest := ms[len(ms)-1].version
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			tests := []struct {
				name  string
				sql   []string
				err   error
				want  string
				clean bool // reopening after the change still fails
			}{
				{"newer schema", []string{"INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', 'x')"},
					ErrSchemaTooNew, fmt.Sprintf("database schema version 9999 is newer than this weipian (max %d): upgrade weipian", newest), true},
				{"unknown older migration", []string{"INSERT INTO schema_migrations (version, name, applied_at) VALUES (150, '0150_branch.sql', 'x')"},
					ErrSchemaTooNew, fmt.Sprintf("the database has migration 150 (0150_branch.sql), which this weipian (max %d) does not know", newest), true},
				{"missing table", []string{"DROP TABLE ledger_tracks"},
					ErrSchemaIncomplete, "table(s) ledger_tracks missing although schema_migrations records the migrations that create them", true},
				{"foreign database", []string{"DROP TABLE schema_migrations"},
					ErrForeignDatabase, "no schema_migrations: use a new database file", true},
				{"another program's schema_migrations", []string{"DROP TABLE schema_migrations", "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, dirty BOOLEAN NOT NULL)"},
					ErrForeignDatabase, "its schema_migrations table is another program's", true},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					dsn := b.dsn(t)
					s, err := Open(testCtx(t), dsn)
					if err != nil {
						t.Fatal(err)
					}
					for _, q := range tc.sql {
						if _, err := s.auto.ExecContext(testCtx(t), q); err != nil {
							t.Fatalf("%s: %v", q, err)
						}
					}
					s.Close()
					for range 2 { // refused, and nothing changed by the refusal
						s, err = Open(testCtx(t), dsn)
						if err == nil {
							s.Close()
							t.Fatal("opened")
						}
						if !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "store: open ") ||
							strings.Contains(err.Error(), "no such table") {
							t.Fatalf("err = %v\nwant %v with %q", err, tc.err, tc.want)
						}
					}
				})
			}
			// A database of another program: refused, and left alone.
			t.Run("foreign tables untouched", func(t *testing.T) {
				t.Parallel()
				dsn := b.dsn(t)
				s, err := Open(testCtx(t), dsn)
				if err != nil {
					t.Fatal(err)
				}
				for _, q := range []string{"CREATE TABLE customers (id INTEGER)", "DROP TABLE schema_migrations"} {
					if _, err := s.auto.ExecContext(testCtx(t), q); err != nil {
						t.Fatal(err)
					}
				}
				before, err := listTables(testCtx(t), s.auto, s.dialect)
				if err != nil {
					t.Fatal(err)
				}
				s.Close()
				if _, err := Open(testCtx(t), dsn); !errors.Is(err, ErrForeignDatabase) || !strings.Contains(err.Error(), "customers") {
					t.Fatalf("err = %v", err)
				}
				s = openStoreNoMigrate(t, dsn)
				after, err := listTables(testCtx(t), s.auto, s.dialect)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(before, after) {
					t.Errorf("tables %v became %v", before, after)
				}
			})
		})
	}
}

// openStoreNoMigrate opens dsn's database as a Store without running
// migrations (or any other check of Open).
func openStoreNoMigrate(t *testing.T, dsn string) *Store {
	t.Helper()
	d, target, err := parseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	var db *sql.DB
	if d == Postgres {
		cfg, err := pgx.ParseConfig(target)
		if err != nil {
			t.Fatal(err)
		}
		db = stdlib.OpenDB(*cfg)
	} else {
		c, err := sqlite.NewConnector(target + "?" + sqliteParams)
		if err != nil {
			t.Fatal(err)
		}
		db = sql.OpenDB(c)
	}
	t.Cleanup(func() { db.Close() })
	return &Store{db: db, dialect: d, auto: runner{q: db, dialect: d}}
}

func TestExpectedTables(t *testing.T) {
	t.Parallel()
	ms := []migration{
		{version: 1, sql: "-- CREATE TABLE commented (a INT);\nCREATE TABLE a (x INT);\nCREATE TABLE IF NOT EXISTS \"B\" (y INT);"},
		{version: 2, sql: "CREATE TABLE a_new (x INT); DROP TABLE a; ALTER TABLE a_new RENAME TO a; drop table if exists b;"},
	}
	if got := expectedTables(ms); !slices.Equal(got, []string{"a", "schema_migrations"}) {
		t.Errorf("expected tables %v", got)
	}
	real, err := loadMigrations(migrationFiles, "migrations", Postgres)
	if err != nil {
		t.Fatal(err)
	}
	got := expectedTables(real)
	for _, want := range []string{"batches", "tiles", "patches", "zone_kinds", "tubans", "tasks", "ledger_entries", "ledger_tracks", "schema_migrations"} {
		if !slices.Contains(got, want) {
			t.Errorf("expected tables %v lack %s", got, want)
		}
	}
}
