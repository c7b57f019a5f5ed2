/**
 * @module Quarantined events (src/persistence/poison.ts): listed per sink for operators and reconciliation, and
 * re-applied on an operator's request once the cause is fixed. A re-apply writes the event the way the consumer
 * would have (idempotent upserts keyed by seq) and marks it re-applied in the same transaction, so it lands once;
 * one the sink still refuses stays quarantined with the new error reported.
 */
import type postgres from "postgres";
import { type ApplyPlan, planApply } from "./apply-plan";
import { applyToD1 } from "./d1-sink";
import { parseMessage } from "./message";
import { applyToPostgres } from "./pg-sink";
import { d1Refuses, errorText, pgRefuses } from "./poison";

export interface Quarantined {
  readonly sink: "d1" | "pg";
  readonly shard: number;
  readonly seq: number;
  /** The event's JSON text as the object wrote it. */
  readonly event: string;
  readonly error: string;
}

/** Open (not re-applied) quarantined events of a battle in Postgres, in seq order (at most `limit`). */
export async function pgQuarantined(
  sql: postgres.Sql,
  battle: string,
  limit = 1_000,
): Promise<Quarantined[]> {
  const rows = await sql.unsafe<{ shard: number; seq: string; event: string; error: string }[]>(
    `SELECT shard, seq, event, error FROM quarantine WHERE battle_id = $1 AND reapplied_at IS NULL
     ORDER BY shard, seq LIMIT $2`,
    [battle, limit],
  );
  return rows.map((r) => ({
    sink: "pg",
    shard: Number(r.shard),
    seq: Number(r.seq),
    event: r.event,
    error: r.error,
  }));
}

export async function d1Quarantined(db: D1Database, battle: string, limit = 1_000): Promise<Quarantined[]> {
  const { results } = await db
    .prepare(
      `SELECT shard, seq, event, error FROM quarantine WHERE battle_id = ?1 AND reapplied_at IS NULL
       ORDER BY shard, seq LIMIT ?2`,
    )
    .bind(battle, limit)
    .all<{ shard: number; seq: number; event: string; error: string }>();
  return results.map((r) => ({ sink: "d1", ...r }));
}

/** The plan that re-applies one quarantined event (no seq range: the watermark is past it already). */
function reapplyPlan(battle: string, q: Quarantined): ApplyPlan | string {
  const parsed = parseMessage(
    `{"v":2,"b":${JSON.stringify(battle)},"s":${q.shard},"f":${q.seq},"t":${q.seq},"e":[[${q.seq},${q.event}]]}`,
  );
  if (typeof parsed === "string") return parsed;
  // No incarnation check: the event is stored under the id its rows have now (an archive renames it with them).
  return {
    ...planApply([parsed]),
    ranges: [],
    keys: [],
    guards: [],
    reapplied: [{ battle, shard: q.shard, seq: q.seq }],
  };
}

export interface ReapplyReport {
  readonly reapplied: { d1: number; pg: number };
  /** Events still refused (or unreadable), with the error of this attempt. */
  readonly failed: { sink: "d1" | "pg"; shard: number; seq: number; error: string }[];
}

/** Re-applies every open quarantined event of `battle` in both sinks; a sink that is down throws. */
export async function reapplyQuarantined(
  db: D1Database,
  sql: postgres.Sql,
  battle: string,
): Promise<ReapplyReport> {
  const report: ReapplyReport = { reapplied: { d1: 0, pg: 0 }, failed: [] };
  const sinks = [
    {
      rows: await d1Quarantined(db, battle),
      apply: (p: ApplyPlan) => applyToD1(db, p, Date.now()),
      refuses: d1Refuses,
    },
    {
      rows: await pgQuarantined(sql, battle),
      apply: (p: ApplyPlan) => applyToPostgres(sql, p),
      refuses: pgRefuses,
    },
  ];
  for (const sink of sinks) {
    for (const q of sink.rows) {
      const plan = reapplyPlan(battle, q);
      if (typeof plan === "string") {
        report.failed.push({ sink: q.sink, shard: q.shard, seq: q.seq, error: plan });
        continue;
      }
      try {
        await sink.apply(plan);
        report.reapplied[q.sink]++;
      } catch (e) {
        if (!sink.refuses(e)) throw e;
        report.failed.push({ sink: q.sink, shard: q.shard, seq: q.seq, error: errorText(e) });
      }
    }
  }
  return report;
}
