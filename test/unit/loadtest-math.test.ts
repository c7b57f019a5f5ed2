import { describe, expect, it } from "vitest";
import { encodeHistogram, mergeEncoded, newHistogram, summarize } from "../../loadtest/histogram";
import { mixThresholds, parseDuration, pickAction, planLoad, REFERENCE_MIX } from "../../loadtest/mix";
import { deriveSeed, exponential, mulberry32 } from "../../loadtest/prng";
import { verifyScores } from "../../loadtest/verify";

describe("histogram merge", () => {
  it("merging encoded worker histograms equals one histogram of all values", () => {
    const all = newHistogram();
    const parts: string[] = [];
    const rng = mulberry32(7);
    for (let w = 0; w < 3; w++) {
      const h = newHistogram();
      for (let i = 0; i < 5000; i++) {
        const v = 1 + Math.floor(rng() * (w + 1) * 100_000);
        h.recordValue(v);
        all.recordValue(v);
      }
      parts.push(encodeHistogram(h));
    }
    const merged = mergeEncoded(parts);
    expect(merged.totalCount).toBe(15_000);
    const [m, a] = [summarize(merged), summarize(all)];
    expect([m.p50, m.p90, m.p95, m.p99, m.mean]).toEqual([a.p50, a.p90, a.p95, a.p99, a.mean]);
    // max is reported at the bucket's resolution (3 significant digits).
    expect(Math.abs(m.max - a.max) / a.max).toBeLessThan(0.001);
    expect(m.max).toBeGreaterThan(200);
  });
});

describe("load plan", () => {
  it("derives think times so players × rate hits the target", () => {
    const p = planLoad({ players: 20_000, durationSec: 300, joinPerMin: 20_000, rps: 2000 });
    expect(p.meanThinkMs).toBeCloseTo(10_000);
    expect(p.rampSec).toBe(60);
    // 270 s average play at 0.1 req/s, split 10:30:5.
    expect(p.perPlayer.answer).toBeCloseTo(6);
    expect(p.perPlayer.leaderboard).toBeCloseTo(18);
    expect(p.perPlayer.attack).toBeCloseTo(3);
    expect(p.questions).toBeGreaterThanOrEqual(22);
  });

  it("without a rate, spreads the reference 45 requests per player over the run", () => {
    const p = planLoad({ players: 1000, durationSec: 3600, joinPerMin: 1000 });
    expect(p.rps).toBeCloseTo(12.5);
    expect(p.meanThinkMs).toBeCloseTo(80_000);
  });

  it("picks actions in the 10:30:5 mix", () => {
    const t = mixThresholds(REFERENCE_MIX);
    const rng = mulberry32(1);
    const n = { answer: 0, leaderboard: 0, attack: 0 };
    for (let i = 0; i < 90_000; i++) n[pickAction(rng(), t)]++;
    expect(n.answer / 90_000).toBeCloseTo(10 / 45, 2);
    expect(n.leaderboard / 90_000).toBeCloseTo(30 / 45, 2);
    expect(n.attack / 90_000).toBeCloseTo(5 / 45, 2);
  });

  it("draws reproducible exponential think times with the requested mean", () => {
    const a = mulberry32(deriveSeed(42, 1, 2));
    const b = mulberry32(deriveSeed(42, 1, 2));
    expect(a()).toBe(b());
    expect(deriveSeed(42, 1)).not.toBe(deriveSeed(42, 2));
    const rng = mulberry32(3);
    let sum = 0;
    for (let i = 0; i < 50_000; i++) sum += exponential(rng, 200);
    expect(sum / 50_000).toBeGreaterThan(195);
    expect(sum / 50_000).toBeLessThan(205);
  });

  it("parses durations", () => {
    expect(parseDuration("30s")).toBe(30_000);
    expect(parseDuration("5m")).toBe(300_000);
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("2")).toBe(2000);
    expect(() => parseDuration("soon")).toThrow();
  });
});

describe("score verification", () => {
  const players = [
    { username: "a", participantId: 1, answerPoints: 30, unknowable: false },
    { username: "b", participantId: 2, answerPoints: 10, unknowable: false },
    { username: "c", participantId: 3, answerPoints: 20, unknowable: true },
    { username: "d", participantId: 4, answerPoints: 5, unknowable: false },
  ];

  it("subtracts acknowledged attack losses and excludes unknowable players", () => {
    const v = verifyScores(players, new Map([[1, 2]]), new Set([4]), [
      { id: 1, score: 28 },
      { id: 2, score: 10 },
      { id: 3, score: 999 },
      { id: 4, score: 0 },
      { id: 5, score: 0 },
    ]);
    expect(v).toEqual({ checked: 2, excluded: 2, mismatches: [], unknownOnServer: 1 });
  });

  it("reports every mismatch, including a player missing from the standings", () => {
    const v = verifyScores(players, new Map(), new Set(), [
      { id: 1, score: 31 },
      { id: 4, score: 5 },
    ]);
    expect(v.mismatches).toEqual([
      { username: "a", participantId: 1, expected: 30, actual: 31 },
      { username: "b", participantId: 2, expected: 10, actual: null },
    ]);
  });
});
