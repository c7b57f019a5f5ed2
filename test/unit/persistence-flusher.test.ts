/** @module The outbox flusher, message packing and the consumer's plan and backoff, in Node with a fake clock. */
import { describe, expect, it } from "vitest";
import { planApply } from "../../src/persistence/apply-plan";
import { MAX_MESSAGE_BYTES } from "../../src/persistence/event-size";
import { type FlusherOptions, OutboxFlusher } from "../../src/persistence/flusher";
import {
  type EventMessage,
  type OutboxRow,
  packMessages,
  parseMessage,
  sendBatches,
} from "../../src/persistence/message";
import { retryDelaySeconds } from "../../src/persistence/retry";

function harness(window: Partial<FlusherOptions> = {}) {
  let now = 1_000;
  const rows: OutboxRow[] = [];
  let settled = 0;
  const sent: EventMessage[][] = [];
  const flusher = new OutboxFlusher(
    {
      now: () => now,
      battle: () => "b1",
      shard: 0,
      read: (after, through, max) => {
        const out: OutboxRow[] = [];
        let bytes = 0;
        for (const r of rows) {
          if (r.seq <= after) continue;
          if (r.seq > through) break;
          out.push(r);
          bytes += r.body.length;
          if (bytes >= max) break;
        }
        return out;
      },
      lastSeq: () => rows[rows.length - 1]?.seq ?? settled,
      settled: () => settled,
      send: async (batch) => {
        sent.push(batch);
      },
      log: () => {},
    },
    {
      flushDelayMs: 100,
      resendMs: 5_000,
      maxResendMs: 20_000,
      maxBytesPerFlush: 1_000_000,
      maxInFlightEvents: 20_000,
      resendWindowEvents: 1_000,
      ...window,
    },
  );
  const append = (n: number) => {
    for (let i = 0; i < n; i++) {
      const seq = (rows[rows.length - 1]?.seq ?? settled) + 1;
      rows.push({ seq, body: `{"k":"session","p":1,"s":"x","at":${seq}}` });
    }
  };
  const confirm = (seq: number) => {
    settled = seq;
    while (rows.length > 0 && rows[0]!.seq <= seq) rows.shift();
    flusher.progress();
  };
  return {
    flusher,
    append,
    confirm,
    sent,
    tick: (ms: number) => {
      now += ms;
    },
    now: () => now,
  };
}

describe("outbox flusher", () => {
  it("is idle with nothing unconfirmed, sends new events at once, then gathers for the flush delay", async () => {
    const h = harness();
    expect(h.flusher.nextDue()).toBeNull();
    h.append(3);
    expect(h.flusher.nextDue()).toBeLessThanOrEqual(h.now());
    await h.flusher.flush();
    expect(h.sent.map((b) => b.map((m) => [m.f, m.t]))).toEqual([[[1, 3]]]);
    h.append(2);
    expect(h.flusher.nextDue()).toBe(h.now() + 100);
    h.tick(100);
    await h.flusher.flush();
    expect(h.sent[1]!.map((m) => [m.f, m.t])).toEqual([[4, 5]]);
    h.confirm(5);
    expect(h.flusher.nextDue()).toBeNull();
  });

  it("sends again from the watermark when confirmation stalls, backing off, and stops once confirmed", async () => {
    const h = harness();
    h.append(4);
    await h.flusher.flush();
    h.confirm(2); // the sinks have 1..2; 3..4 were lost
    expect(h.flusher.nextDue()).toBe(h.now() + 5_000);
    h.tick(4_999);
    await h.flusher.flush();
    expect(h.sent).toHaveLength(1);
    h.tick(1);
    await h.flusher.flush();
    expect(h.sent[1]!.map((m) => [m.f, m.t])).toEqual([[3, 4]]);
    expect(h.flusher.stats.resends).toBe(1);
    expect(h.flusher.nextDue()).toBe(h.now() + 10_000);
    h.confirm(4);
    expect(h.flusher.nextDue()).toBeNull();
  });

  it("keeps at most a window of events unconfirmed: a sink that is down leaves the rest in the outbox", async () => {
    const h = harness({ maxInFlightEvents: 10 });
    h.append(25);
    await h.flusher.flush();
    expect(h.sent.flat().map((m) => [m.f, m.t])).toEqual([[1, 10]]);
    // The window is full: nothing is due until the resend time, however many events arrive.
    h.append(5);
    expect(h.flusher.nextDue()).toBe(h.now() + 5_000);
    h.confirm(4);
    expect(h.flusher.nextDue()).toBeLessThanOrEqual(h.now() + 100);
    h.tick(100);
    await h.flusher.flush();
    expect(h.sent.flat().map((m) => [m.f, m.t])).toEqual([
      [1, 10],
      [11, 14],
    ]);
  });

  it("sends a stalled backlog again from a small window that doubles with each confirmation", async () => {
    const h = harness({ resendWindowEvents: 3 });
    h.append(20);
    await h.flusher.flush();
    expect(h.flusher.windowEvents).toBe(20_000);
    // Nothing is confirmed (the sink is down): the resend sends the first 3 events only.
    h.tick(5_000);
    await h.flusher.flush();
    expect(h.sent[1]!.map((m) => [m.f, m.t])).toEqual([[1, 3]]);
    expect(h.flusher.nextDue()).toBe(h.now() + 10_000);
    // Still down: the next resend is the same 3, not more.
    h.tick(10_000);
    await h.flusher.flush();
    expect(h.sent[2]!.map((m) => [m.f, m.t])).toEqual([[1, 3]]);
    // The sink is back: each confirmation doubles the window (6, then 12) until the backlog is through.
    h.confirm(3);
    h.tick(100);
    await h.flusher.flush();
    expect(h.sent[3]!.map((m) => [m.f, m.t])).toEqual([[4, 9]]);
    h.confirm(9);
    h.tick(100);
    await h.flusher.flush();
    expect(h.sent[4]!.map((m) => [m.f, m.t])).toEqual([[10, 20]]);
    expect(h.flusher.windowEvents).toBe(12);
    h.confirm(20);
    expect(h.flusher.nextDue()).toBeNull();
  });
});

describe("queue messages", () => {
  it("packs consecutive rows under the size limit and round-trips through validation", () => {
    const big = "x".repeat(30_000);
    const rows = [1, 2, 3, 4, 5].map((seq) => ({
      seq,
      body: JSON.stringify({ k: "session", p: seq, s: big, at: seq }),
    }));
    const msgs = packMessages("b", 0, rows);
    expect(msgs.map((m) => [m.f, m.t])).toEqual([
      [1, 3],
      [4, 5],
    ]);
    for (const m of msgs) {
      expect(m.bytes).toBe(new TextEncoder().encode(m.body).length);
      expect(m.bytes).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    }
    const parsed = parseMessage(msgs[1]!.body);
    expect(typeof parsed === "string" ? parsed : parsed.events.map((e) => e.seq)).toEqual([4, 5]);
    expect(sendBatches(msgs).map((b) => b.length)).toEqual([2]);
    const many = Array.from({ length: 150 }, (_, i) => ({ ...msgs[0]!, bytes: 100, f: i + 1, t: i + 1 }));
    expect(sendBatches(many).map((b) => b.length)).toEqual([100, 50]);
  });

  it("rejects malformed messages with a reason", () => {
    expect(parseMessage(null)).toMatch(/bad envelope/);
    expect(parseMessage({ v: 1, b: "b", s: 0, f: 1, t: 2, e: "[[1,{}]]" })).toMatch(/count/);
    expect(parseMessage({ v: 1, b: "b", s: 0, f: 1, t: 1, e: "[[2,{}]]" })).toMatch(/seq is not 1/);
    expect(parseMessage({ v: 1, b: "b", s: 0, f: 1, t: 1, e: '[[1,{"k":"answer"}]]' })).toMatch(/seq 1/);
    expect(parseMessage({ v: 1, b: "b", s: 0, f: 1, t: 1, e: "{" })).toMatch(/not JSON/);
  });
});

describe("consumer plan and backoff", () => {
  it("keeps the highest-seq snapshot per participant whatever the order", () => {
    const msg = (seq: number, ev: unknown) => {
      const m = packMessages("b", 0, [{ seq, body: JSON.stringify(ev) }])[0]!;
      const p = parseMessage(m.body);
      if (typeof p === "string") throw new Error(p);
      return p;
    };
    const answer = msg(3, {
      k: "answer",
      p: 1,
      q: "q",
      n: 1,
      a: "1",
      c: 1,
      pts: 10,
      bo: 0,
      at: 5,
      st: [10, 4, 1, 1, 5],
    });
    const attack = msg(4, {
      k: "attack",
      p: 2,
      x: 1,
      bl: 0,
      lost: 1,
      at: 6,
      st: [0, 2, 1, 0, 1],
      xs: [9, 4, 1, 1, 6],
    });
    const join = msg(1, { k: "join", p: 1, u: "ann", s: "s", at: 1, st: [0, 3, 1, 0, 1] });
    for (const order of [
      [join, answer, attack],
      [attack, answer, join],
    ]) {
      const plan = planApply(order);
      const ann = plan.participants.find((p) => p.id === 1)!;
      expect([ann.username, ann.state, ann.stateSeq]).toEqual(["ann", [9, 4, 1, 1, 6], 4]);
    }
  });

  it("backs off exponentially from the attempt count, capped", () => {
    expect([1, 2, 3, 4].map((a) => retryDelaySeconds(a, 2))).toEqual([2, 4, 8, 16]);
    expect(retryDelaySeconds(30, 2)).toBe(300);
    expect(retryDelaySeconds(3, 0)).toBe(0);
  });
});
