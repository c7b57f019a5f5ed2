/**
 * @module The load tester's server (scripts/dev-no-inspector.mjs through `startArena({ inspector: false })`): the
 * same Worker started through wrangler's API without the runtime inspector. It must be the same service: a battle
 * played on it reaches Postgres (its bundle has the `nodejs_compat` modules the Postgres driver needs) and D1, and
 * no inspector answers on the port the CLI would have opened.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
  testDatabaseUrl,
  waitFor,
} from "./persist-helpers";

const DB_URL = testDatabaseUrl();
const persistTo = mkdtempSync(join(tmpdir(), "arena-no-inspector-e2e-"));

afterAll(async () => {
  rmSync(persistTo, { recursive: true, force: true });
  await dropDatabase(DB_URL, 10_000);
});

describe("wrangler dev without the runtime inspector", () => {
  it("serves a battle whose record reaches Postgres and D1, with no inspector listening", async () => {
    await arenaDatabase(DB_URL);
    const [port] = (await freePorts(1)) as [number];
    const vars = { RATE_LIMIT_EXEMPT_IPS: "127.0.0.1", PERSIST_RETRY_BASE_SECONDS: "1" };
    const arena = await startArena({ port, inspector: false, persistTo, quiet: true, log: () => {}, vars });
    try {
      const base: string = arena.url;
      // The CLI always opens one (default 9229, or the next free port); this server must not.
      const inspectors = await Promise.all(
        [9229, 9230, 9231].map((p) =>
          fetch(`http://127.0.0.1:${p}/json/version`).then(
            () => p,
            () => null,
          ),
        ),
      );
      expect(inspectors.filter((p) => p !== null)).toEqual([]);

      const id = `noinsp-${randomBytes(3).toString("hex")}`;
      const created = await http(
        base,
        "POST",
        "/api/admin/battles",
        { id, title: "N", questions: QUESTIONS },
        OPERATOR,
      );
      expect(created.status).toBe(201);
      await http(base, "POST", `/api/admin/battles/${id}/start`, {}, OPERATOR);
      const joined = (await http(base, "POST", `/api/battles/${id}/join`, { username: "zoë" })).json;
      const socket = await openSocket(joined.wsUrl);
      for (const q of [0, 1, 2]) {
        const r = await socket.request({
          type: "answer",
          id: q + 1,
          questionId: `q${q}`,
          answer: String(q + 1),
        });
        expect(r.ok).toBe(true);
      }
      socket.ws.close();
      const done = await waitFor("the answers in both sinks", 30_000, async () => {
        const s = (await http(base, "GET", `/api/admin/battles/${id}/persistence`, undefined, OPERATOR)).json;
        const { lastSeq, confirmed } = s.object;
        return lastSeq > 0 && confirmed.pg === lastSeq && confirmed.d1 === lastSeq ? s : null;
      });
      expect(done.sinks).toEqual({ d1: done.object.lastSeq, pg: done.object.lastSeq });
    } finally {
      await arena.stop();
    }
  }, 120_000);
});
