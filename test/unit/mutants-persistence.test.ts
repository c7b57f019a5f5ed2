/**
 * @module The consumer's write plan (`planApply`) row by row, as mutation testing (docs/mutation.md) found it
 * unpinned: every event kind lands in its rows, the newest battle, session, state and final row win whatever the
 * order, rows are keyed so a redelivery is one row, and the watermark keys, ranges and guards are listed once.
 */
import { describe, expect, it } from "vitest";
import { planApply } from "../../src/persistence/apply-plan";
import type { BattleEvent, BattleIndexView, FinalRow } from "../../src/persistence/events";
import type { ParsedMessage } from "../../src/persistence/message";
import type { BattleView } from "../../src/protocol/server-messages";

function message(
  battle: string,
  shard: number,
  events: readonly (readonly [number, BattleEvent])[],
  incarnation = "inc-1",
): ParsedMessage {
  const seqs = events.map(([seq]) => seq);
  return {
    battle,
    incarnation,
    shard,
    from: seqs.length > 0 ? Math.min(...seqs) : 1,
    to: seqs.length > 0 ? Math.max(...seqs) : 1,
    events: events.map(([seq, ev]) => ({ seq, ev })),
  };
}

const index = (status: BattleIndexView["status"]): BattleIndexView => ({
  id: "ignored",
  title: "Quiz",
  status,
  startsAt: 100,
  endsAt: 700,
  durationMs: 600,
  maxPlayers: 50,
  createdAt: 10,
});

const endedView = { id: "b", title: "Quiz", status: "ended", questions: [] } as unknown as BattleView;

describe("planApply: every event kind lands in its rows", () => {
  const events: (readonly [number, BattleEvent])[] = [
    [1, { k: "battle", why: "created", at: 10, b: index("scheduled") }],
    [2, { k: "join", p: 1, u: "ann", s: "s-ann", at: 20, st: [0, 3, 1, 0, 20] }],
    [3, { k: "join", p: 2, u: "bob", s: "s-bob", at: 21, st: [0, 3, 0, 0, 21] }],
    [
      4,
      {
        k: "answer",
        p: 1,
        q: "q1",
        n: 1,
        a: "1",
        c: 1,
        pts: 12,
        bo: 2,
        at: 30,
        st: [12, 4, 1, 1, 30],
      },
    ],
    [5, { k: "answer", p: 2, q: "q1", n: 1, a: "0", c: 0, pts: 0, bo: 0, at: 31, st: [0, 3, 0, 0, 21] }],
    [
      6,
      {
        k: "attack",
        p: 2,
        x: 1,
        bl: 1,
        lost: 0,
        at: 40,
        st: [0, 2, 0, 0, 21],
        xs: [12, 4, 0, 1, 30],
      },
    ],
    [
      7,
      {
        k: "attack",
        p: 2,
        x: 1,
        bl: 0,
        lost: 1,
        at: 41,
        st: [0, 1, 0, 0, 21],
        xs: [11, 4, 0, 1, 41],
      },
    ],
    [8, { k: "state", p: 2, at: 45, st: [0, 2, 0, 0, 21] }],
    [9, { k: "session", p: 1, s: "s-ann-2", at: 50 }],
    [10, { k: "questions", i: 0, q: [{ id: "q1", text: "2+2", kind: "exact", points: 10 }] }],
    [
      11,
      {
        k: "final",
        total: 2,
        rows: [
          [1, 1, "ann", 11, 1, 4, 0],
          [2, 2, "bob", 0, 0, 2, 0],
        ],
      },
    ],
  ];
  // Planned inside each test, so a mutation-testing run attributes the coverage to the tests.
  const planned = () => planApply([message("b", 0, events)]);

  it("battle rows take the message's battle id, seq, no view and no question count", () => {
    const plan = planned();
    expect(plan.battles).toEqual([{ ...index("scheduled"), id: "b", seq: 1, view: null, qn: null }]);
  });

  it("participant rows merge the join, the newest state and session, and the latest activity", () => {
    const plan = planned();
    expect(plan.participants).toEqual([
      {
        battle: "b",
        id: 1,
        username: "ann",
        joinedAt: 20,
        session: "s-ann-2",
        sessionSeq: 9,
        state: [11, 4, 0, 1, 41],
        stateSeq: 7,
        lastActivity: 50,
      },
      {
        battle: "b",
        id: 2,
        username: "bob",
        joinedAt: 21,
        session: "s-bob",
        sessionSeq: 3,
        state: [0, 2, 0, 0, 21],
        stateSeq: 8,
        lastActivity: 45,
      },
    ]);
  });

  it("answer and attack rows carry every field, with correct and blocked as booleans", () => {
    const plan = planned();
    expect(plan.answers).toEqual([
      { battle: "b", shard: 0, seq: 4, p: 1, q: "q1", n: 1, a: "1", c: true, pts: 12, bo: 2, at: 30 },
      { battle: "b", shard: 0, seq: 5, p: 2, q: "q1", n: 1, a: "0", c: false, pts: 0, bo: 0, at: 31 },
    ]);
    expect(plan.attacks).toEqual([
      { battle: "b", shard: 0, seq: 6, p: 2, x: 1, bl: true, lost: 0, at: 40 },
      { battle: "b", shard: 0, seq: 7, p: 2, x: 1, bl: false, lost: 1, at: 41 },
    ]);
  });

  it("question rows and final rows are listed; nothing is quarantined or re-applied", () => {
    const plan = planned();
    expect(plan.questions).toEqual([
      { battle: "b", idx: 0, body: JSON.stringify({ id: "q1", text: "2+2", kind: "exact", points: 10 }) },
    ]);
    expect(plan.results).toEqual([
      { battle: "b", seq: 11, row: [1, 1, "ann", 11, 1, 4, 0], total: 2 },
      { battle: "b", seq: 11, row: [2, 2, "bob", 0, 0, 2, 0], total: 2 },
    ]);
    expect(plan.quarantine).toEqual([]);
    expect(plan.reapplied).toEqual([]);
    expect(plan.guards).toEqual([{ battle: "b", incarnation: "inc-1" }]);
    expect(plan.ranges).toEqual([{ battle: "b", shard: 0, from: 1, to: 11 }]);
    expect(plan.keys).toEqual([{ battle: "b", shard: 0 }]);
  });
});

describe("planApply: the newest row wins whatever the order", () => {
  const both = <T>(a: ParsedMessage, b: ParsedMessage, read: (p: ReturnType<typeof planApply>) => T) => {
    const one = read(planApply([a, b]));
    expect(read(planApply([b, a]))).toEqual(one);
    return one;
  };

  it("the battle row is the highest seq's, with its view as JSON and its question count", () => {
    const created = message("b", 0, [[1, { k: "battle", why: "created", at: 10, b: index("scheduled") }]]);
    const ended = message("b", 0, [
      [9, { k: "battle", why: "ended", at: 90, b: index("ended"), v: endedView, qn: 3 }],
    ]);
    expect(both(created, ended, (p) => p.battles)).toEqual([
      { ...index("ended"), id: "b", seq: 9, view: JSON.stringify(endedView), qn: 3 },
    ]);
  });

  it("the session is the highest seq's: a join does not undo a later session change, nor an older one a join", () => {
    const join = message("b", 0, [
      [5, { k: "join", p: 1, u: "ann", s: "s-join", at: 50, st: [0, 3, 1, 0, 50] }],
    ]);
    const later = message("b", 0, [[8, { k: "session", p: 1, s: "s-later", at: 80 }]]);
    const older = message("b", 0, [[3, { k: "session", p: 1, s: "s-older", at: 30 }]]);
    expect(
      both(join, later, (p) => p.participants.map((r) => [r.session, r.sessionSeq, r.lastActivity])),
    ).toEqual([["s-later", 8, 80]]);
    expect(
      both(join, older, (p) => p.participants.map((r) => [r.session, r.sessionSeq, r.username])),
    ).toEqual([["s-join", 5, "ann"]]);
  });

  it("last activity is the latest event time, not the last one applied", () => {
    const early = message("b", 0, [[4, { k: "state", p: 1, at: 400, st: [1, 1, 1, 1, 400] }]]);
    const late = message("b", 0, [[6, { k: "state", p: 1, at: 300, st: [2, 2, 2, 2, 300] }]]);
    const session = message("b", 0, [[2, { k: "session", p: 1, s: "s", at: 100 }]]);
    expect(both(early, late, (p) => p.participants[0]!.lastActivity)).toBe(400);
    expect(both(early, late, (p) => [p.participants[0]!.state, p.participants[0]!.stateSeq])).toEqual([
      [2, 2, 2, 2, 300],
      6,
    ]);
    expect(both(session, early, (p) => p.participants[0]!.lastActivity)).toBe(400);
  });

  it("a final standings row is the newest final event's for that participant", () => {
    const row = (score: number): FinalRow => [1, 7, "ann", score, 1, 0, 0];
    const first = message("b", 0, [
      [10, { k: "final", total: 2, rows: [row(5), [2, 8, "bob", 1, 0, 0, 0]] }],
    ]);
    const again = message("b", 0, [[12, { k: "final", total: 2, rows: [row(6)] }]]);
    expect(both(first, again, (p) => p.results.map((r) => [r.row[1], r.row[3], r.seq]))).toEqual([
      [7, 6, 12],
      [8, 1, 10],
    ]);
  });
});

describe("planApply: rows and keys", () => {
  it("a participant seen only through a session change has the empty state snapshot", () => {
    const plan = planApply([message("b", 0, [[3, { k: "session", p: 4, s: "s", at: 30 }]])]);
    expect(plan.participants).toEqual([
      {
        battle: "b",
        id: 4,
        username: null,
        joinedAt: null,
        session: "s",
        sessionSeq: 3,
        state: [0, 0, 0, 0, 0],
        stateSeq: 0,
        lastActivity: 30,
      },
    ]);
  });

  it("a cross-shard attack written by the target's shard takes only the target's state", () => {
    const attack: BattleEvent = {
      k: "attack",
      p: 2,
      x: 1,
      bl: 0,
      lost: 1,
      at: 40,
      st: [0, 2, 0, 0, 21],
      xs: [9, 4, 0, 1, 40],
      r: 1,
    };
    const plan = planApply([message("b", 1, [[6, attack]])]);
    expect(plan.participants.map((r) => [r.id, r.state, r.stateSeq])).toEqual([[1, [9, 4, 0, 1, 40], 6]]);
    const local = planApply([message("b", 1, [[6, { ...attack, r: undefined }]])]);
    expect(local.participants.map((r) => [r.id, r.state])).toEqual([
      [2, [0, 2, 0, 0, 21]],
      [1, [9, 4, 0, 1, 40]],
    ]);
  });

  it("questions are numbered from each event's first index, whatever the sizes of the chunks", () => {
    const q = (id: string) => ({ id, text: id, kind: "exact" as const, points: 1 });
    const plan = planApply([
      message("b", 0, [
        [20, { k: "questions", i: 0, q: [q("a")] }],
        [21, { k: "questions", i: 1, q: [q("b"), q("c")] }],
        [22, { k: "questions", i: 3, q: [q("d"), q("e"), q("f")] }],
      ]),
    ]);
    expect(plan.questions.map((r) => [r.battle, r.idx, JSON.parse(r.body).id])).toEqual([
      ["b", 0, "a"],
      ["b", 1, "b"],
      ["b", 2, "c"],
      ["b", 3, "d"],
      ["b", 4, "e"],
      ["b", 5, "f"],
    ]);
  });

  it("answers are keyed by (battle, shard, seq): a redelivery is one row, other seqs and shards are more", () => {
    const answer = (p: number): BattleEvent => ({
      k: "answer",
      p,
      q: "q",
      n: 1,
      a: "x",
      c: 0,
      pts: 0,
      bo: 0,
      at: 5,
      st: [0, 0, 0, 0, 0],
    });
    const m = message("b", 0, [
      [3, answer(1)],
      [4, answer(2)],
    ]);
    const plan = planApply([m, m, message("b", 1, [[3, answer(9)]])]);
    expect(plan.answers.map((r) => [r.shard, r.seq, r.p])).toEqual([
      [0, 3, 1],
      [0, 4, 2],
      [1, 3, 9],
    ]);
  });

  it("watermark keys are unique and sorted by battle, then shard as a number; ranges and guards are listed once", () => {
    const plan = planApply([
      { ...message("b", 2, []), from: 1, to: 4, incarnation: "b-1" },
      { ...message("b", 10, []), from: 1, to: 2, incarnation: "b-1" },
      { ...message("a", 50, []), from: 5, to: 6, incarnation: "a-1" },
      { ...message("b", 0, []), from: 1, to: 3, incarnation: "b-1" },
      { ...message("a", 50, []), from: 5, to: 6, incarnation: "a-1" },
      { ...message("a", 50, []), from: 7, to: 9, incarnation: "a-1" },
    ]);
    expect(plan.keys).toEqual([
      { battle: "a", shard: 50 },
      { battle: "b", shard: 0 },
      { battle: "b", shard: 2 },
      { battle: "b", shard: 10 },
    ]);
    expect(plan.ranges).toEqual([
      { battle: "b", shard: 2, from: 1, to: 4 },
      { battle: "b", shard: 10, from: 1, to: 2 },
      { battle: "a", shard: 50, from: 5, to: 6 },
      { battle: "b", shard: 0, from: 1, to: 3 },
      { battle: "a", shard: 50, from: 7, to: 9 },
    ]);
    expect(plan.guards).toEqual([
      { battle: "b", incarnation: "b-1" },
      { battle: "a", incarnation: "a-1" },
    ]);
  });

  it("watermark keys order battles by name before shards, however the shards compare", () => {
    const plan = planApply([message("z", 0, []), message("a", 9, []), message("m", 3, [])]);
    expect(plan.keys).toEqual([
      { battle: "a", shard: 9 },
      { battle: "m", shard: 3 },
      { battle: "z", shard: 0 },
    ]);
  });
});
