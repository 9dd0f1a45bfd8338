-- 0120: 图斑 (monitored change patches, pipeline.Tuban) across batches, their
-- verification tasks (task.Task), and the monitoring-number sequences.
-- Each row keeps the whole record as JSON (data) beside the columns that
-- queries filter on.
CREATE TABLE tubans (
    id          TEXT PRIMARY KEY,
    jcbh        TEXT NOT NULL UNIQUE,
    xzqdm       TEXT NOT NULL,
    first_batch TEXT NOT NULL,
    last_batch  TEXT NOT NULL,
    judgement   TEXT NOT NULL,
    team        TEXT NOT NULL DEFAULT '',
    task_id     TEXT NOT NULL DEFAULT '',
    min_lon     DOUBLE PRECISION NOT NULL,
    min_lat     DOUBLE PRECISION NOT NULL,
    max_lon     DOUBLE PRECISION NOT NULL,
    max_lat     DOUBLE PRECISION NOT NULL,
    geometry    TEXT NOT NULL,              -- GeoJSON Polygon, WGS84
    data        TEXT NOT NULL,              -- pipeline.Tuban as JSON (without geometry)
    updated_at  TEXT NOT NULL
);
CREATE INDEX tubans_bbox ON tubans (min_lon, max_lon, min_lat, max_lat);
CREATE INDEX tubans_last_batch ON tubans (last_batch);

-- Which batches saw which 图斑.
CREATE TABLE tuban_batches (
    tuban_id TEXT NOT NULL REFERENCES tubans (id) ON DELETE CASCADE,
    batch_id TEXT NOT NULL,
    PRIMARY KEY (tuban_id, batch_id)
);
CREATE INDEX tuban_batches_batch ON tuban_batches (batch_id);

CREATE TABLE tasks (
    id         TEXT PRIMARY KEY,
    tuban_id   TEXT NOT NULL,
    jcbh       TEXT NOT NULL,
    team       TEXT NOT NULL,
    state      TEXT NOT NULL,
    priority   BIGINT NOT NULL,
    due_verify TEXT NOT NULL,
    version    INTEGER NOT NULL,            -- optimistic concurrency
    data       TEXT NOT NULL,               -- task.Task as JSON
    updated_at TEXT NOT NULL
);
CREATE INDEX tasks_team_state ON tasks (team, state);
CREATE INDEX tasks_tuban ON tasks (tuban_id);

-- Next free sequence number of JCBH per prefix (XZQDM + batch code).
CREATE TABLE jcbh_seq (
    prefix TEXT PRIMARY KEY,
    next   INTEGER NOT NULL
);
