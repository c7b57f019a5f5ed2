/**
 * @module Socket admission through a real `wrangler dev` (ports 8820-8829) with `CONNECT_RATE_PER_SECOND=2`: a crowd
 * that connects at once gets the burst admitted and the rest closed 1013 with their own slots; the SDK comes back
 * at its slot, resumes, and every player ends up welcomed; the operator's view counts both.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BattleConnection, retryAfterOf, type WebSocketLike } from "@arena/client";
import { afterAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { mulberry32 } from "../../loadtest/prng";
// @ts-expect-error: plain ESM script without types
import { startArena } from "../../scripts/arena-server.mjs";
import { freePort } from "../browser/tcp-proxy";
import { http, OPERATOR, QUESTIONS } from "./persist-helpers";

const PORTS = Array.from({ length: 10 }, (_, i) => 8820 + i);
const persistTo = mkdtempSync(join(tmpdir(), "arena-e2e-admission-"));
afterAll(() => rmSync(persistTo, { recursive: true, force: true }));

describe("socket admission", () => {
  it("admits a burst, closes the rest 1013 with their own slots, and the SDK brings every one back", async () => {
    const port = await freePort(PORTS);
    const arena = await startArena({
      port,
      persistTo,
      quiet: true,
      log: () => {},
      vars: { CONNECT_RATE_PER_SECOND: "2" },
    });
    const connections: BattleConnection[] = [];
    try {
      const base: string = arena.url;
      const id = "admission-e2e";
      const created = await http(
        base,
        "POST",
        "/api/admin/battles",
        { id, title: "Admission", questions: QUESTIONS },
        OPERATOR,
      );
      expect(created.status).toBe(201);
      await http(base, "POST", `/api/admin/battles/${id}/start`, {}, OPERATOR);
      const players = [];
      for (let i = 0; i < 8; i++) {
        const joined = await http(
          base,
          "POST",
          `/api/battles/${id}/join`,
          { username: `p${i}` },
          {
            "content-type": "application/json",
          },
        );
        expect(joined.status).toBe(201);
        players.push(joined.json as { wsUrl: string });
      }
      const refusals: number[] = [];
      const rng = mulberry32(5);
      for (const p of players) {
        const conn = new BattleConnection(p.wsUrl, {
          socketFactory: (u) => new WebSocket(u) as unknown as WebSocketLike,
          heartbeatMs: 0,
          rng,
          backoff: { baseMs: 50, maxMs: 400 },
        });
        conn.handlers.close = (code, reason) => {
          if (code === 1013) refusals.push(retryAfterOf(reason) ?? -1);
        };
        connections.push(conn);
      }
      // All eight at once: two are admitted in the burst, the rest get slots 500 ms apart.
      const welcomes = await Promise.all(connections.map((c) => c.connect()));
      expect(welcomes.every((w) => w.type === "welcome")).toBe(true);
      expect(refusals.length).toBeGreaterThanOrEqual(4);
      expect(refusals.every((ms) => ms > 0 && ms <= 60_000)).toBe(true);
      // Each refused socket was told its own slot, not one shared delay.
      expect(new Set(refusals).size).toBe(refusals.length);

      const admin = await http(base, "GET", `/api/admin/battles/${id}`, undefined, OPERATOR);
      expect(admin.json.battle.connects).toEqual({ admitted: 8, refused: refusals.length, limited: 0 });
      expect(admin.json.battle.online).toBe(8);
    } finally {
      for (const c of connections) c.close();
      await arena.stop();
    }
  });
});
