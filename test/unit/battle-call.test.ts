import { describe, expect, it } from "vitest";
import { callBattle } from "../../src/http/battle-call";
import { ApiError } from "../../src/http/errors";

const noSleep = async () => {};
const failing = (errors: object[]) => {
  let stubs = 0;
  const call = async (s: number) => {
    const e = errors[s - 1];
    if (e) throw Object.assign(new Error("platform"), e);
    return `ok on stub ${s}`;
  };
  return { stub: () => ++stubs, call, stubs: () => stubs };
};

describe("calls to the battle object", () => {
  it("retries retryable errors on a fresh stub, up to the attempt limit", async () => {
    const f = failing([{ retryable: true }, { retryable: true }]);
    expect(await callBattle(f.stub, f.call, { repeatable: true, sleep: noSleep })).toBe("ok on stub 3");
    const g = failing([{ retryable: true }, { retryable: true }, { retryable: true }]);
    await expect(callBattle(g.stub, g.call, { repeatable: true, sleep: noSleep })).rejects.toThrow(
      "platform",
    );
    expect(g.stubs()).toBe(3);
  });

  it("never retries overloaded, non-retryable or state-changing calls", async () => {
    const o = failing([{ retryable: true, overloaded: true }]);
    const err = await callBattle(o.stub, o.call, { repeatable: true, sleep: noSleep }).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 503, code: "overloaded", retryAfterMs: 1000 });
    expect(o.stubs()).toBe(1);
    const n = failing([{ retryable: false }]);
    await expect(callBattle(n.stub, n.call, { repeatable: true, sleep: noSleep })).rejects.toThrow();
    expect(n.stubs()).toBe(1);
    const w = failing([{ retryable: true }]);
    await expect(callBattle(w.stub, w.call, { repeatable: false, sleep: noSleep })).rejects.toThrow();
    expect(w.stubs()).toBe(1);
  });
});
