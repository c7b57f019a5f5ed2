/**
 * @module Reconciliation (pure): one test per kind of difference, each starting from a clean input and breaking one
 * thing, so every check is shown able to fail; and the clean case, which must report nothing.
 */
import { describe, expect, it } from "vitest";
import { type ReconcileInput, reconcile } from "../../src/persistence/reconcile";
import type { StoredRecord } from "../../src/persistence/records";

const standings = [
  { rank: 1, id: 2, username: "bob", score: 10, correct: 1, arrows: 4, shields: 0 },
  { rank: 2, id: 1, username: "Łukasz", score: 9, correct: 1, arrows: 3, shields: 0 },
];
const records: StoredRecord[] = [
  { kind: "answer", key: [], p: 1, q: "q1", n: 1, a: "4", c: true, pts: 10 },
  { kind: "answer", key: [], p: 2, q: "q1", n: 1, a: "4", c: true, pts: 10 },
  { kind: "attack", key: [], p: 2, x: 1, bl: false, lost: 1, at: 500 },
];

function clean(): ReconcileInput {
  return {
    final: true,
    standings,
    stored: { answers: 2, attacks: 1 },
    pg: {
      participants: standings.map(({ rank: _r, ...p }) => p),
      results: standings,
      answers: 2,
      attacks: 1,
    },
    d1Results: standings,
    streams: [{ shard: 0, lastSeq: 9, confirmed: { d1: 9, pg: 9 } }],
    deadLetters: 0,
    quarantined: [],
    records: { object: records, pg: [...records].reverse() },
  };
}

describe("reconcile", () => {
  it("is clean when both sinks hold everything", () => {
    expect(reconcile(clean())).toEqual({ clean: true, participants: 2, differences: [] });
  });

  it("reports events still in flight, per sink", () => {
    const r = reconcile({ ...clean(), streams: [{ shard: 3, lastSeq: 9, confirmed: { d1: 9, pg: 7 } }] });
    expect(r).toMatchObject({
      clean: false,
      differences: ["in flight: stream 3 seqs 8..9 not confirmed by pg"],
    });
  });

  it("reports open dead letters", () => {
    expect(reconcile({ ...clean(), deadLetters: 2 }).differences).toEqual(["dead letters: 2 open"]);
  });

  it("reports each quarantined event", () => {
    const q = { sink: "pg", shard: 0, seq: 5, error: "23514: check" };
    expect(reconcile({ ...clean(), quarantined: [q] }).differences).toEqual([
      "pg quarantine: stream 0 seq 5 refused (23514: check)",
    ]);
  });

  it("reports a participant missing, or with another total, in Postgres", () => {
    const input = clean();
    const missing = reconcile({
      ...input,
      pg: { ...input.pg, participants: input.pg.participants.slice(0, 1) },
    });
    expect(missing.differences).toEqual([
      "postgres participants: participant 1 (Łukasz) missing",
      "postgres participants: 1 rows, object has 2",
    ]);
    const wrong = reconcile({
      ...input,
      pg: {
        ...input.pg,
        participants: input.pg.participants.map((p) => (p.id === 1 ? { ...p, arrows: 2 } : p)),
      },
    });
    expect(wrong.differences).toEqual(["postgres participants: participant 1 arrows is 2, object has 3"]);
  });

  it("reports answer and attack counts that differ", () => {
    const input = clean();
    expect(reconcile({ ...input, pg: { ...input.pg, answers: 1, attacks: 0 } }).differences).toEqual([
      "postgres answers: 1 rows, object has 2",
      "postgres attacks: 0 rows, object has 1",
    ]);
  });

  it("compares answers and attacks by content", () => {
    const input = clean();
    const changed: StoredRecord[] = [
      { kind: "answer", key: [], p: 1, q: "q1", n: 1, a: "5", c: true, pts: 10 },
      { kind: "answer", key: [], p: 2, q: "q1", n: 1, a: "4", c: true, pts: 10 },
      { kind: "attack", key: [], p: 2, x: 1, bl: true, lost: 0, at: 500 },
    ];
    expect(reconcile({ ...input, records: { object: records, pg: changed } }).differences).toEqual([
      'postgres answer participant 1 question "q1" attempt 1: is ["5",true,10], object has ["4",true,10]',
      "postgres attack 2→1 blocked false lost 1 at 500: missing",
      "postgres attack 2→1 blocked true lost 0 at 500: not in the object",
    ]);
    // The same attack twice in the object (same players, same millisecond) needs two rows.
    const twice = [...records, records[2]!];
    expect(reconcile({ ...input, records: { object: twice, pg: records } }).differences).toEqual([
      "postgres attack 2→1 blocked false lost 1 at 500: missing",
    ]);
  });

  it("checks the final results in both sinks, ranks included, once the battle has ended", () => {
    const input = clean();
    const swapped = [
      { ...standings[0]!, rank: 2 },
      { ...standings[1]!, rank: 1 },
    ];
    const r = reconcile({ ...input, d1Results: swapped, pg: { ...input.pg, results: standings.slice(1) } });
    expect(r.differences).toEqual([
      "postgres final_results: participant 2 (bob) missing",
      "postgres final_results: 1 rows, object has 2",
      "d1 results: participant 2 rank is 2, object has 1",
      "d1 results: participant 1 rank is 1, object has 2",
    ]);
    expect(reconcile({ ...input, final: false, d1Results: [] }).clean).toBe(true);
  });

  it("lists at most 100 differences and says how many more", () => {
    const r = reconcile({
      ...clean(),
      deadLetters: 1,
      quarantined: Array.from({ length: 150 }, (_, i) => ({ sink: "d1", shard: 0, seq: i, error: "x" })),
    });
    expect(r.differences).toHaveLength(101);
    expect(r.differences[100]).toBe("… and 51 more");
  });
});
