-- 0600: the coefficient of variation of a patch's brightness after (0:
-- not measured). A ploughed or harvested field is uniform, earthworks are
-- not: with a 耕地 layer, judging sets aside a uniform vegetated→bare change
-- on cultivated land as farming.
ALTER TABLE patches ADD COLUMN cv_after DOUBLE PRECISION NOT NULL DEFAULT 0;
