/** @module The console charts' rows from successive polls, and the 15-minute window of them (pure). */
import { describe, expect, it } from "vitest";
import {
  type ChartRow,
  chartRow,
  increase,
  MAX_ROWS,
  type PollFigures,
  SeriesWindow,
  WINDOW_MS,
} from "../../src/pages/chart-series";

const BOUNDS = [0.001, 0.01, 0.1];

function poll(at: number, byAction: Record<string, number[]>, extra: Partial<PollFigures> = {}): PollFigures {
  return {
    at,
    online: 3,
    durations: { bounds: BOUNDS, byAction },
    freshness: { targetMs: 500, boundMs: 500 },
    persistLagMs: 1500,
    ...extra,
  };
}

describe("increase", () => {
  it("is the difference since the previous read", () => {
    expect(increase([1, 2, 3], [4, 2, 5])).toEqual([3, 0, 2]);
  });

  it("reads a counter that went down as reset: all of the new value is new, never negative", () => {
    expect(increase([10, 5, 0], [2, 6, 0])).toEqual([2, 6, 0]);
    expect(increase(undefined, [1, 1])).toEqual([1, 1]);
    expect(increase([1], [1, 1])).toEqual([1, 1]);
  });
});

describe("chartRow", () => {
  it("has no rates or quantiles on the first poll", () => {
    const row = chartRow(null, poll(10_000, { answer: [1, 0, 0, 0] }));
    expect(row).toMatchObject({
      t: 10,
      online: 3,
      freshnessMs: 500,
      freshnessTargetMs: 500,
      persistLagS: 1.5,
    });
    expect(row.rates.answer).toBeNull();
    expect(row.p99.answer).toBeNull();
  });

  it("rates and quantiles cover what happened between the two polls", () => {
    const prev = poll(10_000, { answer: [100, 0, 0, 0], attack: [0, 0, 0, 0] });
    // 2 s later: 10 more answers, all in (1 ms, 10 ms]; 4 attacks, 2 in (0, 1 ms] and 2 in (10 ms, 100 ms].
    const cur = poll(12_000, { answer: [100, 10, 0, 0], attack: [2, 0, 2, 0] });
    const row = chartRow(prev, cur);
    expect(row.rates.answer).toBeCloseTo(5, 10);
    expect(row.rates.attack).toBeCloseTo(2, 10);
    // The 100 earlier answers in the first bucket do not pull this interval's median down; p99 of 4 attacks is rank
    // 3.96, in the upper bucket of two: 10 ms + 90 ms · 1.96 / 2.
    expect(row.p50.answer).toBeCloseTo(5.5, 10);
    expect(row.p99.answer).toBeCloseTo(9.91, 10);
    expect(row.p50.attack).toBeCloseTo(1, 10);
    expect(row.p99.attack).toBeCloseTo(10 + 90 * ((3.96 - 2) / 2), 10);
  });

  it("a quiet interval has zero rate and no quantile (a gap, not a zero latency)", () => {
    const a = poll(1_000, { answer: [3, 1, 0, 0] });
    const row = chartRow(a, poll(2_000, { answer: [3, 1, 0, 0] }));
    expect(row.rates.answer).toBe(0);
    expect(row.p50.answer).toBeNull();
  });

  it("after an object restart (counters went down) counts from zero: no negative rate", () => {
    const before = poll(1_000, { answer: [50, 50, 0, 0] });
    const row = chartRow(before, poll(3_000, { answer: [2, 0, 0, 0] }));
    expect(row.rates.answer).toBe(1);
    expect(row.p50.answer).toBeCloseTo(0.5, 10);
  });

  it("an action missing from the view, a clock that did not move, an unavailable lag: gaps", () => {
    const a = poll(1_000, { answer: [1, 0, 0, 0] });
    expect(chartRow(a, poll(1_000, { answer: [2, 0, 0, 0] })).rates.answer).toBeNull();
    const row = chartRow(a, poll(2_000, { answer: [2, 0, 0, 0] }, { persistLagMs: null }));
    expect(row.rates.ping).toBeNull();
    expect(row.persistLagS).toBeNull();
  });
});

function row(t: number, online: number): ChartRow {
  return {
    t,
    online,
    rates: {},
    p50: {},
    p99: {},
    freshnessMs: null,
    freshnessTargetMs: 500,
    persistLagS: null,
  };
}

describe("SeriesWindow", () => {
  it("keeps the columns uPlot draws: time, then one per series", () => {
    const w = new SeriesWindow((r) => [r.online, r.online * 2], 2);
    w.push(row(1, 1));
    w.push(row(2, 5));
    expect(w.data).toEqual([
      [1, 2],
      [1, 5],
      [2, 10],
    ]);
  });

  it("keeps the last 15 minutes, at most 900 rows", () => {
    const w = new SeriesWindow((r) => [r.online], 1);
    for (let t = 0; t < 1000; t++) w.push(row(t, t));
    expect(w.length).toBe(MAX_ROWS);
    expect(w.data[0][0]).toBe(100);
    expect(w.data[1]?.[0]).toBe(100);
    // A poll after a long pause: everything more than 15 minutes older goes.
    w.push(row(999 + WINDOW_MS / 1000 - 10, 0));
    expect(w.data[0]).toEqual([989, 990, 991, 992, 993, 994, 995, 996, 997, 998, 999, 1889]);
  });

  it("leaves out a row that is not later than the last, and empties on clear", () => {
    const w = new SeriesWindow((r) => [r.online], 1);
    w.push(row(5, 1));
    w.push(row(5, 2));
    w.push(row(4, 3));
    expect(w.data).toEqual([[5], [1]]);
    w.clear();
    expect(w.length).toBe(0);
    expect(w.data).toEqual([[], []]);
  });
});
