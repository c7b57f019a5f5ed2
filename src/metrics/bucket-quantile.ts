/**
 * @module A quantile from fixed-bucket histogram counts (pure), estimated as Prometheus's `histogram_quantile` does:
 * find the bucket holding the rank and interpolate linearly within it (the first bucket from 0). A rank in the bucket
 * above every bound reads as the highest bound: nothing finer is known about it.
 */

/**
 * `bounds`: upper bounds, ascending; `counts`: observations per bucket, not cumulative, one per bound plus the
 * bucket above them all. `q` in [0, 1]. Null when there is no observation.
 */
export function bucketQuantile(
  bounds: readonly number[],
  counts: readonly number[],
  q: number,
): number | null {
  let total = 0;
  for (const c of counts) total += c;
  if (!(total > 0) || bounds.length === 0) return null;
  const rank = Math.min(1, Math.max(0, q)) * total;
  let below = 0;
  for (let b = 0; b < counts.length; b++) {
    const c = counts[b]!;
    if (c > 0 && below + c >= rank) {
      if (b >= bounds.length) break;
      const lo = b === 0 ? 0 : bounds[b - 1]!;
      const hi = bounds[b]!;
      return lo + ((hi - lo) * (rank - below)) / c;
    }
    below += c;
  }
  return bounds[bounds.length - 1]!;
}
