-- 0003: patches (图斑) as detection found them (pipeline.Patch), in the
-- order they were stored (seq).
CREATE TABLE patches (
    batch_id     TEXT NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,           -- 0-based position in the stored list
    patch_id     TEXT NOT NULL,
    class        TEXT NOT NULL,
    class_label  TEXT NOT NULL,
    confidence   TEXT NOT NULL,
    score        DOUBLE PRECISION NOT NULL,
    mad_chi2     DOUBLE PRECISION NOT NULL,
    area_m2      DOUBLE PRECISION NOT NULL,
    area_mu      DOUBLE PRECISION NOT NULL,
    area_crs     TEXT NOT NULL,
    centroid_lon DOUBLE PRECISION NOT NULL,
    centroid_lat DOUBLE PRECISION NOT NULL,
    before_date  TEXT NOT NULL,
    after_date   TEXT NOT NULL,
    pixels       BIGINT NOT NULL,
    geometry     TEXT NOT NULL,              -- GeoJSON Polygon, WGS84 lon/lat
    PRIMARY KEY (batch_id, seq)
);

CREATE INDEX patches_patch_id ON patches (patch_id);
