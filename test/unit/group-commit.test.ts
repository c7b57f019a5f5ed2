import { describe, expect, it } from "vitest";
import { GroupCommit } from "../../src/battle/group-commit";

function harness(failWhen: (batch: string[]) => boolean = () => false) {
  const committed: string[] = [];
  const scheduled: Array<() => void> = [];
  const rollbacks: unknown[] = [];
  const gc = new GroupCommit({
    // The ops append to `committed`; a failing batch is cut off again, as a rollback would.
    transaction: (run) => {
      const start = committed.length;
      run();
      if (failWhen(committed.slice(start))) {
        committed.length = start;
        throw new Error("injected");
      }
    },
    schedule: (flush) => scheduled.push(flush),
    rolledBack: (e) => rollbacks.push(e),
  });
  const runScheduled = () => {
    for (const f of scheduled.splice(0)) f();
  };
  return { gc, committed, scheduled, rollbacks, runScheduled };
}

describe("GroupCommit", () => {
  it("answers at once when nothing is pending", () => {
    const { gc, scheduled } = harness();
    const seen: boolean[] = [];
    gc.after((c) => seen.push(c));
    expect(seen).toEqual([true]);
    expect(scheduled).toHaveLength(0);
  });

  it("commits every queued write in one transaction, then settles the waiters in order", () => {
    const { gc, committed, scheduled, runScheduled } = harness();
    const order: string[] = [];
    gc.write(() => committed.push("a"));
    gc.after(() => order.push("reply a"));
    gc.after(() => order.push("reply read")); // a read behind a pending write waits, keeping reply order
    gc.write(() => committed.push("b"));
    gc.after(() => order.push("reply b"));
    expect(scheduled).toHaveLength(1); // one flush for the whole batch
    expect(order).toEqual([]);
    runScheduled();
    expect(committed).toEqual(["a", "b"]);
    expect(order).toEqual(["reply a", "reply read", "reply b"]);
    expect(gc.stats).toEqual({ batches: 1, writes: 2, largest: 2 });
    expect(gc.pending).toBe(false);
  });

  it("an early flush commits now and the scheduled one finds nothing to do", () => {
    const { gc, committed, runScheduled } = harness();
    const seen: boolean[] = [];
    gc.write(() => committed.push("a"));
    gc.after((c) => seen.push(c));
    gc.flush();
    expect(seen).toEqual([true]);
    runScheduled();
    expect(gc.stats.batches).toBe(1);
    gc.write(() => committed.push("b")); // a new batch arms a new flush
    runScheduled();
    expect(committed).toEqual(["a", "b"]);
    expect(gc.stats.batches).toBe(2);
  });

  it("rolls the whole batch back, reports it once, and tells every waiter", () => {
    const { gc, committed, rollbacks, runScheduled } = harness((rows) => rows.includes("bad"));
    const seen: boolean[] = [];
    gc.write(() => committed.push("good"));
    gc.after((c) => seen.push(c));
    gc.write(() => committed.push("bad"));
    gc.after((c) => seen.push(c));
    runScheduled();
    expect(committed).toEqual([]);
    expect(seen).toEqual([false, false]);
    expect(rollbacks).toHaveLength(1);
    gc.write(() => committed.push("again"));
    gc.after((c) => seen.push(c));
    runScheduled();
    expect(committed).toEqual(["again"]);
    expect(seen.at(-1)).toBe(true);
  });
});
