-- 0500: users, sessions, the append-only audit log, and registered imagery.
CREATE TABLE users (
    name          TEXT PRIMARY KEY,          -- login name
    display       TEXT NOT NULL DEFAULT '',  -- 姓名
    password_hash TEXT NOT NULL,             -- bcrypt
    roles         TEXT NOT NULL,             -- comma-separated role codes
    team          TEXT NOT NULL DEFAULT '',  -- 巡查组 of a patrol member
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,             -- SHA-256 of the bearer token
    user_name  TEXT NOT NULL,
    csrf       TEXT NOT NULL,
    addr       TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_name);

CREATE TABLE audit (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    source  TEXT NOT NULL,                   -- cli or http
    addr    TEXT NOT NULL DEFAULT '',
    action  TEXT NOT NULL,
    target  TEXT NOT NULL DEFAULT '',
    outcome TEXT NOT NULL,                   -- ok, refused, failed
    detail  TEXT NOT NULL DEFAULT ''
);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;

CREATE TABLE imagery (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    uri           TEXT NOT NULL UNIQUE,      -- s3://bucket/key or an absolute path on the server
    acquired      TEXT NOT NULL DEFAULT '',  -- YYYY-MM-DD when known
    info          TEXT NOT NULL DEFAULT '',  -- JSON: size, bands, CRS, pixel size
    registered_by TEXT NOT NULL,
    registered_at TEXT NOT NULL
);
