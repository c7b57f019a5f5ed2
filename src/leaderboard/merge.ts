/** @module Exact global top N and ranks over shards, reading only each shard's top N and one count per shard. */
import { compareStandings } from "./order";
import type { Standing } from "./types";

/** What a shard (a live Leaderboard or a snapshot) must answer; shards hold disjoint participants. */
export interface ShardView {
  readonly size: number;
  top(n: number): Standing[];
  countAhead(score: number, reachedAt: number, id: number): number;
}

/** The global top `n`: a k-way merge of each shard's own top `n`, which must contain it. */
export function mergeTop(shards: readonly ShardView[], n: number): Standing[] {
  if (!(Number.isInteger(n) && n >= 0)) throw new RangeError(`n must be a non-negative integer: ${n}`);
  const lists: Standing[][] = [];
  for (const shard of shards) {
    if (shard.size === 0 || n === 0) continue;
    const list = shard.top(n);
    if (list.length > 0) lists.push(list);
  }
  const out: Standing[] = [];
  // Min-heap of list indexes by each list's current head; cursor[i] is the head's position in lists[i].
  const heap: number[] = [];
  const cursor = new Array<number>(lists.length).fill(0);
  const head = (i: number): Standing => lists[i]![cursor[i]!]!;
  const less = (x: number, y: number): boolean => compareStandings(head(x), head(y)) < 0;
  const down = (from: number): void => {
    let i = from;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  };
  for (let i = 0; i < lists.length; i++) heap.push(i);
  for (let i = (heap.length >>> 1) - 1; i >= 0; i--) down(i);
  while (out.length < n && heap.length > 0) {
    const i = heap[0]!;
    out.push(head(i));
    cursor[i]!++;
    if (cursor[i]! >= lists[i]!.length) {
      heap[0] = heap[heap.length - 1]!;
      heap.pop();
    }
    down(0);
  }
  return out;
}

/** 1-based global position of a standing (present in a shard or not): 1 + what every shard has ahead of it. */
export function globalRank(shards: readonly ShardView[], s: Standing): number {
  let ahead = 0;
  for (const shard of shards) ahead += shard.countAhead(s.score, s.reachedAt, s.id);
  return ahead + 1;
}

/** Global competition rank (shared by equal scores): 1 + participants with a strictly higher score anywhere. */
export function globalCompetitionRank(shards: readonly ShardView[], score: number): number {
  let ahead = 0;
  for (const shard of shards)
    ahead += shard.countAhead(score, Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY);
  return ahead + 1;
}

/**
 * A ShardView over a snapshot: rows in rank order as `Leaderboard.toRows` returns them.
 * Answers by binary search, so a coordinator can merge shard snapshots without rebuilding them.
 */
export class RowsView implements ShardView {
  private readonly rows: readonly Standing[];

  constructor(rows: readonly Standing[]) {
    for (let i = 1; i < rows.length; i++) {
      if (compareStandings(rows[i - 1]!, rows[i]!) >= 0)
        throw new RangeError(`rows are not in rank order at ${i}`);
    }
    this.rows = rows;
  }

  get size(): number {
    return this.rows.length;
  }

  top(n: number): Standing[] {
    return this.rows.slice(0, Math.max(0, n));
  }

  countAhead(score: number, reachedAt: number, id: number): number {
    const key = { id, score, reachedAt };
    let lo = 0;
    let hi = this.rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareStandings(this.rows[mid]!, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
