/**
 * @module The persistence pipeline across a crash, through a real `wrangler dev` (on free ports) on a database
 * of its own: `wrangler dev` killed with SIGKILL right after a burst of acknowledged answers (events still in its
 * in-memory queue or not yet applied), restarted: every acknowledged event reaches Postgres and D1 exactly once
 * (the object sends again from the confirmed watermark) and reconciliation is clean.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
// @ts-expect-error: plain ESM script without types
import { freePorts, startArena } from "../../scripts/arena-server.mjs";
// @ts-expect-error: plain ESM script without types
import { dropDatabase } from "../../scripts/pg-migrate.mjs";
import {
  arenaDatabase,
  http,
  OPERATOR,
  openSocket,
  QUESTIONS,
  step,
  testDatabaseUrl,
  waitFor,
} from "./persist-helpers";

const DB_URL = testDatabaseUrl();
const persistTo = mkdtempSync(join(tmpdir(), "arena-persist-e2e-"));

afterAll(async () => {
  rmSync(persistTo, { recursive: true, force: true });
  await dropDatabase(DB_URL, 10_000);
});

describe("persistence through wrangler dev", () => {
  it("delivers every acknowledged event exactly once across a SIGKILL", async () => {
    await arenaDatabase(DB_URL);
    // Ports verified free (bound and released); the restart reuses them.
    const [PORT, INSPECTOR] = (await freePorts(2)) as [number, number];
    const vars = { RATE_LIMIT_EXEMPT_IPS: "127.0.0.1", PERSIST_RETRY_BASE_SECONDS: "1" };
    const start = () =>
      startArena({ port: PORT, inspectorPort: INSPECTOR, persistTo, quiet: true, log: () => {}, vars });
    let arena = await start();
    const sql = postgres(DB_URL, { max: 1, onnotice: () => {} });
    try {
      const base: string = arena.url;
      const id = `persist-e2e-${randomBytes(3).toString("hex")}`;
      expect(
        (await http(base, "POST", "/api/admin/battles", { id, title: "P", questions: QUESTIONS }, OPERATOR))
          .status,
      ).toBe(201);
      await http(base, "POST", `/api/admin/battles/${id}/start`, {}, OPERATOR);
      const players: { participantId: number; wsUrl: string }[] = [];
      for (const name of ["ann", "ben", "cat", "dan"]) {
        players.push((await http(base, "POST", `/api/battles/${id}/join`, { username: name })).json);
      }
      let sockets = await Promise.all(players.map((p) => openSocket(p.wsUrl)));
      let acked = 0;
      let slowest = 0;
      const play = async (questions: number[], idBase: number) => {
        for (const [i, s] of sockets.entries()) {
          for (const q of questions) {
            const t0 = performance.now();
            const r = await s.request({
              type: "answer",
              id: idBase + q,
              questionId: `q${q}`,
              answer: String((q + i) % 3 === 0 ? q + 1 : 0),
            });
            slowest = Math.max(slowest, performance.now() - t0);
            expect(r.ok).toBe(true);
            acked++;
          }
        }
        const r = await sockets[1]!.request({
          type: "attack",
          id: idBase + 99,
          target: players[0]!.participantId,
        });
        if (r.ok) acked++;
      };
      await play([0, 1], 100);
      step("first answers acknowledged");
      const state = async () =>
        (await http(base, "GET", `/api/admin/battles/${id}/persistence`, undefined, OPERATOR)).json;
      await waitFor("the first events in Postgres", 20_000, async () => {
        const s = await state();
        return s.object.confirmed.pg === s.object.lastSeq ? s : null;
      });
      step("first events confirmed");

      // A burst, then SIGKILL at once: what the local queue held is gone with the process.
      slowest = 0;
      await play([2, 3, 4], 200);
      // A figure, not a bound: how fast replies are is the benchmarks' business (BENCHMARKS.md).
      step(`burst played, slowest reply ${slowest.toFixed(0)} ms`);
      // Read last thing before the kill: the crash must catch events the sinks have not confirmed, or it would
      // prove nothing about resending (the queue waits up to max_batch_timeout = 1 s before delivering a batch).
      const before = await state();
      const unconfirmed = before.object.lastSeq - before.object.confirmed.pg;
      step(`killing with ${unconfirmed} events unconfirmed`);
      expect(unconfirmed).toBeGreaterThan(0);
      for (const s of sockets) s.ws.terminate();
      await arena.stop("SIGKILL");
      arena = await start();
      step("restarted");
      sockets = await Promise.all(players.map((p) => openSocket(p.wsUrl)));
      await play([5], 300);
      for (const s of sockets) s.ws.close();
      expect((await http(base, "POST", `/api/admin/battles/${id}/end`, undefined, OPERATOR)).status).toBe(
        200,
      );
      const done = await waitFor("every event in both sinks", 60_000, async () => {
        const s = await state();
        const { lastSeq, confirmed, depth } = s.object;
        step(JSON.stringify(s));
        return confirmed.pg === lastSeq && confirmed.d1 === lastSeq && depth === 0 ? s : null;
      });
      expect(done.sinks).toEqual({ d1: done.object.lastSeq, pg: done.object.lastSeq });

      const info = (await http(base, "GET", `/api/admin/battles/${id}`, undefined, OPERATOR)).json.battle;
      const [counts] =
        await sql`SELECT (SELECT count(*)::int FROM answers WHERE battle_id = ${id}) AS answers,
        (SELECT count(*)::int FROM attacks WHERE battle_id = ${id}) AS attacks`;
      expect(counts!.answers + counts!.attacks).toBe(acked);
      expect(counts).toEqual({ answers: info.stored.answers, attacks: info.stored.attacks });
      const report = (await http(base, "GET", `/api/admin/battles/${id}/reconcile`, undefined, OPERATOR))
        .json;
      expect(report).toMatchObject({ clean: true, participants: 4, differences: [] });
      const results = await http(base, "GET", `/api/battles/${id}/results`);
      expect(results.json.standings).toHaveLength(4);
    } finally {
      await sql.end();
      await arena.stop();
      delete process.env.ARENA_PG_URL;
    }
  }, 240_000);
});
