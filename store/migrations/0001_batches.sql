-- 0001: batches, one row per submitted batch (pipeline.Batch).
-- Timestamps are TEXT in RFC 3339 with nanoseconds, UTC, fixed width
-- (2006-01-02T15:04:05.000000000Z), so text order is time order.
CREATE TABLE batches (
    id           TEXT PRIMARY KEY,
    spec         TEXT NOT NULL,              -- pipeline.BatchSpec as JSON
    state        TEXT NOT NULL,
    error        TEXT NOT NULL DEFAULT '',
    scene_id     TEXT NOT NULL DEFAULT '',
    tiles_total  INTEGER NOT NULL DEFAULT 0,
    tiles_done   INTEGER NOT NULL DEFAULT 0,
    tiles_failed INTEGER NOT NULL DEFAULT 0,
    patch_count  INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    started_at   TEXT,                       -- NULL until detection starts
    finished_at  TEXT                        -- NULL until a terminal state
);

CREATE INDEX batches_created_at ON batches (created_at DESC, id DESC);
