-- 0004: what a patch's change type (TBLX) needs beyond its class: the after
-- date's brightness relative to the scene median and saturation, and the
-- patch's length, width and elongation.
ALTER TABLE patches ADD COLUMN bright_ratio DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE patches ADD COLUMN sat_after DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE patches ADD COLUMN length_m DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE patches ADD COLUMN width_m DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE patches ADD COLUMN elongation DOUBLE PRECISION NOT NULL DEFAULT 0;
