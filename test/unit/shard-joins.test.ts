/**
 * Joins of a sharded battle run concurrently through the coordinator (Node, direct calls): ids are reserved in
 * arrival order whatever order the shards answer in, one name's joins stay in order, ids stay dense when a join
 * fails, and `maxPlayers` is exact under concurrency.
 */
import { describe, expect, it } from "vitest";
import type { JoinProof } from "../../src/battle/game";
import type { ShardPeer } from "../../src/sharding/protocol";
import { pump, ShardedBattle } from "./shard-harness";
import { DIFF_CONFIG } from "./shard-script";

const NO_KEY: JoinProof = { issue: null, present: null, identified: false };

/**
 * Holds every `joinShard` call until `release` (in the order given); `fail` makes a name's call throw before it
 * reaches the shard, `lose` after the shard committed it (the answer is lost on the way back).
 */
function gateJoins(b: ShardedBattle) {
  const held: { name: string; go: () => void }[] = [];
  const fail = new Set<string>();
  const lose = new Set<string>();
  const shard = b.network.shard.bind(b.network);
  (b.network as { shard: typeof shard }).shard = (battle, k): ShardPeer => {
    const peer = shard(battle, k);
    return {
      ...peer,
      joinShard: async (u, s, proof, alloc) => {
        await new Promise<void>((go) => held.push({ name: u, go }));
        if (fail.has(u)) throw new Error(`shard ${k} unreachable`);
        const answer = await peer.joinShard(u, s, proof, alloc);
        if (lose.has(u)) throw new Error("the answer was lost");
        return answer;
      },
    };
  };
  const waitHeld = async (n: number) => {
    for (let i = 0; i < 1000 && held.length < n; i++) await new Promise((r) => setImmediate(r));
    expect(held.length).toBe(n);
  };
  return { held, fail, lose, waitHeld };
}

async function battle(maxPlayers = DIFF_CONFIG.maxPlayers) {
  return ShardedBattle.create({ ...DIFF_CONFIG, maxPlayers }, 4, 1_000_000);
}

describe("concurrent joins of a sharded battle", () => {
  it("reserves ids in arrival order while the shards answer in reverse", async () => {
    const b = await battle();
    const gate = gateJoins(b);
    const names = Array.from({ length: 12 }, (_, i) => `cj${i}`);
    const all = Promise.all(names.map((n) => b.coordinator.join(n, `s-${n}`, NO_KEY)));
    await gate.waitHeld(12); // all twelve are at their shards at once: nothing waits for another join
    for (const h of [...gate.held].reverse()) h.go();
    const joined = await pump(b.worlds, all);
    expect(joined.map((j) => (j.ok ? [j.value.participantId, j.value.isNew] : j.error.code))).toEqual(
      names.map((_, i) => [i + 1, true]),
    );
  });

  it("runs one name's joins in order: the second of two at once is a rejoin, refused without the key", async () => {
    const b = await battle();
    const gate = gateJoins(b);
    const first = b.coordinator.join("same", "s1", NO_KEY);
    const second = b.coordinator.join("SAME", "s2", NO_KEY); // a look-alike spelling: the same key
    const other = b.coordinator.join("other", "s3", NO_KEY);
    await gate.waitHeld(2); // "same" and "other"; the second "same" waits for the first
    expect(gate.held.map((h) => h.name)).toEqual(["same", "other"]);
    for (const h of gate.held.splice(0)) h.go();
    await gate.waitHeld(1);
    gate.held[0]!.go();
    const [a, c, o] = await pump(b.worlds, Promise.all([first, second, other]));
    expect(a).toMatchObject({ ok: true, value: { participantId: 1, isNew: true } });
    expect(c).toMatchObject({ ok: false, error: { code: "username_taken" } });
    expect(o).toMatchObject({ ok: true, value: { participantId: 2, isNew: true } });
  });

  it("keeps ids dense when a shard refuses a join: the next new player gets the refused join's id", async () => {
    const b = await battle();
    const joins = ["a1", "", "a3"].map((n) => b.coordinator.join(n, `s-${n}`, NO_KEY));
    const settled = await pump(b.worlds, Promise.all(joins));
    expect(settled.map((j) => (j.ok ? j.value.participantId : j.error.code))).toEqual([
      1,
      "invalid_username",
      2,
    ]);
    const next = await pump(b.worlds, b.coordinator.join("a4", "s-a4", NO_KEY));
    expect(next).toMatchObject({ ok: true, value: { participantId: 3 } });
  });

  it("never hands out again an id whose join's answer was lost: the shard may have committed it", async () => {
    const b = await battle();
    const gate = gateJoins(b);
    gate.lose.add("lost");
    const joins = ["a1", "lost", "a3"].map((n) => b.coordinator.join(n, `s-${n}`, NO_KEY));
    await gate.waitHeld(3);
    for (const h of gate.held.splice(0)) h.go();
    const settled = await pump(b.worlds, Promise.allSettled(joins));
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    const next = b.coordinator.join("a4", "s-a4", NO_KEY);
    await gate.waitHeld(1);
    gate.held[0]!.go();
    expect(await pump(b.worlds, next)).toMatchObject({ ok: true, value: { participantId: 4 } });
    // Every participant id is one player's, across all shards ("lost" kept id 2 on its shard).
    const ids = b.rooms.flatMap((r) =>
      [...r.state!.players.values()].map((p) => [p.id, p.username] as const),
    );
    expect(ids.sort((x, y) => x[0] - y[0])).toEqual([
      [1, "a1"],
      [2, "lost"],
      [3, "a3"],
      [4, "a4"],
    ]);
  });

  it("a shard refuses a new player with an id it already holds, and stores nothing", async () => {
    const b = await battle();
    const first = await pump(b.worlds, b.coordinator.join("held", "s-held", NO_KEY));
    expect(first).toMatchObject({ ok: true, value: { participantId: 1 } });
    // A coordinator that forgot id 1 (its answer lost before a restart) offers it again to the shard holding it.
    const room = b.roomOf(1);
    const before = room.persistence();
    const again = room.joinShard("other", "s-o", NO_KEY, { id: 1, full: false });
    expect(again).toMatchObject({ ok: false, error: { code: "internal" } });
    expect([...room.state!.players.values()].map((p) => [p.id, p.username])).toEqual([[1, "held"]]);
    expect(room.persistence()).toEqual(before);
  });

  it("admits exactly maxPlayers of many concurrent new players", async () => {
    const b = await battle(5);
    const gate = gateJoins(b);
    const names = Array.from({ length: 8 }, (_, i) => `cap${i}`);
    const all = Promise.all(names.map((n) => b.coordinator.join(n, `s-${n}`, NO_KEY)));
    await gate.waitHeld(5); // five reserve ids; the other three wait to learn whether those five got in
    for (let round = 0; round < 10 && gate.held.length > 0; round++) {
      for (const h of gate.held.splice(0)) h.go();
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    }
    const joined = await pump(b.worlds, all);
    const ok = joined.filter((j) => j.ok).map((j) => (j.ok ? j.value.participantId : 0));
    expect(ok.sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5]);
    expect(joined.filter((j) => !j.ok).map((j) => (j.ok ? "" : j.error.code))).toEqual([
      "battle_full",
      "battle_full",
      "battle_full",
    ]);
  });
});
