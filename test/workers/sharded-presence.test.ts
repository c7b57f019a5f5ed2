/**
 * @module Presence across shards through the real Worker and objects (issue 26: it was checked in Node only): in a
 * 2-shard battle with players on both shards, every socket learns who is online battle-wide (`presence` lists the
 * players of both shards, `leaderboard` carries the battle's online count), and a socket that leaves is dropped
 * from every shard's list.
 */
import { describe, expect, it } from "vitest";
import type { ServerMessage } from "../../src/protocol";
import { api, connect, OPERATOR, type TestSocket, tokenClaims } from "./helpers";

type Presence = Extract<ServerMessage, { type: "presence" }>;

function shardOfToken(token: string): number {
  return tokenClaims<{ sh?: number }>(token).sh ?? 0;
}

describe("presence in a sharded battle (Workers)", () => {
  it("lists the players online on every shard, and drops one who leaves", async () => {
    const id = `xpres-${Date.now()}`;
    const created = await api(
      "POST",
      "/api/admin/battles",
      {
        id,
        title: "presence",
        questions: [{ id: "q1", text: "1+1?", choices: ["2", "3"], answer: 0 }],
        shards: 2,
      },
      OPERATOR,
    );
    expect(created.status).toBe(201);
    // Join until both shards hold a player: three players, at least one on each shard.
    const joined: { participantId: number; username: string; token: string; wsUrl: string }[] = [];
    const shards = new Set<number>();
    for (let i = 0; joined.length < 3 || shards.size < 2; i++) {
      expect(i).toBeLessThan(40);
      const r = await api("POST", `/api/battles/${id}/join`, { username: `pres${i}` });
      expect(r.status).toBe(201);
      const k = shardOfToken(r.json.token);
      if (joined.length >= 2 && shards.size === 1 && shards.has(k)) continue;
      shards.add(k);
      joined.push(r.json);
    }
    expect(shards).toEqual(new Set([0, 1]));
    expect((await api("POST", `/api/admin/battles/${id}/start`, {}, OPERATOR)).status).toBe(200);
    const sockets: TestSocket[] = [];
    for (const j of joined) sockets.push(await connect(j));
    const everyone = joined.map((j) => j.participantId).sort((a, b) => a - b);
    const lists = (p: Presence) => p.players.map((x) => x.id).sort((a, b) => a - b);
    for (const s of sockets) {
      const p = (await s.next(
        (m) => m.type === "presence" && m.online === 3 && lists(m).join() === everyone.join(),
        "presence of all three",
      )) as Presence;
      expect(p.players.map((x) => x.username).sort()).toEqual(joined.map((j) => j.username).sort());
    }
    // The one who leaves is on one shard; the players of the other shard hear of it too.
    const leaver = joined.findIndex((j) => shardOfToken(j.token) !== shardOfToken(joined[0]!.token));
    sockets[leaver]!.ws.close(1000, "bye");
    const left = everyone.filter((x) => x !== joined[leaver]!.participantId);
    for (const [i, s] of sockets.entries()) {
      if (i === leaver) continue;
      await s.next(
        (m) => m.type === "presence" && m.online === 2 && lists(m).join() === left.join(),
        "presence after one left",
      );
    }
    for (const [i, s] of sockets.entries()) if (i !== leaver) s.ws.close(1000, "done");
  });
});
