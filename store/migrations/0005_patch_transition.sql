-- 0005: the land-cover transition that typed a patch (states of the two
-- dates: vegetated, bare, built, water), why it has its class, and its fill
-- (the share of its equivalent rectangle it covers). Stored patches are the
-- changes of concern only.
ALTER TABLE patches ADD COLUMN before_state TEXT NOT NULL DEFAULT '';
ALTER TABLE patches ADD COLUMN after_state TEXT NOT NULL DEFAULT '';
ALTER TABLE patches ADD COLUMN reason TEXT NOT NULL DEFAULT '';
ALTER TABLE patches ADD COLUMN fill DOUBLE PRECISION NOT NULL DEFAULT 0;
