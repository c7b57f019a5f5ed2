/** @module Whole battles through the real Worker and Durable Object: join, answer, attack, pushes, end. */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { BattleDO } from "../../src/do/battle-do";
import { api, connect, createBattle, join, listedStatus, OPERATOR, startBattle } from "./helpers";

function stubOf(id: string) {
  return env.BATTLE.get(env.BATTLE.idFromName(id));
}

/** Moves the object's clock forward (the injectable clock), without sleeping. */
async function advanceClock(id: string, ms: number): Promise<void> {
  await runInDurableObject(stubOf(id), (instance: BattleDO) => {
    const base = instance.clock;
    instance.clock = () => base() + ms;
  });
}

describe("a whole battle over WebSockets", () => {
  it("scores answers, resolves attacks, pushes leaderboards, kicks duplicate logins and ends on its alarm", async () => {
    const id = await createBattle({
      rules: { startingArrows: 1, startingShields: 1, shieldEveryCorrect: 0 },
    });
    const [a, b, c] = [await join(id, "alice"), await join(id, "bob"), await join(id, "carol")];
    const [wa, wb, wc] = [await connect(a), await connect(b), await connect(c)];

    // Before the start: answers are refused and no questions are revealed.
    const early = await wa.request({ type: "answer", id: 1, questionId: "q1", answer: 1 });
    expect(early.error.code).toBe("battle_not_live");

    await startBattle(id);
    const started = await wa.next((m) => m.type === "battle" && m.status === "live", "battle live");
    expect(started).toMatchObject({ status: "live" });

    // Right, wrong, twice.
    const right = await wa.request({ type: "answer", id: 2, questionId: "q1", answer: 1 });
    expect(right).toMatchObject({ ok: true, data: { correct: true, points: 10, score: 10, arrows: 2 } });
    const twice = await wa.request({ type: "answer", id: 3, questionId: "q1", answer: 1 });
    expect(twice).toMatchObject({ ok: false, error: { code: "already_answered" } });
    const wrong = await wb.request({ type: "answer", id: 1, questionId: "q1", answer: 0 });
    expect(wrong).toMatchObject({ ok: true, data: { correct: false, points: 0, score: 0 } });
    const exact = await wb.request({ type: "answer", id: 2, questionId: "q2", answer: "  paris " });
    expect(exact).toMatchObject({ ok: true, data: { correct: true, score: 10 } });
    const unknownQ = await wb.request({ type: "answer", id: 3, questionId: "nope", answer: "x" });
    expect(unknownQ.error.code).toBe("unknown_question");
    const a2 = await wa.request({ type: "answer", id: 4, questionId: "q3", answer: "Jupiter" });
    expect(a2.data).toMatchObject({ correct: true, score: 20, arrows: 3 });

    // Refused attacks.
    expect((await wa.request({ type: "attack", id: 10, target: a.participantId })).error.code).toBe(
      "self_attack",
    );
    expect((await wa.request({ type: "attack", id: 11, target: 999 })).error.code).toBe("unknown_target");
    expect((await wb.request({ type: "attack", id: 12, target: c.participantId })).error.code).toBe(
      "target_has_no_points",
    );
    // Blocked by bob's shield, then unblocked.
    const blocked = await wa.request({ type: "attack", id: 13, target: b.participantId });
    expect(blocked.data).toEqual({ target: b.participantId, blocked: true, pointsLost: 0, arrows: 2 });
    const ev1 = await wb.next((m) => m.type === "attacked", "attacked (blocked)");
    expect(ev1).toMatchObject({
      attacker: { id: a.participantId, username: "alice" },
      blocked: true,
      pointsLost: 0,
    });
    const hit = await wa.request({ type: "attack", id: 14, target: b.participantId });
    expect(hit.data).toEqual({ target: b.participantId, blocked: false, pointsLost: 1, arrows: 1 });
    const ev2 = await wb.next((m) => m.type === "attacked", "attacked (hit)");
    expect(ev2).toMatchObject({ blocked: false, pointsLost: 1, score: 9, shields: 0 });
    // Carol has one arrow; alice's shield blocks it, and then carol has none.
    expect((await wc.request({ type: "attack", id: 1, target: a.participantId })).data).toMatchObject({
      blocked: true,
      arrows: 0,
    });
    expect((await wc.request({ type: "attack", id: 2, target: a.participantId })).error.code).toBe(
      "no_arrows",
    );

    // A conflated push reaches carol with the right ranks and neighbours: alice 20, bob 9, carol 0.
    const lb = await wc.next(
      (m) => m.type === "leaderboard" && m.top[0]?.score === 20 && m.top[1]?.score === 9,
      "leaderboard push",
    );
    expect(lb).toMatchObject({
      total: 3,
      top: [
        { rank: 1, username: "alice", score: 20 },
        { rank: 2, username: "bob", score: 9 },
        { rank: 3, username: "carol", score: 0 },
      ],
      me: { rank: 3, score: 0 },
    });
    if (lb.type !== "leaderboard") throw new Error("unreachable");
    expect(lb.around.map((s) => s.username)).toEqual(["alice", "bob", "carol"]);
    // On demand, a page at an offset.
    const page = await wc.request({ type: "leaderboard", id: 3, offset: 1, limit: 1 });
    expect(page.data).toEqual({
      total: 3,
      offset: 1,
      entries: [{ rank: 2, id: b.participantId, username: "bob", score: 9 }],
    });

    // A duplicate login (case-insensitive, with the player key) kicks the old socket with 4501; the old token is
    // refused.
    const b2 = await join(id, "BOB", b.playerKey);
    expect(b2.participantId).toBe(b.participantId);
    expect((await wb.waitClosed()).code).toBe(4501);
    const stale = await api("GET", `/api/battles/${id}/leaderboard`, undefined, {
      Authorization: `Bearer ${b.token}`,
    });
    expect(stale.status).toBe(401);
    expect(stale.json.error.code).toBe("session_replaced");
    const wb2 = await connect(b2);

    // The end: the alarm freezes the battle, everyone hears it, results are public.
    expect((await api("GET", `/api/battles/${id}/results`)).json.error.code).toBe("battle_not_ended");
    await advanceClock(id, 11 * 60_000);
    // The clients kept sending heartbeats through those minutes (a silent socket is swept, after the end too).
    for (const w of [wa, wb2]) expect((await w.request({ type: "ping", id: "hb" })).ok).toBe(true);
    expect(await runDurableObjectAlarm(stubOf(id))).toBe(true);
    await wa.next((m) => m.type === "battle" && m.status === "ended", "battle ended");
    await wb2.next((m) => m.type === "battle" && m.status === "ended", "battle ended");
    expect((await wa.request({ type: "answer", id: 99, questionId: "q4", answer: "water" })).error.code).toBe(
      "battle_ended",
    );
    const results = await api("GET", `/api/battles/${id}/results`);
    expect(results.status).toBe(200);
    expect(results.json.final).toBe(true);
    expect(
      results.json.standings.map((s: { username: string; score: number }) => [s.username, s.score]),
    ).toEqual([
      ["alice", 20],
      ["bob", 9],
      ["carol", 0],
    ]);
    await listedStatus(id, "ended");
    for (const s of [wa, wb2, wc]) s.ws.close(1000);
  });

  it("keeps one player's bad frames away from everyone else", async () => {
    const id = await createBattle();
    await startBattle(id);
    const [a, b] = [await join(id, "alice"), await join(id, "bob")];
    const [wa, wb] = [await connect(a), await connect(b)];
    wa.send("{not json");
    expect(await wa.next((m) => m.type === "error")).toMatchObject({ error: { code: "bad_json" } });
    wa.send({ type: "teleport", id: 5 });
    expect(await wa.next((m) => m.type === "reply" && m.id === 5)).toMatchObject({
      error: { code: "unknown_type" },
    });
    wa.send({ type: "answer", id: 6, questionId: "q1" });
    expect(await wa.next((m) => m.type === "reply" && m.id === 6)).toMatchObject({
      error: { code: "bad_message" },
    });
    wa.send(JSON.stringify({ type: "answer", id: 7, questionId: "q1", answer: "x".repeat(20_000) }));
    expect(await wa.next((m) => m.type === "error")).toMatchObject({ error: { code: "frame_too_large" } });
    wa.ws.send(new Uint8Array([1, 2, 3]));
    expect(await wa.next((m) => m.type === "error")).toMatchObject({ error: { code: "bad_message" } });
    // Both still play.
    expect((await wa.request({ type: "answer", id: 8, questionId: "q1", answer: 1 })).ok).toBe(true);
    expect((await wb.request({ type: "answer", id: 1, questionId: "q1", answer: 1 })).ok).toBe(true);
    wa.ws.close(1000);
    wb.ws.close(1000);
  });

  it("shows who is online and closes sockets that stop sending heartbeats", async () => {
    const id = await createBattle();
    await startBattle(id);
    const [a, b] = [await join(id, "alice"), await join(id, "bob")];
    const wa = await connect(a);
    const wb = await connect(b);
    const both = await wa.next((m) => m.type === "presence" && m.online === 2, "presence of two");
    expect(both).toMatchObject({ players: [{ username: "alice" }, { username: "bob" }] });
    await advanceClock(id, 2 * 60_000);
    // Alice keeps talking; Bob has been silent past the heartbeat timeout.
    expect((await wa.request({ type: "leaderboard", id: 1 })).ok).toBe(true);
    expect(await runDurableObjectAlarm(stubOf(id))).toBe(true);
    expect((await wb.waitClosed()).code).toBe(4000);
    expect(await wa.next((m) => m.type === "presence" && m.online === 1, "presence of one")).toMatchObject({
      players: [{ username: "alice" }],
    });
    wa.ws.close(1000);
  });

  it("answers a flood with rate_limited and retryAfterMs while the socket stays open", async () => {
    const id = await createBattle();
    await startBattle(id);
    const w = await connect(await join(id, "spammer"));
    await join(id, "bystander");
    for (let i = 0; i < 40; i++) w.send({ type: "leaderboard", id: i });
    const replies = [];
    for (let i = 0; i < 40; i++) replies.push(await w.next((m) => m.type === "reply" && m.id === i));
    const limited = replies.filter((r: any) => !r.ok);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]).toMatchObject({ error: { code: "rate_limited" } });
    expect((limited[0] as any).error.retryAfterMs).toBeGreaterThan(0);
    expect(w.closed).toBeNull();
    // The operator's live view counts them (the console shows these figures).
    const info = await api("GET", `/api/admin/battles/${id}`, undefined, OPERATOR);
    expect(info.json.battle.online).toBe(1);
    expect(info.json.battle.requests).toEqual({
      handled: 40,
      rejected: limited.length,
      rateLimited: limited.length,
    });
    const all = await api("GET", `/api/admin/battles/${id}/standings`, undefined, OPERATOR);
    expect(all.json.standings).toHaveLength(2);
    const top = await api("GET", `/api/admin/battles/${id}/standings?limit=1`, undefined, OPERATOR);
    expect(top.json.standings).toEqual([all.json.standings[0]]);
    expect((await api("GET", `/api/admin/battles/${id}/standings?limit=0`, undefined, OPERATOR)).status).toBe(
      400,
    );
    w.ws.close(1000);
  });
});
