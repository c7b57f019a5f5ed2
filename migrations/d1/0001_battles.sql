-- Battles known to the operator API (the battle's Durable Object stays the source of truth).
CREATE TABLE IF NOT EXISTS battles (
  id TEXT PRIMARY KEY,
  title TEXT NOT NULL,
  status TEXT NOT NULL,
  starts_at INTEGER,
  ends_at INTEGER,
  duration_ms INTEGER NOT NULL,
  max_players INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS battles_created_at ON battles (created_at DESC);
