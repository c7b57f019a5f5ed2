/**
 * @module A sharded battle's creation survives shards that cannot be reached for a moment (a process still
 * starting): the coordinator calls again, and a shard whose first call landed but whose answer was lost counts
 * as created; a shard that stays unreachable fails the creation.
 */
import { describe, expect, it } from "vitest";
import type { ShardNetwork } from "../../src/sharding/protocol";
import { ShardedBattle } from "./shard-harness";
import { DIFF_CONFIG } from "./shard-script";

/** The harness's network, with shard `k`'s first `fail` create calls thrown (after `land` of them reached it). */
function flaky(b: ShardedBattle, k: number, fail: number, land: boolean): ShardNetwork {
  let calls = 0;
  return {
    coordinator: b.network.coordinator.bind(b.network),
    shard: (battle, i) => {
      const peer = b.network.shard(battle, i);
      if (i !== k) return peer;
      return {
        ...peer,
        createShard: async (config) => {
          calls++;
          if (calls <= fail) {
            if (land) await peer.createShard(config);
            throw new Error(`shard ${k} not found (test)`);
          }
          return peer.createShard(config);
        },
      };
    },
  };
}

async function harness(fail: number, land: boolean) {
  const b = new ShardedBattle(3);
  b.now = 1_000_000;
  for (const w of b.shardWorlds) b.rooms.push(await w.room());
  await b.buildCoordinator(flaky(b, 1, fail, land), () => "epoch");
  return b;
}

describe("creating a sharded battle", () => {
  it("calls a shard again until it answers, and every shard holds the battle", async () => {
    const b = await harness(2, false);
    const made = await b.coordinator.create({ ...DIFF_CONFIG, shards: 3 });
    expect(made.ok).toBe(true);
    for (const room of b.rooms) expect(room.state?.config.id).toBe(DIFF_CONFIG.id);
  });

  it("counts a shard that already holds this creation (its answer was lost) as created", async () => {
    const b = await harness(1, true);
    expect((await b.coordinator.create({ ...DIFF_CONFIG, shards: 3 })).ok).toBe(true);
    expect(b.rooms[1]!.state?.config.shardIndex).toBe(1);
  });

  it("fails when a shard never answers", async () => {
    const b = await harness(100, false);
    await expect(b.coordinator.create({ ...DIFF_CONFIG, shards: 3 })).rejects.toThrow(/not found/);
  }, 20_000);
});
