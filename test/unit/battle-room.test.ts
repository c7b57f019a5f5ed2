import { describe, expect, it } from "vitest";
import { cutParts } from "../../src/battle/battle-store";
import { CloseCode } from "../../src/protocol/close-codes";
import { Timer } from "../../src/room/core";
import { HEARTBEAT_TIMEOUT_MS, SWEEP_INTERVAL_MS } from "../../src/room/sessions";
import { battleConfig } from "./fixtures";
import { RoomWorld } from "./room-harness";

async function liveBattle(world: RoomWorld) {
  const room = await world.room();
  const created = await room.create(battleConfig({ rules: { startingArrows: 2, startingShields: 0 } }));
  expect(created.ok).toBe(true);
  expect((await room.start()).ok).toBe(true);
  const a = room.join("alice", "sa");
  const b = room.join("bob", "sb", { issue: "bob-key-hash", present: null, identified: false });
  if (!a.ok || !b.ok) throw new Error("join failed");
  // The events so far are sent and the sinks confirm them, so the persist timer leaves the alarm to the others.
  await drainTimers(world);
  const { lastSeq } = (room.persistence() as { ok: true; value: { lastSeq: number } }).value;
  room.confirmPersisted({ d1: lastSeq, pg: lastSeq });
  return { room, alice: a.value.participantId, bob: b.value.participantId };
}

describe("BattleRoom in Node (real SQLite, in-memory connections)", () => {
  it("welcomes a socket, replies after the commit and tells the target it was attacked", async () => {
    const world = new RoomWorld();
    const { room, alice, bob } = await liveBattle(world);
    const ca = await world.connect(room, alice, "sa");
    const cb = await world.connect(room, bob, "sb");
    expect(ca.of("welcome")[0]).toMatchObject({ you: { id: alice, arrows: 2 }, battle: { status: "live" } });

    room.message(cb, JSON.stringify({ type: "answer", id: 1, questionId: "q1", answer: 1 }));
    room.message(ca, JSON.stringify({ type: "attack", id: 2, target: bob }));
    // Nothing goes out before the group commit has run.
    expect(cb.of("reply")).toHaveLength(0);
    world.runTimers();
    expect(cb.of("reply")[0]).toMatchObject({ id: 1, ok: true, data: { correct: true } });
    expect(ca.of("reply")[0]).toMatchObject({ id: 2, ok: true, data: { target: bob, arrows: 1 } });
    expect(cb.of("attacked")[0]).toMatchObject({ attacker: { id: alice, username: "alice" } });
    expect(room.info().ok && room.info()).toMatchObject({ value: { stored: { answers: 1, attacks: 1 } } });
  });

  it("rebuilds the battle from SQLite in a new room (a restart) and keeps serving the open sockets", async () => {
    const world = new RoomWorld();
    const first = await liveBattle(world);
    const cb = await world.connect(first.room, first.bob, "sb");
    first.room.message(cb, JSON.stringify({ type: "answer", id: 1, questionId: "q1", answer: 1 }));
    world.runTimers();
    const room = await world.room();
    const results = room.results();
    expect(results.ok && results.value.standings[0]).toMatchObject({ username: "bob", score: 10 });
    room.message(cb, JSON.stringify({ type: "answer", id: 2, questionId: "q2", answer: "Paris" }));
    world.runTimers();
    expect(cb.of("reply").at(-1)).toMatchObject({ id: 2, ok: true, data: { correct: true } });
  });

  it("sweeps a silent socket while the end timer is armed, and keeps both timers on the one alarm", async () => {
    const world = new RoomWorld();
    const { room, alice, bob } = await liveBattle(world);
    const ca = await world.connect(room, alice, "sa");
    const cb = await world.connect(room, bob, "sb");
    const endsAt = room.timers.dueAt(Timer.LIFECYCLE);
    expect(endsAt).toBeGreaterThan(world.now + SWEEP_INTERVAL_MS);
    expect(room.timers.dueAt(Timer.SWEEP)).toBe(world.now + SWEEP_INTERVAL_MS);
    expect(world.alarmAt).toBeLessThanOrEqual(world.now + SWEEP_INTERVAL_MS);

    world.advance(HEARTBEAT_TIMEOUT_MS + SWEEP_INTERVAL_MS);
    room.message(ca, JSON.stringify({ type: "ping", id: 1 }));
    await room.alarm();
    expect(cb.closed?.code).toBe(4000);
    expect(ca.closed).toBeNull();
    expect(room.online).toBe(1);
    expect(room.timers.dueAt(Timer.LIFECYCLE)).toBe(endsAt);
    expect(room.timers.dueAt(Timer.SWEEP)).toBe(world.now + SWEEP_INTERVAL_MS);
    expect(world.alarmAt).toBeLessThanOrEqual(world.now + SWEEP_INTERVAL_MS);

    // A heartbeat answered by the platform alone also counts as a sign of life.
    world.advance(HEARTBEAT_TIMEOUT_MS + SWEEP_INTERVAL_MS);
    ca.pinged = world.now;
    await room.alarm();
    expect(ca.closed).toBeNull();
  });

  it("ends on the lifecycle timer, tells every socket, and keeps sweeping silent sockets after the end", async () => {
    const world = new RoomWorld();
    const { room, alice } = await liveBattle(world);
    const ca = await world.connect(room, alice, "sa");
    world.now = room.timers.dueAt(Timer.LIFECYCLE)!;
    ca.lastSeen = world.now; // the client's heartbeats kept it alive until the end
    await room.alarm();
    expect(ca.of("battle").at(-1)).toMatchObject({ status: "ended" });
    expect(ca.closed).toBeNull();
    expect(room.timers.dueAt(Timer.SWEEP)).not.toBeNull();
    expect(room.timers.dueAt(Timer.LIFECYCLE)).toBeNull();
    // A socket silent past the heartbeat timeout after the end is closed by the sweep like during the battle.
    world.advance(HEARTBEAT_TIMEOUT_MS + SWEEP_INTERVAL_MS);
    await room.alarm();
    expect(ca.closed?.code).toBe(CloseCode.GOING_AWAY);
    await drainTimers(world);
    expect(world.sentStatuses()).toEqual(["scheduled", "live", "ended"]);
    const last = world.sentEvents().at(-1)!.ev;
    expect(last).toMatchObject({ k: "final", total: 2 });
  });

  it("sends its events to the queue, retrying on the persist timer while the queue fails", async () => {
    const world = new RoomWorld();
    world.queueFails = true;
    const room = await world.room();
    await room.create(battleConfig());
    world.runTimers();
    await Promise.resolve();
    expect(world.sent).toEqual([]);
    // The alarm is the backstop behind the in-memory timer (an evicted object wakes to send).
    expect(room.timers.dueAt(Timer.PERSIST)).toBeGreaterThan(world.now);
    world.queueFails = false;
    for (let i = 0; i < 20 && world.sent.length === 0; i++) {
      world.advance(100);
      await Promise.resolve();
    }
    expect(world.sentStatuses()).toEqual(["scheduled"]);
    // Created, then announced as scheduled.
    expect(room.persistence()).toMatchObject({ ok: true, value: { lastSeq: 2, sentThrough: 2 } });
    room.confirmPersisted({ d1: 2, pg: 1 });
    expect(room.persistence()).toMatchObject({ ok: true, value: { depth: 1, confirmed: { d1: 2, pg: 1 } } });
    room.confirmPersisted({ d1: 2, pg: 2 });
    expect(room.persistence()).toMatchObject({ ok: true, value: { depth: 0, confirmed: { d1: 2, pg: 2 } } });
    expect(room.timers.dueAt(Timer.PERSIST)).toBeNull();
  });

  it("with PERSISTENCE=off writes no outbox row and sends nothing, and plays the same", async () => {
    const world = new RoomWorld();
    world.persistence = false;
    const { room, alice, bob } = await liveBattle(world);
    const ca = await world.connect(room, alice, "sa");
    const cb = await world.connect(room, bob, "sb");
    room.message(cb, JSON.stringify({ type: "answer", id: 1, questionId: "q1", answer: 1 }));
    await drainTimers(world);
    room.message(ca, JSON.stringify({ type: "attack", id: 2, target: bob }));
    await drainTimers(world);
    expect([...cb.of("reply"), ...ca.of("reply")].map((r) => r.ok)).toEqual([true, true]);
    expect((await room.end()).ok).toBe(true);
    await drainTimers(world);
    expect(world.sent).toEqual([]);
    expect(world.db.exec("SELECT name FROM sqlite_master WHERE name = 'outbox'")).toEqual([]);
    expect(room.persistence()).toMatchObject({ ok: true, value: { lastSeq: 0, depth: 0 } });
    expect(room.timers.dueAt(Timer.PERSIST)).toBeNull();
  });

  it("closes the old socket with 4501 and forgets it at once when the same player logs in again", async () => {
    const world = new RoomWorld();
    const { room, bob } = await liveBattle(world);
    const cb = await world.connect(room, bob, "sb");
    expect(room.online).toBe(1);
    expect(room.join("BOB", "sb2").ok).toBe(false);
    expect(cb.closed).toBeNull();
    expect(room.join("BOB", "sb2", { issue: "other", present: "bob-key-hash", identified: false }).ok).toBe(
      true,
    );
    expect(cb.closed?.code).toBe(4501);
    expect(room.online).toBe(0);
    expect(room.authorise(bob, "sb").ok).toBe(false);
  });
});

/** Runs timers and lets the flusher's sends settle. */
async function drainTimers(world: RoomWorld): Promise<void> {
  for (let i = 0; i < 5; i++) {
    world.advance(200);
    await new Promise((r) => setImmediate(r));
  }
}

describe("meta values in parts", () => {
  it("cuts a long value into parts of at most the size, never inside a surrogate pair, and joins back whole", () => {
    const s = `${"a".repeat(9)}😀${"ł".repeat(5)}😀😀`;
    for (const max of [2, 3, 5, 10]) {
      const parts = cutParts(s, max);
      expect(parts.join("")).toBe(s);
      for (const p of parts) {
        expect(p.length).toBeLessThanOrEqual(max);
        expect(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/.test(p)).toBe(false);
      }
    }
  });
});
