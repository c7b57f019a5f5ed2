/** @module Killing `wrangler dev` mid-battle loses no acknowledged answer or attack. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
// @ts-expect-error: plain ESM script without types
import { startArena } from "../../scripts/arena-server.mjs";

/** Inside the resume helper's port range (8800-8819). */
const PORT = 8810 + Math.floor(Math.random() * 10);
const OPERATOR = { Authorization: "Bearer dev-operator-token", "content-type": "application/json" };
const persistTo = mkdtempSync(join(tmpdir(), "arena-e2e-"));
afterAll(() => rmSync(persistTo, { recursive: true, force: true }));

async function http(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as any };
}

function openSocket(url: string): Promise<{
  ws: WebSocket;
  frames: any[];
  request: (m: { id: number; [k: string]: unknown }) => Promise<any>;
  /** The first frame (already received or still to come) that `match` accepts. */
  until: (match: (f: any) => boolean) => Promise<any>;
}> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const pending = new Map<number, (v: unknown) => void>();
    const frames: any[] = [];
    const waiters: { match: (f: any) => boolean; resolve: (f: any) => void }[] = [];
    const until = (match: (f: any) => boolean) =>
      new Promise<any>((r) => {
        const seen = frames.find(match);
        if (seen) r(seen);
        else waiters.push({ match, resolve: r });
      });
    ws.on("message", (data) => {
      const m = JSON.parse(String(data));
      frames.push(m);
      for (const w of waiters.filter((x) => x.match(m))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
      if (m.type === "welcome") resolve({ ws, frames, request, until });
      if (m.type === "reply") pending.get(m.id)?.(m);
    });
    ws.on("error", reject);
    const request = (m: { id: number; [k: string]: unknown }) =>
      new Promise<any>((r) => {
        pending.set(m.id, r);
        ws.send(JSON.stringify(m));
      });
  });
}

describe("restart of wrangler dev", () => {
  it("keeps every acknowledged write across a crash", async () => {
    let arena = await startArena({ port: PORT, persistTo, quiet: true, log: () => {} });
    const base: string = arena.url;
    const id = "restart-e2e";
    const questions = [
      { id: "q1", text: "1+1", choices: ["1", "2"], answer: 1 },
      { id: "q2", text: "2+2", answer: "4" },
    ];
    expect(
      (await http(base, "POST", "/api/admin/battles", { id, title: "Restart", questions }, OPERATOR)).status,
    ).toBe(201);
    await http(base, "POST", `/api/admin/battles/${id}/start`, {}, OPERATOR);
    const a = (await http(base, "POST", `/api/battles/${id}/join`, { username: "alice" })).json;
    const b = (await http(base, "POST", `/api/battles/${id}/join`, { username: "bob" })).json;
    const sa = await openSocket(a.wsUrl);
    const sb = await openSocket(b.wsUrl);
    expect((await sa.request({ type: "answer", id: 1, questionId: "q1", answer: 1 })).ok).toBe(true);
    expect((await sa.request({ type: "answer", id: 2, questionId: "q2", answer: "4" })).ok).toBe(true);
    expect((await sb.request({ type: "answer", id: 1, questionId: "q1", answer: 1 })).ok).toBe(true);
    const attack = await sb.request({ type: "attack", id: 2, target: a.participantId });
    expect(attack.ok).toBe(true);
    // Alice drops once the first attack's event has reached her (the attacker's reply and her event travel on two
    // sockets: reading her last seq before it arrives counted it as missed); one more attack lands on her while she
    // is away, acknowledged, then the server is killed.
    await sa.until((f) => f.type === "attacked");
    const seen = sa.frames.filter((f) => typeof f.seq === "number").at(-1).seq;
    const { epoch } = sa.frames.find((f) => f.type === "welcome").stream;
    const closed = new Promise((r) => sa.ws.once("close", r));
    sa.ws.close(1000);
    await closed;
    const away = await sb.request({ type: "attack", id: 3, target: a.participantId });
    expect(away.ok).toBe(true);

    await arena.stop("SIGKILL");
    arena = await startArena({ port: PORT, persistTo, quiet: true, log: () => {} });
    try {
      const lb = await http(base, "GET", `/api/battles/${id}/leaderboard`, undefined, {
        Authorization: `Bearer ${a.token}`,
      });
      const aliceScore = 20 - attack.data.pointsLost - away.data.pointsLost;
      expect(lb.json.result.me).toEqual({ rank: 1, score: aliceScore });
      expect(lb.json.result.top.map((s: { score: number }) => s.score)).toEqual(
        [aliceScore, 10].sort((x, y) => y - x),
      );
      const admin = await http(base, "GET", `/api/admin/battles/${id}`, undefined, OPERATOR);
      expect(admin.json.battle.stored).toEqual({ participants: 2, answers: 3, attacks: 2 });
      // Alice resumes across the crash: the attack she missed, once, then a welcome that says continuity kept.
      const back = await openSocket(`${a.wsUrl}&seq=${seen}&epoch=${epoch}`);
      const missed = back.frames.filter((f) => f.type === "attacked");
      expect(missed.map((f) => f.seq)).toEqual([seen + 1]);
      expect(back.frames.at(-1).stream).toMatchObject({
        epoch,
        seq: seen + 1,
        continuity: "kept",
        replayed: 1,
      });
      // Bob's retry of the acknowledged attack after the crash gets the original reply and spends nothing.
      const bob = await openSocket(b.wsUrl);
      const retried = await bob.request({ type: "attack", id: 3, target: a.participantId });
      expect(retried).toMatchObject({ ok: true, duplicate: true, data: away.data });
      bob.ws.close();
      back.ws.close();
      const again = await openSocket(b.wsUrl);
      expect((await again.request({ type: "answer", id: 4, questionId: "q1", answer: 1 })).error.code).toBe(
        "already_answered",
      );
      again.ws.close();
    } finally {
      await arena.stop();
    }
  });
});
