/**
 * @module A player's TCP connection killed mid-battle (not a client-side close) while attacks land on them: the SDK
 * reconnects through the same network path once it is back and every missed event arrives once, in order.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AttackedMessage, BattleConnection, type StreamState, type WebSocketLike } from "@arena/client";
import { afterAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { mulberry32 } from "../../loadtest/prng";
// @ts-expect-error: plain ESM script without types
import { startArena } from "../../scripts/arena-server.mjs";
import { freePort, startProxy } from "../browser/tcp-proxy";

/** The resume helper's ports: the server on 8800-8804, the cuttable proxy on 8805-8809 (restart.test: 8810+). */
const SERVER_PORTS = [8800, 8801, 8802, 8803, 8804];
const PROXY_PORTS = [8805, 8806, 8807, 8808, 8809];
const OPERATOR = { Authorization: "Bearer dev-operator-token", "content-type": "application/json" };
const persistTo = mkdtempSync(join(tmpdir(), "arena-e2e-kill-"));
afterAll(() => rmSync(persistTo, { recursive: true, force: true }));

async function http(base: string, method: string, path: string, body?: unknown, headers = OPERATOR) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as any };
}

function connection(url: string) {
  return new BattleConnection(url, {
    socketFactory: (u) => new WebSocket(u) as unknown as WebSocketLike,
    heartbeatMs: 0,
    rng: mulberry32(11),
    // Short, so the test does not wait; the policy itself is tested in client-backoff.test.ts.
    backoff: { baseMs: 50, maxMs: 400 },
  });
}

describe("a killed connection", () => {
  it("loses nothing: every attack that landed while the TCP connection was dead arrives once, in order", async () => {
    const port = await freePort(SERVER_PORTS);
    const arena = await startArena({ port, persistTo, quiet: true, log: () => {} });
    const proxy = await startProxy(PROXY_PORTS, port);
    try {
      const base: string = arena.url;
      const id = "killed-e2e";
      const questions = [
        { id: "q1", text: "1+1", choices: ["1", "2"], answer: 1 },
        { id: "q2", text: "2+2", answer: "4" },
      ];
      const rules = { startingArrows: 10, startingShields: 0 };
      expect(
        (await http(base, "POST", "/api/admin/battles", { id, title: "Killed", questions, rules })).status,
      ).toBe(201);
      await http(base, "POST", `/api/admin/battles/${id}/start`, {});
      const a = (await http(base, "POST", `/api/battles/${id}/join`, { username: "alice" })).json;
      const b = (await http(base, "POST", `/api/battles/${id}/join`, { username: "bob" })).json;

      // Alice plays through the proxy, so her TCP connection can be killed; Bob connects directly.
      const alice = connection(a.wsUrl.replace(`:${port}/`, `:${proxy.port}/`));
      const seen: AttackedMessage[] = [];
      let waiting: { n: number; resolve: () => void } | null = null;
      const received = (n: number) =>
        new Promise<void>((resolve) => {
          if (seen.length >= n) resolve();
          else waiting = { n, resolve };
        });
      const closes: number[] = [];
      let resumed: (s: StreamState) => void = () => {};
      const back = new Promise<StreamState>((r) => {
        resumed = r;
      });
      alice.handlers = {
        attacked: (m) => {
          seen.push(m);
          if (waiting && seen.length >= waiting.n) waiting.resolve();
        },
        close: (code) => closes.push(code),
        resumed: (s) => resumed(s),
        continuityLost: () => resumed({ epoch: "", seq: -1, continuity: "lost", replayed: 0 }),
      };
      await alice.connect();
      const bob = connection(b.wsUrl);
      await bob.connect();
      for (const [c, q, answer] of [
        [alice, "q1", 1],
        [alice, "q2", "4"],
        [bob, "q1", 1],
      ] as const) {
        expect((await c.request({ type: "answer", questionId: q, answer })).ok).toBe(true);
      }

      const acknowledged: number[] = [];
      const attack = async () => {
        const r = await bob.request({ type: "attack", target: a.participantId });
        expect(r.ok).toBe(true);
        if (r.ok) acknowledged.push(r.data.pointsLost);
      };
      await attack();
      await attack();
      // The network path dies: both TCP connections destroyed, no close frame; new ones refused until restore.
      proxy.cut();
      await attack();
      await attack();
      await attack();
      expect(alice.isOpen).toBe(false);
      proxy.restore();
      const stream = await back;
      await attack();

      expect(closes[0]).toBe(1006);
      expect(stream.continuity).toBe("kept");
      // Every acknowledged attack reached her exactly once, in sequence order, across the cut.
      await received(acknowledged.length);
      expect(seen).toHaveLength(acknowledged.length);
      // Consecutive sequence numbers: none missing, none twice, in order (her answers were seq 1 and 2).
      expect(seen.map((m) => m.seq)).toEqual(acknowledged.map((_, i) => 3 + i));
      expect(stream.replayed).toBeGreaterThanOrEqual(3);
      expect(seen.at(-1)!.score).toBe(20 - acknowledged.reduce((x, y) => x + y, 0));
      alice.close();
      bob.close();
    } finally {
      await proxy.close();
      await arena.stop();
    }
  });
});
