/**
 * The same seeded sequence of joins, answers and attacks against a one-object battle and against 2-, 4- and
 * 8-shard battles (coordinator and shards in Node, wired by direct calls, on one manual clock): every reply is the
 * same, at sampled points (after the shards synced) every player's global rank, top and neighbours are the same,
 * and so are the final standings.
 */
import { describe, expect, it } from "vitest";
import { ShardedBattle, SingleBattle } from "./shard-harness";
import { DIFF_CONFIG, play, script } from "./shard-script";

describe("a sharded battle behaves as one object (differential, seeded)", () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: 1, 2, 4 and 8 shards give the same replies, views and final standings`, async () => {
      const steps = script(seed, 40, 600);
      const t0 = 1_000_000;
      const reference = await play(await SingleBattle.create(DIFF_CONFIG, t0), steps);
      // The script does exercise what it should.
      const kinds = JSON.stringify(reference);
      expect(kinds).toContain("username_taken");
      expect(kinds).toContain("target_has_no_points");
      expect(kinds).toContain('"blocked":true');
      expect(kinds).toContain('"pointsLost":1');
      for (const shards of [2, 4, 8]) {
        const battle = await ShardedBattle.create(DIFF_CONFIG, shards, t0);
        const observed = await play(battle, steps);
        expect(observed.length).toBe(reference.length);
        for (let i = 0; i < reference.length; i++) {
          if (JSON.stringify(observed[i]) !== JSON.stringify(reference[i])) {
            expect({ shards, step: i, got: observed[i] }).toEqual({ shards, step: i, got: reference[i] });
          }
        }
        // Players really are spread, and some attacks crossed shards.
        expect(battle.rooms.filter((r) => (r.state?.players.size ?? 0) > 0).length).toBeGreaterThan(1);
        expect(battle.attackCalls.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      }
    });
  }
});
