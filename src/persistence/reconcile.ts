/**
 * @module Reconciliation (pure): compares a battle's standings in its object (the source of truth) with the rows in
 * Postgres (participants' totals, answer and attack counts, final results) and D1 (final results), row by row.
 */
import type { FinalStanding } from "../protocol/http-messages";
import type { PgBattleRows } from "./sink-reads";

export interface ReconcileInput {
  readonly final: boolean;
  readonly standings: readonly FinalStanding[];
  readonly stored: { readonly answers: number; readonly attacks: number };
  readonly pg: PgBattleRows;
  readonly d1Results: readonly FinalStanding[];
}

export interface ReconcileReport {
  readonly clean: boolean;
  readonly participants: number;
  /** At most 100 differences, each `where: what`. */
  readonly differences: string[];
}

const FIELDS = ["username", "score", "correct", "arrows", "shields"] as const;
const MAX_DIFFERENCES = 100;

export function reconcile(input: ReconcileInput): ReconcileReport {
  const diffs: string[] = [];
  const add = (d: string) => {
    if (diffs.length < MAX_DIFFERENCES) diffs.push(d);
  };
  const compare = (
    where: string,
    want: FinalStanding,
    got: Partial<FinalStanding> | undefined,
    rank: boolean,
  ) => {
    if (!got) return add(`${where}: participant ${want.id} (${want.username}) missing`);
    for (const f of rank ? (["rank", ...FIELDS] as const) : FIELDS) {
      if (got[f] !== want[f])
        add(`${where}: participant ${want.id} ${f} is ${got[f]}, object has ${want[f]}`);
    }
  };
  const pgById = new Map(input.pg.participants.map((p) => [p.id, p]));
  for (const s of input.standings) compare("postgres participants", s, pgById.get(s.id), false);
  if (input.pg.participants.length !== input.standings.length) {
    add(`postgres participants: ${input.pg.participants.length} rows, object has ${input.standings.length}`);
  }
  if (input.pg.answers !== input.stored.answers) {
    add(`postgres answers: ${input.pg.answers} rows, object has ${input.stored.answers}`);
  }
  if (input.pg.attacks !== input.stored.attacks) {
    add(`postgres attacks: ${input.pg.attacks} rows, object has ${input.stored.attacks}`);
  }
  if (input.final) {
    for (const [where, rows] of [
      ["postgres final_results", input.pg.results],
      ["d1 results", input.d1Results],
    ] as const) {
      const byId = new Map(rows.map((r) => [r.id, r]));
      for (const s of input.standings) compare(where, s, byId.get(s.id), true);
      if (rows.length !== input.standings.length) {
        add(`${where}: ${rows.length} rows, object has ${input.standings.length}`);
      }
    }
  }
  return { clean: diffs.length === 0, participants: input.standings.length, differences: diffs };
}
