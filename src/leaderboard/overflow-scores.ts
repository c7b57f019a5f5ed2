/** @module Multiset of the scores outside the bucketed range, counting distinct ones above a score (dense ranks). */

/**
 * Sorted distinct values plus a count per value: O(k) updates for k distinct values, fine for scores the
 * game never produces (negative, or above the bucketed range).
 */
export class OverflowScores {
  private readonly counts = new Map<number, number>();
  private readonly sorted: number[] = [];

  add(score: number): void {
    const n = this.counts.get(score) ?? 0;
    this.counts.set(score, n + 1);
    if (n === 0) this.sorted.splice(this.upperBound(score), 0, score);
  }

  /** Removes one occurrence of a score that was added. */
  remove(score: number): void {
    const n = this.counts.get(score) ?? 0;
    if (n > 1) {
      this.counts.set(score, n - 1);
      return;
    }
    this.counts.delete(score);
    this.sorted.splice(this.upperBound(score) - 1, 1);
  }

  /** Distinct scores held that are strictly greater than `score`. */
  distinctAbove(score: number): number {
    return this.sorted.length - this.upperBound(score);
  }

  clear(): void {
    this.counts.clear();
    this.sorted.length = 0;
  }

  /** Index of the first value greater than `score`. */
  private upperBound(score: number): number {
    const sorted = this.sorted;
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
