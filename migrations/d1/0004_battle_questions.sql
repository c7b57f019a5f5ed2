-- The questions of an ended battle's public view, one row each (a view with 1,000 long questions is far larger
-- than a queue message or a D1 row may be). `question_count`: how many rows complete `view` (NULL: the view was
-- stored whole, before the split).
ALTER TABLE battles ADD COLUMN question_count INTEGER;
CREATE TABLE IF NOT EXISTS battle_questions (
  battle_id TEXT NOT NULL,
  idx INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (battle_id, idx)
);

-- Events D1 refused (a constraint or data error, not an outage), kept verbatim with the error so the stream goes
-- on past them; an operator re-applies them once the cause is fixed (`reapplied_at`).
CREATE TABLE IF NOT EXISTS quarantine (
  battle_id TEXT NOT NULL,
  shard INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  event TEXT NOT NULL,
  error TEXT NOT NULL,
  quarantined_at INTEGER NOT NULL,
  reapplied_at INTEGER,
  PRIMARY KEY (battle_id, shard, seq)
);
