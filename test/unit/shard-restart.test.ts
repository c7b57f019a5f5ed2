/**
 * Restarts mid-battle: a shard restarted (a new room over the same SQLite) and the coordinator restarted (it keeps
 * no copy of the order and rebuilds it from the shards' snapshots) lose nothing acknowledged: the same seeded script
 * gives the same replies, views and final standings as one object that never restarted.
 */
import { describe, expect, it } from "vitest";
import { ShardedBattle, SingleBattle } from "./shard-harness";
import { DIFF_CONFIG, play, script } from "./shard-script";

describe("a sharded battle survives restarts", () => {
  it("restarting shards and the coordinator mid-battle changes nothing observable", async () => {
    const steps = script(11, 30, 400);
    const t0 = 1_000_000;
    const reference = await play(await SingleBattle.create(DIFF_CONFIG, t0), steps);
    const battle = await ShardedBattle.create(DIFF_CONFIG, 4, t0);
    const restarts: string[] = [];
    const observed = await play(battle, steps, async (i) => {
      if (i === 0 || i % 97 !== 0) return;
      const k = (i / 97) % 5;
      if (k === 4) {
        await battle.restartCoordinator();
        restarts.push("coordinator");
      } else {
        await battle.restartShard(k);
        restarts.push(`shard ${k}`);
      }
    });
    expect(restarts).toContain("coordinator");
    expect(restarts.filter((r) => r.startsWith("shard")).length).toBeGreaterThanOrEqual(2);
    expect(observed.length).toBe(reference.length);
    for (let i = 0; i < reference.length; i++) {
      if (JSON.stringify(observed[i]) !== JSON.stringify(reference[i]))
        expect({ step: i, got: observed[i] }).toEqual({ step: i, got: reference[i] });
    }
  });
});
