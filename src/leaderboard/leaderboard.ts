/** @module The order-statistic leaderboard of one battle or shard: O(log n) updates, ranks and positional reads. */
import { DistinctScores } from "./distinct-scores";
import { compareStandings } from "./order";
import { OrderTree, type OrderTreeShape } from "./order-tree";
import type { RankMode, Standing } from "./types";

/** Tree node sizes; the defaults are the measured best, small values exist for tests. */
export type LeaderboardOptions = OrderTreeShape;

const MAX_ID = 0x7fffffff;

function checkId(id: number): void {
  if (!(Number.isInteger(id) && id >= 0 && id <= MAX_ID))
    throw new RangeError(`id must be an integer in [0, 2^31): ${id}`);
}

function checkScore(name: string, value: number): void {
  if (!Number.isSafeInteger(value)) throw new RangeError(`${name} must be a safe integer: ${value}`);
}

function checkTime(at: number): void {
  if (!Number.isFinite(at)) throw new RangeError(`reachedAt must be a finite number: ${at}`);
}

function checkCount(name: string, value: number): void {
  if (!(Number.isInteger(value) && value >= 0))
    throw new RangeError(`${name} must be a non-negative integer: ${value}`);
}

/** -0 would survive the round trip through the tree's negated scores and break equality checks. */
function positiveZero(score: number): number {
  return score === 0 ? 0 : score;
}

/**
 * Participants ordered by score descending, then `reachedAt` ascending, then id ascending.
 *
 * The order lives in a counted B+tree keyed by (−score, reachedAt, id); a map from id to a slot in two
 * typed arrays gives each participant's current key. Scores are safe integers (negative ones work; the
 * game keeps them ≥ 0), `reachedAt` any finite number, ids integers in [0, 2^31).
 */
export class Leaderboard {
  private readonly tree: OrderTree;
  private readonly distinct = new DistinctScores();
  private readonly slotOf = new Map<number, number>();
  private scores = new Float64Array(16);
  private times = new Float64Array(16);
  private readonly freeSlots: number[] = [];
  private slotTop = 0;
  /**
   * Rank of the participant changed last, as the tree computed it during that change: the battle
   * reads the rank right after each score update, which then costs no second descent.
   */
  private lastId = -1;
  private lastRank = 0;
  /** Target of `collect` during a positional read; avoids a closure per call. */
  private sink: Standing[] = [];
  private readonly collect = (a: number, b: number, c: number): void => {
    this.sink.push({ id: c, score: 0 - a, reachedAt: b });
  };

  constructor(options: LeaderboardOptions = {}) {
    this.tree = new OrderTree(options);
  }

  /**
   * Builds a leaderboard from rows in O(n) when they are already in rank order (as `toRows` writes them),
   * O(n log n) otherwise. Throws RangeError on a duplicate id or an invalid field.
   */
  static fromRows(
    rows: Iterable<Standing> | readonly Standing[],
    options: LeaderboardOptions = {},
  ): Leaderboard {
    let list: readonly Standing[] = Array.isArray(rows) ? rows : Array.from(rows);
    let sorted = true;
    for (let i = 0; i < list.length; i++) {
      const row = list[i]!;
      checkId(row.id);
      checkScore("score", row.score);
      checkTime(row.reachedAt);
      if (sorted && i > 0 && compareStandings(list[i - 1]!, row) >= 0) sorted = false;
    }
    if (!sorted) list = [...list].sort(compareStandings);
    const board = new Leaderboard(options);
    const n = list.length;
    const keys = new Float64Array(n * 3);
    board.scores = new Float64Array(Math.max(16, n));
    board.times = new Float64Array(Math.max(16, n));
    for (let i = 0; i < n; i++) {
      const row = list[i]!;
      const score = positiveZero(row.score);
      board.slotOf.set(row.id, i);
      if (board.slotOf.size !== i + 1) throw new RangeError(`duplicate id in rows: ${row.id}`);
      board.scores[i] = score;
      board.times[i] = row.reachedAt;
      board.distinct.add(score);
      keys[i * 3] = -score;
      keys[i * 3 + 1] = row.reachedAt;
      keys[i * 3 + 2] = row.id;
    }
    board.slotTop = n;
    board.tree.load(keys, n);
    return board;
  }

  get size(): number {
    return this.tree.size;
  }

  has(id: number): boolean {
    return this.slotOf.has(id);
  }

  get(id: number): Standing | undefined {
    const slot = this.slotOf.get(id);
    if (slot === undefined) return undefined;
    return { id, score: this.scores[slot]!, reachedAt: this.times[slot]! };
  }

  /** Inserts the participant or moves them to this score and time. */
  set(id: number, score: number, reachedAt: number): void {
    checkScore("score", score);
    checkTime(reachedAt);
    const s = positiveZero(score);
    const slot = this.slotOf.get(id);
    if (slot === undefined) {
      checkId(id);
      this.insertNew(id, s, reachedAt);
      return;
    }
    const old = this.scores[slot]!;
    const oldTime = this.times[slot]!;
    if (old === s && oldTime === reachedAt) return;
    this.move(slot, id, old, oldTime, s, reachedAt);
  }

  /**
   * Adds `delta` to the score (a missing participant starts from 0) and returns the new standing.
   * `reachedAt` becomes `at` when the score changes (or the participant is new) and stays otherwise.
   */
  increment(id: number, delta: number, at: number): Standing {
    checkScore("delta", delta);
    checkTime(at);
    const slot = this.slotOf.get(id);
    if (slot === undefined) {
      checkId(id);
      const score = positiveZero(delta);
      this.insertNew(id, score, at);
      return { id, score, reachedAt: at };
    }
    const old = this.scores[slot]!;
    const oldTime = this.times[slot]!;
    if (delta === 0) return { id, score: old, reachedAt: oldTime };
    const score = old + delta;
    checkScore("score", score);
    this.move(slot, id, old, oldTime, score, at);
    return { id, score, reachedAt: at };
  }

  remove(id: number): boolean {
    const slot = this.slotOf.get(id);
    if (slot === undefined) return false;
    this.forget();
    const score = this.scores[slot]!;
    this.tree.remove(-score, this.times[slot]!, id);
    this.distinct.remove(score);
    this.slotOf.delete(id);
    this.freeSlots.push(slot);
    return true;
  }

  /** 1-based position in the total order. */
  rankOf(id: number): number | undefined {
    if (id === this.lastId) return this.lastRank;
    const slot = this.slotOf.get(id);
    if (slot === undefined) return undefined;
    return this.tree.countLess(-this.scores[slot]!, this.times[slot]!, id) + 1;
  }

  /** Rank as shown to players, where equal scores share a rank (see RankMode). */
  displayRank(id: number, mode: RankMode): number | undefined {
    const slot = this.slotOf.get(id);
    if (slot === undefined) return undefined;
    const score = this.scores[slot]!;
    if (mode === "dense") return this.distinct.distinctAbove(score) + 1;
    return this.tree.countLess(-score, Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY) + 1;
  }

  /**
   * Entries strictly ahead of the key (score, reachedAt, id), which need not be present.
   * `reachedAt = -Infinity` counts the entries with a strictly higher score.
   */
  countAhead(score: number, reachedAt: number, id: number): number {
    if (Number.isNaN(score) || Number.isNaN(reachedAt) || Number.isNaN(id))
      throw new RangeError("countAhead key must not contain NaN");
    return this.tree.countLess(-score, reachedAt, id);
  }

  /** The standing at a 1-based position. */
  at(position: number): Standing | undefined {
    if (!Number.isInteger(position) || position < 1 || position > this.size) return undefined;
    return this.read(position - 1, 1)[0];
  }

  top(n: number): Standing[] {
    return this.page(0, n);
  }

  /** Up to `limit` standings from the 0-based `offset`, in order. */
  page(offset: number, limit: number): Standing[] {
    checkCount("offset", offset);
    checkCount("limit", limit);
    return this.read(offset, limit);
  }

  /** Up to `k` standings above the participant, the participant, and up to `k` below; [] if unknown. */
  around(id: number, k: number): Standing[] {
    checkCount("k", k);
    const slot = this.slotOf.get(id);
    if (slot === undefined) return [];
    const pos = this.tree.countLess(-this.scores[slot]!, this.times[slot]!, id);
    const start = Math.max(0, pos - k);
    return this.read(start, pos + k + 1 - start);
  }

  /** Every standing in rank order; `fromRows` rebuilds from it in linear time. */
  toRows(): Standing[] {
    return this.read(0, this.size);
  }

  clear(): void {
    this.forget();
    this.tree.clear();
    this.distinct.clear();
    this.slotOf.clear();
    this.freeSlots.length = 0;
    this.slotTop = 0;
  }

  private read(offset: number, limit: number): Standing[] {
    const out: Standing[] = [];
    this.sink = out;
    this.tree.forEach(offset, limit, this.collect);
    this.sink = [];
    return out;
  }

  private insertNew(id: number, score: number, at: number): void {
    let slot = this.freeSlots.pop();
    if (slot === undefined) {
      slot = this.slotTop++;
      if (slot >= this.scores.length) {
        const scores = new Float64Array(this.scores.length * 2);
        scores.set(this.scores);
        this.scores = scores;
        const times = new Float64Array(this.times.length * 2);
        times.set(this.times);
        this.times = times;
      }
    }
    this.slotOf.set(id, slot);
    this.scores[slot] = score;
    this.times[slot] = at;
    this.distinct.add(score);
    this.remember(id, this.tree.insert(-score, at, id));
  }

  /** Every mutation ends here or in `forget`, so the remembered position is never stale. */
  private remember(id: number, position: number): void {
    this.lastId = id;
    this.lastRank = position + 1;
  }

  private forget(): void {
    this.lastId = -1;
  }

  private move(slot: number, id: number, old: number, oldTime: number, score: number, at: number): void {
    this.remember(id, this.tree.move(-old, oldTime, id, -score, at, id));
    if (old !== score) {
      this.distinct.remove(old);
      this.distinct.add(score);
    }
    this.scores[slot] = score;
    this.times[slot] = at;
  }
}
