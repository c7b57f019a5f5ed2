/** @module Killing `wrangler dev` mid-battle loses no acknowledged answer or attack. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
// @ts-expect-error: plain ESM script without types
import { startArena } from "../../scripts/arena-server.mjs";

const PORT = 8870 + Math.floor(Math.random() * 100);
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

function openSocket(
  url: string,
): Promise<{ ws: WebSocket; request: (m: { id: number; [k: string]: unknown }) => Promise<any> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const pending = new Map<number, (v: unknown) => void>();
    ws.on("message", (data) => {
      const m = JSON.parse(String(data));
      if (m.type === "welcome") resolve({ ws, request });
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

    await arena.stop("SIGKILL");
    arena = await startArena({ port: PORT, persistTo, quiet: true, log: () => {} });
    try {
      const lb = await http(base, "GET", `/api/battles/${id}/leaderboard`, undefined, {
        Authorization: `Bearer ${a.token}`,
      });
      const aliceScore = 20 - attack.data.pointsLost;
      expect(lb.json.result.me).toEqual({ rank: 1, score: aliceScore });
      expect(lb.json.result.top.map((s: { score: number }) => s.score)).toEqual([aliceScore, 10]);
      const admin = await http(base, "GET", `/api/admin/battles/${id}`, undefined, OPERATOR);
      expect(admin.json.battle.stored).toEqual({ participants: 2, answers: 3, attacks: 1 });
      const again = await openSocket(b.wsUrl);
      expect((await again.request({ type: "answer", id: 3, questionId: "q1", answer: 1 })).error.code).toBe(
        "already_answered",
      );
      again.ws.close();
    } finally {
      await arena.stop();
    }
  });
});
