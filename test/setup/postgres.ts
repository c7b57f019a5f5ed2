/**
 * @module Gives the Workers-runtime tests their own Postgres database: `arena_test_<random>` on the machine's
 * Postgres (127.0.0.1:5432), or an embedded PGlite when none runs; migrated with scripts/pg-migrate.mjs in a child
 * Node process (importing `postgres` here would resolve its workerd build), dropped at the end.
 */
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createConnection, type Server } from "node:net";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    pgUrl: string;
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: "127.0.0.1", port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(500, () => done(false));
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
  });
}

function migrate(url: string, ...flags: string[]): void {
  const r = spawnSync(process.execPath, ["scripts/pg-migrate.mjs", url, ...flags], { stdio: "inherit" });
  if (r.status !== 0) throw new Error(`postgres migrations failed for ${url}`);
}

/**
 * The local Hyperdrive proxy in this process pipes sockets without error handlers (workers-sdk #15768), so a
 * connection the runtime resets when it drops a test file's isolate would crash the whole run. Those resets are
 * expected; anything else still fails.
 */
function tolerateProxyResets(): void {
  process.on("uncaughtException", (e: NodeJS.ErrnoException) => {
    if (e.code === "ECONNRESET" || e.code === "EPIPE") {
      console.error(`local Hyperdrive proxy: ${e.code} ignored (workers-sdk #15768)`);
      return;
    }
    throw e;
  });
}

export default async function setup(project: TestProject) {
  tolerateProxyResets();
  if (await portOpen(5432)) {
    // ARENA_TEST_DB_TAG (a-z, 0-9, _) keeps concurrent sessions' databases apart: arena_test_<tag>_<random>.
    const tag = /^[a-z0-9_]+$/.test(process.env.ARENA_TEST_DB_TAG ?? "")
      ? `${process.env.ARENA_TEST_DB_TAG}_`
      : "";
    const url = `postgres://postgres:postgres@127.0.0.1:5432/arena_test_${tag}${randomBytes(6).toString("hex")}`;
    migrate(url, "--create");
    project.provide("pgUrl", url);
    const janitor = spawn(process.execPath, ["test/setup/pg-janitor.mjs", url], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    return () => {
      janitor.kill();
      // The runtime holds its connections until vitest exits; a detached child drops the database after (≤60 s).
      spawn(process.execPath, ["scripts/pg-migrate.mjs", url, "--drop"], {
        detached: true,
        stdio: "ignore",
      }).unref();
    };
  }
  const { PGlite } = await import("@electric-sql/pglite");
  const { PGLiteSocketServer } = await import("@electric-sql/pglite-socket");
  const db = await PGlite.create();
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 32 });
  await server.start();
  // The listening server is private in the typings; port 0 picked a free port.
  const address = (server as unknown as { server?: Server }).server?.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const url = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  migrate(url);
  project.provide("pgUrl", url);
  return async () => {
    await server.stop();
    await db.close();
  };
}
