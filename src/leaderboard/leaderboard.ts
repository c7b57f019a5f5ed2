/** @module The order-statistic leaderboard of one battle or shard: O(log n) updates, ranks and positional reads. */
import { compareStandings } from "./order";
import { OrderTree } from "./order-tree";
import { OverflowScores } from "./overflow-scores";
import { ParticipantTable } from "./participants";
import { ScoreBuckets, type ScoreBucketsShape } from "./score-buckets";
import type { RankMode, Standing } from "./types";

/** Internal sizes; the defaults suit the game, small values let tests reach every code path. */
export type LeaderboardOptions = ScoreBucketsShape;

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

/** -0 would come back from the overflow tree's negated scores as 0 and break equality checks. */
function positiveZero(score: number): number {
  return score === 0 ? 0 : score;
}

/**
 * Participants ordered by score descending, then `reachedAt` ascending, then id ascending.
 *
 * Scores in [0, 2^18) live in per-score buckets under Fenwick trees (rank = entries with a higher score +
 * position within the score); any other safe-integer score goes to a counted B+tree keyed
 * (−score, reachedAt, id), ahead of the buckets when above their range and behind them when negative.
 * A hash table maps each id to its current (score, reachedAt). Ids are integers in [0, 2^31).
 */
export class Leaderboard {
  private participants = new ParticipantTable();
  private readonly buckets: ScoreBuckets;
  private readonly overflow: OrderTree;
  private readonly overflowScores = new OverflowScores();
  /** Overflow entries above the bucketed range: they rank ahead of every bucketed entry, negative ones behind. */
  private highCount = 0;
  /**
   * Rank of the participant changed last, as computed during that change: the battle reads the rank right
   * after each score update, which then costs no second lookup.
   */
  private lastId = -1;
  private lastRank = 0;
  /** Target of the collectors during a positional read; avoids closures per call. */
  private sink: Standing[] = [];
  private readonly collectBucketed = (score: number, t: number, id: number): void => {
    this.sink.push({ id, score, reachedAt: t });
  };
  private readonly collectOverflow = (negScore: number, t: number, id: number): void => {
    this.sink.push({ id, score: 0 - negScore, reachedAt: t });
  };

  constructor(options: LeaderboardOptions = {}) {
    this.buckets = new ScoreBuckets(options);
    this.overflow = new OrderTree(options);
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
    board.participants = new ParticipantTable(list.length);
    const overflowKeys: number[] = [];
    for (const row of list) {
      const score = positiveZero(row.score);
      if (board.participants.find(row.id) !== -1) throw new RangeError(`duplicate id in rows: ${row.id}`);
      board.participants.insert(row.id, score, row.reachedAt);
      if (board.buckets.holds(score)) {
        board.buckets.append(score, row.reachedAt, row.id);
        continue;
      }
      overflowKeys.push(-score, row.reachedAt, row.id);
      board.overflowScores.add(score);
      if (score >= 0) board.highCount++;
    }
    board.buckets.finishAppend();
    board.overflow.load(Float64Array.from(overflowKeys), overflowKeys.length / 3);
    return board;
  }

  get size(): number {
    return this.participants.size;
  }

  has(id: number): boolean {
    return this.participants.find(id) !== -1;
  }

  get(id: number): Standing | undefined {
    const cell = this.participants.find(id);
    if (cell === -1) return undefined;
    return { id, score: this.participants.scoreAt(cell), reachedAt: this.participants.reachedAtOf(cell) };
  }

  /** Inserts the participant or moves them to this score and time. */
  set(id: number, score: number, reachedAt: number): void {
    checkScore("score", score);
    checkTime(reachedAt);
    const s = positiveZero(score);
    const cell = this.participants.find(id);
    if (cell === -1) {
      checkId(id);
      this.participants.insert(id, s, reachedAt);
      this.remember(id, this.place(id, s, reachedAt));
      return;
    }
    const old = this.participants.scoreAt(cell);
    const oldTime = this.participants.reachedAtOf(cell);
    if (old === s && oldTime === reachedAt) return;
    this.participants.update(cell, s, reachedAt);
    this.replace(id, old, oldTime, s, reachedAt);
  }

  /**
   * Adds `delta` to the score (a missing participant starts from 0) and returns the new standing.
   * `reachedAt` becomes `at` when the score changes (or the participant is new) and stays otherwise.
   */
  increment(id: number, delta: number, at: number): Standing {
    checkScore("delta", delta);
    checkTime(at);
    const cell = this.participants.find(id);
    if (cell === -1) {
      checkId(id);
      const score = positiveZero(delta);
      this.participants.insert(id, score, at);
      this.remember(id, this.place(id, score, at));
      return { id, score, reachedAt: at };
    }
    const old = this.participants.scoreAt(cell);
    const oldTime = this.participants.reachedAtOf(cell);
    if (delta === 0) return { id, score: old, reachedAt: oldTime };
    const score = old + delta;
    checkScore("score", score);
    this.participants.update(cell, score, at);
    this.replace(id, old, oldTime, score, at);
    return { id, score, reachedAt: at };
  }

  remove(id: number): boolean {
    const cell = this.participants.find(id);
    if (cell === -1) return false;
    this.lastId = -1;
    this.unplace(id, this.participants.scoreAt(cell), this.participants.reachedAtOf(cell));
    this.participants.deleteAt(cell);
    return true;
  }

  /** 1-based position in the total order. */
  rankOf(id: number): number | undefined {
    if (id === this.lastId) return this.lastRank;
    const cell = this.participants.find(id);
    if (cell === -1) return undefined;
    return this.position(this.participants.scoreAt(cell), this.participants.reachedAtOf(cell), id) + 1;
  }

  /** Rank as shown to players, where equal scores share a rank (see RankMode). */
  displayRank(id: number, mode: RankMode): number | undefined {
    const cell = this.participants.find(id);
    if (cell === -1) return undefined;
    const score = this.participants.scoreAt(cell);
    if (mode === "dense")
      return this.buckets.distinctAbove(score) + this.overflowScores.distinctAbove(score) + 1;
    return this.position(score, Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY) + 1;
  }

  /**
   * Entries strictly ahead of the key (score, reachedAt, id), which need not be present.
   * `reachedAt = -Infinity` counts the entries with a strictly higher score.
   */
  countAhead(score: number, reachedAt: number, id: number): number {
    if (Number.isNaN(score) || Number.isNaN(reachedAt) || Number.isNaN(id))
      throw new RangeError("countAhead key must not contain NaN");
    return this.position(score, reachedAt, id);
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
    const rank = this.rankOf(id);
    if (rank === undefined) return [];
    const start = Math.max(0, rank - 1 - k);
    return this.read(start, rank + k - start);
  }

  /** Every standing in rank order; `fromRows` rebuilds from it in linear time. */
  toRows(): Standing[] {
    return this.read(0, this.size);
  }

  /** Bytes held by the typed arrays behind the board (capacity, not just the used part); excludes small objects. */
  get byteLength(): number {
    return this.participants.byteLength + this.buckets.byteLength + this.overflow.byteLength;
  }

  clear(): void {
    this.lastId = -1;
    this.participants.clear();
    this.buckets.clear();
    this.overflow.clear();
    this.overflowScores.clear();
    this.highCount = 0;
  }

  /** Entries ahead of a key (present or not). */
  private position(score: number, t: number, id: number): number {
    if (score >= 0 && score < this.buckets.limit) {
      return (
        this.highCount +
        (Number.isInteger(score) ? this.buckets.countLess(score, t, id) : this.buckets.countAbove(score))
      );
    }
    const ahead = this.overflow.countLess(-score, t, id);
    return score < 0 ? ahead + this.buckets.size : ahead;
  }

  /** Adds the key to the order; returns how many entries are now ahead of it. */
  private place(id: number, score: number, t: number): number {
    if (this.buckets.holds(score)) return this.highCount + this.buckets.insert(score, t, id);
    this.overflowScores.add(score);
    const ahead = this.overflow.insert(-score, t, id);
    if (score < 0) return ahead + this.buckets.size;
    this.highCount++;
    return ahead;
  }

  /** Moves a present key; scores that stay bucketed take the buckets' one-walk path. */
  private replace(id: number, old: number, oldTime: number, score: number, t: number): void {
    if (this.buckets.holds(old) && this.buckets.holds(score)) {
      this.remember(id, this.highCount + this.buckets.move(old, oldTime, id, score, t));
      return;
    }
    this.unplace(id, old, oldTime);
    this.remember(id, this.place(id, score, t));
  }

  private unplace(id: number, score: number, t: number): void {
    if (this.buckets.holds(score)) {
      this.buckets.remove(score, t, id);
      return;
    }
    this.overflow.remove(-score, t, id);
    this.overflowScores.remove(score);
    if (score >= 0) this.highCount--;
  }

  /** Every mutation ends here or clears `lastId`, so the remembered rank is never stale. */
  private remember(id: number, ahead: number): void {
    this.lastId = id;
    this.lastRank = ahead + 1;
  }

  private read(offset: number, limit: number): Standing[] {
    const out: Standing[] = [];
    this.sink = out;
    const end = Math.min(this.size, offset + limit);
    const high = this.highCount;
    const bucketEnd = high + this.buckets.size;
    let p = offset;
    if (p < end && p < high) {
      const take = Math.min(end, high) - p;
      this.overflow.forEach(p, take, this.collectOverflow);
      p += take;
    }
    if (p < end && p < bucketEnd) {
      const take = Math.min(end, bucketEnd) - p;
      this.buckets.forEach(p - high, take, this.collectBucketed);
      p += take;
    }
    if (p < end) this.overflow.forEach(p - this.buckets.size, end - p, this.collectOverflow);
    this.sink = [];
    return out;
  }
}
