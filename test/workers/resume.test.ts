/** @module Resume through the real Worker and Durable Object: missed frames, idempotent retries, socket limits. */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ServerMessage } from "../../src/protocol";
import { api, connect, createBattle, freshIp, join, OPERATOR, startBattle, TestSocket } from "./helpers";

type Welcome = Extract<ServerMessage, { type: "welcome" }>;

function welcomeOf(s: TestSocket): Welcome {
  return s.frames.find((f) => f.type === "welcome") as Welcome;
}

describe("resume", () => {
  it("a player whose connection dropped while attacks landed gets every missed event once, in order", async () => {
    const id = await createBattle({ rules: { startingArrows: 5, startingShields: 0 } });
    await startBattle(id);
    const [a, b, c] = [await join(id, "alice"), await join(id, "bob"), await join(id, "carol")];
    const [wa, wb, wc] = [await connect(a), await connect(b), await connect(c)];
    for (const [w, n] of [
      [wa, 1],
      [wb, 1],
      [wc, 1],
    ] as const) {
      expect((await w.request({ type: "answer", id: n, questionId: "q1", answer: 1 })).ok).toBe(true);
    }
    const { epoch } = welcomeOf(wa).stream;
    const lastSeq = (
      wa.frames.filter((f) => "seq" in f && typeof f.seq === "number").at(-1) as { seq: number }
    ).seq;
    wa.ws.close(1000);
    await wa.waitClosed();

    const landed: number[] = [];
    for (const [w, n] of [
      [wb, 2],
      [wc, 2],
      [wb, 3],
    ] as const) {
      const r = await w.request({ type: "attack", id: n, target: a.participantId });
      expect(r.ok).toBe(true);
      landed.push(r.data.pointsLost);
    }

    const back = await connect(a, true, { seq: lastSeq, epoch });
    const attacked = back.frames.filter((f) => f.type === "attacked");
    expect(attacked.map((f) => f.seq)).toEqual([lastSeq + 1, lastSeq + 2, lastSeq + 3]);
    expect(attacked.map((f) => f.attacker.username)).toEqual(["bob", "carol", "bob"]);
    expect(back.frames.findIndex((f) => f.type === "welcome")).toBe(3);
    expect(welcomeOf(back).stream).toEqual({ epoch, seq: lastSeq + 3, continuity: "kept", replayed: 3 });
    expect(welcomeOf(back).you.score).toBe(attacked.at(-1)!.score);

    // Without a resume point (or with a foreign one) the welcome says so and nothing is replayed.
    const fresh = await connect(a, true, { seq: lastSeq, epoch: "not-this-one" });
    expect(fresh.frames.filter((f) => f.type === "attacked")).toHaveLength(0);
    expect(welcomeOf(fresh).stream.continuity).toBe("lost");
    for (const s of [back, fresh, wb, wc]) s.ws.close(1000);
  });

  it("a retried request id returns the original reply and spends nothing", async () => {
    const id = await createBattle({ rules: { startingArrows: 3, startingShields: 0 } });
    await startBattle(id);
    const [a, b] = [await join(id, "alice"), await join(id, "bob")];
    const [wa, wb] = [await connect(a), await connect(b)];
    expect((await wb.request({ type: "answer", id: 1, questionId: "q1", answer: 1 })).ok).toBe(true);
    const first = await wa.request({ type: "attack", id: "atk-1", target: b.participantId });
    expect(first.ok).toBe(true);
    const answered = await wa.request({ type: "answer", id: "ans-1", questionId: "q2", answer: "Paris" });
    expect(answered.data.correct).toBe(true);

    // The client lost the replies, reconnects and sends the same requests again with the same ids.
    wa.ws.close(1000);
    const again = await connect(a);
    const retry = await again.request({ type: "attack", id: "atk-1", target: b.participantId });
    expect(retry).toMatchObject({ ok: true, duplicate: true, data: first.data });
    const retryAnswer = await again.request({
      type: "answer",
      id: "ans-1",
      questionId: "q2",
      answer: "Paris",
    });
    expect(retryAnswer).toMatchObject({ ok: true, duplicate: true, data: answered.data });
    const admin = await api("GET", `/api/admin/battles/${id}`, undefined, OPERATOR);
    expect(admin.json.battle.stored).toMatchObject({ attacks: 1, answers: 2 });
    expect(wb.frames.filter((f) => f.type === "attacked")).toHaveLength(1);
    expect(welcomeOf(again).you.arrows).toBe(answered.data.arrows);
    for (const s of [again, wb]) s.ws.close(1000);
  });

  it("a retried HTTP attack with the same Idempotency-Key spends one arrow only, and shares the socket's window", async () => {
    const id = await createBattle({ rules: { startingArrows: 3, startingShields: 0 } });
    await startBattle(id);
    const [a, b] = [await join(id, "alice"), await join(id, "bob")];
    const wb = await connect(b);
    expect((await wb.request({ type: "answer", id: 1, questionId: "q1", answer: 1 })).ok).toBe(true);
    const auth = { Authorization: `Bearer ${a.token}` };
    const attack = (key?: string) =>
      api(
        "POST",
        `/api/battles/${id}/attack`,
        { target: b.participantId },
        key === undefined ? auth : { ...auth, "Idempotency-Key": key },
      );
    const first = await attack("k-1");
    expect(first.status).toBe(200);
    expect(first.json).toEqual({ result: expect.objectContaining({ arrows: 2 }) });
    // The client timed out and retries: the original result, nothing spent.
    const retry = await attack("k-1");
    expect(retry.status).toBe(200);
    expect(retry.json).toEqual({ result: first.json.result, duplicate: true });
    const admin = await api("GET", `/api/admin/battles/${id}`, undefined, OPERATOR);
    expect(admin.json.battle.stored.attacks).toBe(1);
    await wb.next((m) => m.type === "attacked", "the one attacked event");
    expect(wb.frames.filter((f) => f.type === "attacked")).toHaveLength(1);
    // The same window as the socket's: the key sent as a socket request id is a retry too.
    const wa = await connect(a);
    const overSocket = await wa.request({ type: "attack", id: "k-1", target: b.participantId });
    expect(overSocket).toMatchObject({ ok: true, duplicate: true, data: first.json.result });
    expect(welcomeOf(wa).you.arrows).toBe(2);
    // Without a key every call is a new request; a bad key is refused before anything happens.
    expect((await attack()).json.result.arrows).toBe(1);
    const bad = await attack("x".repeat(65));
    expect(bad).toMatchObject({ status: 400, json: { error: { code: "bad_message" } } });
    const admin2 = await api("GET", `/api/admin/battles/${id}`, undefined, OPERATOR);
    expect(admin2.json.battle.stored.attacks).toBe(2);
    for (const s of [wa, wb]) s.ws.close(1000);
  });

  it("a retried HTTP request refused for a final reason gets the same refusal, not a second evaluation", async () => {
    const id = await createBattle({ rules: { startingArrows: 0, startingShields: 0 } });
    await startBattle(id);
    const [a, b] = [await join(id, "alice"), await join(id, "bob")];
    const headers = { Authorization: `Bearer ${a.token}`, "Idempotency-Key": "once" };
    const refused = await api("POST", `/api/battles/${id}/attack`, { target: b.participantId }, headers);
    expect(refused).toMatchObject({ status: 409, json: { error: { code: "no_arrows" } } });
    // Alice earns an arrow; the retry of the refused request still does not attack.
    const ans = await api(
      "POST",
      `/api/battles/${id}/answer`,
      { questionId: "q1", answer: 1 },
      {
        Authorization: `Bearer ${a.token}`,
      },
    );
    expect(ans.json.result.arrows).toBeGreaterThan(0);
    const retry = await SELF.fetch(`http://arena.test/api/battles/${id}/attack`, {
      method: "POST",
      headers: { ...headers, "CF-Connecting-IP": freshIp() },
      body: JSON.stringify({ target: b.participantId }),
    });
    expect(retry.status).toBe(409);
    expect(retry.headers.get("Idempotent-Replayed")).toBe("true");
    expect(await retry.json()).toMatchObject({ error: { code: "no_arrows" } });
  });

  it("a player with a stale socket and a new one gets leaderboards on the new one", async () => {
    const id = await createBattle();
    await startBattle(id);
    const [a, b] = [await join(id, "alice"), await join(id, "bob")];
    const stale = await connect(a);
    const wb = await connect(b);
    const fresh = await connect(a);
    const answered = await wb.request({ type: "answer", id: 1, questionId: "q1", answer: 1 });
    expect(answered).toMatchObject({ ok: true, data: { correct: true } });
    expect(answered.data.score).toBeGreaterThan(0);
    const pushed = await fresh.next(
      (m) => m.type === "leaderboard" && m.top[0]?.username === "bob" && m.top[0]?.score > 0,
      "leaderboard on the new socket",
    );
    // The push on the new socket shows bob's answer at the top with the score his reply gave, and alice unscored.
    expect(pushed).toMatchObject({
      type: "leaderboard",
      total: 2,
      top: [
        { rank: 1, id: b.participantId, username: "bob", score: answered.data.score },
        { rank: 2, id: a.participantId, username: "alice", score: 0 },
      ],
      me: { rank: 2, score: 0 },
    });
    for (const s of [stale, fresh, wb]) s.ws.close(1000);
  });

  it("keeps at most 3 sockets per player: a fourth closes the oldest with 4502", async () => {
    const id = await createBattle();
    await startBattle(id);
    const a = await join(id, "alice");
    const socks = [await connect(a), await connect(a), await connect(a), await connect(a)];
    expect((await socks[0]!.waitClosed()).code).toBe(4502);
    for (const s of socks.slice(1)) expect(s.closed).toBeNull();
    const admin = await api("GET", `/api/admin/battles/${id}`, undefined, OPERATOR);
    expect(admin.json.battle.online).toBe(3);
    for (const s of socks.slice(1)) s.ws.close(1000);
  });

  it("closes a participant's sockets beyond 20 a minute with 1013 until the minute ends; others still connect", async () => {
    const id = await createBattle();
    await startBattle(id);
    const a = await join(id, "alice");
    const b = await join(id, "bob");
    // The 21st socket of the minute is refused (the 41st at the latest, if a minute boundary fell in between).
    let admitted = 0;
    let closed: { code: number; reason: string } | null = null;
    while (closed === null && admitted <= 40) {
      const res = await SELF.fetch(a.wsUrl.replace(/^ws/, "http"), {
        headers: { Upgrade: "websocket", "CF-Connecting-IP": freshIp() },
      });
      expect(res.status).toBe(101);
      const sock = new TestSocket(res.webSocket!);
      res.webSocket!.accept();
      const first = await Promise.race([
        sock.next((m) => m.type === "welcome", "welcome"),
        sock.waitClosed(),
      ]);
      if ("type" in first) {
        admitted++;
        sock.ws.close(1000);
      } else closed = first;
    }
    expect(admitted).toBeGreaterThanOrEqual(20);
    expect(admitted).toBeLessThanOrEqual(40);
    expect(closed?.code).toBe(1013);
    const { code, retryAfterMs } = JSON.parse(closed!.reason);
    expect(code).toBe("overloaded");
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(retryAfterMs).toBeLessThanOrEqual(60_000);
    const other = await connect(b);
    const admin = await api("GET", `/api/admin/battles/${id}`, undefined, OPERATOR);
    expect(admin.json.battle.connects).toEqual({ admitted: admitted + 1, refused: 0, limited: 1 });
    other.ws.close(1000);
  });

  it("refuses a replaced session's upgrade with a close code every client can read (4501)", async () => {
    const id = await createBattle();
    const old = await join(id, "alice");
    await join(id, "alice", old.playerKey);
    const res = await SELF.fetch(old.wsUrl.replace(/^ws/, "http"), {
      headers: { Upgrade: "websocket", "CF-Connecting-IP": freshIp() },
    });
    expect(res.status).toBe(101);
    const ws = res.webSocket!;
    const socket = new TestSocket(ws);
    ws.accept();
    expect((await socket.waitClosed()).code).toBe(4501);
    expect(socket.frames).toHaveLength(0);
  });
});
