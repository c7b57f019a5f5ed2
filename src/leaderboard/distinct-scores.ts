/** @module Multiset of scores that counts the distinct scores above a given one (for dense ranks). */

/** Scores in [0, this) get a bucket; 2^21 buckets cost 16 MB, so rarer scores go to the sorted overflow list. */
const MAX_BUCKETS = 1 << 21;

/**
 * Per-score counts in a flat array plus a Fenwick tree over "this score is held by someone", grown by
 * doubling up to the highest score seen. Negative, fractional or huge scores fall back to a sorted list of
 * distinct values: O(k) updates for k such values, which the game never produces.
 */
export class DistinctScores {
  private counts = new Int32Array(1024);
  private fenwick = new Int32Array(1025);
  private distinctInRange = 0;
  private readonly overflowCounts = new Map<number, number>();
  private readonly overflowSorted: number[] = [];

  add(score: number): void {
    if (score >= 0 && score < MAX_BUCKETS && Number.isInteger(score)) {
      if (score >= this.counts.length) this.grow(score);
      if (this.counts[score]!++ === 0) this.mark(score, 1);
      return;
    }
    const n = this.overflowCounts.get(score) ?? 0;
    this.overflowCounts.set(score, n + 1);
    if (n === 0) this.overflowSorted.splice(this.overflowUpperBound(score), 0, score);
  }

  /** Removes one occurrence of a score that was added. */
  remove(score: number): void {
    if (score >= 0 && score < MAX_BUCKETS && Number.isInteger(score)) {
      if (--this.counts[score]! === 0) this.mark(score, -1);
      return;
    }
    const n = this.overflowCounts.get(score) ?? 0;
    if (n > 1) {
      this.overflowCounts.set(score, n - 1);
      return;
    }
    this.overflowCounts.delete(score);
    this.overflowSorted.splice(this.overflowUpperBound(score) - 1, 1);
  }

  /** Number of distinct scores held that are strictly greater than `score`. */
  distinctAbove(score: number): number {
    const overflow = this.overflowSorted.length - this.overflowUpperBound(score);
    if (score < 0) return this.distinctInRange + overflow;
    const last = this.counts.length - 1;
    const upTo = score >= last ? last : Math.floor(score);
    return this.distinctInRange - this.prefix(upTo) + overflow;
  }

  clear(): void {
    this.counts = new Int32Array(1024);
    this.fenwick = new Int32Array(1025);
    this.distinctInRange = 0;
    this.overflowCounts.clear();
    this.overflowSorted.length = 0;
  }

  get byteLength(): number {
    return this.counts.byteLength + this.fenwick.byteLength;
  }

  private mark(score: number, delta: number): void {
    this.distinctInRange += delta;
    const tree = this.fenwick;
    for (let i = score + 1; i < tree.length; i += i & -i) tree[i]! += delta;
  }

  /** Distinct in-range scores in [0, score]. */
  private prefix(score: number): number {
    const tree = this.fenwick;
    let sum = 0;
    for (let i = score + 1; i > 0; i -= i & -i) sum += tree[i]!;
    return sum;
  }

  private grow(score: number): void {
    let length = this.counts.length;
    while (length <= score) length *= 2;
    const counts = new Int32Array(length);
    counts.set(this.counts);
    const tree = new Int32Array(length + 1);
    for (let i = 1; i <= length; i++) {
      tree[i]! += counts[i - 1]! > 0 ? 1 : 0;
      const parent = i + (i & -i);
      if (parent <= length) tree[parent]! += tree[i]!;
    }
    this.counts = counts;
    this.fenwick = tree;
  }

  /** Index of the first overflow score greater than `score`. */
  private overflowUpperBound(score: number): number {
    const sorted = this.overflowSorted;
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid]! <= score) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
