/**
 * @module Starts Arena locally: D1 migrations, a Postgres for Hyperdrive (the machine's on :5432 if it runs,
 * otherwise an embedded PGlite) with its migrations (migrations/pg), then `wrangler dev`. Used by `npm start` and by the load tester.
 */
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Environment that keeps wrangler offline and quiet. */
export const OFFLINE_ENV = {
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
  WRANGLER_HIDE_BANNER: "true",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  CI: "true",
};

function portOpen(host, port, timeoutMs = 500) {
  return new Promise((resolve) => {
    const s = createConnection({ host, port });
    const done = (ok) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
  });
}

/** Returns a Postgres URL for Hyperdrive's local stand-in, starting an embedded one if none runs. */
export async function localPostgres(log = console.log) {
  if (process.env.ARENA_PG_URL) return { url: process.env.ARENA_PG_URL, stop: async () => {} };
  if (await portOpen("127.0.0.1", 5432)) {
    log("postgres: using the machine's Postgres on 127.0.0.1:5432");
    return { url: "postgres://postgres:postgres@127.0.0.1:5432/test", stop: async () => {} };
  }
  const { PGlite } = await import("@electric-sql/pglite");
  const { PGLiteSocketServer } = await import("@electric-sql/pglite-socket");
  const db = await PGlite.create({ dataDir: join(ROOT, ".wrangler", "pglite") });
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 32 });
  await server.start();
  const port = server.server?.address()?.port ?? server.port;
  log(`postgres: no server on :5432, started embedded PGlite on 127.0.0.1:${port}`);
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await server.stop();
      await db.close();
    },
  };
}

export function ensureDevVars() {
  const vars = join(ROOT, ".dev.vars");
  if (!existsSync(vars)) copyFileSync(join(ROOT, ".dev.vars.example"), vars);
}

export function applyD1Migrations(persistTo) {
  const args = ["wrangler", "d1", "migrations", "apply", "DB", "--local"];
  if (persistTo) args.push("--persist-to", persistTo);
  const r = spawnSync("npx", args, { cwd: ROOT, env: { ...process.env, ...OFFLINE_ENV }, stdio: "inherit" });
  if (r.status !== 0) throw new Error("D1 migrations failed");
}

/**
 * Worker settings `npm start` takes from its own environment and passes to `wrangler dev` as `--var`, so
 * `RATE_LIMIT_EXEMPT_IPS=127.0.0.1 npm start` works (wrangler.toml's [vars] alone would win otherwise).
 */
export const ENV_VARS = [
  "RATE_LIMIT_EXEMPT_IPS",
  "TOKEN_TTL_SECONDS",
  "JOIN_LIMIT_PER_MINUTE",
  "CONNECT_RATE_PER_SECOND",
  "TOKEN_KID",
  "PERSISTENCE",
  "FANOUT",
];

/** The `--var` values: those set in `env`, then `explicit` (the caller's) on top. */
export function workerVars(env, explicit = {}) {
  const vars = {};
  for (const name of ENV_VARS) if (env[name] !== undefined) vars[name] = env[name];
  return { ...vars, ...explicit };
}

/** NODE_OPTIONS that preload `proxy-guard.mjs` into wrangler (see there), keeping the caller's own options. */
export function proxyGuardOptions() {
  const guard = `--import=${pathToFileURL(join(ROOT, "scripts", "proxy-guard.mjs")).href}`;
  return [process.env.NODE_OPTIONS, guard].filter(Boolean).join(" ");
}

/**
 * Runs `wrangler dev` and resolves once it answers /health.
 * @param {{port?: number, persistTo?: string, inspectorPort?: number, inspector?: boolean, vars?: Record<string,string>, quiet?: boolean, log?: (s: string) => void}} opts
 */
export async function startArena(opts = {}) {
  const log = opts.log ?? console.log;
  ensureDevVars();
  applyD1Migrations(opts.persistTo);
  const pg = await localPostgres(log);
  const { migratePostgres } = await import("./pg-migrate.mjs");
  await migratePostgres(pg.url);
  const dev = await spawnDev({ ...opts, pgUrl: pg.url });
  const stop = async (signal = "SIGTERM") => {
    await dev.stop(signal);
    await pg.stop();
  };
  return { url: dev.url, pid: dev.pid, child: dev.child, stop, pgUrl: pg.url };
}

/** How long `spawnDev` waits for a new `wrangler dev` to answer /health before it gives up and throws. */
export const DEV_START_TIMEOUT_MS = 60_000;

/**
 * A free TCP port on 127.0.0.1, verified by binding it: a server listens on port 0 (the OS picks a free port),
 * its port is read and the server closed. `n` ports at once are held together until all are read, so they differ.
 * @param {number} [n]
 * @returns {Promise<number[]>}
 */
export async function freePorts(n = 1) {
  const servers = [];
  try {
    for (let i = 0; i < n; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", resolve);
      });
    }
    return servers.map((s) => s.address().port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => (s.listening ? s.close(r) : r()))));
  }
}

/**
 * One `wrangler dev` process (of `config`, default wrangler.toml) on `port`, resolved once it answers /health.
 * Throws (after stopping the process) if the port is already taken (another server would answer /health in its
 * place), if the process exits, or if /health does not answer within `DEV_START_TIMEOUT_MS`.
 * @param {{port?: number, config?: string, persistTo?: string, inspectorPort?: number, inspector?: boolean, vars?: Record<string,string>, quiet?: boolean, pgUrl: string}} opts
 */
export async function spawnDev(opts) {
  const port = opts.port ?? 8787;
  // A process just stopped on this port may hold it for a moment; anything still there after 10 s is another server.
  for (const until = Date.now() + 10_000; await portOpen("127.0.0.1", port); ) {
    if (Date.now() > until) throw new Error(`port ${port} is already in use: wrangler dev not started`);
    await new Promise((r) => setTimeout(r, 250));
  }
  // `inspector: false`: wrangler's API without the runtime inspector (scripts/dev-no-inspector.mjs), for load runs.
  const quietInspector = opts.inspector === false && !opts.inspectorPort;
  const args = quietInspector
    ? [join(ROOT, "scripts", "dev-no-inspector.mjs"), "--ip", "127.0.0.1", "--port", String(port)]
    : [
        "wrangler",
        "dev",
        "--ip",
        "127.0.0.1",
        "--port",
        String(port),
        "--show-interactive-dev-session=false",
      ];
  if (opts.config) args.push("--config", opts.config);
  if (opts.persistTo) args.push("--persist-to", opts.persistTo);
  if (opts.inspectorPort) args.push("--inspector-port", String(opts.inspectorPort));
  for (const [k, v] of Object.entries(workerVars(process.env, opts.vars))) args.push("--var", `${k}:${v}`);
  const child = spawn(quietInspector ? process.execPath : "npx", args, {
    cwd: ROOT,
    env: {
      ...process.env,
      ...OFFLINE_ENV,
      CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: opts.pgUrl,
      NODE_OPTIONS: proxyGuardOptions(),
    },
    stdio: opts.quiet ? ["ignore", "ignore", "inherit"] : "inherit",
    detached: true,
  });
  const url = `http://127.0.0.1:${port}`;
  /** Stops wrangler dev and workerd; `SIGKILL` simulates a crash. */
  const stop = async (signal = "SIGTERM") => {
    const exited = new Promise((r) => (child.exitCode !== null ? r() : child.once("exit", r)));
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
    await exited;
  };
  const deadline = Date.now() + (opts.startTimeoutMs ?? DEV_START_TIMEOUT_MS);
  let healthy = false;
  let last = "no answer";
  while (!healthy && Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`wrangler dev on port ${port} exited with ${child.exitCode}`);
    try {
      const r = await fetch(`${url}/health`);
      healthy = r.ok;
      last = `HTTP ${r.status}`;
    } catch (e) {
      last = String(e); // not up yet
    }
    if (!healthy) await new Promise((r) => setTimeout(r, 250));
  }
  if (!healthy) {
    await stop("SIGKILL");
    throw new Error(
      `wrangler dev on port ${port}: /health did not answer within the start timeout (last: ${last})`,
    );
  }
  return { url, pid: child.pid, child, stop };
}
