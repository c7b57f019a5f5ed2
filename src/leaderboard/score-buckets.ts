/** @module Entries with scores in [0, limit): Fenwick trees over the score range, and each score's entries in (reachedAt, id) order. */
import { OrderTree, type OrderTreeShape } from "./order-tree";

/** Bucketing limits; small values are for tests. */
export interface ScoreBucketsShape extends OrderTreeShape {
  /** Scores in [0, this) are bucketed; a power of two. The arrays grow with the highest score seen. */
  readonly bucketedScores?: number;
  /** A score's entries move from a sorted array into a tree beyond this many. */
  readonly bucketCapacity?: number;
}

/**
 * 2^18 buckets cost at most ~5 MB (counts, two Fenwick trees, bucket slots) and cover the game's scores
 * (typically < 100,000); higher scores still work, through the caller's overflow tree.
 */
const DEFAULT_BUCKETED = 1 << 18;
const DEFAULT_BUCKET_CAPACITY = 256;
const INITIAL_CAP = 1024;

/**
 * One score's entries. Few share a score in a running battle, so a sorted array of (reachedAt, id) pairs
 * is the fast case; the tree keeps the big tie groups (everyone at 0 when a battle opens) at O(log n).
 */
class Bucket {
  /** Created from a literal: exactly sized, where `push` onto [] reserves room for 8 pairs. */
  pairs: number[] | null;
  tree: OrderTree | null = null;
  size = 1;

  constructor(t: number, id: number) {
    this.pairs = [t, id];
  }
}

function pairLowerBound(pairs: number[], t: number, id: number): number {
  let lo = 0;
  let hi = pairs.length >> 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const mt = pairs[2 * mid]!;
    if (mt < t || (mt === t && pairs[2 * mid + 1]! < id)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Fenwick trees here are 1-based over scores: index score + 1, length cap + 1. */
function fenwickAdd(tree: Int32Array, score: number, delta: number): void {
  for (let i = score + 1; i < tree.length; i += i & -i) tree[i]! += delta;
}

/** −1 at score `from`, +1 at `to`: the two update paths cancel from the node where they meet. */
function fenwickMove(tree: Int32Array, from: number, to: number): void {
  let i = from + 1;
  let j = to + 1;
  const n = tree.length;
  while (i !== j) {
    if (i < j) {
      if (i >= n) return;
      tree[i]!--;
      i += i & -i;
    } else {
      if (j >= n) return;
      tree[j]!++;
      j += j & -j;
    }
  }
}

/** Linear-time construction over `weight(counts[score])`. */
function fenwickFrom(counts: Int32Array, weight: (count: number) => number): Int32Array {
  const n = counts.length;
  const tree = new Int32Array(n + 1);
  for (let i = 1; i <= n; i++) {
    tree[i]! += weight(counts[i - 1]!);
    const parent = i + (i & -i);
    if (parent <= n) tree[parent]! += tree[i]!;
  }
  return tree;
}

/** Sum over scores [0, score]. */
function fenwickPrefix(tree: Int32Array, score: number): number {
  let sum = 0;
  for (let i = score + 1; i > 0; i -= i & -i) sum += tree[i]!;
  return sum;
}

/**
 * Count and distinct-score Fenwick trees are indexed by score + 1; a bucket's entries are visited in rank
 * order, so ranks are (entries with a higher score) + (position inside the bucket).
 */
export class ScoreBuckets {
  readonly limit: number;
  private readonly bucketCapacity: number;
  private readonly treeShape: OrderTreeShape;
  private cap: number;
  private counts: Int32Array;
  private countTree: Int32Array;
  /** Built on the first dense-rank question, then kept up to date: battles that never ask pay nothing. */
  private distinctTree: Int32Array | null = null;
  private buckets: (Bucket | null)[];
  private total = 0;
  private distinct = 0;
  /** Bucket index (from the top) of the score found by the last `locate`. */
  private locateIndex = 0;

  constructor(shape: ScoreBucketsShape = {}) {
    const limit = shape.bucketedScores ?? DEFAULT_BUCKETED;
    this.limit = 2 ** Math.ceil(Math.log2(Math.max(1, limit)));
    this.bucketCapacity = Math.max(2, shape.bucketCapacity ?? DEFAULT_BUCKET_CAPACITY);
    this.treeShape = { leafCapacity: shape.leafCapacity, innerCapacity: shape.innerCapacity };
    this.cap = Math.min(INITIAL_CAP, this.limit);
    this.counts = new Int32Array(this.cap);
    this.countTree = new Int32Array(this.cap + 1);
    this.buckets = new Array<Bucket | null>(this.cap).fill(null);
  }

  get size(): number {
    return this.total;
  }

  get distinctCount(): number {
    return this.distinct;
  }

  /** Whether a safe-integer score is bucketed here. */
  holds(score: number): boolean {
    return score >= 0 && score < this.limit;
  }

  /** Adds an absent entry with a bucketed score; returns how many bucketed entries are now ahead of it. */
  insert(score: number, t: number, id: number): number {
    if (score >= this.cap) this.grow(score);
    const pos = this.bucketInsert(score, t, id);
    fenwickAdd(this.countTree, score, 1);
    return this.countAbove(score) + pos;
  }

  /** Removes an entry; false when absent. */
  remove(score: number, t: number, id: number): boolean {
    if (!this.bucketRemove(score, t, id)) return false;
    fenwickAdd(this.countTree, score, -1);
    return true;
  }

  /**
   * Moves a present entry to another bucketed score (a score change); returns how many entries are now
   * ahead of it. One Fenwick walk does both count updates, stopping where their paths meet.
   */
  move(from: number, fromT: number, id: number, to: number, toT: number): number {
    if (to >= this.cap) {
      if (!this.remove(from, fromT, id)) throw new Error("ScoreBuckets.move: entry not present");
      return this.insert(to, toT, id);
    }
    if (!this.bucketRemove(from, fromT, id)) throw new Error("ScoreBuckets.move: entry not present");
    const pos = this.bucketInsert(to, toT, id);
    fenwickMove(this.countTree, from, to);
    return this.countAbove(to) + pos;
  }

  /** Bucketed entries ahead of the key (score, t, id) for an integer score in [0, limit); the key need not be present. */
  countLess(score: number, t: number, id: number): number {
    const above = this.countAbove(score);
    const bucket = score < this.cap ? this.buckets[score] : null;
    if (!bucket) return above;
    return above + (bucket.tree ? bucket.tree.countLess(t, id, 0) : pairLowerBound(bucket.pairs!, t, id));
  }

  /** Bucketed entries with a score strictly above `score` (any number). */
  countAbove(score: number): number {
    if (score < 0) return this.total;
    if (score >= this.cap - 1) return 0;
    return this.total - fenwickPrefix(this.countTree, Math.floor(score));
  }

  /** Distinct bucketed scores strictly above `score` (any number). */
  distinctAbove(score: number): number {
    if (score < 0) return this.distinct;
    if (score >= this.cap - 1) return 0;
    this.distinctTree ??= this.buildDistinctTree();
    return this.distinct - fenwickPrefix(this.distinctTree, Math.floor(score));
  }

  /** Visits (score, reachedAt, id) of bucketed positions [offset, offset + limit) in rank order. */
  forEach(offset: number, limit: number, visit: (score: number, t: number, id: number) => void): void {
    const end = Math.min(this.total, offset + limit);
    let p = offset;
    while (p < end) {
      const score = this.locate(p);
      const bucket = this.buckets[score]!;
      const from = this.locateIndex;
      const take = Math.min(end - p, bucket.size - from);
      if (bucket.tree) {
        bucket.tree.forEach(from, take, (t, id) => visit(score, t, id));
      } else {
        const pairs = bucket.pairs!;
        for (let i = from; i < from + take; i++) visit(score, pairs[2 * i]!, pairs[2 * i + 1]!);
      }
      p += take;
    }
  }

  /**
   * Appends an entry during a bulk build: entries must come in rank order (score descending, then
   * (reachedAt, id) ascending). Call `finishAppend` afterwards.
   */
  append(score: number, t: number, id: number): void {
    if (score >= this.cap) this.grow(score);
    const bucket = this.buckets[score];
    if (bucket) {
      bucket.pairs!.push(t, id);
      bucket.size++;
    } else {
      this.buckets[score] = new Bucket(t, id);
    }
    this.counts[score]!++;
    this.total++;
  }

  /** Builds the Fenwick trees and promotes big buckets after `append`s: O(score range + n). */
  finishAppend(): void {
    this.rebuildTrees();
    for (const bucket of this.buckets) if (bucket && bucket.size > this.bucketCapacity) this.promote(bucket);
  }

  clear(): void {
    this.cap = Math.min(INITIAL_CAP, this.limit);
    this.counts = new Int32Array(this.cap);
    this.countTree = new Int32Array(this.cap + 1);
    this.distinctTree = null;
    this.buckets = new Array<Bucket | null>(this.cap).fill(null);
    this.total = 0;
    this.distinct = 0;
  }

  /** Bytes of the typed arrays and bucket slots (bucket contents excluded). */
  get byteLength(): number {
    const distinct = this.distinctTree?.byteLength ?? 0;
    return this.counts.byteLength + this.countTree.byteLength + distinct + this.cap * 8;
  }

  /** Adds to the bucket and the per-score counts; the count tree is the caller's. */
  private bucketInsert(score: number, t: number, id: number): number {
    const bucket = this.buckets[score];
    let pos = 0;
    if (!bucket) {
      this.buckets[score] = new Bucket(t, id);
    } else if (bucket.tree) {
      pos = bucket.tree.insert(t, id, 0);
      bucket.size++;
    } else {
      const pairs = bucket.pairs!;
      pos = pairLowerBound(pairs, t, id);
      // Shifting by hand: splice allocates its result array on every call.
      pairs.push(t, id);
      for (let i = pairs.length - 1; i > 2 * pos + 1; i--) pairs[i] = pairs[i - 2]!;
      pairs[2 * pos] = t;
      pairs[2 * pos + 1] = id;
      if (++bucket.size > this.bucketCapacity) this.promote(bucket);
    }
    this.total++;
    if (this.counts[score]!++ === 0) {
      this.distinct++;
      if (this.distinctTree) fenwickAdd(this.distinctTree, score, 1);
    }
    return pos;
  }

  /** Removes from the bucket and the per-score counts; the count tree is the caller's. */
  private bucketRemove(score: number, t: number, id: number): boolean {
    if (score >= this.cap) return false;
    const bucket = this.buckets[score];
    if (!bucket) return false;
    if (bucket.tree) {
      if (!bucket.tree.remove(t, id, 0)) return false;
    } else {
      const pairs = bucket.pairs!;
      const pos = pairLowerBound(pairs, t, id);
      if (pairs[2 * pos] !== t || pairs[2 * pos + 1] !== id) return false;
      for (let i = 2 * pos + 2; i < pairs.length; i++) pairs[i - 2] = pairs[i]!;
      pairs.length -= 2;
    }
    bucket.size--;
    this.total--;
    if (bucket.size === 0) this.buckets[score] = null;
    else if (bucket.tree && bucket.size <= this.bucketCapacity >> 2) this.demote(bucket);
    if (--this.counts[score]! === 0) {
      this.distinct--;
      if (this.distinctTree) fenwickAdd(this.distinctTree, score, -1);
    }
    return true;
  }

  /** Score holding bucketed position `p` (< size); its index within the bucket is left in `locateIndex`. */
  private locate(p: number): number {
    // Fenwick descent for the entry p-th from the top, i.e. r-th from the bottom.
    const tree = this.countTree;
    let rem = this.total - 1 - p;
    let pos = 0;
    for (let step = this.cap; step > 0; step >>= 1) {
      const next = pos + step;
      if (next <= this.cap && tree[next]! <= rem) {
        pos = next;
        rem -= tree[next]!;
      }
    }
    this.locateIndex = this.counts[pos]! - 1 - rem;
    return pos;
  }

  private promote(bucket: Bucket): void {
    const pairs = bucket.pairs!;
    const n = pairs.length >> 1;
    const keys = new Float64Array(n * 3);
    for (let i = 0; i < n; i++) {
      keys[3 * i] = pairs[2 * i]!;
      keys[3 * i + 1] = pairs[2 * i + 1]!;
    }
    const tree = new OrderTree(this.treeShape);
    tree.load(keys, n);
    bucket.tree = tree;
    bucket.pairs = null;
  }

  private demote(bucket: Bucket): void {
    const pairs: number[] = [];
    bucket.tree!.forEach(0, bucket.size, (t, id) => {
      pairs.push(t, id);
    });
    bucket.pairs = pairs;
    bucket.tree = null;
  }

  private grow(score: number): void {
    let cap = this.cap;
    while (cap <= score) cap *= 2;
    const counts = new Int32Array(cap);
    counts.set(this.counts);
    this.counts = counts;
    const buckets = new Array<Bucket | null>(cap).fill(null);
    for (let s = 0; s < this.cap; s++) buckets[s] = this.buckets[s] ?? null;
    this.buckets = buckets;
    this.cap = cap;
    this.rebuildTrees();
  }

  /** Linear-time Fenwick construction from `counts`. */
  private rebuildTrees(): void {
    this.countTree = fenwickFrom(this.counts, (c) => c);
    this.distinct = 0;
    for (const c of this.counts) if (c > 0) this.distinct++;
    if (this.distinctTree) this.distinctTree = this.buildDistinctTree();
  }

  private buildDistinctTree(): Int32Array {
    return fenwickFrom(this.counts, (c) => (c > 0 ? 1 : 0));
  }
}
