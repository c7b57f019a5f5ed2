/** @module Socket lifecycle through the real Worker and Durable Object: prompt server closes and the sweep. */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { BattleDO } from "../../src/battle/battle-do";
import { api, connect, createBattle, join, OPERATOR, startBattle } from "./helpers";

function stubOf(id: string) {
  return env.BATTLE.get(env.BATTLE.idFromName(id));
}

async function online(id: string): Promise<number> {
  return (await api("GET", `/api/admin/battles/${id}`, undefined, OPERATOR)).json.battle.online;
}

describe("closing sockets", () => {
  it("a socket replaced by a newer login is asked to close and is gone within a second", async () => {
    const id = await createBattle();
    await startBattle(id);
    const first = await join(id, "alice");
    const old = await connect(first);
    expect(await online(id)).toBe(1);
    const started = Date.now();
    await join(id, "alice", first.playerKey);
    // The room forgets it at once, whatever the runtime still holds.
    expect(await online(id)).toBe(0);
    expect(old.frames.some((f) => f.type === "closing" && f.code === 4501) || old.closed !== null).toBe(true);
    expect((await old.waitClosed()).code).toBe(4501);
    expect(Date.now() - started).toBeLessThan(1_000);
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
    await connect(g);
    const other = await connect(await join(id, "other"));
    await runInDurableObject(stubOf(id), (instance: BattleDO, state) => {
      const ws = state.getWebSockets(`p:${g.participantId}`)[0]!;
      ws.close(1000, "closed under the room"); // from now on ws.send throws
      // The room's connection for that socket: its sends must not throw, recurse or reset the object.
      const conn = (
        instance as unknown as { connection(w: WebSocket): { send(f: string): void } }
      ).connection(ws);
      for (let i = 0; i < 3; i++) conn.send('{"type":"test"}');
    });
    expect((await other.request({ type: "leaderboard", id: "still" })).ok).toBe(true);
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
    const next = await runInDurableObject(stub, (_i, state) => state.storage.getAlarm());
    expect(next).not.toBeNull();
    talker.ws.close(1000);
  });
});
