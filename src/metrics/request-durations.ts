/**
 * @module Request handling times per action as the operator's view carries them (pure): the buckets of
 * `arena_request_duration_seconds` since the object woke, so a reader takes differences between two reads and
 * estimates quantiles of what happened in between (`bucket-quantile.ts`), as Prometheus's `rate()` does.
 */
import type { Histogram } from "./registry";

export interface RequestDurations {
  /** Bucket upper bounds in seconds, ascending. */
  readonly bounds: readonly number[];
  /** Per action (`answer`, `attack`, …): observations per bucket, not cumulative, one more than `bounds`. */
  readonly byAction: Readonly<Record<string, readonly number[]>>;
}

/** The buckets of a histogram labelled by `action` alone (`BattleMetrics.handling`). */
export function requestDurations(h: Histogram): RequestDurations {
  const family = h.collect();
  const byAction: Record<string, readonly number[]> = {};
  if (family.type === "histogram") for (const s of family.samples) byAction[s.labels[0]!] = s.counts;
  return { bounds: h.bounds, byAction };
}

/**
 * Several objects' buckets added up (a sharded battle's shards). A view whose bounds differ from the first one's
 * (objects of two code versions during a deploy) is left out: its buckets do not line up.
 */
export function sumDurations(views: readonly RequestDurations[]): RequestDurations {
  const first = views[0];
  if (!first) return { bounds: [], byAction: {} };
  const byAction: Record<string, number[]> = {};
  const same = (b: readonly number[]) =>
    b.length === first.bounds.length && b.every((x, i) => x === first.bounds[i]);
  for (const v of views) {
    if (!same(v.bounds)) continue;
    for (const [action, counts] of Object.entries(v.byAction)) {
      const into = byAction[action] ?? new Array<number>(counts.length).fill(0);
      for (let i = 0; i < counts.length && i < into.length; i++) into[i]! += counts[i]!;
      byAction[action] = into;
    }
  }
  return { bounds: first.bounds, byAction };
}
