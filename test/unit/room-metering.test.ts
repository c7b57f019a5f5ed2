/** @module Frame metering and overload in the room (Node, real SQLite): budgets, strikes, 4001, `overloaded`. */
import { describe, expect, it } from "vitest";
import { STRIKES } from "../../src/battle/frame-meter";
import { PLAYER_RATE } from "../../src/battle/token-bucket";
import { OVERLOAD_LAG_MS } from "../../src/room/core";
import { battleConfig } from "./fixtures";
import { type MemoryConnection, RoomWorld } from "./room-harness";

async function setup() {
  const world = new RoomWorld();
  const room = await world.room();
  expect((await room.create(battleConfig())).ok).toBe(true);
  expect((await room.start()).ok).toBe(true);
  const a = room.join("alice", "sa");
  const b = room.join("bob", "sb");
  if (!a.ok || !b.ok) throw new Error("join failed");
  const ca = await world.connect(room, a.value.participantId, "sa");
  const cb = await world.connect(room, b.value.participantId, "sb");
  return { world, room, ca, cb, alice: a.value.participantId, bob: b.value.participantId };
}

const lastReply = (c: MemoryConnection) =>
  c.frames.filter((f) => f.type === "reply" || f.type === "error").at(-1);

describe("frame metering", () => {
  it("counts pings with an id: the budget runs out, then rate_limited with the exact wait", async () => {
    const { room, world, ca } = await setup();
    for (let i = 0; i < PLAYER_RATE.capacity; i++) room.message(ca, JSON.stringify({ type: "ping", id: i }));
    world.runTimers();
    expect(ca.of("reply").every((r) => r.ok)).toBe(true);
    room.message(ca, JSON.stringify({ type: "ping", id: "over" }));
    // One token comes back every 1000 / ratePerSec ms.
    expect(lastReply(ca)).toMatchObject({
      id: "over",
      ok: false,
      error: { code: "rate_limited", retryAfterMs: 1000 / PLAYER_RATE.ratePerSec },
    });
    world.advance(1000 / PLAYER_RATE.ratePerSec);
    room.message(ca, JSON.stringify({ type: "ping", id: "later" }));
    expect(lastReply(ca)).toMatchObject({ id: "later", ok: true });
  });

  it("counts malformed frames, answers each with a structured error, and closes a persistent offender with 4001", async () => {
    const { room, world, ca, cb } = await setup();
    const bad = [
      "{nope",
      new ArrayBuffer(8),
      JSON.stringify({ type: "warp", id: 1 }),
      "x".repeat(9000),
      "[]",
    ];
    let sent = 0;
    while (!ca.closed && sent < 1000) {
      room.message(ca, bad[sent % bad.length]!);
      sent++;
    }
    expect(ca.closed?.code).toBe(4001);
    // Every frame before the close got exactly one structured error.
    const answers = ca.frames.filter((f) => f.type === "error" || f.type === "reply");
    expect(answers).toHaveLength(sent - 1);
    for (const f of answers) {
      const error = "error" in f ? f.error : undefined;
      expect(typeof error?.code).toBe("string");
    }
    // STRIKES.capacity bad frames are tolerated in a burst; the next bad one closes.
    expect(sent).toBe(STRIKES.capacity + 1);
    // The other player is unaffected.
    room.message(cb, JSON.stringify({ type: "answer", id: 1, questionId: "q1", answer: 1 }));
    world.runTimers();
    expect(lastReply(cb)).toMatchObject({ id: 1, ok: true });
  });

  it("a flood of valid frames gets rate_limited, then 4001; reconnecting does not refill the budget", async () => {
    const { room, world, ca, alice } = await setup();
    let sent = 0;
    while (!ca.closed && sent < 1000) {
      room.message(ca, JSON.stringify({ type: "leaderboard", id: sent }));
      sent++;
    }
    world.runTimers();
    expect(ca.closed?.code).toBe(4001);
    expect(sent).toBe(PLAYER_RATE.capacity + STRIKES.capacity + 1);
    expect(ca.of("reply").filter((r) => !r.ok && r.error.code === "rate_limited")).toHaveLength(
      STRIKES.capacity,
    );
    room.closed(ca);
    const again = await world.connect(room, alice, "sa");
    room.message(again, JSON.stringify({ type: "leaderboard", id: "x" }));
    // Still over budget with no strikes left: closed at once (a fresh budget would have answered).
    expect(again.closed?.code).toBe(4001);
    // Strikes come back with time (1/s) and so does the budget: after a pause the player is served again.
    world.advance(5_000);
    const later = await world.connect(room, alice, "sa");
    room.message(later, JSON.stringify({ type: "leaderboard", id: "y" }));
    expect(lastReply(later)).toMatchObject({ id: "y", ok: true });
  });
});

describe("overload", () => {
  it("answers overloaded with retryAfterMs while the object runs behind, and recovers", async () => {
    const { room, world, ca, cb, bob } = await setup();
    room.message(ca, JSON.stringify({ type: "answer", id: 1, questionId: "q1", answer: 1 }));
    // The group-commit turn runs 2 s late: the event loop was busy.
    world.now += 2 * OVERLOAD_LAG_MS;
    world.runTimers();
    expect(lastReply(ca)).toMatchObject({ id: 1, ok: true });
    room.message(cb, JSON.stringify({ type: "answer", id: 2, questionId: "q1", answer: 1 }));
    expect(lastReply(cb)).toMatchObject({
      id: 2,
      ok: false,
      error: { code: "overloaded", retryAfterMs: 2 * OVERLOAD_LAG_MS },
    });
    const http = await room.request(bob, "sb", { type: "leaderboard", id: "h" });
    expect(http).toMatchObject({ ok: false, error: { code: "overloaded" } });
    // Pings are still answered.
    room.message(cb, JSON.stringify({ type: "ping", id: 3 }));
    expect(lastReply(cb)).toMatchObject({ id: 3, ok: true });
    // A second later the measurement has expired; the retry goes through.
    world.advance(2 * OVERLOAD_LAG_MS);
    room.message(cb, JSON.stringify({ type: "answer", id: 4, questionId: "q1", answer: 1 }));
    world.runTimers();
    expect(lastReply(cb)).toMatchObject({ id: 4, ok: true });
  });
});
