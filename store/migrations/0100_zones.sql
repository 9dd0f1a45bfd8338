-- 0100: zone layers (pipeline.ZoneLayer). Each import of a kind's layer is
-- a new version; versions are never changed or deleted, so that patches
-- judged against an older version stay explainable.

-- One row per kind that has ever been imported: the lock row of the kind's
-- imports, its active version and the last version number used.
CREATE TABLE zone_kinds (
    kind           TEXT PRIMARY KEY,        -- pipeline.ZoneKind code (cultivated, patrol, …)
    active_version INTEGER NOT NULL,        -- 0: none
    last_version   INTEGER NOT NULL,
    updated_at     TEXT NOT NULL
);

-- One row per imported version.
CREATE TABLE zone_layers (
    kind          TEXT NOT NULL,
    version       INTEGER NOT NULL,         -- 1, 2, … per kind
    name          TEXT NOT NULL,
    source        TEXT NOT NULL,
    imported_at   TEXT NOT NULL,
    feature_count INTEGER NOT NULL,
    fields        TEXT NOT NULL,            -- JSON: canonical field → file column
    problems      TEXT NOT NULL,            -- JSON []pipeline.ZoneProblem
    min_lon       DOUBLE PRECISION NOT NULL,
    min_lat       DOUBLE PRECISION NOT NULL,
    max_lon       DOUBLE PRECISION NOT NULL,
    max_lat       DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (kind, version)
);

-- The features of each version, in file order (seq).
CREATE TABLE zone_features (
    kind             TEXT NOT NULL,
    version          INTEGER NOT NULL,
    fid              BIGINT NOT NULL,       -- feature ID in the imported file
    seq              INTEGER NOT NULL,
    name             TEXT NOT NULL,
    xzqdm            TEXT NOT NULL,
    xzqmc            TEXT NOT NULL,
    dlbm             TEXT NOT NULL,
    dlmc             TEXT NOT NULL,
    grade            INTEGER NOT NULL,
    team             TEXT NOT NULL,
    person           TEXT NOT NULL,
    contact          TEXT NOT NULL,
    approval_no      TEXT NOT NULL,
    approval_type    TEXT NOT NULL,
    approved_area_m2 DOUBLE PRECISION NOT NULL,
    approved_use     TEXT NOT NULL,
    valid_from       TEXT NOT NULL,         -- YYYY-MM-DD or ''
    valid_to         TEXT NOT NULL,         -- YYYY-MM-DD or '' (open-ended)
    attrs            TEXT NOT NULL,         -- JSON object of the other columns
    geometry         TEXT NOT NULL,         -- GeoJSON MultiPolygon, WGS84 lon/lat
    min_lon          DOUBLE PRECISION NOT NULL,
    min_lat          DOUBLE PRECISION NOT NULL,
    max_lon          DOUBLE PRECISION NOT NULL,
    max_lat          DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (kind, version, fid),
    FOREIGN KEY (kind, version) REFERENCES zone_layers (kind, version) ON DELETE CASCADE
);

CREATE INDEX zone_features_seq ON zone_features (kind, version, seq);
CREATE INDEX zone_features_bbox ON zone_features (kind, version, min_lon, max_lon);
