/** @module Socket lifecycle through the real Worker and Durable Object: prompt server closes and the sweep. */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import type { BattleDO } from "../../src/do/battle-do";
import { api, connect, createBattle, join, OPERATOR, startBattle } from "./helpers";

function stubOf(id: string) {
  return env.BATTLE.get(env.BATTLE.idFromName(id));
}

async function online(id: string): Promise<number> {
  return (await api("GET", `/api/admin/battles/${id}`, undefined, OPERATOR)).json.battle.online;
}

describe("closing sockets", () => {
  it("a socket replaced by a newer login is asked to close, closes, and is no longer counted online", async () => {
    const id = await createBattle();
    await startBattle(id);
    const first = await join(id, "alice");
    const old = await connect(first);
    expect(await online(id)).toBe(1);
    await join(id, "alice", first.playerKey);
    // The room forgets it at once, whatever the runtime still holds.
    expect(await online(id)).toBe(0);
    // In order: the `closing` frame (4501) is the last frame it got, then the close with the same code.
    expect((await old.waitClosed()).code).toBe(4501);
    expect(old.frames.at(-1)).toMatchObject({ type: "closing", code: 4501 });
    expect(old.frames.filter((f) => f.type === "closing")).toHaveLength(1);
    expect(old.closed).toMatchObject({ code: 4501 });
    expect(await online(id)).toBe(0);
  });

  it("a raw client that ignores `closing` is closed by the server after the grace period", async () => {
    const id = await createBattle();
    await startBattle(id);
    const first = await join(id, "bob");
    const raw = await connect(first, false);
    await join(id, "bob", first.playerKey);
    expect(await raw.next((m) => m.type === "closing", "closing")).toMatchObject({ code: 4501 });
    expect((await raw.waitClosed()).code).toBe(4501);
    expect(await online(id)).toBe(0);
  });

  it("a send to a socket that can no longer take it closes that socket once and keeps the object running", async () => {
    const id = await createBattle();
    await startBattle(id);
    const g = await join(id, "gone");
    const gone = await connect(g);
    const other = await connect(await join(id, "other"));
    expect(await online(id)).toBe(2);
    const calls = await runInDurableObject(stubOf(id), (instance: BattleDO, state) => {
      const ws = state.getWebSockets(`p:${g.participantId}`)[0]!;
      // The socket can no longer take a frame: every send throws, as workerd's does once the peer is gone. Its
      // close still works, so the client sees the code the room closes it with.
      const closes: Array<[number, string]> = [];
      let sends = 0;
      const realClose = ws.close.bind(ws);
      Object.defineProperty(ws, "send", {
        configurable: true,
        value: () => {
          sends++;
          throw new TypeError("send on a socket that can no longer take it");
        },
      });
      Object.defineProperty(ws, "close", {
        configurable: true,
        value: (code: number, reason: string) => {
          closes.push([code, reason]);
          realClose(code, reason);
        },
      });
      // The room's connection for that socket: its sends must not throw, recurse or reset the object.
      const conn = (
        instance as unknown as {
          connection(w: WebSocket): { send(f: string): void; close(c: number, r: string): void };
        }
      ).connection(ws);
      for (let i = 0; i < 3; i++) conn.send('{"type":"test"}');
      conn.close(4000, "after the failure"); // a broken connection's close is a no-op too
      return { sends, closes };
    });
    // One send reached the socket; it failed, and the socket was closed once, with 1011, and never again.
    expect(calls).toEqual({ sends: 1, closes: [[1011, "send failed"]] });
    expect(await gone.waitClosed()).toEqual({ code: 1011, reason: "send failed" });
    // Its close echo reaches the object, which forgets the socket: one player is left online.
    await vi.waitFor(async () => expect(await online(id)).toBe(1), { timeout: 5_000, interval: 20 });
    expect(gone.frames.filter((f) => f.type === "closing")).toEqual([]);
    expect((await other.request({ type: "leaderboard", id: "still" })).ok).toBe(true);
    expect(other.closed).toBeNull();
    other.ws.close();
  });

  it("the sweep closes a silent socket while the end alarm is armed", async () => {
    const id = await createBattle({ durationMs: 30 * 60_000 });
    await startBattle(id);
    const talker = await connect(await join(id, "talker"));
    const silent = await connect(await join(id, "silent"));
    const stub = stubOf(id);
    const { alarm, now } = await runInDurableObject(stub, async (instance: BattleDO, state) => ({
      alarm: await state.storage.getAlarm(),
      now: instance.clock(),
    }));
    // The one alarm is armed for the sweep, well before the battle's end (which stays set as a named timer).
    expect(alarm).not.toBeNull();
    expect(alarm! - now).toBeLessThanOrEqual(60_000);
    await runInDurableObject(stub, (instance: BattleDO) => {
      const base = instance.clock;
      instance.clock = () => base() + 2 * 60_000;
    });
    expect((await talker.request({ type: "leaderboard", id: 1 })).ok).toBe(true);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await silent.waitClosed()).code).toBe(4000);
    expect(talker.closed).toBeNull();
    const view = (await api("GET", `/api/admin/battles/${id}`, undefined, OPERATOR)).json.battle;
    expect(view.status).toBe("live");
    expect(view.online).toBe(1);
    // Swept again a minute later, and the end is still ahead.
    const next = await runInDurableObject(stub, async (instance: BattleDO, state) => {
      const { timers } = (instance as unknown as { room: { timers: { dueAt(name: string): number | null } } })
        .room;
      return {
        alarm: await state.storage.getAlarm(),
        sweep: timers.dueAt("sweep"),
        lifecycle: timers.dueAt("lifecycle"),
        now: instance.clock(),
      };
    });
    // The sweep ran at the moved clock (at least `now + 2 min`), so the next one is one interval after that.
    expect(next.sweep).not.toBeNull();
    expect(next.sweep!).toBeGreaterThanOrEqual(now + 2 * 60_000 + 60_000);
    expect(next.sweep!).toBeGreaterThan(next.now);
    expect(next.sweep! - next.now).toBeLessThanOrEqual(60_000);
    // The end is still a named timer, at the battle's end, after the next sweep; the alarm is armed for no later than the sweep.
    expect(next.lifecycle).toBe(view.endsAt);
    expect(view.endsAt).toBeGreaterThan(next.sweep!);
    expect(next.alarm).not.toBeNull();
    expect(next.alarm!).toBeLessThanOrEqual(next.sweep!);
    talker.ws.close(1000);
  });
});
