/**
 * @module The automatic shard count: a battle whose `maxPlayers` exceeds what one object keeps fresh is created
 * sharded (`autoShards`), an operator's `shards` wins, and the heap cap still refuses too few explicit shards.
 */
import { describe, expect, it } from "vitest";
import { autoShards, FRESH_PLAYERS_PER_OBJECT } from "../../src/battle/capacity";
import { BattleInput, PLAYERS_PER_OBJECT } from "../../src/battle/config";
import { MAX_SHARDS } from "../../src/sharding/shard-of";

const base = { title: "t", questions: [{ id: "q1", text: "1+1?", choices: ["2", "3"], answer: 0 }] };

describe("autoShards", () => {
  it("is one object up to the fresh capacity and one more shard per capacity beyond it", () => {
    expect(autoShards(1)).toBe(1);
    expect(autoShards(FRESH_PLAYERS_PER_OBJECT)).toBe(1);
    expect(autoShards(FRESH_PLAYERS_PER_OBJECT + 1)).toBe(2);
    expect(autoShards(2 * FRESH_PLAYERS_PER_OBJECT)).toBe(2);
    expect(autoShards(2 * FRESH_PLAYERS_PER_OBJECT + 1)).toBe(3);
    expect(autoShards(10_000)).toBe(Math.ceil(10_000 / FRESH_PLAYERS_PER_OBJECT));
  });

  it("is at least 1 and at most MAX_SHARDS", () => {
    expect(autoShards(0)).toBe(1);
    expect(autoShards(MAX_SHARDS * FRESH_PLAYERS_PER_OBJECT)).toBe(MAX_SHARDS);
    expect(autoShards(MAX_SHARDS * FRESH_PLAYERS_PER_OBJECT + 1)).toBe(MAX_SHARDS);
    expect(autoShards(1_000_000_000)).toBe(MAX_SHARDS);
    expect(autoShards(Number.POSITIVE_INFINITY)).toBe(MAX_SHARDS);
  });
});

describe("BattleInput's shard count", () => {
  it("without maxPlayers: one object (no shards) and the heap cap as maxPlayers, as before", () => {
    const out = BattleInput.parse(base);
    expect(out.shards).toBeUndefined();
    expect(out.maxPlayers).toBe(PLAYERS_PER_OBJECT);
  });

  it("with maxPlayers up to the fresh capacity: one object", () => {
    for (const maxPlayers of [1, FRESH_PLAYERS_PER_OBJECT]) {
      const out = BattleInput.parse({ ...base, maxPlayers });
      expect(out.shards).toBeUndefined();
      expect(out.maxPlayers).toBe(maxPlayers);
    }
  });

  it("with maxPlayers above the fresh capacity and no shards: the computed count", () => {
    const cases = [FRESH_PLAYERS_PER_OBJECT + 1, 10_000, 100_000, 1_000_000];
    for (const maxPlayers of cases) {
      const out = BattleInput.parse({ ...base, maxPlayers });
      expect(out.shards, String(maxPlayers)).toBe(autoShards(maxPlayers));
      expect(out.maxPlayers).toBe(maxPlayers);
    }
    expect(BattleInput.parse({ ...base, maxPlayers: FRESH_PLAYERS_PER_OBJECT + 1 }).shards).toBe(2);
    // A production battle of 10,000 players gets more than one shard (2 of 5,000 at the capacity now in capacity.ts).
    expect(BattleInput.parse({ ...base, maxPlayers: 10_000 }).shards).toBeGreaterThan(1);
  });

  it("with the operator's shards: theirs wins, 1 included", () => {
    expect(BattleInput.parse({ ...base, maxPlayers: 10_000, shards: 1 }).shards).toBe(1);
    expect(BattleInput.parse({ ...base, maxPlayers: 10_000, shards: 7 }).shards).toBe(7);
    expect(BattleInput.parse({ ...base, maxPlayers: 100, shards: 2 }).shards).toBe(2);
    expect(BattleInput.parse({ ...base, shards: 3 })).toMatchObject({
      shards: 3,
      maxPlayers: 3 * PLAYERS_PER_OBJECT,
    });
  });

  it("refuses explicit shards too few for the heap cap, naming both ways out", () => {
    const r = BattleInput.safeParse({ ...base, maxPlayers: PLAYERS_PER_OBJECT + 1, shards: 1 });
    expect(r.success).toBe(false);
    const issue = r.error!.issues[0]!;
    expect(issue.path).toEqual(["maxPlayers"]);
    expect(issue.message).toContain("set shards to at least 2");
    expect(issue.message).toContain(`leave shards out to get ${autoShards(PLAYERS_PER_OBJECT + 1)}`);
    expect(
      BattleInput.safeParse({ ...base, maxPlayers: 2 * PLAYERS_PER_OBJECT + 1, shards: 2 }).success,
    ).toBe(false);
    // The same sizes without shards are accepted, sharded automatically.
    expect(BattleInput.parse({ ...base, maxPlayers: PLAYERS_PER_OBJECT + 1 }).shards).toBe(
      autoShards(PLAYERS_PER_OBJECT + 1),
    );
  });
});
