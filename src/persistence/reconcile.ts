/**
 * @module Reconciliation (pure): compares a battle's standings and stored rows in its objects (the source of
 * truth) with what D1 and Postgres hold: participants' totals, every answer and attack by content, the final
 * results in both sinks. It is clean only when both sinks hold everything the objects committed: events still in
 * flight (not confirmed by a sink), open dead letters and quarantined events are each listed as differences.
 */

import type { FinalStanding } from "../protocol/http-messages";
import type { Confirmed } from "./outbox";
import type { PgBattleRows, StoredRecord } from "./records";

export interface ReconcileInput {
  readonly final: boolean;
  readonly standings: readonly FinalStanding[];
  readonly stored: { readonly answers: number; readonly attacks: number };
  readonly pg: PgBattleRows;
  readonly d1Results: readonly FinalStanding[];
  /** Every stream of the battle: what its object wrote and what each sink confirmed. */
  readonly streams?: readonly {
    readonly shard: number;
    readonly lastSeq: number;
    readonly confirmed: Confirmed;
  }[];
  /** Open dead letters of the battle (neither replayed nor superseded). */
  readonly deadLetters?: number;
  /** Open quarantined events of the battle in either sink. */
  readonly quarantined?: readonly {
    readonly sink: string;
    readonly shard: number;
    readonly seq: number;
    readonly error: string;
  }[];
  /** The objects' stored answers and attacks, and Postgres's, compared by content when given. */
  readonly records?: { readonly object: readonly StoredRecord[]; readonly pg: readonly StoredRecord[] };
}

export interface ReconcileReport {
  readonly clean: boolean;
  readonly participants: number;
  /** At most 100 differences, each `where: what`. */
  readonly differences: string[];
}

const FIELDS = ["username", "score", "correct", "arrows", "shields"] as const;
const MAX_DIFFERENCES = 100;

/** What identifies a record (answers: participant, question, attempt; attacks: all of it, compared as a multiset). */
function recordKey(r: StoredRecord): string {
  return r.kind === "answer"
    ? `answer participant ${r.p} question ${JSON.stringify(r.q)} attempt ${r.n}`
    : `attack ${r.p}→${r.x} blocked ${r.bl} lost ${r.lost} at ${r.at}`;
}

function recordContent(r: StoredRecord): string {
  return r.kind === "answer" ? JSON.stringify([r.a, r.c, r.pts]) : "";
}

export function reconcile(input: ReconcileInput): ReconcileReport {
  const diffs: string[] = [];
  let more = 0;
  const add = (d: string) => {
    if (diffs.length < MAX_DIFFERENCES) diffs.push(d);
    else more++;
  };
  for (const st of input.streams ?? []) {
    for (const sink of ["d1", "pg"] as const) {
      if (st.confirmed[sink] < st.lastSeq) {
        add(
          `in flight: stream ${st.shard} seqs ${st.confirmed[sink] + 1}..${st.lastSeq} not confirmed by ${sink}`,
        );
      }
    }
  }
  if ((input.deadLetters ?? 0) > 0) add(`dead letters: ${input.deadLetters} open`);
  for (const q of input.quarantined ?? []) {
    add(`${q.sink} quarantine: stream ${q.shard} seq ${q.seq} refused (${q.error})`);
  }
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
  if (input.records) {
    // Multisets by key: an attack may repeat exactly (same players, same millisecond).
    const count = (rows: readonly StoredRecord[]) => {
      const m = new Map<string, string[]>();
      for (const r of rows) {
        const k = recordKey(r);
        const list = m.get(k);
        if (list) list.push(recordContent(r));
        else m.set(k, [recordContent(r)]);
      }
      return m;
    };
    const want = count(input.records.object);
    const got = count(input.records.pg);
    for (const [k, contents] of want) {
      const have = got.get(k) ?? [];
      if (have.length < contents.length) add(`postgres ${k}: missing`);
      else if (k.startsWith("answer") && have[0] !== contents[0]) {
        add(`postgres ${k}: is ${have[0]}, object has ${contents[0]}`);
      }
    }
    for (const [k, have] of got) {
      if (have.length > (want.get(k)?.length ?? 0)) add(`postgres ${k}: not in the object`);
    }
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
  if (more > 0) diffs.push(`… and ${more} more`);
  return { clean: diffs.length === 0, participants: input.standings.length, differences: diffs };
}
