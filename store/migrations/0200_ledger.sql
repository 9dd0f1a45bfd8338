-- 0200: ground-patrol ledger rows (巡查台帐, ledger.Entry) and GPS patrol
-- tracks (ledger.Track). Rows are keyed by their content hash, so importing
-- the same file twice adds nothing; row_key is the patrol's identity (start,
-- members, zones, violator, place), so a corrected row replaces the old one.
CREATE TABLE ledger_entries (
    id          TEXT PRIMARY KEY,
    row_key     TEXT NOT NULL,
    file        TEXT NOT NULL,
    ref         TEXT NOT NULL,
    start_at    TEXT NOT NULL,
    data        TEXT NOT NULL,              -- ledger.Entry as JSON
    imported_at TEXT NOT NULL
);
CREATE INDEX ledger_entries_key ON ledger_entries (row_key);

CREATE TABLE ledger_tracks (
    id          TEXT PRIMARY KEY,
    team        TEXT NOT NULL,
    file        TEXT NOT NULL,
    points      BIGINT NOT NULL,
    data        TEXT NOT NULL,              -- ledger.Track as gzipped JSON, base64
    imported_at TEXT NOT NULL
);
