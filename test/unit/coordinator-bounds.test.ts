/**
 * @module The coordinator's work and memory stay bounded by the battle's size, not its length (issue 27): at 20,000
 * players, ten minutes of shard reports and of the console polling the standings every second keep the change log
 * under twice the players, pull the shards' snapshots at most once a second, and after the end never again.
 */
import { describe, expect, it } from "vitest";
import { err, ok } from "../../src/battle/outcome";
import { Coordinator, SNAPSHOT_MS } from "../../src/sharding/coordinator";
import type { ShardNetwork, ShardPeer, SyncEntry } from "../../src/sharding/protocol";
import { battleConfig } from "./fixtures";
import { RoomWorld } from "./room-harness";

const PLAYERS = 20_000;
const SHARDS = 2;

describe("the coordinator under a long battle", () => {
  it("ten minutes at 20,000 players: the log stays under twice the players, one pull a second at most", async () => {
    const world = new RoomWorld();
    world.now = 1_000_000;
    const room = await world.room({ beforeFinal: () => coordinator.pullAll() });
    // Each shard's players, as the shard reports them (absolute states; ids by join order across shards).
    const players: SyncEntry[][] = Array.from({ length: SHARDS }, () => []);
    for (let id = 1; id <= PLAYERS; id++)
      players[id % SHARDS]!.push([id, 0, 0, 2, 1, 0, `p${id}`, id % SHARDS]);
    let snapshots = 0;
    const peer = (k: number): ShardPeer => ({
      createShard: async () => ok(null),
      start: async () => ok(null),
      end: async () => ok(null),
      joinShard: async () => err("internal", "not in this test"),
      snapshot: async () => {
        snapshots++;
        return {
          shard: k,
          incarnation: `i${k}`,
          since: 0,
          batch: 0,
          online: 0,
          entries: players[k]!.slice(),
        };
      },
      info: async () => err("internal", "not in this test"),
      remoteAttack: async () => err("internal", "not in this test"),
      confirmPersisted: async () => {},
    });
    const network: ShardNetwork = {
      coordinator: () => ({ sync: async (req) => coordinator.sync(req) }),
      shard: (_b, k) => peer(k),
    };
    world.network = network;
    const coordinator = new Coordinator(room, network, () => "epoch");
    room.clock = () => world.now;
    expect((await coordinator.create(battleConfig({ shards: SHARDS, durationMs: 3_600_000 }))).ok).toBe(true);
    expect((await coordinator.start()).ok).toBe(true);
    const cursors = new Array(SHARDS).fill(0);
    const batches = new Array(SHARDS).fill(0);
    let epoch: string | null = null;
    /** A shard's report: `changed` of its players scored once more. */
    const report = (k: number, changed: number, tick: number) => {
      const mine = players[k]!;
      const entries: SyncEntry[] = [];
      for (let i = 0; i < changed; i++) {
        const at = (tick * changed + i) % mine.length;
        const e = mine[at]!;
        const next: SyncEntry = [e[0], e[1] + 1, world.now, e[3], e[4], e[5] + 1, e[6], e[7]];
        mine[at] = next;
        entries.push(next);
      }
      const reply = coordinator.sync({
        shard: k,
        incarnation: `i${k}`,
        since: 0,
        batch: ++batches[k],
        online: 0,
        entries,
        epoch,
        cursor: cursors[k],
      });
      epoch = reply.epoch;
      cursors[k] = reply.cursor;
      return reply.entries.length;
    };
    // Every player reported once (a shard's first report carries everyone).
    for (let k = 0; k < SHARDS; k++) report(k, players[k]!.length, 0);
    snapshots = 0;
    const sizes: number[] = [];
    const polls = 600;
    for (let s = 1; s <= polls; s++) {
      // Five reports a second from each shard, 200 players changed in each; the console polls the top 10.
      for (let r = 0; r < 5; r++) for (let k = 0; k < SHARDS; k++) report(k, 200, s * 5 + r);
      world.advance(SNAPSHOT_MS);
      const top = await coordinator.results({ offset: 0, limit: 10 });
      expect(top.ok && top.value.standings.length).toBe(10);
      expect(top.ok && top.value.total).toBe(PLAYERS);
      if (s % 60 === 0) sizes.push(coordinator.logSize);
    }
    // The log holds at most each player twice (plus the compaction slack), and no more at minute 10 than at 1.
    for (const n of sizes) expect(n).toBeLessThanOrEqual(2 * PLAYERS + 1_024);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(2 * PLAYERS + 1_024);
    // At most one pull of every shard per poll a second apart (never one per call).
    expect(snapshots).toBeLessThanOrEqual(polls * SHARDS);
    const before = snapshots;
    for (let i = 0; i < 10; i++) await coordinator.results({ offset: 0, limit: 10 });
    expect(snapshots).toBe(before);
    // A pulled snapshot repeats what the other shards have: a shard's next report brings back only the changes.
    expect(report(0, 0, 0)).toBeLessThanOrEqual(5 * 200 * SHARDS);

    // After the end: the final pull, then never again however many read the results.
    expect((await coordinator.end()).ok).toBe(true);
    const atEnd = snapshots;
    for (let i = 0; i < 20; i++) {
      world.advance(SNAPSHOT_MS);
      const r = await coordinator.finalResults({ offset: 0, limit: 100 });
      expect(r.ok && r.value.standings.length).toBe(100);
    }
    expect(snapshots).toBe(atEnd);
  });
});
