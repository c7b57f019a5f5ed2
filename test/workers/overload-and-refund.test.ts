/**
 * @module Two promises that were checked in Node only (issue 26), through the real Worker and objects: a battle
 * object that fell behind (its group-commit turn ran over 1 s late) refuses answers with `overloaded` (503,
 * `Retry-After`) while pings are still answered; and a cross-shard attack whose target's shard does not answer
 * refunds the arrow (and lands once the shard answers again).
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { BattleDO } from "../../src/do/battle-do";
import type { BattleRoom } from "../../src/room/room";
import { shardObjectName } from "../../src/sharding/protocol";
import {
  api,
  connect,
  createBattle,
  join,
  manualClock,
  OPERATOR,
  startBattle,
  stubOf,
  tokenClaims,
} from "./helpers";

const claimsOf = (token: string) => tokenClaims<{ p: number; s: string; sh?: number }>(token);

const roomOf = (instance: BattleDO) => (instance as unknown as { room: BattleRoom }).room;

describe("promises checked in Node until now", () => {
  it("a commit turn that ran 1.5 s late: answers get 503 overloaded with Retry-After, pings still pong", async () => {
    const id = await createBattle();
    await startBattle(id);
    const a = await join(id, "busy");
    const ws = await connect(a);
    const clock = await manualClock(id, Date.now());
    const { p, s } = claimsOf(a.token);
    // An answer's write waits for the next commit turn; the object's clock moves 1.5 s before that turn runs.
    await runInDurableObject(stubOf(id), async (instance: BattleDO) => {
      const pending = roomOf(instance).request(p, s, {
        type: "answer",
        id: "w",
        questionId: "q1",
        answer: 1,
      });
      clock.now += 1_500;
      expect(await pending).toMatchObject({ ok: true });
    });
    const refused = await api(
      "POST",
      `/api/battles/${id}/answer`,
      { questionId: "q2", answer: "paris" },
      { Authorization: `Bearer ${a.token}` },
    );
    expect(refused.status).toBe(503);
    expect(refused.json.error).toMatchObject({ code: "overloaded", retryAfterMs: 1_500 });
    const socket = await ws.request({ type: "answer", id: 7, questionId: "q2", answer: "paris" });
    expect(socket).toMatchObject({ ok: false, error: { code: "overloaded", retryAfterMs: 1_500 } });
    expect(await ws.request({ type: "ping", id: 8 })).toMatchObject({ ok: true, data: { pong: true } });
    // The lag is remembered for a while only: 5 s later (and no late turn since) the answer is taken.
    clock.now += 5_000;
    const later = await api(
      "POST",
      `/api/battles/${id}/answer`,
      { questionId: "q2", answer: "paris" },
      { Authorization: `Bearer ${a.token}` },
    );
    expect(later.status).toBe(200);
    ws.ws.close();
  });

  it("a cross-shard attack whose target's shard does not answer refunds the arrow; it lands once the shard answers", async () => {
    const id = `xrefund-${Date.now()}`;
    const made = await api(
      "POST",
      "/api/admin/battles",
      {
        id,
        title: "refund",
        questions: [{ id: "q1", text: "1+1?", choices: ["2", "3"], answer: 0 }],
        rules: { startingArrows: 2, startingShields: 0 },
        shards: 2,
      },
      OPERATOR,
    );
    expect(made.status).toBe(201);
    expect((await api("POST", `/api/admin/battles/${id}/start`, {}, OPERATOR)).status).toBe(200);
    const players: { token: string; participantId: number; wsUrl: string; shard: number }[] = [];
    for (let i = 0; players.length < 2; i++) {
      expect(i).toBeLessThan(40);
      const r = await api("POST", `/api/battles/${id}/join`, { username: `rf${i}` });
      const shard = claimsOf(r.json.token).sh ?? 0;
      if (players.length === 1 && players[0]!.shard === shard) continue;
      players.push({ token: r.json.token, participantId: r.json.participantId, wsUrl: r.json.wsUrl, shard });
    }
    const [attacker, target] = players as [(typeof players)[0], (typeof players)[0]];
    const auth = (t: string) => ({ Authorization: `Bearer ${t}` });
    expect(
      (await api("POST", `/api/battles/${id}/answer`, { questionId: "q1", answer: 0 }, auth(target.token)))
        .status,
    ).toBe(200);
    const targetShard = stubOf(shardObjectName(id, target.shard));
    // The target's shard stops answering cross-shard attacks (the room behind its RPC method throws).
    await runInDurableObject(targetShard, (instance: BattleDO) => {
      (roomOf(instance) as unknown as { remoteAttack: () => never }).remoteAttack = () => {
        throw new Error("unreachable (test)");
      };
    });
    // Its report reaches the attacker's shard first, so the attacker's copy of the board shows the target's points.
    const arrowsOf = async () => {
      const r = await api("GET", `/api/battles/${id}/leaderboard`, undefined, auth(attacker.token));
      return r;
    };
    await expect
      .poll(
        async () =>
          (await arrowsOf()).json.result.top.find((t: { id: number }) => t.id === target.participantId)
            ?.score ?? 0,
      )
      .toBeGreaterThan(0);
    const failed = await api(
      "POST",
      `/api/battles/${id}/attack`,
      { target: target.participantId },
      auth(attacker.token),
    );
    expect(failed.status).toBe(500);
    expect(failed.json.error.code).toBe("internal");
    expect(failed.json.error.message).toContain("refunded");
    const ws = await connect(attacker);
    const welcome = ws.frames.find((m) => m.type === "welcome") as { you: { arrows: number } };
    expect(welcome.you.arrows).toBe(2);
    ws.ws.close();
    // The shard answers again (the room's own method), and the same attack lands.
    await runInDurableObject(targetShard, (instance: BattleDO) => {
      delete (roomOf(instance) as unknown as { remoteAttack?: unknown }).remoteAttack;
    });
    const landed = await api(
      "POST",
      `/api/battles/${id}/attack`,
      { target: target.participantId },
      auth(attacker.token),
    );
    expect(landed.status).toBe(200);
    expect(landed.json.result).toMatchObject({ target: target.participantId, pointsLost: 1, arrows: 1 });
  });
});
