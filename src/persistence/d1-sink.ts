/**
 * @module Writes a consumer batch to D1 (what the edge reads: the battle index and the final results) as one
 * `batch()` (one transaction) of multi-row statements: each table's rows travel as a JSON parameter expanded
 * with `json_each` (cut into parts under D1's string limit), so a batch is a handful of statements whatever its
 * size (D1 allows 100 parameters each).
 */
import type { ApplyPlan } from "./apply-plan";
import { utf8Length } from "./event-size";
import { archivedId, D1_BATTLE_TABLES, type IncarnationStore } from "./incarnations";
import { type Watermarks, watermarkKey } from "./watermarks";

/** The contiguous watermark moves over applied ranges that touch it (messages arrive in any order). */
const ADVANCE = `WITH RECURSIVE w(seq) AS (
    SELECT seq FROM watermarks WHERE battle_id = ?1 AND shard = ?2
    UNION
    SELECT r.to_seq FROM applied_ranges r JOIN w ON r.from_seq <= w.seq + 1 AND r.to_seq > w.seq
    WHERE r.battle_id = ?1 AND r.shard = ?2)
  UPDATE watermarks SET seq = (SELECT MAX(seq) FROM w), updated_at = ?3 WHERE battle_id = ?1 AND shard = ?2`;

/** A bound JSON parameter stays under this (D1 caps a string or row at 2,000,000 bytes). */
export const D1_PARAM_BYTES = 900_000;

/** `rows` as JSON arrays of at most D1_PARAM_BYTES each (one statement per part). */
function jsonParts(rows: readonly unknown[]): string[] {
  const out: string[] = [];
  let cur: string[] = [];
  let bytes = 2;
  for (const r of rows) {
    const json = JSON.stringify(r);
    const n = utf8Length(json) + 1;
    if (cur.length > 0 && bytes + n > D1_PARAM_BYTES) {
      out.push(`[${cur.join(",")}]`);
      cur = [];
      bytes = 2;
    }
    cur.push(json);
    bytes += n;
  }
  if (cur.length > 0) out.push(`[${cur.join(",")}]`);
  return out;
}

/**
 * Fails the batch (a "malformed JSON" error, which is not a refusal of the data: the batch is retried and routed
 * again) unless each battle's current incarnation is still the one the write was routed for.
 */
const INCARNATION_GUARD = `SELECT json(CASE WHEN coalesce((SELECT incarnation FROM battle_incarnations
    WHERE battle_id = g.value->>'$[0]'), '') = g.value->>'$[1]' THEN '{}' ELSE 'incarnation changed' END)
  FROM json_each(?1) AS g`;

/** D1's side of the incarnation store (src/persistence/incarnations.ts). */
export function d1Incarnations(db: D1Database, now: () => number): IncarnationStore {
  const CURRENT = `CASE WHEN EXISTS (SELECT 1 FROM battle_incarnations WHERE battle_id = ?1)
      THEN (SELECT incarnation FROM battle_incarnations WHERE battle_id = ?1)
      WHEN EXISTS (SELECT 1 FROM watermarks WHERE battle_id = ?1) THEN '' END`;
  return {
    async current(battles) {
      const { results } = await db
        .prepare(
          `SELECT k.value AS id, (SELECT incarnation FROM battle_incarnations WHERE battle_id = k.value) AS inc,
             EXISTS (SELECT 1 FROM watermarks WHERE battle_id = k.value) AS known
           FROM json_each(?1) AS k`,
        )
        .bind(JSON.stringify(battles))
        .all<{ id: string; inc: string | null; known: number }>();
      return new Map(results.map((r) => [r.id, r.inc ?? (r.known ? "" : undefined)]));
    },
    async adopt(battle, expected, next) {
      const stmts = [
        db
          .prepare(`SELECT json(CASE WHEN (${CURRENT}) IS ?2 THEN '{}' ELSE 'incarnation changed' END)`)
          .bind(battle, expected ?? null),
      ];
      if (expected !== undefined) {
        const to = archivedId(battle, expected);
        stmts.push(db.prepare("UPDATE battles SET id = ?2 WHERE id = ?1").bind(battle, to));
        for (const table of D1_BATTLE_TABLES) {
          stmts.push(db.prepare(`UPDATE ${table} SET battle_id = ?2 WHERE battle_id = ?1`).bind(battle, to));
        }
      }
      stmts.push(
        db
          .prepare(
            `INSERT INTO battle_incarnations (battle_id, incarnation, since) VALUES (?1, ?2, ?3)
             ON CONFLICT (battle_id) DO UPDATE SET incarnation = excluded.incarnation, since = excluded.since`,
          )
          .bind(battle, next, now()),
      );
      try {
        await db.batch(stmts);
        return true;
      } catch (e) {
        if (/malformed JSON/i.test(String((e as Error)?.message ?? e))) return false;
        throw e;
      }
    },
  };
}

export async function applyToD1(db: D1Database, plan: ApplyPlan, now: number): Promise<Watermarks> {
  const stmts: D1PreparedStatement[] = [];
  const each = (sql: string, rows: readonly unknown[]) => {
    const stmt = db.prepare(sql);
    for (const part of jsonParts(rows)) stmts.push(stmt.bind(part));
  };
  each(
    INCARNATION_GUARD,
    plan.guards.map((g) => [g.battle, g.incarnation]),
  );
  each(
    `INSERT INTO battles (id, title, status, starts_at, ends_at, duration_ms, max_players, created_at, seq, view,
       question_count)
     SELECT v->>'id', v->>'title', v->>'status', v->>'startsAt', v->>'endsAt', v->>'durationMs',
            v->>'maxPlayers', v->>'createdAt', v->>'seq', v->>'view', v->>'qn'
     FROM (SELECT value AS v FROM json_each(?1)) WHERE true
     ON CONFLICT(id) DO UPDATE SET title = excluded.title, status = excluded.status,
       starts_at = excluded.starts_at, ends_at = excluded.ends_at, duration_ms = excluded.duration_ms,
       max_players = excluded.max_players, created_at = excluded.created_at, seq = excluded.seq,
       view = coalesce(excluded.view, battles.view),
       question_count = CASE WHEN excluded.view IS NULL THEN battles.question_count ELSE excluded.question_count END
     WHERE excluded.seq > battles.seq`,
    plan.battles,
  );
  each(
    `INSERT INTO battle_questions (battle_id, idx, body)
     SELECT v->>'$[0]', v->>'$[1]', v->>'$[2]' FROM (SELECT value AS v FROM json_each(?1)) WHERE true
     ON CONFLICT DO NOTHING`,
    plan.questions.map((q) => [q.battle, q.idx, q.body]),
  );
  each(
    `INSERT INTO results (battle_id, rank, participant_id, username, score, correct, arrows, shields, total, seq)
     SELECT v->>'$[0]', v->>'$[1]', v->>'$[2]', v->>'$[3]', v->>'$[4]', v->>'$[5]', v->>'$[6]', v->>'$[7]',
            v->>'$[8]', v->>'$[9]'
     FROM (SELECT value AS v FROM json_each(?1)) WHERE true
     ON CONFLICT(battle_id, participant_id) DO UPDATE SET rank = excluded.rank, username = excluded.username,
       score = excluded.score, correct = excluded.correct, arrows = excluded.arrows,
       shields = excluded.shields, total = excluded.total, seq = excluded.seq
     WHERE excluded.seq > results.seq`,
    plan.results.map((r) => [r.battle, ...r.row, r.total, r.seq]),
  );
  each(
    `INSERT INTO quarantine (battle_id, shard, seq, event, error, quarantined_at)
     SELECT v->>'$[0]', v->>'$[1]', v->>'$[2]', v->>'$[3]', v->>'$[4]', ${now}
     FROM (SELECT value AS v FROM json_each(?1)) WHERE true
     ON CONFLICT DO NOTHING`,
    plan.quarantine.map((q) => [q.battle, q.shard, q.seq, q.event, q.error]),
  );
  each(
    `UPDATE quarantine SET reapplied_at = ${now} WHERE reapplied_at IS NULL AND EXISTS (
       SELECT 1 FROM json_each(?1) AS k WHERE k.value->>'$[0]' = quarantine.battle_id
         AND k.value->>'$[1]' = quarantine.shard AND k.value->>'$[2]' = quarantine.seq)`,
    plan.reapplied.map((q) => [q.battle, q.shard, q.seq]),
  );
  stmts.push(
    db
      .prepare(
        `INSERT INTO applied_ranges (battle_id, shard, from_seq, to_seq)
         SELECT v->>'$[0]', v->>'$[1]', v->>'$[2]', v->>'$[3]' FROM (SELECT value AS v FROM json_each(?1)) WHERE true
         ON CONFLICT DO NOTHING`,
      )
      .bind(JSON.stringify(plan.ranges.map((r) => [r.battle, r.shard, r.from, r.to]))),
  );
  for (const { battle, shard } of plan.keys) {
    stmts.push(
      db
        .prepare(
          "INSERT INTO watermarks (battle_id, shard, seq, updated_at) VALUES (?1, ?2, 0, ?3) ON CONFLICT DO NOTHING",
        )
        .bind(battle, shard, now),
      db.prepare(ADVANCE).bind(battle, shard, now),
      db
        .prepare(
          `DELETE FROM applied_ranges WHERE battle_id = ?1 AND shard = ?2
           AND to_seq <= (SELECT seq FROM watermarks WHERE battle_id = ?1 AND shard = ?2)`,
        )
        .bind(battle, shard),
    );
  }
  stmts.push(
    db
      .prepare(
        `SELECT w.battle_id AS battle, w.shard AS shard, w.seq AS seq FROM watermarks w
         JOIN (SELECT value->>'$[0]' AS b, value->>'$[1]' AS s FROM json_each(?1)) k
           ON w.battle_id = k.b AND w.shard = k.s`,
      )
      .bind(JSON.stringify(plan.keys.map((k) => [k.battle, k.shard]))),
  );
  const out = await db.batch<{ battle: string; shard: number; seq: number }>(stmts);
  const marks: Watermarks = new Map();
  for (const r of out[out.length - 1]?.results ?? []) marks.set(watermarkKey(r.battle, r.shard), r.seq);
  return marks;
}
