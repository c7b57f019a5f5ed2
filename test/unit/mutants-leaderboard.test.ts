/**
 * @module Leaderboard behaviour that mutation testing (docs/mutation.md) found unpinned: `remove` never loses another
 * participant whatever their ids collide on (on a new or a cleared board), `clear` forgets the remembered rank and
 * the out-of-range scores behind dense ranks, `mergeTop` refuses an invalid n, and a `RowsView` snapshot refuses a
 * participant listed twice and answers `top(n)` and `size` as a shard must.
 */
import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../loadtest/prng";
import { Leaderboard, mergeTop, RowsView, type Standing } from "../../src/leaderboard";

const T = 1_700_000_000_000;

describe("Leaderboard.remove", () => {
  it("never loses another participant, whatever slots their ids share (seeded small boards)", () => {
    // Boards of 3 to 7 ids drawn from 0..999 keep the id table at its smallest size, where runs of colliding ids
    // (including runs that wrap past the table's end) are common; every removal order is then checked.
    // Even rounds use a new board, odd ones a board emptied by `clear` (which resets the table to its smallest size).
    const random = mulberry32(2026);
    const reused = new Leaderboard();
    for (let round = 0; round < 1000; round++) {
      const n = 3 + Math.floor(random() * 5);
      const ids = new Set<number>();
      while (ids.size < n) ids.add(Math.floor(random() * 1000));
      if (round % 2 === 1) reused.clear();
      const board = round % 2 === 0 ? new Leaderboard() : reused;
      const model = new Map<number, Standing>();
      for (const id of ids) {
        const s = { id, score: Math.floor(random() * 4), reachedAt: T + Math.floor(random() * 3) };
        board.set(id, s.score, s.reachedAt);
        model.set(id, s);
      }
      const order = [...ids].sort(() => random() - 0.5);
      for (const gone of order) {
        expect(board.remove(gone)).toBe(true);
        model.delete(gone);
        expect(board.has(gone)).toBe(false);
        const sorted = [...model.values()].sort(
          (a, b) => b.score - a.score || a.reachedAt - b.reachedAt || a.id - b.id,
        );
        expect(board.toRows()).toEqual(sorted);
        for (const [i, s] of sorted.entries()) {
          expect([s.id, board.get(s.id), board.rankOf(s.id)]).toEqual([s.id, s, i + 1]);
        }
      }
      expect(board.size).toBe(0);
    }
  });
});

describe("Leaderboard.clear", () => {
  it("forgets every rank, including the one remembered from the last update", () => {
    const board = new Leaderboard();
    board.set(2, 10, T);
    board.set(3, 20, T);
    board.set(1, 5, T);
    expect(board.rankOf(1)).toBe(3);
    board.clear();
    expect([1, 2, 3].map((id) => board.rankOf(id))).toEqual([undefined, undefined, undefined]);
    board.set(4, 1, T);
    expect([board.rankOf(1), board.rankOf(4)]).toEqual([undefined, 1]);
    // The emptied board takes as many participants as a new one (its id table grows again from the smallest size).
    for (let id = 10; id < 40; id++) board.set(id, id, T);
    expect(board.size).toBe(31);
    expect(board.top(3).map((s) => s.id)).toEqual([39, 38, 37]);
    expect([board.rankOf(4), board.rankOf(10), board.get(25)]).toEqual([
      31,
      30,
      { id: 25, score: 25, reachedAt: T },
    ]);
  });

  it("forgets the scores above and below the bucketed range, so dense ranks start again from 1", () => {
    const board = new Leaderboard();
    board.set(1, 2 ** 20, T);
    board.set(2, -5, T);
    board.set(3, 7, T);
    expect(board.displayRank(3, "dense")).toBe(2);
    board.clear();
    board.set(4, 7, T);
    board.set(5, -1, T);
    expect(board.displayRank(4, "dense")).toBe(1);
    expect(board.displayRank(5, "dense")).toBe(2);
    expect(board.displayRank(5, "competition")).toBe(2);
  });
});

describe("shard merging inputs", () => {
  const rows: Standing[] = [
    { id: 1, score: 30, reachedAt: T },
    { id: 2, score: 20, reachedAt: T },
    { id: 3, score: 10, reachedAt: T },
  ];

  it("mergeTop refuses a negative or fractional n", () => {
    const views = [new RowsView(rows)];
    expect(() => mergeTop(views, -1)).toThrow(RangeError);
    expect(() => mergeTop(views, 1.5)).toThrow(RangeError);
    expect(() => mergeTop(views, Number.NaN)).toThrow(RangeError);
    expect(mergeTop(views, 2).map((s) => s.id)).toEqual([1, 2]);
  });

  it("a RowsView refuses a snapshot listing a participant twice", () => {
    expect(() => new RowsView([rows[0]!, rows[0]!])).toThrow(RangeError);
    expect(() => new RowsView([rows[0]!, { ...rows[0]! }])).toThrow(RangeError);
  });

  it("a RowsView counts its rows and returns at most n of them from top(n)", () => {
    const view = new RowsView(rows);
    expect(view.size).toBe(3);
    expect(view.top(2)).toEqual(rows.slice(0, 2));
    expect(view.top(0)).toEqual([]);
    expect(view.top(-1)).toEqual([]);
    expect(view.top(10)).toEqual(rows);
    expect(new RowsView([]).size).toBe(0);
  });
});
