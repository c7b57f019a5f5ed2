/**
 * @module The README's resume limits through the real Worker and Durable Object (test/unit/room-resume.test.ts has
 * the Node versions): at most 500 missed frames are replayed, one more is `continuity: "lost"`; the last 16 accepted
 * request ids are remembered, across a restart too; the last 8 final refusals are remembered, in memory only, so a
 * restart evaluates a refused request again.
 */
import { describe, expect, it } from "vitest";
import { REFUSAL_WINDOW, REPLAY_MAX, REQUEST_WINDOW } from "../../src/battle/player-streams";
import type { ServerMessage } from "../../src/protocol";
import {
  api,
  connect,
  createBattle,
  join,
  OPERATOR,
  restartObject,
  startBattle,
  type TestSocket,
} from "./helpers";

type Welcome = Extract<ServerMessage, { type: "welcome" }>;

function welcomeOf(s: TestSocket): Welcome {
  return s.frames.find((f) => f.type === "welcome") as Welcome;
}

async function stored(id: string): Promise<{ participants: number; answers: number; attacks: number }> {
  return (await api("GET", `/api/admin/battles/${id}`, undefined, OPERATOR)).json.battle.stored;
}

describe("resume limits", () => {
  it("REPLAY_MAX, REQUEST_WINDOW and REFUSAL_WINDOW are the README's 500, 16 and 8", () => {
    expect([REPLAY_MAX, REQUEST_WINDOW, REFUSAL_WINDOW]).toEqual([500, 16, 8]);
  });

  it("a player owed exactly 500 frames gets all 500 (seq 2..501, in order) before a `kept` welcome; owed 501 gets no frame and `lost`, and from one seq later `kept` again", async () => {
    const id = await createBattle({
      points: 1_000,
      rules: { startingArrows: 20, maxArrows: 20, startingShields: 0, shieldEveryCorrect: 0 },
    });
    await startBattle(id);
    const t = await join(id, "target");
    const wt = await connect(t);
    const { epoch } = welcomeOf(wt).stream;
    const answered = await wt.request({ type: "answer", id: 1, questionId: "q1", answer: 1 });
    expect(answered).toMatchObject({ ok: true, seq: 1, data: { score: 1_000 } });
    wt.ws.close(1000);
    await wt.waitClosed();

    // A player's budget is a burst of 20 frames: 26 attackers with 20 arrows each land up to 520 attacks at once.
    const attackers: TestSocket[] = [];
    for (let i = 0; i < 26; i++) attackers.push(await connect(await join(id, `attacker ${i}`)));
    let sent = 0;
    const attack = async (n: number) => {
      const pending: Array<{ w: TestSocket; id: number }> = [];
      for (let i = 0; i < n; i++) {
        const w = attackers[Math.floor(sent / 20)]!;
        pending.push({ w, id: ++sent });
        w.send({ type: "attack", id: sent, target: t.participantId });
      }
      for (const { w, id: i } of pending) {
        const r = await w.next((m) => m.type === "reply" && m.id === i, `attack ${i}`);
        expect(r, JSON.stringify(r)).toMatchObject({ ok: true, data: { blocked: false, pointsLost: 1 } });
      }
    };
    await attack(500);

    const kept = await connect(t, true, { seq: 1, epoch });
    const replayed = kept.frames.slice(0, -1);
    expect(replayed.map((f) => [f.type, (f as { seq: number }).seq])).toEqual(
      Array.from({ length: 500 }, (_, i) => ["attacked", i + 2]),
    );
    expect(kept.frames.at(-1)).toBe(welcomeOf(kept));
    expect(welcomeOf(kept).stream).toEqual({ epoch, seq: 501, continuity: "kept", replayed: 500 });
    expect(welcomeOf(kept).you.score).toBe(500);
    kept.ws.close(1000);
    await kept.waitClosed();

    await attack(1);
    const lost = await connect(t, true, { seq: 1, epoch });
    expect(lost.frames).toEqual([welcomeOf(lost)]);
    expect(welcomeOf(lost).stream).toEqual({ epoch, seq: 502, continuity: "lost", replayed: 0 });
    expect(welcomeOf(lost).you.score).toBe(499);
    lost.ws.close(1000);
    await lost.waitClosed();
    // The same stream from seq 2 is owed 500 again: kept (the count decides, not the frames' age).
    const fromTwo = await connect(t, true, { seq: 2, epoch });
    expect(welcomeOf(fromTwo).stream).toEqual({ epoch, seq: 502, continuity: "kept", replayed: 500 });
    expect(fromTwo.frames[0]).toMatchObject({ type: "attacked", seq: 3 });
    for (const w of [fromTwo, ...attackers]) w.ws.close(1000);
  });

  it("after 17 accepted attacks, a retry of the 2nd is its original reply marked duplicate (before and after a restart) and spends nothing, while a retry of the 1st is a new attack", async () => {
    const id = await createBattle({
      points: 100,
      rules: { startingArrows: 20, maxArrows: 20, startingShields: 0, shieldEveryCorrect: 0 },
    });
    await startBattle(id);
    const [a, b] = [await join(id, "alice"), await join(id, "bob")];
    const wb = await connect(b);
    expect((await wb.request({ type: "answer", id: 1, questionId: "q1", answer: 1 })).data.score).toBe(100);
    const wa = await connect(a);
    const replies: any[] = [];
    for (let i = 1; i <= 17; i++) {
      const r = await wa.request({ type: "attack", id: `r${i}`, target: b.participantId });
      expect(r).toMatchObject({ ok: true, data: { arrows: 20 - i } });
      replies.push(r);
    }
    const original2 = { type: "reply", id: "r2", ok: true, data: replies[1].data, duplicate: true };
    expect(await wa.request({ type: "attack", id: "r2", target: b.participantId })).toEqual(original2);

    // The window is in SQLite: a new object remembers it.
    await restartObject(id);
    const again = await connect(a);
    expect(welcomeOf(again).you.arrows).toBe(3);
    expect(await again.request({ type: "attack", id: "r2", target: b.participantId })).toEqual(original2);
    expect(await stored(id)).toMatchObject({ attacks: 17 });
    // r1 fell out of the 16: the same request is evaluated again, and attacks.
    const r1 = await again.request({ type: "attack", id: "r1", target: b.participantId });
    expect(r1).toEqual({
      type: "reply",
      id: "r1",
      ok: true,
      data: { target: b.participantId, blocked: false, pointsLost: 1, arrows: 2 },
      // Alice's stream: the 17 replies, then this one (duplicates take no seq).
      seq: 18,
    });
    expect(await stored(id)).toMatchObject({ attacks: 18 });
    for (const w of [again, wb]) w.ws.close(1000);
  });

  it("after 9 no_arrows refusals and an arrow earned, a retry of the 2nd is the same refusal marked duplicate, while a retry of the 1st is evaluated again and attacks", async () => {
    const id = await createBattle({
      rules: { startingArrows: 0, startingShields: 0, shieldEveryCorrect: 0 },
    });
    await startBattle(id);
    const [a, b] = [await join(id, "alice"), await join(id, "bob")];
    const wb = await connect(b);
    expect((await wb.request({ type: "answer", id: 1, questionId: "q1", answer: 1 })).ok).toBe(true);
    const wa = await connect(a);
    for (let i = 1; i <= 9; i++) {
      const r = await wa.request({ type: "attack", id: `n${i}`, target: b.participantId });
      expect(r).toMatchObject({ ok: false, error: { code: "no_arrows" } });
      expect(r.duplicate).toBeUndefined();
    }
    const earned = await wa.request({ type: "answer", id: "q", questionId: "q1", answer: 1 });
    expect(earned).toMatchObject({ ok: true, data: { arrows: 1 } });
    const n2 = await wa.request({ type: "attack", id: "n2", target: b.participantId });
    expect(n2).toEqual({
      type: "reply",
      id: "n2",
      ok: false,
      error: { code: "no_arrows", message: expect.any(String) },
      duplicate: true,
    });
    const n1 = await wa.request({ type: "attack", id: "n1", target: b.participantId });
    expect(n1).toMatchObject({ ok: true, data: { target: b.participantId, pointsLost: 1, arrows: 0 } });
    expect(n1.duplicate).toBeUndefined();
    expect(await stored(id)).toMatchObject({ attacks: 1 });
    for (const w of [wa, wb]) w.ws.close(1000);
  });

  it("a no_arrows refusal is remembered until the object restarts: its retry is a duplicate refusal before, and after the restart is evaluated again and attacks", async () => {
    const id = await createBattle({
      rules: { startingArrows: 0, startingShields: 0, shieldEveryCorrect: 0 },
    });
    await startBattle(id);
    const [a, b] = [await join(id, "alice"), await join(id, "bob")];
    const wb = await connect(b);
    expect((await wb.request({ type: "answer", id: 1, questionId: "q1", answer: 1 })).ok).toBe(true);
    const wa = await connect(a);
    const attackX = { type: "attack", id: "x", target: b.participantId };
    expect(await wa.request(attackX)).toMatchObject({ ok: false, error: { code: "no_arrows" } });
    expect((await wa.request({ type: "answer", id: "q", questionId: "q1", answer: 1 })).data.arrows).toBe(1);
    expect(await wa.request(attackX)).toMatchObject({
      ok: false,
      error: { code: "no_arrows" },
      duplicate: true,
    });

    await restartObject(id);
    const again = await connect(a);
    expect(welcomeOf(again).you.arrows).toBe(1);
    const retried = await again.request(attackX);
    expect(retried).toMatchObject({ ok: true, data: { target: b.participantId, pointsLost: 1, arrows: 0 } });
    expect(retried.duplicate).toBeUndefined();
    expect(await stored(id)).toMatchObject({ attacks: 1 });
    const wb2 = await connect(b);
    expect(welcomeOf(wb2).you.score).toBe(9);
    for (const w of [again, wb2]) w.ws.close(1000);
  });
});
