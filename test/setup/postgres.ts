/**
 * @module Gives the Workers-runtime tests their own Postgres database: `arena_test_<random>` on the machine's
 * Postgres (127.0.0.1:5432), or an embedded PGlite when none runs; migrated with scripts/pg-migrate.mjs in a child
 * Node process (importing `postgres` here would resolve its workerd build), dropped at the end.
 */
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createConnection, type Server, Socket } from "node:net";
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

/** Set on the errors `tolerateProxyResets` lets pass (see there). */
const PROXY_RESET = Symbol("local Hyperdrive proxy reset");

/**
 * The local Hyperdrive proxy in this process (miniflare's HyperdriveProxyController) pipes its sockets, the
 * runtime's end and Postgres's end, without `error` listeners (workers-sdk #15768). When the runtime drops a test
 * file's isolate it resets its end, and the unhandled socket error would crash the whole run. Exactly those are
 * ignored: `read ECONNRESET` (the peer reset the connection under a pending read) and `write EPIPE` (the proxy's
 * pipe wrote to a socket already closed), emitted as `error` on a net.Socket that has no `error` listener. Any
 * other uncaught exception, a reset on a socket somebody listens to, or these codes from any other syscall, still
 * fails the run.
 */
function tolerateProxyResets(): void {
  const emit = Socket.prototype.emit;
  Socket.prototype.emit = function markProxyReset(this: Socket, event: string | symbol, ...args: unknown[]) {
    const e = args[0] as NodeJS.ErrnoException | undefined;
    if (
      event === "error" &&
      this.listenerCount("error") === 0 &&
      e instanceof Error &&
      ((e.code === "ECONNRESET" && e.syscall === "read") || (e.code === "EPIPE" && e.syscall === "write"))
    ) {
      Object.defineProperty(e, PROXY_RESET, { value: true });
    }
    return emit.apply(this, [event, ...args] as Parameters<typeof emit>);
  } as typeof emit;
  process.on("uncaughtException", (e: NodeJS.ErrnoException) => {
    if ((e as unknown as Record<symbol, unknown>)[PROXY_RESET] === true) {
      console.error(`local Hyperdrive proxy: ${e.syscall} ${e.code} ignored (workers-sdk #15768)`);
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
    console.log(
      `postgres: the workers tests run against the machine's Postgres 15 (${url.split("/").pop()})`,
    );
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
  // CI always has the machine's Postgres: a missing one there is a failure, never a silent substitution.
  if (process.env.CI) throw new Error("postgres: CI has no Postgres on 127.0.0.1:5432");
  console.log("postgres: no server on 127.0.0.1:5432; the workers tests run against an embedded PGlite");
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
