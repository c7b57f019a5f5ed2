/**
 * @module Battle ids at the edge (issue 27, point 1): only the documented form reaches an object. A shard's object
 * name (`<battle>#s<k>`, `%23` in a URL) is not a battle id: a direct join on a shard is refused with 404 and
 * stores nothing, so nobody can register beside the coordinator's look-alike check or take another player's id.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { BattleDO } from "../../src/do/battle-do";
import { shardObjectName } from "../../src/sharding/protocol";
import { api, createBattle, join, OPERATOR } from "./helpers";

describe("battle ids", () => {
  it("a join on a shard's object name is 404 and stores nothing; the battle's own path works", async () => {
    const id = await createBattle({ shards: 2 });
    const alice = await join(id, "alice");
    for (const k of [0, 1]) {
      const direct = await api("POST", `/api/battles/${encodeURIComponent(shardObjectName(id, k))}/join`, {
        username: "alice",
      });
      expect([direct.status, direct.json.error.code]).toEqual([404, "not_found"]);
      const other = await api("POST", `/api/battles/${encodeURIComponent(shardObjectName(id, k))}/join`, {
        username: "mallory",
      });
      expect(other.status).toBe(404);
      // The shard holds the battle's config: only the edge stands between it and a reader.
      const view = await api("GET", `/api/battles/${encodeURIComponent(shardObjectName(id, k))}`);
      expect([view.status, view.json.error.code]).toEqual([404, "not_found"]);
    }
    // Nothing reached a shard: the battle still has one player, alice, with her id.
    const info = await api("GET", `/api/admin/battles/${id}`, undefined, OPERATOR);
    expect(info.json.battle.players).toBe(1);
    expect(alice.participantId).toBe(1);
    // Defence in depth: a shard object asked to join a player directly refuses too.
    for (const k of [0, 1]) {
      const stub = env.BATTLE.get(env.BATTLE.idFromName(shardObjectName(id, k)));
      const out = await runInDurableObject(stub, (instance: BattleDO) =>
        instance.join("eve", "s-eve", {
          issue: null,
          present: null,
          identified: false,
        }),
      );
      expect(out).toMatchObject({ ok: false, error: { code: "not_found" } });
    }
  });

  it("refuses every id outside the documented form before any object is reached", async () => {
    const id = await createBattle();
    const bad = [
      `${id}%23s0`,
      `${id}%2Fx`,
      encodeURIComponent(`${id}é`),
      "ab",
      "a".repeat(65),
      encodeURIComponent("Ünïcödé-battle"),
      `${id.toUpperCase()}`,
      "-leading-dash",
    ];
    for (const b of bad) {
      for (const [method, path] of [
        ["GET", `/api/battles/${b}`],
        ["POST", `/api/battles/${b}/join`],
        ["GET", `/api/battles/${b}/results`],
        ["GET", `/api/admin/battles/${b}`],
        ["POST", `/api/admin/battles/${b}/end`],
        ["GET", `/api/admin/battles/${b}/persistence`],
      ] as const) {
        const res = await api(method, path, method === "POST" ? { username: "zed" } : undefined, OPERATOR);
        expect([path, res.status, res.json?.error?.code]).toEqual([path, 404, "not_found"]);
      }
    }
    expect((await api("GET", `/api/battles/${id}`)).status).toBe(200);
  });
});
