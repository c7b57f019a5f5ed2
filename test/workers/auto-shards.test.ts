/**
 * @module The automatic shard count through the real Worker and Durable Objects: a battle created with a
 * `maxPlayers` above what one object keeps fresh, and no `shards`, gets `autoShards(maxPlayers)` shard objects (the
 * create response and the operator's view say so), and its players are spread over them.
 */
import { describe, expect, it } from "vitest";
import { autoShards, FRESH_PLAYERS_PER_OBJECT } from "../../src/battle/capacity";
import { shardObjectName } from "../../src/sharding/protocol";
import { api, OPERATOR, QUESTIONS, stubOf, tokenClaims } from "./helpers";

/** A session token's claims; `sh` is the player's shard (a one-object battle's tokens have none). */
const claims = (token: string) => tokenClaims<{ sh?: number }>(token);

describe("automatic shard count (Workers)", () => {
  it("shards a battle whose maxPlayers exceeds one object's fresh capacity, and spreads its players", async () => {
    const id = `auto-${Date.now()}`;
    const maxPlayers = 2 * FRESH_PLAYERS_PER_OBJECT + 1;
    const shards = autoShards(maxPlayers);
    expect(shards).toBe(3);
    const created = await api(
      "POST",
      "/api/admin/battles",
      { id, title: "auto", questions: QUESTIONS, maxPlayers },
      OPERATOR,
    );
    expect(created.status).toBe(201);
    expect(created.json.battle).toMatchObject({ maxPlayers, config: { maxPlayers, shards } });
    const got = await api("GET", `/api/admin/battles/${id}`, undefined, OPERATOR);
    expect(got.status).toBe(200);
    expect(got.json.battle).toMatchObject({ maxPlayers, config: { maxPlayers, shards } });

    const joins = 20;
    const placed = new Set<number>();
    for (let i = 0; i < joins; i++) {
      const r = await api("POST", `/api/battles/${id}/join`, { username: `auto${i}` });
      expect(r.status).toBe(201);
      const sh = claims(r.json.token).sh;
      expect(sh).toBeTypeOf("number");
      placed.add(sh!);
    }
    expect(placed.size).toBeGreaterThan(1);
    // Each shard object exists with its index, and together they hold every player (the coordinator none).
    let held = 0;
    for (let k = 0; k < shards; k++) {
      const info = await stubOf(shardObjectName(id, k)).info();
      if (!info.ok) throw new Error(`shard ${k}: ${info.error.message}`);
      expect(info.value.config).toMatchObject({ shards, shardIndex: k });
      expect(info.value.stored.participants > 0).toBe(placed.has(k));
      held += info.value.stored.participants;
    }
    expect(held).toBe(joins);
  }, 60_000);

  it("keeps one object when the operator says shards: 1, or maxPlayers is within the capacity", async () => {
    for (const [suffix, extra] of [
      ["one", { maxPlayers: 2 * FRESH_PLAYERS_PER_OBJECT + 1, shards: 1 }],
      ["small", { maxPlayers: FRESH_PLAYERS_PER_OBJECT }],
    ] as const) {
      const id = `auto-${suffix}-${Date.now()}`;
      const created = await api(
        "POST",
        "/api/admin/battles",
        { id, title: "auto", questions: QUESTIONS, ...extra },
        OPERATOR,
      );
      expect(created.status).toBe(201);
      expect(created.json.battle.config.shards ?? 1).toBe(1);
      const r = await api("POST", `/api/battles/${id}/join`, { username: "solo" });
      expect(r.status).toBe(201);
      expect(claims(r.json.token)).not.toHaveProperty("sh");
    }
  }, 60_000);
});
