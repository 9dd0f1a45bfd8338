// Package store is the state store: batches, tiles and patches (and, in later
// files, zones, tasks, ledgers and reports) on PostgreSQL or on an embedded
// SQLite database file, with the schema migrations shipped in the binary.
//
// [Open] picks the backend from its DSN. A postgres:// or postgresql:// URL
// opens PostgreSQL, the distributed mode's shared state, through the
// database/sql driver of github.com/jackc/pgx/v5 (pgx/v5/stdlib) rather than
// pgxpool, so that both backends share one code path: one *sql.DB, one
// transaction helper, the same queries and the same scanning. pgxpool's
// extras (batching, COPY, native types) buy nothing at this store's load, a
// few short statements per tile. Anything else is the path of
// an SQLite file (optionally written sqlite://path), the embedded mode's
// state, opened through modernc.org/sqlite: a pure-Go translation of SQLite,
// so the weipian binary stays one static file that builds with
// CGO_ENABLED=0 everywhere outside raster/, and a county laptop needs no
// database server, no C toolchain and no shared library.
//
// Both backends run the same queries: SQL is written once with ? placeholders
// (rebound to $n for PostgreSQL), JSON and timestamps are TEXT, numbers are
// INTEGER, BIGINT and DOUBLE PRECISION. [Store.Dialect] is there for the rare
// statement that must differ.
//
// Open checks the database before using it: a database written by a newer
// weipian (ErrSchemaTooNew), another program's database
// (ErrForeignDatabase), one missing tables its recorded migrations create
// (ErrSchemaIncomplete) and an SQLite file, -wal/-shm file or directory
// that cannot be written (ErrReadOnly) are refused with a message naming
// the file and saying what to do. When every migration is applied, Open
// takes no write lock, so it never waits for another process's write.
//
// SQLite runs in WAL mode, so reads never wait for a writer. A write that
// finds the file locked by another process (a long import) waits for the
// lock with bounded retries, for at most WithBusyTimeout (30 s by default),
// then fails with a *BusyError matching ErrBusy, which is temporary: an
// HTTP layer answers 503 with Retry-After.
//
// A *Store is safe for concurrent use by many goroutines, and its
// [pipeline.BatchStore] methods are safe when many processes share one
// PostgreSQL database (or, one writer at a time, one SQLite file): every
// read-modify-write is one transaction that first locks the batch row.
package store
