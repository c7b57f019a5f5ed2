-- A dead letter is superseded once both sinks' watermarks of its (battle, shard) reach its last seq: a resend from
-- the watermark delivered what it held, so it needs no replay and no longer counts as open.
ALTER TABLE dead_letters ADD COLUMN shard INTEGER;
ALTER TABLE dead_letters ADD COLUMN superseded_at INTEGER;
UPDATE dead_letters SET shard = json_extract(body, '$.s') WHERE json_valid(body);
CREATE INDEX IF NOT EXISTS dead_letters_unresolved ON dead_letters (battle_id, shard)
  WHERE replayed_at IS NULL AND superseded_at IS NULL;
