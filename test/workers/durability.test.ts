/** @module Acknowledged writes survive the Durable Object being thrown away and rebuilt from its SQLite. */
import { abortAllDurableObjects, env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, connect, createBattle, join, startBattle } from "./helpers";

describe("durability", () => {
  it("rebuilds players, answers, attacks and the leaderboard after the object is reset", async () => {
    const id = await createBattle({ rules: { startingShields: 0 } });
    await startBattle(id);
    const a = await join(id, "alice");
    const b = await join(id, "bob");
    const wa = await connect(a);
    expect((await wa.request({ type: "answer", id: 1, questionId: "q1", answer: 1 })).ok).toBe(true);
    expect((await wa.request({ type: "answer", id: 2, questionId: "q2", answer: "Paris" })).ok).toBe(true);
    const wb = await connect(b);
    expect((await wb.request({ type: "answer", id: 1, questionId: "q1", answer: 1 })).ok).toBe(true);
    expect((await wb.request({ type: "attack", id: 2, target: a.participantId })).data.pointsLost).toBe(1);

    await abortAllDurableObjects();

    const auth = (t: string) => ({ Authorization: `Bearer ${t}` });
    const lb = await api("GET", `/api/battles/${id}/leaderboard`, undefined, auth(b.token));
    expect(lb.json.result.top.map((s: { username: string; score: number }) => [s.username, s.score])).toEqual(
      [
        ["alice", 19],
        ["bob", 10],
      ],
    );
    // Answered questions stay closed, spent arrows stay spent, sessions stay valid.
    const again = await api(
      "POST",
      `/api/battles/${id}/answer`,
      { questionId: "q1", answer: 1 },
      auth(a.token),
    );
    expect(again.json.error.code).toBe("already_answered");
    const wa2 = await connect(a);
    const welcome = wa2.frames.find((f) => f.type === "welcome");
    expect(welcome).toMatchObject({ you: { score: 19, arrows: 5, correct: 2, rank: 1, done: ["q1", "q2"] } });
    const admin = await api("GET", `/api/admin/battles/${id}`, undefined, {
      Authorization: "Bearer test-operator-token",
    });
    expect(admin.json.battle.stored).toEqual({ participants: 2, answers: 3, attacks: 1 });
    wa2.ws.close(1000);
  });

  it("answers internal for a write batch that rolls back, keeps memory equal to SQLite, and keeps serving", async () => {
    const id = await createBattle();
    await startBattle(id);
    const a = await join(id, "alice");
    const b = await join(id, "bob");
    const stub = env.BATTLE.get(env.BATTLE.idFromName(id));
    const sql = (q: string) => runInDurableObject(stub, (_i, state) => void state.storage.sql.exec(q));
    await sql(`CREATE TRIGGER fail_q2 BEFORE INSERT ON answers WHEN NEW.question_id = 'q2'
               BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);
    const wa = await connect(a);
    // Sent back to back: they may share a batch (then both roll back) or not; q2's write fails either way.
    wa.send({ type: "answer", id: 1, questionId: "q1", answer: 1 });
    wa.send({ type: "answer", id: 2, questionId: "q2", answer: "Paris" });
    const r1 = await wa.next((m) => m.type === "reply" && m.id === 1);
    const r2 = await wa.next((m) => m.type === "reply" && m.id === 2);
    expect(r2).toMatchObject({ ok: false, error: { code: "internal" } });
    const q1Kept = (r1 as { ok: boolean }).ok;
    await sql("DROP TRIGGER fail_q2");

    // Memory follows what SQLite holds: q2 is open again, q1 only if its write was lost with the batch.
    const view = await wa.request({ type: "leaderboard", id: 3 });
    expect(view.data.me.score).toBe(q1Kept ? 10 : 0);
    const again1 = await wa.request({ type: "answer", id: 4, questionId: "q1", answer: 1 });
    expect(again1.ok ? "scored" : again1.error.code).toBe(q1Kept ? "already_answered" : "scored");
    expect((await wa.request({ type: "answer", id: 5, questionId: "q2", answer: "Paris" })).ok).toBe(true);
    const wb = await connect(b);
    expect((await wb.request({ type: "answer", id: 1, questionId: "q1", answer: 1 })).ok).toBe(true);
    const admin = await api("GET", `/api/admin/battles/${id}`, undefined, {
      Authorization: "Bearer test-operator-token",
    });
    expect(admin.json.battle.stored).toEqual({ participants: 2, answers: 3, attacks: 0 });
    wa.ws.close(1000);
    wb.ws.close(1000);
  });
});
