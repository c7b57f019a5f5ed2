-- The seq of the `final` event that last wrote a results row: an older event never overwrites a newer one.
ALTER TABLE results ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
