-- The persistence pipeline (queue consumer) writes the battle index and the final results; the edge reads them.
-- `seq`: the outbox seq of the event that last wrote the row (older events never overwrite newer ones).
ALTER TABLE battles ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
-- The public battle view (JSON) once it has ended, served by /results with the final standings.
ALTER TABLE battles ADD COLUMN view TEXT;

CREATE TABLE IF NOT EXISTS results (
  battle_id TEXT NOT NULL,
  participant_id INTEGER NOT NULL,
  rank INTEGER NOT NULL,
  username TEXT NOT NULL,
  score INTEGER NOT NULL,
  correct INTEGER NOT NULL,
  arrows INTEGER NOT NULL,
  shields INTEGER NOT NULL,
  -- Rows in the whole final standings, so a reader can tell when every chunk has arrived.
  total INTEGER NOT NULL,
  PRIMARY KEY (battle_id, participant_id)
);
CREATE INDEX IF NOT EXISTS results_rank ON results (battle_id, rank);

-- Seq ranges applied but not yet contiguous with the watermark (messages arrive in any order).
CREATE TABLE IF NOT EXISTS applied_ranges (
  battle_id TEXT NOT NULL,
  shard INTEGER NOT NULL,
  from_seq INTEGER NOT NULL,
  to_seq INTEGER NOT NULL,
  PRIMARY KEY (battle_id, shard, from_seq, to_seq)
);

-- Every seq at or below `seq` of this (battle, shard) is applied here.
CREATE TABLE IF NOT EXISTS watermarks (
  battle_id TEXT NOT NULL,
  shard INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (battle_id, shard)
);

-- Messages the event queue gave up on (after its retries), for operators to list and replay.
CREATE TABLE IF NOT EXISTS dead_letters (
  id TEXT PRIMARY KEY,
  queue TEXT NOT NULL,
  battle_id TEXT,
  from_seq INTEGER,
  to_seq INTEGER,
  body TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  failed_at INTEGER NOT NULL,
  replayed_at INTEGER
);
CREATE INDEX IF NOT EXISTS dead_letters_open ON dead_letters (replayed_at, failed_at);
