/**
 * @module Reads back from the sinks: final results from D1 (what /results serves once a battle has ended, without
 * waking its object), the watermarks per sink, and a battle's rows in Postgres (for reconciliation).
 */
import type postgres from "postgres";
import {
  type BattleResults,
  type FinalStanding,
  RESULTS_PAGE_MAX,
  type StandingsPage,
} from "../protocol/http-messages";
import type { BattleView, QuestionView } from "../protocol/server-messages";
import type { PgBattleRows, StoredRecord } from "./records";

/** The final results from D1, or null unless the battle has ended there and every standings and question row is in. */
export async function finalResultsFromD1(
  db: D1Database,
  battleId: string,
  page: StandingsPage = { offset: 0, limit: RESULTS_PAGE_MAX },
): Promise<BattleResults | null> {
  const [battle, count, rows, questions] = await db.batch([
    db.prepare("SELECT status, view, question_count FROM battles WHERE id = ?1").bind(battleId),
    db.prepare("SELECT COUNT(*) AS n, MAX(total) AS total FROM results WHERE battle_id = ?1").bind(battleId),
    db
      .prepare(
        `SELECT rank, participant_id AS id, username, score, correct, arrows, shields
         FROM results WHERE battle_id = ?1 AND rank > ?2 ORDER BY rank LIMIT ?3`,
      )
      .bind(battleId, page.offset, page.limit),
    db.prepare("SELECT body FROM battle_questions WHERE battle_id = ?1 ORDER BY idx").bind(battleId),
  ]);
  const b = battle?.results[0] as
    | { status: string; view: string | null; question_count: number | null }
    | undefined;
  const c = count?.results[0] as { n: number; total: number | null } | undefined;
  if (b?.status !== "ended" || b.view === null || !c || c.n === 0) return null;
  // Whole once every row of the final standings has arrived.
  if (c.n !== c.total) return null;
  const view = JSON.parse(b.view) as BattleView;
  const qs = (questions?.results ?? []) as { body: string }[];
  // Split views (question_count set) are whole once every question row has arrived.
  if (b.question_count !== null && qs.length !== b.question_count) return null;
  return {
    battle:
      b.question_count === null
        ? view
        : { ...view, questions: qs.map((q) => JSON.parse(q.body) as QuestionView) },
    final: true,
    total: c.n,
    standings: (rows?.results ?? []) as FinalStanding[],
  };
}

export async function d1Watermark(db: D1Database, battleId: string, shard: number): Promise<number> {
  const row = await db
    .prepare("SELECT seq FROM watermarks WHERE battle_id = ?1 AND shard = ?2")
    .bind(battleId, shard)
    .first<{ seq: number }>();
  return row?.seq ?? 0;
}

/** Postgres watermarks of several (battle, shard) pairs in one query; pairs without a row are left out. */
export async function pgWatermarks(
  sql: postgres.Sql,
  keys: readonly { battle: string; shard: number }[],
): Promise<{ battle: string; shard: number; seq: number }[]> {
  if (keys.length === 0) return [];
  const rows = await sql.unsafe<{ battle: string; shard: number; seq: string }[]>(
    `SELECT w.battle_id AS battle, w.shard, w.seq FROM watermarks w
     JOIN jsonb_to_recordset($1::text::jsonb) AS k(battle text, shard smallint)
       ON w.battle_id = k.battle AND w.shard = k.shard`,
    [JSON.stringify(keys)],
  );
  return rows.map((r) => ({ battle: r.battle, shard: Number(r.shard), seq: Number(r.seq) }));
}

export type { PgBattleRows };

export async function pgBattleRows(sql: postgres.Sql, battleId: string): Promise<PgBattleRows> {
  const participants = await sql.unsafe<Omit<FinalStanding, "rank">[]>(
    `SELECT participant_id AS id, username, score, correct, arrows, shields
     FROM participants WHERE battle_id = $1 ORDER BY participant_id`,
    [battleId],
  );
  const results = await sql.unsafe<FinalStanding[]>(
    `SELECT rank, participant_id AS id, username, score, correct, arrows, shields
     FROM final_results WHERE battle_id = $1 ORDER BY rank`,
    [battleId],
  );
  const [counts] = await sql.unsafe<{ answers: string; attacks: string }[]>(
    `SELECT (SELECT count(*) FROM answers WHERE battle_id = $1) AS answers,
            (SELECT count(*) FROM attacks WHERE battle_id = $1) AS attacks`,
    [battleId],
  );
  return {
    participants: [...participants],
    results: [...results],
    answers: Number(counts?.answers ?? 0),
    attacks: Number(counts?.attacks ?? 0),
  };
}

export async function d1Results(db: D1Database, battleId: string): Promise<FinalStanding[]> {
  const { results } = await db
    .prepare(
      `SELECT rank, participant_id AS id, username, score, correct, arrows, shields
       FROM results WHERE battle_id = ?1 ORDER BY rank`,
    )
    .bind(battleId)
    .all<FinalStanding>();
  return results;
}

/** Every answer and attack of a battle in Postgres, as reconciliation compares them with the objects'. */
export async function pgRecords(sql: postgres.Sql, battleId: string): Promise<StoredRecord[]> {
  const answers = await sql.unsafe<{ p: number; q: string; n: number; a: string; c: boolean; pts: number }[]>(
    `SELECT participant_id AS p, question_id AS q, attempt AS n, answer AS a, correct AS c, points AS pts
     FROM answers WHERE battle_id = $1`,
    [battleId],
  );
  const attacks = await sql.unsafe<{ p: number; x: number; bl: boolean; lost: number; at: string }[]>(
    `SELECT attacker_id AS p, target_id AS x, blocked AS bl, points_lost AS lost, at FROM attacks
     WHERE battle_id = $1`,
    [battleId],
  );
  return [
    ...answers.map((r) => ({ kind: "answer" as const, key: [], ...r })),
    ...attacks.map((r) => ({ kind: "attack" as const, key: [], ...r, at: Number(r.at) })),
  ];
}
