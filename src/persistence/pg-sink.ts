/**
 * @module Writes a consumer batch to Postgres (through Hyperdrive) in one transaction: the watermark rows of the
 * batch's (battle, shard) pairs are locked first in a fixed order (concurrent consumers of one battle serialise),
 * then each table gets one multi-row statement (`jsonb_to_recordset` of one parameter), then the watermarks move.
 * Idempotent: events are keyed by (battle, shard, seq), totals are the highest-seq snapshot.
 */
import postgres from "postgres";
import type { ApplyPlan } from "./apply-plan";
import { archivedId, type IncarnationStore, PG_BATTLE_TABLES } from "./incarnations";
import { type Watermarks, watermarkKey } from "./watermarks";

/** One client per invocation (a module-level client fails across requests in workerd); never `sql.end()`. */
export function pgClient(connectionString: string): postgres.Sql {
  return postgres(connectionString, {
    max: 5,
    fetch_types: false,
    connect_timeout: 5,
    onnotice: () => {},
  });
}

const ADVANCE = `WITH RECURSIVE w(seq) AS (
    SELECT seq FROM watermarks WHERE battle_id = $1 AND shard = $2
    UNION
    SELECT r.to_seq FROM applied_ranges r JOIN w ON r.from_seq <= w.seq + 1 AND r.to_seq > w.seq
    WHERE r.battle_id = $1 AND r.shard = $2)
  UPDATE watermarks SET seq = (SELECT max(seq) FROM w), updated_at = now()
  WHERE battle_id = $1 AND shard = $2 RETURNING seq`;

/**
 * A consumer cut off mid-transaction (its invocation cancelled, its isolate dropped) can leave the server side
 * idle in the transaction while a proxy keeps the socket open, holding the watermark rows' locks and every table's
 * lock against DDL (a migration then waits, and everything queued behind it). Postgres ends such a transaction
 * after this long; it is set per transaction (`set_config(…, true)`), so a pooled connection keeps no state.
 */
export const IDLE_IN_TRANSACTION_TIMEOUT_MS = 5_000;
/**
 * A statement waits at most this long for a lock (another session holding a watermark row or a table), and runs at
 * most STATEMENT_TIMEOUT_MS: past them Postgres cancels it (55P03, 57014), the transaction rolls back and the
 * consumer retries later as for an outage, instead of waiting as long as the other session likes.
 */
export const LOCK_TIMEOUT_MS = 5_000;
export const STATEMENT_TIMEOUT_MS = 15_000;

/** A write routed for an incarnation that is no longer the battle's current one: retried (routed again). */
export class IncarnationChanged extends Error {
  constructor(battle: string) {
    super(`battle ${battle}: its incarnation changed during the write`);
  }
}

/** Postgres's side of the incarnation store (src/persistence/incarnations.ts). */
export function pgIncarnations(sql: postgres.Sql, lockTimeoutMs = LOCK_TIMEOUT_MS): IncarnationStore {
  return {
    async current(battles) {
      const rows = await sql.unsafe<{ id: string; inc: string | null; known: boolean }[]>(
        `SELECT b.id, (SELECT incarnation FROM battle_incarnations WHERE battle_id = b.id) AS inc,
           EXISTS (SELECT 1 FROM watermarks WHERE battle_id = b.id) AS known
         FROM jsonb_array_elements_text($1::text::jsonb) AS b(id)`,
        [JSON.stringify(battles)],
      );
      return new Map(rows.map((r) => [r.id, r.inc ?? (r.known ? "" : undefined)]));
    },
    async adopt(battle, expected, next) {
      return sql.begin(async (tx) => {
        await tx.unsafe(
          "SELECT set_config('lock_timeout', $1, true), set_config('statement_timeout', $2, true)",
          [String(lockTimeoutMs), String(STATEMENT_TIMEOUT_MS)],
        );
        await tx.unsafe("SELECT pg_advisory_xact_lock(hashtext($1))", [battle]);
        const [row] = await tx.unsafe<{ inc: string | null; known: boolean }[]>(
          `SELECT (SELECT incarnation FROM battle_incarnations WHERE battle_id = $1) AS inc,
             EXISTS (SELECT 1 FROM watermarks WHERE battle_id = $1) AS known`,
          [battle],
        );
        const cur = row?.inc ?? (row?.known ? "" : undefined);
        if (cur !== expected) return false;
        if (cur !== undefined) {
          const to = archivedId(battle, cur);
          await tx.unsafe("SELECT 1 FROM watermarks WHERE battle_id = $1 ORDER BY shard FOR UPDATE", [
            battle,
          ]);
          await tx.unsafe("UPDATE battles SET id = $2 WHERE id = $1", [battle, to]);
          for (const table of PG_BATTLE_TABLES) {
            await tx.unsafe(`UPDATE ${table} SET battle_id = $2 WHERE battle_id = $1`, [battle, to]);
          }
        }
        await tx.unsafe(
          `INSERT INTO battle_incarnations (battle_id, incarnation) VALUES ($1, $2)
           ON CONFLICT (battle_id) DO UPDATE SET incarnation = excluded.incarnation, since = now()`,
          [battle, next],
        );
        return true;
      });
    },
  };
}

export async function applyToPostgres(
  sql: postgres.Sql,
  plan: ApplyPlan,
  lockTimeoutMs = LOCK_TIMEOUT_MS,
): Promise<Watermarks> {
  const marks: Watermarks = new Map();
  const json = (rows: unknown[]) => JSON.stringify(rows);
  const guards = json(plan.guards.map((g) => ({ b: g.battle, i: g.incarnation })));
  await sql.begin(async (tx) => {
    // Pipelined with the first statement: no extra round trip. The battles' incarnations are read after their
    // (shared) advisory locks are held, in a statement of its own (a snapshot taken after the lock).
    const [, , changed] = await Promise.all([
      tx.unsafe(
        `SELECT set_config('idle_in_transaction_session_timeout', $1, true),
           set_config('lock_timeout', $2, true), set_config('statement_timeout', $3, true)`,
        [String(IDLE_IN_TRANSACTION_TIMEOUT_MS), String(lockTimeoutMs), String(STATEMENT_TIMEOUT_MS)],
      ),
      tx.unsafe(
        `SELECT pg_advisory_xact_lock_shared(hashtext(g.b))
         FROM jsonb_to_recordset($1::text::jsonb) AS g(b text, i text) ORDER BY g.b`,
        [guards],
      ),
      tx.unsafe(
        `SELECT g.b FROM jsonb_to_recordset($1::text::jsonb) AS g(b text, i text)
         WHERE coalesce((SELECT incarnation FROM battle_incarnations WHERE battle_id = g.b), '') <> g.i`,
        [guards],
      ),
      tx.unsafe(
        `INSERT INTO watermarks (battle_id, shard, seq)
         SELECT b, s, 0 FROM jsonb_to_recordset($1::text::jsonb) AS k(b text, s smallint)
         ON CONFLICT DO NOTHING`,
        [json(plan.keys.map((k) => ({ b: k.battle, s: k.shard })))],
      ),
    ]);
    if (changed.length > 0) throw new IncarnationChanged(String(changed[0]!.b));
    await tx.unsafe(
      `SELECT 1 FROM watermarks w JOIN jsonb_to_recordset($1::text::jsonb) AS k(b text, s smallint)
         ON w.battle_id = k.b AND w.shard = k.s
       ORDER BY w.battle_id, w.shard FOR UPDATE OF w`,
      [json(plan.keys.map((k) => ({ b: k.battle, s: k.shard })))],
    );
    if (plan.battles.length > 0) {
      await tx.unsafe(
        `INSERT INTO battles (id, title, status, starts_at, ends_at, duration_ms, max_players, created_at, seq)
         SELECT id, title, status, "startsAt", "endsAt", "durationMs", "maxPlayers", "createdAt", seq
         FROM jsonb_to_recordset($1::text::jsonb) AS x(id text, title text, status text, "startsAt" bigint,
           "endsAt" bigint, "durationMs" integer, "maxPlayers" integer, "createdAt" bigint, seq bigint)
         ON CONFLICT (id) DO UPDATE SET title = excluded.title, status = excluded.status,
           starts_at = excluded.starts_at, ends_at = excluded.ends_at, duration_ms = excluded.duration_ms,
           max_players = excluded.max_players, created_at = excluded.created_at, seq = excluded.seq
         WHERE excluded.seq > battles.seq`,
        [json(plan.battles)],
      );
    }
    if (plan.questions.length > 0) {
      await tx.unsafe(
        `INSERT INTO battle_questions (battle_id, idx, question)
         SELECT b, i, q FROM jsonb_to_recordset($1::text::jsonb) AS x(b text, i integer, q jsonb)
         ON CONFLICT DO NOTHING`,
        [json(plan.questions.map((q) => ({ b: q.battle, i: q.idx, q: JSON.parse(q.body) as unknown })))],
      );
    }
    if (plan.quarantine.length > 0) {
      await tx.unsafe(
        `INSERT INTO quarantine (battle_id, shard, seq, event, error)
         SELECT b, s, q, e, err FROM jsonb_to_recordset($1::text::jsonb) AS x(b text, s smallint, q bigint, e text,
           err text)
         ON CONFLICT DO NOTHING`,
        [json(plan.quarantine.map((q) => ({ b: q.battle, s: q.shard, q: q.seq, e: q.event, err: q.error })))],
      );
    }
    if (plan.reapplied.length > 0) {
      await tx.unsafe(
        `UPDATE quarantine q SET reapplied_at = now()
         FROM jsonb_to_recordset($1::text::jsonb) AS k(b text, s smallint, q bigint)
         WHERE q.battle_id = k.b AND q.shard = k.s AND q.seq = k.q AND q.reapplied_at IS NULL`,
        [json(plan.reapplied.map((q) => ({ b: q.battle, s: q.shard, q: q.seq })))],
      );
    }
    if (plan.participants.length > 0) {
      await tx.unsafe(
        `INSERT INTO participants AS p (battle_id, participant_id, username, session, score, arrows, shields,
           correct, reached_at, joined_at, last_activity, state_seq, session_seq)
         SELECT b, id, u, s, st[1], st[2], st[3], st[4], st[5], j, la, ss, sess
         FROM jsonb_to_recordset($1::text::jsonb) AS x(b text, id integer, u text, s text, st bigint[], j bigint,
           la bigint, ss bigint, sess bigint)
         ON CONFLICT (battle_id, participant_id) DO UPDATE SET
           username = coalesce(p.username, excluded.username),
           joined_at = coalesce(p.joined_at, excluded.joined_at),
           session = CASE WHEN excluded.session_seq > p.session_seq THEN excluded.session ELSE p.session END,
           session_seq = greatest(p.session_seq, excluded.session_seq),
           score = CASE WHEN excluded.state_seq > p.state_seq THEN excluded.score ELSE p.score END,
           arrows = CASE WHEN excluded.state_seq > p.state_seq THEN excluded.arrows ELSE p.arrows END,
           shields = CASE WHEN excluded.state_seq > p.state_seq THEN excluded.shields ELSE p.shields END,
           correct = CASE WHEN excluded.state_seq > p.state_seq THEN excluded.correct ELSE p.correct END,
           reached_at = CASE WHEN excluded.state_seq > p.state_seq THEN excluded.reached_at ELSE p.reached_at END,
           state_seq = greatest(p.state_seq, excluded.state_seq),
           last_activity = greatest(p.last_activity, excluded.last_activity)`,
        [
          json(
            plan.participants.map((r) => ({
              b: r.battle,
              id: r.id,
              u: r.username,
              s: r.session,
              st: r.state,
              j: r.joinedAt,
              la: r.lastActivity,
              ss: r.stateSeq,
              sess: r.sessionSeq,
            })),
          ),
        ],
      );
    }
    if (plan.answers.length > 0) {
      await tx.unsafe(
        `INSERT INTO answers (battle_id, shard, seq, participant_id, question_id, attempt, answer, correct, points,
           bonus, at)
         SELECT battle, shard, seq, p, q, n, a, c, pts, bo, at
         FROM jsonb_to_recordset($1::text::jsonb) AS x(battle text, shard smallint, seq bigint, p integer, q text,
           n integer, a text, c boolean, pts integer, bo integer, at bigint)
         ON CONFLICT DO NOTHING`,
        [json(plan.answers)],
      );
    }
    if (plan.attacks.length > 0) {
      await tx.unsafe(
        `INSERT INTO attacks (battle_id, shard, seq, attacker_id, target_id, blocked, points_lost, at)
         SELECT battle, shard, seq, p, x, bl, lost, at
         FROM jsonb_to_recordset($1::text::jsonb) AS x(battle text, shard smallint, seq bigint, p integer, x integer,
           bl boolean, lost integer, at bigint)
         ON CONFLICT DO NOTHING`,
        [json(plan.attacks)],
      );
    }
    if (plan.results.length > 0) {
      await tx.unsafe(
        `INSERT INTO final_results AS f (battle_id, rank, participant_id, username, score, correct, arrows, shields,
           seq)
         SELECT r->>0, (r->>1)::int, (r->>2)::int, r->>3, (r->>4)::int, (r->>5)::int, (r->>6)::int, (r->>7)::int,
           (r->>8)::bigint
         FROM jsonb_array_elements($1::text::jsonb) AS r
         ON CONFLICT (battle_id, participant_id) DO UPDATE SET rank = excluded.rank, username = excluded.username,
           score = excluded.score, correct = excluded.correct, arrows = excluded.arrows, shields = excluded.shields,
           seq = excluded.seq
         WHERE excluded.seq > f.seq`,
        [json(plan.results.map((r) => [r.battle, ...r.row, r.seq]))],
      );
    }
    await tx.unsafe(
      `INSERT INTO applied_ranges (battle_id, shard, from_seq, to_seq)
       SELECT battle, shard, "from", "to" FROM jsonb_to_recordset($1::text::jsonb)
         AS x(battle text, shard smallint, "from" bigint, "to" bigint)
       ON CONFLICT DO NOTHING`,
      [json(plan.ranges)],
    );
    for (const { battle, shard } of plan.keys) {
      const [row] = await tx.unsafe<{ seq: string }[]>(ADVANCE, [battle, shard]);
      await tx.unsafe(
        `DELETE FROM applied_ranges WHERE battle_id = $1 AND shard = $2
         AND to_seq <= (SELECT seq FROM watermarks WHERE battle_id = $1 AND shard = $2)`,
        [battle, shard],
      );
      marks.set(watermarkKey(battle, shard), Number(row?.seq ?? 0));
    }
  });
  return marks;
}
