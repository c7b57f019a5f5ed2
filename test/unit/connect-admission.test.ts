/** @module Socket admission: a steady rate with a burst, and each refused socket's own later slot. */
import { describe, expect, it } from "vitest";
import { ConnectAdmission, connectAdmissionOptions } from "../../src/battle/connect-admission";

describe("ConnectAdmission", () => {
  it("admits a burst at once, then refuses with slots spaced at the rate, and admits each at its slot", () => {
    const a = new ConnectAdmission({ ratePerSec: 100, burst: 5, maxWaitMs: 60_000 });
    const now = 1_000;
    expect([1, 2, 3, 4, 5].map(() => a.admit(now))).toEqual([0, 0, 0, 0, 0]);
    // The crowd behind the burst: one slot every 10 ms, each its own.
    const waits = Array.from({ length: 1_000 }, () => a.admit(now));
    expect(waits.slice(0, 3)).toEqual([10, 20, 30]);
    expect(waits[999]).toBe(10_000);
    expect(new Set(waits).size).toBe(1_000);
    expect(a.stats).toEqual({ admitted: 5, refused: 1_000 });
    // Each comes back at its slot and is admitted: the crowd returns as an even stream.
    const sorted = [...waits].sort((x, y) => x - y);
    expect(sorted.every((w) => a.admit(now + w) === 0)).toBe(true);
    expect(a.stats.admitted).toBe(1_005);
  });

  it("never refuses a steady stream under the rate, and tells no one to wait longer than the cap", () => {
    const a = new ConnectAdmission({ ratePerSec: 300, burst: 300, maxWaitMs: 5_000 });
    // A join ramp of 100 sockets/s for a minute.
    for (let t = 0; t < 60_000; t += 10) expect(a.admit(t)).toBe(0);
    const b = new ConnectAdmission({ ratePerSec: 300, burst: 300, maxWaitMs: 5_000 });
    const waits = Array.from({ length: 10_000 }, () => b.admit(0));
    expect(Math.max(...waits)).toBe(5_000);
    expect(waits.filter((w) => w === 0)).toHaveLength(300);
  });

  it("takes CONNECT_RATE_PER_SECOND, falling back to the default for garbage", () => {
    expect(connectAdmissionOptions(50)).toMatchObject({ ratePerSec: 50, burst: 50 });
    for (const bad of [undefined, 0, -3, 1.5, Number.NaN]) {
      expect(connectAdmissionOptions(bad).ratePerSec).toBe(2_000);
    }
  });
});
