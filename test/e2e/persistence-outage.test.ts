/**
 * @module Postgres unreachable mid-battle, through a real `wrangler dev` (ports 8850-8859) and the real local
 * Hyperdrive path, on a database of its own. The outage is Postgres itself refusing connections
 * (`ALTER DATABASE … ALLOW_CONNECTIONS false`: every new connection gets `FATAL 55000 database "…" is not
 * currently accepting connections`, as in a maintenance window) and the connections open at that moment are ended
 * (`pg_terminate_backend`); the consumer opens one connection per invocation, so from then on every Postgres write
 * fails. Play goes on: every reply arrives while Postgres is down (the request
 * path never waits for it), the outage outlasts the consumer's retries so messages are dead-lettered, and after
 * the restore every acknowledged event reaches Postgres exactly once (the object's resend from the watermark heals
 * it; no replay needed), reconciliation is clean, and the dead letters the outage left are superseded, not open.
 *
 * Not simulated here: a closed port or a reset connection. wrangler 4.86's local Hyperdrive proxy has no socket
 * error handlers (workers-sdk #15768); scripts/proxy-guard.mjs (preloaded by startArena) drops such sockets so the
 * consumer sees an error, as production Hyperdrive returns one, and handles it like the FATAL above.
 */

import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
// @ts-expect-error: plain ESM script without types
import { startArena } from "../../scripts/arena-server.mjs";
// @ts-expect-error: plain ESM script without types
import { dropDatabase } from "../../scripts/pg-migrate.mjs";
import {
  arenaDatabase,
  http,
  OPERATOR,
  openSocket,
  QUESTIONS,
  step,
  type TestSocket,
  testDatabaseUrl,
  waitFor,
} from "./persist-helpers";

const PORT = 8850 + Math.floor(Math.random() * 10);
const INSPECTOR = 9315 + Math.floor(Math.random() * 5);
const DB_URL = testDatabaseUrl();
const DB_NAME = new URL(DB_URL).pathname.slice(1);
const persistTo = mkdtempSync(join(tmpdir(), "arena-persist-outage-"));
/** Admin connection (to the server's `postgres` database) that switches the test database's connections off/on. */
const admin = postgres(DB_URL.replace(/\/[^/]+$/, "/postgres"), { max: 1, onnotice: () => {} });

async function allowConnections(allow: boolean): Promise<void> {
  await admin.unsafe(`ALTER DATABASE ${DB_NAME} WITH ALLOW_CONNECTIONS ${allow}`);
}

/** Ends every open connection to the test database (a consumer caught mid-transaction sees it die). */
async function terminateConnections(): Promise<number> {
  const rows = await admin`SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity
    WHERE datname = ${DB_NAME} AND pid <> pg_backend_pid()`;
  return rows.filter((r) => r.done).length;
}

afterAll(async () => {
  await allowConnections(true).catch(() => {});
  await admin.end();
  rmSync(persistTo, { recursive: true, force: true });
  await dropDatabase(DB_URL, 10_000);
});

describe("persistence while Postgres is down", () => {
  it("plays on without delay and lands every acknowledged event once Postgres is back", async () => {
    await arenaDatabase(DB_URL);
    const vars = { RATE_LIMIT_EXEMPT_IPS: "127.0.0.1", PERSIST_RETRY_BASE_SECONDS: "1" };
    const arena = await startArena({
      port: PORT,
      inspectorPort: INSPECTOR,
      persistTo,
      quiet: true,
      log: () => {},
      vars,
    });
    try {
      const base: string = arena.url;
      const id = `persist-outage-${randomBytes(3).toString("hex")}`;
      const op = (method: string, path: string, body?: unknown) =>
        http(base, method, `/api/admin${path}`, body, OPERATOR);
      expect((await op("POST", "/battles", { id, title: "Outage", questions: QUESTIONS })).status).toBe(201);
      await op("POST", `/battles/${id}/start`, {});
      const players: { participantId: number; wsUrl: string }[] = [];
      for (const name of ["ann", "ben", "cat", "dan"]) {
        players.push((await http(base, "POST", `/api/battles/${id}/join`, { username: name })).json);
      }
      const sockets: TestSocket[] = await Promise.all(players.map((p) => openSocket(p.wsUrl)));
      let acked = 0;
      /** Plays the questions for every player (and one attack); returns the slowest reply in ms. */
      const play = async (questions: number[], idBase: number): Promise<number> => {
        let slowest = 0;
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
        const t0 = performance.now();
        const r = await sockets[1]!.request({
          type: "attack",
          id: idBase + 99,
          target: players[0]!.participantId,
        });
        slowest = Math.max(slowest, performance.now() - t0);
        if (r.ok) acked++;
        return slowest;
      };
      const state = async () => (await op("GET", `/battles/${id}/persistence`)).json;
      const deadLetters = async (all: boolean) =>
        (await op("GET", `/dead-letters?battle=${id}&all=${all ? 1 : 0}&limit=100`)).json.deadLetters as {
          id: string;
          toSeq: number;
          supersededAt: number | null;
        }[];

      const before = await play([0, 1], 100);
      await waitFor("the first events in Postgres", 30_000, async () => {
        const s = await state();
        return s.object.confirmed.pg === s.object.lastSeq ? s : null;
      });
      const confirmedBefore = (await state()).object.confirmed.pg;
      step(`first events confirmed (pg ${confirmedBefore}); slowest reply ${before.toFixed(0)} ms`);

      await allowConnections(false);
      const ended = await terminateConnections();
      await expect(
        (async () => {
          const probe = postgres(DB_URL, { max: 1, onnotice: () => {} });
          try {
            await probe`SELECT 1`;
          } finally {
            await probe.end();
          }
        })(),
      ).rejects.toThrow(/not currently accepting connections/);
      step(`postgres refuses connections (${ended} open connection(s) ended)`);

      // Play on: every reply arrives while Postgres is down (awaited before the restore below).
      let during = await play([2, 3], 200);
      // The outage outlasts the consumer's retries (1 + 2 + 4 s, then the DLQ): wait for a dead letter.
      const letters = await waitFor("a dead letter from the outage", 90_000, async () => {
        const l = await deadLetters(true);
        return l.length > 0 ? l : null;
      });
      during = Math.max(during, await play([4], 400));
      const down = await state();
      step(`down: ${JSON.stringify(down)}; slowest reply during the outage ${during.toFixed(0)} ms`);
      // Nothing on the request path waits for Postgres. By event order: every reply of the outage arrived before the
      // restore below (each was awaited). By size, against this run's own baseline (the same players and sockets
      // before the outage), with room for a busy 2-core machine: a request path that waited for a connection
      // attempt (the consumer's retries take 1 + 2 + 4 s) would not fit.
      expect(during).toBeLessThan(Math.max(10 * before, before + 1_000));
      expect(down.sinks.pg).toHaveProperty("error");
      expect(down.object.confirmed.pg).toBe(confirmedBefore);
      expect(down.object.lastSeq).toBeGreaterThan(confirmedBefore);
      expect(down.deadLetters).toBeGreaterThan(0);
      expect(arena.child.exitCode).toBeNull();

      await allowConnections(true);
      step(`postgres accepts connections again; ${letters.length} dead letter(s) so far`);
      await play([5], 500);
      for (const s of sockets) s.ws.close();
      expect((await op("POST", `/battles/${id}/end`)).status).toBe(200);
      const done = await waitFor("every event in both sinks", 150_000, async () => {
        const s = await state();
        const { lastSeq, confirmed, depth } = s.object;
        return confirmed.pg === lastSeq && confirmed.d1 === lastSeq && depth === 0 ? s : null;
      });
      step(`healed: ${JSON.stringify(done)}`);
      expect(done.sinks).toEqual({ d1: done.object.lastSeq, pg: done.object.lastSeq });
      // The resend delivered what the outage's dead letters held: none is open (nothing for an operator to
      // replay), all are listed as superseded.
      const settled = await waitFor("the outage's dead letters superseded", 30_000, async () => {
        const s = await state();
        return s.deadLetters === 0 && s.deadLettersSuperseded >= letters.length ? s : null;
      });
      expect(await deadLetters(false)).toEqual([]);
      const all = await deadLetters(true);
      expect(all.length).toBe(settled.deadLettersSuperseded);
      expect(all.every((l) => l.supersededAt !== null && l.toSeq <= done.object.lastSeq)).toBe(true);

      const sql = postgres(DB_URL, { max: 1, onnotice: () => {} });
      try {
        const [counts] = await sql`SELECT
          (SELECT count(*)::int FROM answers WHERE battle_id = ${id}) AS answers,
          (SELECT count(DISTINCT (participant_id, question_id, attempt))::int FROM answers
            WHERE battle_id = ${id}) AS "distinctAnswers",
          (SELECT count(*)::int FROM attacks WHERE battle_id = ${id}) AS attacks`;
        expect(counts!.answers + counts!.attacks).toBe(acked);
        expect(counts!.distinctAnswers).toBe(counts!.answers);
      } finally {
        await sql.end();
      }
      const report = (await op("GET", `/battles/${id}/reconcile`)).json;
      expect(report).toMatchObject({ clean: true, participants: 4, differences: [] });
      expect(arena.child.exitCode).toBeNull();
      step(`slowest reply: ${before.toFixed(0)} ms before, ${during.toFixed(0)} ms during the outage`);
    } finally {
      await arena.stop();
      delete process.env.ARENA_PG_URL;
    }
  }, 300_000);
});
