-- Which creation of a battle id its rows belong to (the sinks key streams by it). When a battle id is created
-- again after its object's state is gone, the earlier battle's rows are renamed to `<id>~<incarnation>` (`~legacy`
-- for one created before incarnations) and the new battle starts clean under `<id>`.
CREATE TABLE IF NOT EXISTS battle_incarnations (
  battle_id TEXT PRIMARY KEY,
  incarnation TEXT NOT NULL,
  since INTEGER NOT NULL
);
