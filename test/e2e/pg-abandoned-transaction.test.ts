/**
 * @module A Postgres sink transaction whose client goes silent before COMMIT (a consumer invocation cancelled, an
 * isolate dropped, while a proxy keeps the server's socket open) is ended by Postgres itself within
 * IDLE_IN_TRANSACTION_TIMEOUT_MS: its locks on the watermark rows and its table locks go, it rolls back, and the
 * redelivered batch lands. Without the limit the server waits forever and DDL (a migration) queues every later
 * write behind it. Real Postgres on 127.0.0.1:5432 through a TCP proxy that swallows the client's COMMIT.
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: plain ESM script without types
import { createDatabase, dropDatabase, migratePostgres } from "../../scripts/pg-migrate.mjs";
import { planApply } from "../../src/persistence/apply-plan";
import { type ParsedMessage, packMessages, parseMessage } from "../../src/persistence/message";
import { applyToPostgres, IDLE_IN_TRANSACTION_TIMEOUT_MS, pgClient } from "../../src/persistence/pg-sink";
import { testDatabaseUrl, waitFor } from "./persist-helpers";

const DB_URL = testDatabaseUrl();

async function postgresRunning(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: "127.0.0.1", port: 5432 });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(500, () => done(false));
    s.once("connect", () => done(true)).once("error", () => done(false));
  });
}

/**
 * Forwards to Postgres until the client sends a chunk containing `marker`; that chunk and every later byte of the
 * client are dropped (the server sees an idle client) while both sockets stay open.
 */
async function swallowingProxy(marker: string) {
  const open = new Set<Socket>();
  let swallowing = false;
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: "127.0.0.1", port: 5432 });
    open.add(client).add(upstream);
    client.on("data", (chunk: Buffer) => {
      if (chunk.includes(marker)) swallowing = true;
      if (!swallowing) upstream.write(chunk);
    });
    upstream.pipe(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", drop);
    upstream.on("error", drop);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    port,
    get swallowing() {
      return swallowing;
    },
    close() {
      for (const s of open) s.destroy();
      return new Promise((r) => server.close(r));
    },
  };
}

function batch(battle: string): ParsedMessage[] {
  const answer = {
    k: "answer",
    p: 1,
    q: "q1",
    n: 1,
    a: "1",
    c: 1,
    pts: 10,
    bo: 0,
    at: 5,
    st: [10, 4, 0, 1, 5],
  };
  const rows = [{ seq: 1, body: JSON.stringify(answer) }];
  return packMessages(battle, 0, rows).map((m) => {
    const parsed = parseMessage(m.body);
    if (typeof parsed === "string") throw new Error(parsed);
    return parsed;
  });
}

const running = await postgresRunning();
// This test needs a real Postgres server (PGlite has no backends to abandon). CI always has one: there a missing
// server is a failure, never a silent skip; elsewhere it is skipped with this message.
if (!running && process.env.CI) {
  throw new Error("pg-abandoned-transaction: CI has no Postgres on 127.0.0.1:5432");
}
if (!running) console.warn("pg-abandoned-transaction: no Postgres on 127.0.0.1:5432; skipped");

describe.runIf(running)("a Postgres sink transaction abandoned before COMMIT", () => {
  let direct: postgres.Sql;
  beforeAll(async () => {
    await createDatabase(DB_URL);
    await migratePostgres(DB_URL);
    direct = postgres(DB_URL, { max: 1, onnotice: () => {} });
  });
  afterAll(async () => {
    await direct?.end();
    await dropDatabase(DB_URL, 10_000);
  });

  it("is ended by Postgres, its locks freed and its writes rolled back; the redelivery lands", async () => {
    const battle = `abandoned-${Date.now()}`;
    const plan = planApply(batch(battle));
    // The battle's watermark row exists (committed), as after its first delivery: the sink locks it.
    await direct.unsafe("INSERT INTO watermarks (battle_id, shard, seq) VALUES ($1, 0, 0)", [battle]);
    // Every statement of the transaction reaches the server; its COMMIT never does.
    const proxy = await swallowingProxy("commit");
    const viaProxy = pgClient(
      `postgres://postgres:postgres@127.0.0.1:${proxy.port}${new URL(DB_URL).pathname}`,
    );
    const abandoned = applyToPostgres(viaProxy, plan).then(
      () => "committed",
      (e: Error) => e.message,
    );
    try {
      await abandonedAndFreed(battle, proxy);
    } finally {
      await proxy.close();
      await viaProxy.end({ timeout: 0 });
    }
    expect(await abandoned).not.toBe("committed");

    // The queue redelivers the same batch: it lands once, the watermark moves.
    const marks = await applyToPostgres(direct, plan);
    expect([...marks.values()]).toEqual([1]);
    expect(await direct.unsafe("SELECT seq::int FROM answers WHERE battle_id = $1", [battle])).toEqual([
      { seq: 1 },
    ]);
  });

  async function abandonedAndFreed(battle: string, proxy: { readonly swallowing: boolean }) {
    const lockedAt = await waitFor("the transaction to hold the watermark row", 10_000, async () => {
      if (!proxy.swallowing) return null;
      const held = await direct
        .unsafe("SELECT 1 FROM watermarks WHERE battle_id = $1 FOR UPDATE NOWAIT", [battle])
        .then(() => false)
        .catch((e: { code?: string }) => e.code === "55P03");
      return held ? Date.now() : null;
    });

    // Postgres ends the idle transaction: the row can be locked again and nothing of the batch was kept.
    const freedAt = await waitFor("Postgres to end the abandoned transaction", 30_000, async () => {
      const rows = await direct
        .begin(async (tx) => {
          await tx.unsafe("SET LOCAL lock_timeout = '200ms'");
          return tx.unsafe("SELECT seq FROM watermarks WHERE battle_id = $1 FOR UPDATE", [battle]);
        })
        .catch(() => null);
      return rows === null ? null : Date.now();
    });
    expect(freedAt - lockedAt).toBeLessThan(IDLE_IN_TRANSACTION_TIMEOUT_MS + 10_000);
    expect(await direct.unsafe("SELECT 1 FROM answers WHERE battle_id = $1", [battle])).toHaveLength(0);
  }
});
