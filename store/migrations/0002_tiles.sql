-- 0002: tiles, one row per processing tile of a batch (pipeline.Tile).
CREATE TABLE tiles (
    batch_id   TEXT NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
    tile_key   TEXT NOT NULL,                -- "col_row"
    state      TEXT NOT NULL,                -- pending, done, failed
    attempts   INTEGER NOT NULL DEFAULT 0,
    error      TEXT NOT NULL DEFAULT '',
    millis     BIGINT NOT NULL DEFAULT 0,
    bytes      BIGINT NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (batch_id, tile_key)
);
