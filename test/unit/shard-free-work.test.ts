/**
 * @module Cross-shard work costs an attacker what a one-object battle costs (issue 27): an attack on a remote
 * player with no points is refused after one read of the target's shard, with no reserved arrow and no write; an
 * unknown target costs a shared report, not one each; every refused attack is a strike (4001 when out); a keyed
 * retry in flight waits for the first instead of applying twice.
 */
import { describe, expect, it } from "vitest";
import { STRIKES } from "../../src/battle/frame-meter";
import { usernameKey } from "../../src/battle/username";
import { CloseCode } from "../../src/protocol/close-codes";
import type { SyncRequest } from "../../src/sharding/protocol";
import { shardOf } from "../../src/sharding/shard-of";
import { ShardedBattle } from "./shard-harness";
import { DIFF_CONFIG, namesApart } from "./shard-script";

const SHARDS = 2;

async function setup(targetScores: boolean) {
  const battle = await ShardedBattle.create(DIFF_CONFIG, SHARDS, 1_000_000);
  const [an, tn] = namesApart(SHARDS);
  const a = await battle.join(an, "sa");
  const t = await battle.join(tn, "st");
  if (!a.ok || !t.ok) throw new Error("join failed");
  await battle.start();
  const attacker = a.value.participantId;
  const target = t.value.participantId;
  const attackerShard = shardOf(usernameKey(an), SHARDS);
  const targetShard = shardOf(usernameKey(tn), SHARDS);
  if (targetScores) {
    const r = await battle.request(target, "st", { type: "answer", id: 1, questionId: "q1", answer: 0 });
    expect(r.ok).toBe(true);
  }
  await battle.settle();
  const room = battle.rooms[attackerShard]!;
  const world = battle.shardWorlds[attackerShard]!;
  const conn = await world.connect(room, attacker, "sa");
  conn.sent.length = 0; // the welcome and first views: only replies follow
  const batches = () => {
    const info = room.info();
    if (!info.ok) throw new Error("no info");
    return info.value.commits.batches;
  };
  /** Sends a frame and lets every world run until the room has answered it (or closed the socket). */
  const send = async (msg: object) => {
    const before = conn.sent.length;
    room.message(conn, JSON.stringify(msg));
    for (let i = 0; i < 1_000 && conn.sent.length === before && !conn.closed; i++) {
      for (const w of battle.worlds) w.runTimers();
      await new Promise<void>((r) => setTimeout(r, 0));
    }
    return conn.sent.length > before ? (JSON.parse(conn.sent.at(-1)!) as Record<string, unknown>) : null;
  };
  return { battle, attacker, target, attackerShard, targetShard, room, conn, batches, send };
}

describe("cross-shard attacks cost what one object's cost", () => {
  it("a flood on a remote 0-point target: refused without a reserved arrow or a write, a strike each, then 4001", async () => {
    const s = await setup(false);
    const batches = s.batches();
    const calls = () => s.battle.attackCalls[s.targetShard]!;
    let refused = 0;
    for (let i = 0; i < STRIKES.capacity + 5 && !s.conn.closed; i++) {
      const r = await s.send({ type: "attack", id: i + 1, target: s.target });
      if (r) {
        expect(r).toMatchObject({
          type: "reply",
          id: i + 1,
          ok: false,
          error: { code: "target_has_no_points" },
        });
        refused++;
      }
    }
    // Every refusal was a strike: the burst allowance and not one more.
    expect(refused).toBe(STRIKES.capacity);
    expect(s.conn.closed?.code).toBe(CloseCode.TOO_MANY_ERRORS);
    // Not one write batch on the attacker's shard, and the arrows untouched (nothing reserved, nothing refunded).
    expect(s.batches()).toBe(batches);
    expect(s.room.state!.players.get(s.attacker)!.arrows).toBe(DIFF_CONFIG.rules.startingArrows);
    // One read of the target's shard per refused attack (a probe), never a hit applied there.
    expect(calls()).toBe(STRIKES.capacity);
    expect(s.battle.rooms[s.targetShard]!.info()).toMatchObject({
      ok: true,
      value: { stored: { attacks: 0 } },
    });
  });

  it("an attack on a remote player with points still lands (the probe is only for a replica that says 0)", async () => {
    const s = await setup(true);
    const r = await s.send({ type: "attack", id: 1, target: s.target });
    expect(r).toMatchObject({ type: "reply", id: 1, ok: true, data: { target: s.target } });
    expect(s.battle.attackCalls[s.targetShard]).toBe(1);
  });

  it("many concurrent attacks on unknown targets share two reports to the coordinator, and each is a strike", async () => {
    const s = await setup(true);
    const coordinator = s.battle.network.coordinator.bind(s.battle.network);
    let syncs = 0;
    (s.battle.network as { coordinator: typeof coordinator }).coordinator = (battle) => ({
      sync: async (req: SyncRequest) => {
        syncs++;
        return coordinator(battle).sync(req);
      },
    });
    const n = 10;
    for (let i = 0; i < n; i++)
      s.room.message(s.conn, JSON.stringify({ type: "attack", id: i + 1, target: 99_999 }));
    for (let i = 0; i < 1_000 && s.conn.sent.length < n; i++) {
      for (const w of s.battle.worlds) w.runTimers();
      await new Promise<void>((r) => setTimeout(r, 0));
    }
    const replies = s.conn.sent.map((f) => JSON.parse(f) as { type: string; error?: { code: string } });
    expect(replies.filter((r) => r.error?.code === "unknown_target")).toHaveLength(n);
    expect(syncs).toBeLessThanOrEqual(2);
    // Ten strikes spent: ten more refusals are allowed, the eleventh after them closes the socket.
    for (let i = 0; i < STRIKES.capacity - n; i++)
      await s.send({ type: "attack", id: 100 + i, target: 99_999 });
    expect(s.conn.closed).toBeNull();
    await s.send({ type: "attack", id: 999, target: 99_999 });
    expect(s.conn.closed?.code).toBe(CloseCode.TOO_MANY_ERRORS);
  });

  it("two identical keyed attacks in flight apply once: the second waits and gets the first's reply", async () => {
    const s = await setup(true);
    const targetRoom = s.battle.rooms[s.targetShard]!;
    const target = targetRoom.state!.players.get(s.target)!;
    target.shields = 0;
    const score = target.score;
    const frame = JSON.stringify({ type: "attack", id: "k1", target: s.target });
    s.room.message(s.conn, frame);
    s.room.message(s.conn, frame);
    for (let i = 0; i < 1_000 && s.conn.sent.length < 2; i++) {
      for (const w of s.battle.worlds) w.runTimers();
      await new Promise<void>((r) => setTimeout(r, 0));
    }
    const [first, second] = s.conn.sent
      .map((f) => JSON.parse(f) as Record<string, unknown>)
      .filter((m) => m.type === "reply");
    expect(first).toMatchObject({ type: "reply", id: "k1", ok: true, data: { pointsLost: 1 } });
    expect(second).toMatchObject({
      type: "reply",
      id: "k1",
      ok: true,
      duplicate: true,
      data: { pointsLost: 1 },
    });
    expect(target.score).toBe(score - 1);
    expect(s.battle.attackCalls[s.targetShard]).toBe(1);
    expect(s.room.state!.players.get(s.attacker)!.arrows).toBe(DIFF_CONFIG.rules.startingArrows - 1);
  });
});
