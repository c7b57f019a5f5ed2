/** @module Examples of the leaderboard's order, ranks, reads and shard merging. */
import { describe, expect, it } from "vitest";
import {
  compareStandings,
  globalCompetitionRank,
  globalRank,
  Leaderboard,
  mergeTop,
  RowsView,
  type Standing,
} from "../../src/leaderboard";

const T = 1_700_000_000_000;

/** A board where ids 1..4 hold scores 10, 8, 8, 5 and id 2 reached 8 before id 3. */
function sample(): Leaderboard {
  const board = new Leaderboard();
  board.set(3, 8, T + 2);
  board.set(1, 10, T + 5);
  board.set(4, 5, T);
  board.set(2, 8, T + 1);
  return board;
}

const ids = (rows: readonly Standing[]) => rows.map((s) => s.id);

describe("Leaderboard order", () => {
  it("sorts by score descending, then reachedAt ascending, then id ascending", () => {
    const board = new Leaderboard();
    board.set(7, 5, T + 1);
    board.set(9, 5, T);
    board.set(8, 5, T);
    board.set(1, 4, T - 100);
    board.set(2, 6, T + 100);
    expect(ids(board.toRows())).toEqual([2, 8, 9, 7, 1]);
    expect([2, 8, 9, 7, 1].map((id) => board.rankOf(id))).toEqual([1, 2, 3, 4, 5]);
  });

  it("compareStandings agrees with the board's order", () => {
    const a = { id: 1, score: 5, reachedAt: T };
    expect(compareStandings(a, { id: 1, score: 4, reachedAt: T - 1 })).toBeLessThan(0);
    expect(compareStandings(a, { id: 0, score: 5, reachedAt: T + 1 })).toBeLessThan(0);
    expect(compareStandings(a, { id: 2, score: 5, reachedAt: T })).toBeLessThan(0);
    expect(compareStandings(a, { id: 0, score: 5, reachedAt: T })).toBeGreaterThan(0);
    expect(compareStandings(a, { ...a })).toBe(0);
  });

  it("answers nothing for an empty board or an unknown id", () => {
    const board = new Leaderboard();
    expect(board.size).toBe(0);
    expect(board.rankOf(1)).toBeUndefined();
    expect(board.displayRank(1, "dense")).toBeUndefined();
    expect(board.get(1)).toBeUndefined();
    expect(board.has(1)).toBe(false);
    expect(board.at(1)).toBeUndefined();
    expect(board.top(10)).toEqual([]);
    expect(board.around(1, 5)).toEqual([]);
    expect(board.remove(1)).toBe(false);
    expect(board.countAhead(0, 0, 0)).toBe(0);
  });
});

describe("Leaderboard updates", () => {
  it("increment inserts a missing participant at 0 + delta and stamps reachedAt", () => {
    const board = new Leaderboard();
    expect(board.increment(5, 3, T)).toEqual({ id: 5, score: 3, reachedAt: T });
    expect(board.increment(6, 0, T + 1)).toEqual({ id: 6, score: 0, reachedAt: T + 1 });
    expect(board.size).toBe(2);
    expect(board.rankOf(6)).toBe(2);
  });

  it("increment by 0 keeps the score and reachedAt", () => {
    const board = sample();
    expect(board.increment(3, 0, T + 99)).toEqual({ id: 3, score: 8, reachedAt: T + 2 });
    expect(board.rankOf(3)).toBe(3);
  });

  it("a negative delta moves a participant down and restamps reachedAt", () => {
    const board = sample();
    expect(board.increment(2, -1, T + 10)).toEqual({ id: 2, score: 7, reachedAt: T + 10 });
    expect(ids(board.toRows())).toEqual([1, 3, 2, 4]);
    expect(board.increment(2, -7, T + 11).score).toBe(0);
    expect(board.rankOf(2)).toBe(4);
  });

  it("reaching an equal score later ranks behind those who reached it first", () => {
    const board = sample();
    board.increment(4, 3, T + 50);
    expect(ids(board.toRows())).toEqual([1, 2, 3, 4]);
    board.increment(1, -2, T + 60);
    expect(ids(board.toRows())).toEqual([2, 3, 4, 1]);
  });

  it("set moves an existing participant and is a no-op for the same key", () => {
    const board = sample();
    board.set(4, 11, T + 3);
    expect(board.rankOf(4)).toBe(1);
    board.set(4, 11, T + 3);
    expect(board.size).toBe(4);
    board.set(4, 8, T + 1);
    expect(ids(board.toRows())).toEqual([1, 2, 4, 3]);
  });

  it("remove drops the participant and closes the gap", () => {
    const board = sample();
    expect(board.remove(2)).toBe(true);
    expect(board.remove(2)).toBe(false);
    expect(board.size).toBe(3);
    expect(board.has(2)).toBe(false);
    expect(board.rankOf(3)).toBe(2);
    expect(board.rankOf(4)).toBe(3);
  });

  it("the rank read after an update stays right after other updates", () => {
    const board = sample();
    board.increment(4, 10, T + 20);
    expect(board.rankOf(4)).toBe(1);
    board.increment(1, 10, T + 21);
    expect(board.rankOf(4)).toBe(2);
    expect(board.rankOf(1)).toBe(1);
    board.remove(1);
    expect(board.rankOf(4)).toBe(1);
  });

  it("rejects ids, scores and times it cannot order", () => {
    const board = new Leaderboard();
    expect(() => board.set(-1, 0, T)).toThrow(RangeError);
    expect(() => board.set(2 ** 31, 0, T)).toThrow(RangeError);
    expect(() => board.set(1.5, 0, T)).toThrow(RangeError);
    expect(() => board.set(1, 0.5, T)).toThrow(RangeError);
    expect(() => board.set(1, 0, Number.NaN)).toThrow(RangeError);
    expect(() => board.increment(1, Number.POSITIVE_INFINITY, T)).toThrow(RangeError);
    expect(() => board.countAhead(Number.NaN, 0, 0)).toThrow(RangeError);
    expect(board.size).toBe(0);
    board.set(2 ** 31 - 1, 0, T);
    expect(board.has(2 ** 31 - 1)).toBe(true);
  });

  it("keeps working for scores far above the usual range and below zero", () => {
    const board = new Leaderboard();
    board.set(1, 5_000_000_000, T);
    board.set(2, 3_000_000, T);
    board.set(3, 3_000_000, T + 1);
    board.set(4, -2, T);
    board.set(5, 7, T);
    expect(ids(board.toRows())).toEqual([1, 2, 3, 5, 4]);
    expect([1, 2, 3, 5, 4].map((id) => board.displayRank(id, "dense"))).toEqual([1, 2, 2, 3, 4]);
    expect([1, 2, 3, 5, 4].map((id) => board.displayRank(id, "competition"))).toEqual([1, 2, 2, 4, 5]);
    board.remove(2);
    expect(board.displayRank(5, "dense")).toBe(3);
    board.remove(3);
    expect(board.displayRank(5, "dense")).toBe(2);
  });
});

describe("Leaderboard score ranges", () => {
  it("orders scores on both sides of the bucketed range (2^18) and pages across them", () => {
    const board = new Leaderboard();
    board.set(1, 262_143, T);
    board.set(2, 262_144, T);
    board.set(3, -1, T);
    board.set(4, 0, T);
    board.set(5, 262_144, T - 1);
    board.set(6, 1_000_000_000_000, T);
    expect(ids(board.toRows())).toEqual([6, 5, 2, 1, 4, 3]);
    expect(ids(board.page(1, 4))).toEqual([5, 2, 1, 4]);
    expect(board.at(6)?.id).toBe(3);
    expect([6, 5, 2, 1, 4, 3].map((id) => board.rankOf(id))).toEqual([1, 2, 3, 4, 5, 6]);
    expect([6, 5, 2, 1, 4, 3].map((id) => board.displayRank(id, "dense"))).toEqual([1, 2, 2, 3, 4, 5]);
    expect(board.countAhead(262_144, T, 2)).toBe(2);
    expect(board.countAhead(100, T, 0)).toBe(4);
    board.increment(1, 1, T + 1);
    expect(ids(board.toRows())).toEqual([6, 5, 2, 1, 4, 3]);
    board.increment(2, -262_145, T + 2);
    expect(ids(board.toRows())).toEqual([6, 5, 1, 4, 3, 2]);
    expect(Leaderboard.fromRows(board.toRows()).toRows()).toEqual(board.toRows());
  });

  it("keeps a large tie group (everyone at 0 when a battle opens) in order as it fills and drains", () => {
    const board = new Leaderboard();
    for (let id = 0; id < 2_000; id++) board.set(id, 0, T + (id % 7));
    const want = (): number[] =>
      [...Array(2_000).keys()]
        .map((id) => board.get(id)!)
        .sort((x, y) => y.score - x.score || x.reachedAt - y.reachedAt || x.id - y.id)
        .map((s) => s.id);
    expect(ids(board.toRows())).toEqual(want());
    expect(board.rankOf(1_999)).toBe(want().indexOf(1_999) + 1);
    for (let id = 0; id < 2_000; id += 3) board.increment(id, 1 + (id % 4), T + 100 + id);
    expect(ids(board.toRows())).toEqual(want());
    for (let id = 1; id < 2_000; id += 3) board.increment(id, 2, T + 5_000);
    expect(ids(board.toRows())).toEqual(want());
    expect(ids(board.around(1_000, 3))).toEqual(
      want().slice(want().indexOf(1_000) - 3, want().indexOf(1_000) + 4),
    );
  });
});

describe("Leaderboard display ranks", () => {
  it("competition ranking shares a rank and skips after ties (1, 2, 2, 4)", () => {
    const board = sample();
    expect([1, 2, 3, 4].map((id) => board.displayRank(id, "competition"))).toEqual([1, 2, 2, 4]);
  });

  it("dense ranking shares a rank without gaps (1, 2, 2, 3)", () => {
    const board = sample();
    expect([1, 2, 3, 4].map((id) => board.displayRank(id, "dense"))).toEqual([1, 2, 2, 3]);
  });

  it("follows score changes", () => {
    const board = sample();
    board.increment(1, -2, T + 10);
    expect([1, 2, 3, 4].map((id) => board.displayRank(id, "competition"))).toEqual([1, 1, 1, 4]);
    expect([1, 2, 3, 4].map((id) => board.displayRank(id, "dense"))).toEqual([1, 1, 1, 2]);
    expect(board.rankOf(1)).toBe(3);
  });
});

describe("Leaderboard reads", () => {
  it("countAhead counts entries strictly ahead of any key", () => {
    const board = sample();
    expect(board.countAhead(8, T + 1, 2)).toBe(1);
    expect(board.countAhead(8, T + 1, 3)).toBe(2);
    expect(board.countAhead(9, 0, 0)).toBe(1);
    expect(board.countAhead(8, Number.NEGATIVE_INFINITY, 0)).toBe(1);
    expect(board.countAhead(8, Number.POSITIVE_INFINITY, 0)).toBe(3);
    expect(board.countAhead(-1, 0, 0)).toBe(4);
    expect(board.countAhead(100, 0, 0)).toBe(0);
  });

  it("at is 1-based and undefined outside the board", () => {
    const board = sample();
    expect(board.at(1)).toEqual({ id: 1, score: 10, reachedAt: T + 5 });
    expect(board.at(4)?.id).toBe(4);
    expect(board.at(0)).toBeUndefined();
    expect(board.at(5)).toBeUndefined();
    expect(board.at(1.5)).toBeUndefined();
  });

  it("top and page slice the order and stop at the end", () => {
    const board = sample();
    expect(ids(board.top(2))).toEqual([1, 2]);
    expect(ids(board.top(10))).toEqual([1, 2, 3, 4]);
    expect(board.top(0)).toEqual([]);
    expect(ids(board.page(1, 2))).toEqual([2, 3]);
    expect(ids(board.page(3, 5))).toEqual([4]);
    expect(board.page(4, 5)).toEqual([]);
    expect(board.page(99, 5)).toEqual([]);
    expect(() => board.page(-1, 5)).toThrow(RangeError);
    expect(() => board.page(0, 1.5)).toThrow(RangeError);
  });

  it("around returns k above, self and k below, cut at both ends", () => {
    const board = new Leaderboard();
    for (let id = 1; id <= 10; id++) board.set(id, 100 - id, T);
    expect(ids(board.around(5, 2))).toEqual([3, 4, 5, 6, 7]);
    expect(ids(board.around(1, 2))).toEqual([1, 2, 3]);
    expect(ids(board.around(2, 2))).toEqual([1, 2, 3, 4]);
    expect(ids(board.around(10, 2))).toEqual([8, 9, 10]);
    expect(ids(board.around(9, 3))).toEqual([6, 7, 8, 9, 10]);
    expect(ids(board.around(5, 0))).toEqual([5]);
    expect(ids(board.around(5, 50))).toHaveLength(10);
    expect(board.around(11, 2)).toEqual([]);
  });

  it("pages across many leaves of a deep tree", () => {
    const board = new Leaderboard({ leafCapacity: 4, innerCapacity: 4 });
    for (let id = 0; id < 500; id++) board.set(id, id % 37, T + (id % 5));
    const rows = board.toRows();
    expect(rows).toHaveLength(500);
    for (let i = 1; i < rows.length; i++) expect(compareStandings(rows[i - 1]!, rows[i]!)).toBeLessThan(0);
    expect(board.page(123, 50)).toEqual(rows.slice(123, 173));
    const id = rows[250]!.id;
    expect(board.rankOf(id)).toBe(251);
    expect(board.around(id, 5)).toEqual(rows.slice(245, 256));
    for (let id = 0; id < 500; id += 2) board.remove(id);
    expect(board.toRows()).toEqual(rows.filter((s) => s.id % 2 === 1));
  });
});

describe("Leaderboard snapshots", () => {
  it("toRows → fromRows rebuilds the same board", () => {
    const board = sample();
    const copy = Leaderboard.fromRows(board.toRows());
    expect(copy.toRows()).toEqual(board.toRows());
    expect(copy.rankOf(3)).toBe(3);
    copy.increment(4, 10, T + 9);
    expect(copy.rankOf(4)).toBe(1);
    expect(board.rankOf(4)).toBe(4);
  });

  it("fromRows accepts rows in any order and from any iterable", () => {
    const rows = sample().toRows();
    const shuffled = [rows[2]!, rows[0]!, rows[3]!, rows[1]!];
    expect(Leaderboard.fromRows(shuffled).toRows()).toEqual(rows);
    expect(shuffled.map((s) => s.id)).toEqual([3, 1, 4, 2]);
    expect(Leaderboard.fromRows(new Set(shuffled)).toRows()).toEqual(rows);
    expect(Leaderboard.fromRows([]).size).toBe(0);
  });

  it("fromRows rejects duplicate ids and invalid fields", () => {
    expect(() =>
      Leaderboard.fromRows([
        { id: 1, score: 2, reachedAt: T },
        { id: 1, score: 3, reachedAt: T },
      ]),
    ).toThrow(/duplicate id/);
    expect(() => Leaderboard.fromRows([{ id: 1, score: 2.5, reachedAt: T }])).toThrow(RangeError);
  });

  it("clear empties the board", () => {
    const board = sample();
    board.clear();
    expect(board.size).toBe(0);
    expect(board.toRows()).toEqual([]);
    board.increment(1, 1, T);
    expect(board.rankOf(1)).toBe(1);
  });
});

describe("shard merging", () => {
  function shards(): Leaderboard[] {
    const a = new Leaderboard();
    const b = new Leaderboard();
    a.set(1, 50, T);
    a.set(3, 30, T);
    a.set(5, 30, T + 5);
    b.set(2, 40, T);
    b.set(4, 30, T + 1);
    b.set(6, 10, T);
    return [a, b];
  }

  it("mergeTop takes the exact global top n from each shard's top n", () => {
    expect(ids(mergeTop(shards(), 4))).toEqual([1, 2, 3, 4]);
    expect(ids(mergeTop(shards(), 100))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(mergeTop(shards(), 0)).toEqual([]);
    expect(mergeTop([], 3)).toEqual([]);
    expect(ids(mergeTop([new Leaderboard(), ...shards()], 2))).toEqual([1, 2]);
  });

  it("globalRank sums what every shard has ahead", () => {
    const s = shards();
    expect(globalRank(s, { id: 4, score: 30, reachedAt: T + 1 })).toBe(4);
    expect(globalRank(s, { id: 6, score: 10, reachedAt: T })).toBe(6);
    expect(globalRank(s, { id: 99, score: 35, reachedAt: T })).toBe(3);
    expect(globalCompetitionRank(s, 30)).toBe(3);
  });

  it("RowsView answers for a snapshot and rejects rows out of order", () => {
    const [a, b] = shards();
    const views = [new RowsView(a!.toRows()), b!];
    expect(ids(mergeTop(views, 3))).toEqual([1, 2, 3]);
    expect(globalRank(views, { id: 5, score: 30, reachedAt: T + 5 })).toBe(5);
    expect(() => new RowsView([...a!.toRows()].reverse())).toThrow(RangeError);
  });
});
