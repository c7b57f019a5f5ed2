/**
 * Presence across shards: a player's welcome and pushed leaderboard frames carry the battle's online count (the
 * sum the coordinator gets from every shard), and the operator's view shows the same sum.
 */
import { describe, expect, it } from "vitest";
import { usernameKey } from "../../src/battle/username";
import { shardOf } from "../../src/sharding/shard-of";
import type { RoomWorld } from "./room-harness";
import { ShardedBattle } from "./shard-harness";
import { DIFF_CONFIG } from "./shard-script";

describe("presence in a sharded battle", () => {
  it("counts the sockets of every shard", async () => {
    const battle = await ShardedBattle.create(DIFF_CONFIG, 4, 1_000_000);
    // Three players on three different shards.
    const names: string[] = [];
    const used = new Set<number>();
    for (let i = 0; names.length < 3; i++) {
      const k = shardOf(usernameKey(`on${i}`), 4);
      if (!used.has(k)) {
        used.add(k);
        names.push(`on${i}`);
      }
    }
    const conns = [];
    for (const [i, name] of names.entries()) {
      const joined = await battle.join(name, `s${i}`);
      if (!joined.ok) throw new Error(joined.error.code);
      const id = joined.value.participantId;
      const k = shardOf(usernameKey(name), 4);
      conns.push(await battle.shardWorlds[k]!.connect(battle.rooms[k]!, id, `s${i}`));
      await battle.settle();
    }
    await battle.start();
    await battle.settle();
    // The last one in was welcomed after the others' reports reached the coordinator.
    expect(conns[2]!.of("welcome")[0]!.online).toBe(3);
    battle.advance(600);
    for (const c of conns) expect(c.of("leaderboard").at(-1)).toMatchObject({ online: 3, total: 3 });
    const info = await battle.coordinator.info();
    expect(info.ok && info.value.online).toBe(3);
  });

  it("lists who is online across every shard, and drops a player who leaves from every shard's list", async () => {
    const battle = await ShardedBattle.create(DIFF_CONFIG, 4, 1_000_000);
    const players: {
      id: number;
      name: string;
      k: number;
      conn: Awaited<ReturnType<RoomWorld["connect"]>>;
    }[] = [];
    const used = new Set<number>();
    for (let i = 0; players.length < 3; i++) {
      const name = `here${i}`;
      const k = shardOf(usernameKey(name), 4);
      if (used.has(k)) continue;
      used.add(k);
      const joined = await battle.join(name, `s${i}`);
      if (!joined.ok) throw new Error(joined.error.code);
      const id = joined.value.participantId;
      players.push({
        id,
        name,
        k,
        conn: await battle.shardWorlds[k]!.connect(battle.rooms[k]!, id, `s${i}`),
      });
    }
    await battle.start();
    const listed = (c: (typeof players)[number]["conn"]) => {
      const last = c.of("presence").at(-1)!;
      return { online: last.online, players: last.players.map((p) => p.username).sort() };
    };
    await battle.settle();
    battle.advance(600);
    const everyone = players.map((p) => p.name).sort();
    for (const p of players) expect(listed(p.conn)).toEqual({ online: 3, players: everyone });
    // One leaves: every other shard's list drops them after the next reports.
    const gone = players[0]!;
    gone.conn.close(1000, "bye");
    battle.rooms[gone.k]!.closed(gone.conn);
    await battle.settle();
    battle.advance(600);
    const rest = players
      .slice(1)
      .map((p) => p.name)
      .sort();
    for (const p of players.slice(1)) expect(listed(p.conn)).toEqual({ online: 2, players: rest });
  });
});

describe("lifecycle in a sharded battle", () => {
  it("a shard that missed the start and the end call adopts the coordinator's schedule from its next report", async () => {
    const battle = await ShardedBattle.create(DIFF_CONFIG, 2, 1_000_000);
    const name = ["a", "b", "c", "d", "e"].find((n) => shardOf(usernameKey(n), 2) === 1)!;
    const joined = await battle.join(name, "s");
    if (!joined.ok) throw new Error(joined.error.code);
    const id = joined.value.participantId;
    battle.missLifecycle.add(1);
    expect((await battle.start()).ok).toBe(true);
    const answer = { type: "answer" as const, id: 1, questionId: "q1", answer: 0 };
    expect(await battle.request(id, "s", answer)).toMatchObject({
      ok: false,
      error: { code: "battle_not_live" },
    });
    await battle.settle();
    expect(await battle.request(id, "s", { ...answer, id: 2 })).toMatchObject({ ok: true });
    expect((await battle.end()).ok).toBe(true);
    await battle.settle();
    const late = await battle.request(id, "s", { ...answer, id: 3, questionId: "q2" });
    expect(late).toMatchObject({ ok: false, error: { code: "battle_ended" } });
    const results = await battle.results();
    expect(results.ok && results.value.standings[0]).toMatchObject({ id, score: 15 });
  });
});
