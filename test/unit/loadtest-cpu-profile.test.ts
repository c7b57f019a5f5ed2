import { describe, expect, it } from "vitest";
import { busyStretches, sampleGaps, selfTimes } from "../../loadtest/cpu-profile";

/** root → idle, root → message → view, root → timer: samples given as [node id, delta µs]. */
function profile(samples: [number, number][]) {
  const frame = (id: number, functionName: string, children: number[] = []) => ({
    id,
    callFrame: { functionName, url: id > 2 ? "file:///x/index.js" : "", lineNumber: id * 10 },
    children,
  });
  return {
    nodes: [
      frame(1, "(root)", [2, 3, 5]),
      frame(2, "(idle)"),
      frame(3, "message", [4]),
      frame(4, "view"),
      frame(5, "timer"),
    ],
    startTime: 0,
    endTime: samples.reduce((a, [, d]) => a + d, 0),
    samples: samples.map(([id]) => id),
    timeDeltas: samples.map(([, d]) => d),
  };
}

describe("cpu profile summaries", () => {
  const p = profile([
    [2, 1000],
    [4, 1000],
    [4, 30_000],
    [5, 1000],
    [5, 1000],
    [2, 1000],
    [3, 1000],
    [2, 1000],
  ]);

  it("finds stretches with no idle sample and names their entry points", () => {
    const s = busyStretches(p, 10);
    expect(s).toHaveLength(1);
    expect(s[0]!.ms).toBeCloseTo(33, 9);
    expect(s[0]!.top.map((t) => t.name)).toEqual(["message index.js:31", "timer index.js:51"]);
    expect(busyStretches(p, 40)).toHaveLength(0);
  });

  it("reports how irregular the sampler was", () => {
    const g = sampleGaps(p, 1000);
    expect(g.maxMs).toBe(30);
    expect(g.medianMs).toBe(1);
    expect(g.share).toBeCloseTo(30 / 37, 9);
  });

  it("self times add every sample's delta to its own frame", () => {
    const rows = selfTimes(p);
    expect(rows[0]).toMatchObject({ name: "view index.js:41", ms: 31 });
  });
});
