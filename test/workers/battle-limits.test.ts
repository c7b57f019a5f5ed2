/**
 * @module A battle never admits more players than its objects hold (issue 27): `maxPlayers` defaults to 20,000 per
 * object and a larger one with too few `shards` is refused at creation, naming the shards it needs.
 */
import { describe, expect, it } from "vitest";
import { PLAYERS_PER_OBJECT } from "../../src/battle/config";
import { api, OPERATOR, QUESTIONS } from "./helpers";

let n = 0;
const create = (extra: Record<string, unknown>) =>
  api(
    "POST",
    "/api/admin/battles",
    { id: `cap-${Date.now()}-${++n}`, title: "cap", questions: QUESTIONS, ...extra },
    OPERATOR,
  );

describe("maxPlayers by what one object holds", () => {
  it("defaults to 20,000 per object (× shards)", async () => {
    const one = await create({});
    expect(one.status).toBe(201);
    expect(one.json.battle.maxPlayers).toBe(PLAYERS_PER_OBJECT);
    const three = await create({ shards: 3 });
    expect(three.status).toBe(201);
    expect(three.json.battle.maxPlayers).toBe(3 * PLAYERS_PER_OBJECT);
  });

  // With shards absent a large maxPlayers is sharded automatically (test/workers/auto-shards.test.ts); only an
  // operator's shards can be too few.
  it("refuses one player more than its objects hold, and accepts exactly that many", async () => {
    const over = await create({ maxPlayers: PLAYERS_PER_OBJECT + 1, shards: 1 });
    expect(over.status).toBe(400);
    expect(JSON.stringify(over.json.error)).toContain("set shards to at least 2");
    expect((await create({ maxPlayers: PLAYERS_PER_OBJECT, shards: 1 })).status).toBe(201);
    expect((await create({ maxPlayers: 2 * PLAYERS_PER_OBJECT + 1, shards: 2 })).status).toBe(400);
    expect((await create({ maxPlayers: 2 * PLAYERS_PER_OBJECT + 1, shards: 3 })).status).toBe(201);
  });
});
