import { describe, expect, it } from "vitest";
import { encodeHistogram, newHistogram } from "../../loadtest/histogram";
import { checkEvents, percentile, type SecondSample, stormReport } from "../../loadtest/storm";
import { verifyScores } from "../../loadtest/verify";

function second(latenciesMs: readonly number[], failed = 0): SecondSample {
  const h = newHistogram();
  for (const v of latenciesMs) h.recordValue(v * 1000);
  return { hists: [encodeHistogram(h)], failed };
}

describe("reconnect storm figures", () => {
  it("nearest-rank percentiles", () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile(xs, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBe(0);
  });

  it("folds the workers' resume times and counts, and measures the window the storm touched", () => {
    const seconds = new Map<number, SecondSample>([
      [19, second([1, 1, 1])],
      [20, second([2, 2, 900], 1)],
      [21, second([5, 5, 5, 400])],
      [22, second([3, 3], 2)],
      [23, second([2000])],
    ]);
    const r = stormReport(
      [
        { dropped: 3, resumeMs: [1200, 300, 2100], kept: 2, lost: 1, replayed: 4, gaveUp: 0 },
        { dropped: 2, resumeMs: [800], kept: 1, lost: 0, replayed: 1, gaveUp: 1 },
      ],
      20.4,
      5000,
      seconds,
      0,
    );
    expect(r).toMatchObject({
      dropped: 5,
      resumed: 4,
      notResumed: 1,
      gaveUp: 1,
      kept: 3,
      lost: 1,
      replayed: 5,
      resumeMs: { p50: 800, p99: 2100, max: 2100 },
      allResumedMs: null,
    });
    // 20.4 s + 2.1 s: seconds 20 to 23 (the series rounds to whole seconds), not 19.
    expect(r.window.fromSec).toBe(20);
    expect(r.window.toSec).toBe(23);
    expect(r.window.latency.count).toBe(10);
    expect(r.window.latency.max).toBeCloseTo(2000, -1);
    expect(r.window.worstSecondP99).toBeCloseTo(2000, -1);
    expect(r.window.failed).toBe(3);
  });

  it("reports the time until the last player was back when everyone came back", () => {
    const r = stormReport(
      [{ dropped: 2, resumeMs: [10, 40], kept: 2, lost: 0, replayed: 0, gaveUp: 0 }],
      5,
      1000,
      new Map(),
    );
    expect(r.allResumedMs).toBe(40);
    // By default the window runs 5 s past the last resume (replies that queued behind the reconnects).
    expect(r.window).toMatchObject({ fromSec: 5, toSec: 11, worstSecondP99: 0, failed: 0 });
  });
});

describe("event check", () => {
  it("every acknowledged attack reached its target once; broken streams and unknown targets are left out", () => {
    const hits = new Map([
      [1, 3],
      [2, 2],
      [3, 1],
      [4, 5],
      [5, 1],
    ]);
    const c = checkEvents(
      [
        { participantId: 1, attackedSeen: 3, streamWhole: true },
        { participantId: 2, attackedSeen: 1, streamWhole: true },
        { participantId: 3, attackedSeen: 2, streamWhole: true },
        { participantId: 4, attackedSeen: 0, streamWhole: false },
        { participantId: 5, attackedSeen: 0, streamWhole: true },
        { participantId: 6, attackedSeen: 0, streamWhole: true },
      ],
      hits,
      new Set([5]),
    );
    expect(c).toEqual({
      checked: 4,
      excluded: 2,
      expected: 6,
      missing: 1,
      extra: 1,
      examples: [
        { participantId: 2, acknowledged: 2, seen: 1 },
        { participantId: 3, acknowledged: 1, seen: 2 },
      ],
    });
  });

  it("a score that matches with a wrong count of correct answers is still a mismatch", () => {
    const v = verifyScores(
      [{ username: "a", participantId: 1, answerPoints: 20, correct: 2, unknowable: false }],
      new Map(),
      new Set(),
      [{ id: 1, score: 20, correct: 1 }],
    );
    expect(v.mismatches).toEqual([
      { username: "a", participantId: 1, expected: 2, actual: 1, field: "correct" },
    ]);
  });
});
