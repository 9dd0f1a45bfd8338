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
// A *Store is safe for concurrent use by many goroutines, and its
// [pipeline.BatchStore] methods are safe when many processes share one
// PostgreSQL database (or, one writer at a time, one SQLite file): every
// read-modify-write is one transaction that first locks the batch row.
package store
