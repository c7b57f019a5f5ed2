/** @module Quantiles from histogram buckets, and the operator view's handling-time buckets per action. */
import { describe, expect, it } from "vitest";
import { DURATION_BOUNDS_S, RequestKind } from "../../src/metrics/battle-metrics";
import { bucketQuantile } from "../../src/metrics/bucket-quantile";
import { Histogram } from "../../src/metrics/registry";
import { requestDurations } from "../../src/metrics/request-durations";

const BOUNDS = [1, 2, 5, 10];

describe("bucketQuantile", () => {
  it("is null without observations", () => {
    expect(bucketQuantile(BOUNDS, [0, 0, 0, 0, 0], 0.5)).toBeNull();
    expect(bucketQuantile([], [3], 0.5)).toBeNull();
  });

  it("interpolates within the bucket holding the rank, the first from 0", () => {
    // 10 observations in (0, 1]: the median is halfway.
    expect(bucketQuantile(BOUNDS, [10, 0, 0, 0, 0], 0.5)).toBeCloseTo(0.5, 10);
    // 4 in (0, 1], 4 in (1, 2], 2 in (2, 5]: rank 5 is the first of (1, 2] → 1.25; rank 9.9 → 2 + 3 · 1.9/2.
    expect(bucketQuantile(BOUNDS, [4, 4, 2, 0, 0], 0.5)).toBeCloseTo(1.25, 10);
    expect(bucketQuantile(BOUNDS, [4, 4, 2, 0, 0], 0.99)).toBeCloseTo(4.85, 10);
    // The rank lands exactly on a bucket's top: that bucket's upper bound.
    expect(bucketQuantile(BOUNDS, [5, 5, 0, 0, 0], 0.5)).toBeCloseTo(1, 10);
  });

  it("skips empty buckets and reads the bucket above every bound as the highest bound", () => {
    expect(bucketQuantile(BOUNDS, [0, 0, 0, 4, 0], 0.5)).toBeCloseTo(7.5, 10);
    expect(bucketQuantile(BOUNDS, [1, 0, 0, 0, 99], 0.5)).toBe(10);
    expect(bucketQuantile(BOUNDS, [1, 0, 0, 0, 99], 0)).toBe(0);
  });

  it("stays within the bounds and grows with q", () => {
    const counts = [3, 0, 7, 1, 2];
    let prev = -1;
    for (let q = 0; q <= 1; q += 0.05) {
      const v = bucketQuantile(BOUNDS, counts, q)!;
      expect(v).toBeGreaterThanOrEqual(prev);
      expect(v).toBeLessThanOrEqual(10);
      prev = v;
    }
  });
});

describe("requestDurations", () => {
  it("carries each action's buckets, not cumulative", () => {
    const h = new Histogram("h", "help", DURATION_BOUNDS_S, ["action"], [["answer"], ["attack"]]);
    h.observe(RequestKind.ANSWER, 0.0005);
    h.observe(RequestKind.ANSWER, 0.003);
    h.observe(RequestKind.ATTACK, 60);
    const d = requestDurations(h);
    expect(d.bounds).toEqual(DURATION_BOUNDS_S);
    expect(d.byAction.answer).toEqual([1, 0, 1, ...new Array(11).fill(0)]);
    expect(d.byAction.attack).toEqual([...new Array(13).fill(0), 1]);
  });
});
