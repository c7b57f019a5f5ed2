/**
 * @module README promises about a battle's and a socket's lifecycle that no other test checked, through the real
 * Worker and Durable Object: a scheduled battle goes live on its own alarm (the `battle` frame on every socket, D1's
 * index updated); the heartbeat sweep's 90 s bound, to the millisecond, on the object's injectable clock; upgrades
 * refused with 4504 (no such battle) and 4503 (unknown participant); 1011 when a push cannot be sent.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import type { BattleDO } from "../../src/do/battle-do";
import { HEARTBEAT_REQUEST, HEARTBEAT_RESPONSE } from "../../src/protocol/client-messages";
import {
  api,
  connect,
  createBattle,
  join,
  manualClock,
  OPERATOR,
  QUESTIONS,
  startBattle,
  stubOf,
  type TestSocket,
  upgrade,
} from "./helpers";

type Listed = { id: string; status: string; startsAt: number | null; endsAt: number | null };

/** Waits until D1's index row of `id` shows `expected` (the pipeline fills it a moment after each change). */
async function listedAs(id: string, expected: Omit<Listed, "id">): Promise<void> {
  await vi.waitFor(
    async () => {
      const list = await api("GET", "/api/admin/battles?limit=100", undefined, OPERATOR);
      const row = (list.json.battles as Listed[]).find((b) => b.id === id);
      expect(row).toMatchObject(expected);
    },
    { timeout: 10_000, interval: 50 },
  );
}

async function online(id: string): Promise<number> {
  return (await api("GET", `/api/admin/battles/${id}`, undefined, OPERATOR)).json.battle.online;
}

describe("lifecycle promises", () => {
  it("a battle scheduled 2 s ahead goes live on its own alarm: both sockets get `battle` {live, startsAt, endsAt, seq 1} no earlier than startsAt, questions are revealed, and D1's index lists it live with that schedule", async () => {
    const id = await createBattle({ durationMs: 60_000 });
    const [a, b] = [await join(id, "alice"), await join(id, "bob")];
    const [wa, wb] = [await connect(a), await connect(b)];
    const welcome = wa.frames.find((f) => f.type === "welcome");
    expect(welcome).toMatchObject({ battle: { status: "scheduled", questions: [] } });

    // Scheduled, not started: nothing but the object's alarm can make it live (the test sends nothing more to it).
    const at = Date.now() + 2_000;
    const scheduled = await api("POST", `/api/admin/battles/${id}/start`, { at }, OPERATOR);
    expect(scheduled.json.battle).toMatchObject({ status: "scheduled", startsAt: at, endsAt: at + 60_000 });

    const live = async (w: TestSocket) => {
      const frame = await w.next((m) => m.type === "battle", "battle frame", 15_000);
      return { frame, receivedAt: Date.now() };
    };
    const [fa, fb] = await Promise.all([live(wa), live(wb)]);
    for (const { frame, receivedAt } of [fa, fb]) {
      // Each player's first stream frame: the start, as scheduled.
      expect(frame).toEqual({ type: "battle", status: "live", startsAt: at, endsAt: at + 60_000, seq: 1 });
      expect(receivedAt).toBeGreaterThanOrEqual(at);
    }
    const view = await api("GET", `/api/battles/${id}`);
    expect(view.json.battle.status).toBe("live");
    expect(view.json.battle.questions.map((q: { id: string }) => q.id)).toEqual(QUESTIONS.map((q) => q.id));
    await listedAs(id, { status: "live", startsAt: at, endsAt: at + 60_000 });
    for (const w of [wa, wb]) w.ws.close(1000);
  });

  it("the sweep closes a socket silent for 90,001 ms with `closing` then close 4000 'no heartbeat', and keeps one silent for exactly 90,000 ms and one whose only sign of life is the runtime-answered heartbeat", async () => {
    const id = await createBattle({ durationMs: 30 * 60_000 });
    await startBattle(id);
    const [a, b, c] = [await join(id, "silent"), await join(id, "boundary"), await join(id, "pinger")];
    // The object's clock stands still from here, 10 s behind the wall clock (heartbeats are stamped by the runtime's
    // wall clock, so the pinger's heartbeat is 10 s after its sockets' connect times on the object's clock).
    const t0 = Date.now() - 10_000;
    const clock = await manualClock(id, t0);
    const [silent, boundary, pinger] = [await connect(a), await connect(b), await connect(c)];

    // The pinger sends only the exact heartbeat: the runtime answers it without waking the object.
    const pong = new Promise<void>((resolve) =>
      pinger.ws.addEventListener("message", (e) => {
        if (e.data === HEARTBEAT_RESPONSE) resolve();
      }),
    );
    pinger.send(HEARTBEAT_REQUEST);
    await pong;
    const pingedAt = await runInDurableObject(stubOf(id), (_i: BattleDO, state) => {
      const ws = state.getWebSockets(`p:${c.participantId}`)[0]!;
      return state.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? null;
    });
    expect(pingedAt).not.toBeNull();
    // The sweep runs at `sweepAt`: exactly 90,000 ms after the heartbeat.
    const sweepAt = pingedAt! + 90_000;
    expect(sweepAt - t0).toBeGreaterThan(90_000); // without its heartbeat the pinger would be swept

    // Last frames on the object's clock: `silent` 90,001 ms before the sweep, `boundary` 90,000 ms before it.
    clock.now = sweepAt - 90_001;
    expect((await silent.request({ type: "ping", id: "last" })).data).toEqual({ pong: true });
    clock.now = sweepAt - 90_000;
    expect((await boundary.request({ type: "ping", id: "last" })).data).toEqual({ pong: true });

    clock.now = sweepAt;
    // The sweep (armed at the first connect, 60 s later) is due: the alarm runs it.
    expect(await runDurableObjectAlarm(stubOf(id))).toBe(true);
    expect(await silent.waitClosed()).toEqual({ code: 4000, reason: "no heartbeat" });
    expect(silent.frames.at(-1)).toEqual({ type: "closing", code: 4000, reason: "no heartbeat" });
    expect(boundary.closed).toBeNull();
    expect(pinger.closed).toBeNull();
    expect(await online(id)).toBe(2);
    // Both survivors still play.
    expect((await boundary.request({ type: "leaderboard", id: 1 })).ok).toBe(true);
    expect((await pinger.request({ type: "leaderboard", id: 1 })).ok).toBe(true);
    for (const w of [boundary, pinger]) w.ws.close(1000);
  });

  it("an upgrade for a battle whose object lost its state is accepted (101) and closed 4504 with no frame; once the id is created again, an upgrade of a participant the new battle does not have is closed 4503 with no frame", async () => {
    const id = await createBattle();
    await join(id, "alice");
    const bob = await join(id, "bob");
    expect(bob.participantId).toBe(2);

    // The object's state is gone (lost local state, another environment): bob's token is still well signed.
    const stub = stubOf(id);
    await runInDurableObject(stub, async (_i: BattleDO, state) => {
      await state.storage.deleteAll();
    });
    await runInDurableObject(stub, (_i: BattleDO, state) => state.abort("state wiped by the test")).catch(
      () => {},
    );
    const gone = await upgrade(bob);
    expect(gone.status).toBe(101);
    expect(await gone.socket.waitClosed()).toEqual({ code: 4504, reason: "no such battle" });
    expect(gone.socket.frames).toEqual([]);

    // The same id created again: its first player is participant 1, and there is no participant 2.
    const again = await api(
      "POST",
      "/api/admin/battles",
      { id, title: "Again", questions: QUESTIONS },
      OPERATOR,
    );
    expect(again.status).toBe(201);
    const carol = await join(id, "carol");
    expect(carol.participantId).toBe(1);
    const unknown = await upgrade(bob);
    expect(unknown.status).toBe(101);
    expect(await unknown.socket.waitClosed()).toEqual({ code: 4503, reason: "unknown participant" });
    expect(unknown.socket.frames).toEqual([]);
    // The path itself works: the new battle's player gets a welcome.
    const wc = await connect(carol);
    expect(wc.closed).toBeNull();
    wc.ws.close(1000);
  });

  it("a leaderboard push whose send fails closes that socket with 1011 'send failed' (no `closing` frame), the other socket gets the push, and the player resumes on a new socket with continuity kept", async () => {
    const id = await createBattle();
    await startBattle(id);
    const [a, b] = [await join(id, "alice"), await join(id, "bob")];
    const [wa, wb] = [await connect(a), await connect(b)];
    const epoch = (wa.frames.find((f) => f.type === "welcome") as { stream: { epoch: string } }).stream.epoch;
    // Alice has heard that bob came online: nothing else is pending for her.
    await wa.next((m) => m.type === "presence" && m.online === 2, "presence of two");
    // Alice's socket can no longer take a frame: the runtime's send throws, as it does once the peer is gone.
    const attempted: string[] = [];
    await runInDurableObject(stubOf(id), (_i: BattleDO, state) => {
      const ws = state.getWebSockets(`p:${a.participantId}`)[0]!;
      Object.defineProperty(ws, "send", {
        configurable: true,
        value: (frame: string) => {
          attempted.push(frame);
          throw new TypeError("send on a socket that can no longer take it");
        },
      });
    });
    // Bob scores: both views change, so the fan-out sends to both.
    expect((await wb.request({ type: "answer", id: 1, questionId: "q1", answer: 1 })).ok).toBe(true);
    expect(await wb.next((m) => m.type === "leaderboard" && m.me?.score === 10, "bob's push")).toBeTruthy();
    expect(await wa.waitClosed()).toEqual({ code: 1011, reason: "send failed" });
    // One send was tried, the leaderboard push showing bob's score; nothing after it (no `closing` either).
    expect(attempted.map((f) => JSON.parse(f))).toEqual([
      expect.objectContaining({
        type: "leaderboard",
        top: [expect.objectContaining({ username: "bob", score: 10 }), expect.anything()],
      }),
    ]);
    expect(wa.frames.filter((f) => f.type === "closing")).toEqual([]);
    await expect.poll(() => online(id), { timeout: 5_000, interval: 20 }).toBe(1);
    // 1011 means reconnect: the stream is whole (nothing of alice's stream was sent since her welcome).
    const back = await connect(a, true, { seq: 0, epoch });
    expect(back.frames.find((f) => f.type === "welcome")).toMatchObject({
      stream: { epoch, seq: 0, continuity: "kept", replayed: 0 },
      leaderboard: {
        top: [
          { username: "bob", score: 10 },
          { username: "alice", score: 0 },
        ],
      },
    });
    for (const w of [back, wb]) w.ws.close(1000);
  });
});
