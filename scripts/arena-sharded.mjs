/**
 * @module The local multi-process mode: the same Worker started as P `wrangler dev` processes (`arena-p0` …),
 * so one battle's shards use more than one core and more than one process's 20,000 open files. Process i holds
 * shard k when k mod P = i; process 0 also holds the coordinators, the queue and its consumer (the others send
 * their outbox through process 0's `EventsRelay`). The processes reach each other's objects through `script_name`
 * bindings (`BATTLE_P<j>`) over wrangler's dev registry. With `hub`, one more process (index P) holds no battle
 * object and runs the queue, its consumer and the front door for HTTP (operator API, joins, D1 reads): the
 * consumer then never shares a battle object's thread, as in production. Production is one Worker and one
 * namespace: nothing here is deployed. Configs are generated from wrangler.toml into .wrangler/sharded/.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "smol-toml";
import { applyD1Migrations, ensureDevVars, localPostgres, ROOT, spawnDev } from "./arena-server.mjs";

/** `KEY=value` lines of .dev.vars (comments and blanks skipped). */
function readDevVars() {
  const vars = {};
  for (const line of readFileSync(join(ROOT, ".dev.vars"), "utf8").split("\n")) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (m) vars[m[1]] = m[2].replace(/^"(.*)"$/, "$1");
  }
  return vars;
}

/**
 * The config of process `i` of `processes` battle processes (`i === processes`: the hub): wrangler.toml's,
 * renamed, with absolute paths, a namespace binding for every other battle process's objects, and the queue only
 * in process 0 (the hub when there is one).
 * @param {Record<string, any>} base parsed wrangler.toml
 */
export function processConfig(base, i, processes, origins, secrets, prefix = "arena-p", hub = false) {
  const queueHost = hub ? processes : 0;
  const cfg = structuredClone(base);
  cfg.name = `${prefix}${i}`;
  cfg.main = join(ROOT, base.main);
  cfg.workers_dev = true;
  if (cfg.assets) cfg.assets.directory = join(ROOT, base.assets.directory);
  for (const db of cfg.d1_databases ?? [])
    if (db.migrations_dir) db.migrations_dir = join(ROOT, db.migrations_dir);
  const own = base.durable_objects.bindings.find((b) => b.name === "BATTLE");
  cfg.durable_objects = {
    bindings: [
      own,
      ...Array.from({ length: processes }, (_, j) => j)
        .filter((j) => j !== i)
        .map((j) => ({ name: `BATTLE_P${j}`, class_name: own.class_name, script_name: `${prefix}${j}` })),
    ],
  };
  if (i !== queueHost) {
    delete cfg.queues;
    cfg.services = [{ binding: "EVENTS_RELAY", service: `${prefix}${queueHost}`, entrypoint: "EventsRelay" }];
  }
  cfg.vars = {
    ...base.vars,
    ...secrets,
    LOCAL_PROCESSES: String(processes),
    LOCAL_PROCESS_INDEX: String(i),
    LOCAL_ORIGINS: origins.join(","),
  };
  return cfg;
}

/**
 * Starts P processes on ports `basePort + i` (inspectors on `inspectorBase + i`), plus the hub on `basePort + P`
 * with `hub`; `ports`/`inspectorPorts` (one per process, the hub last) replace those ranges. State of the front process (process 0, or the hub) in `persistTo` (D1 lives there), of process i
 * in `persistTo/p<i>`. Worker names are `<namePrefix><i>` (default `arena-p`): runs started side by side need
 * different prefixes, since processes find each other by name in wrangler's dev registry.
 * `url` is the front door (operator API, joins); `urls`/`pids` list every process, the hub last.
 * @param {{processes: number, hub?: boolean, basePort?: number, inspectorBase?: number, ports?: number[], inspectorPorts?: number[], persistTo?: string, namePrefix?: string, vars?: Record<string,string>, quiet?: boolean, log?: (s: string) => void}} opts
 */
export async function startShardedArena(opts) {
  const processes = opts.processes;
  const basePort = opts.basePort ?? 8900;
  const inspectorBase = opts.inspectorBase ?? 9320;
  const log = opts.log ?? console.log;
  const persistTo = opts.persistTo ?? join(ROOT, ".wrangler", "state");
  ensureDevVars();
  const secrets = readDevVars();
  const base = parse(readFileSync(join(ROOT, "wrangler.toml"), "utf8"));
  const prefix = opts.namePrefix ?? "arena-p";
  const dir = join(ROOT, ".wrangler", "sharded");
  mkdirSync(dir, { recursive: true });
  const hub = opts.hub === true;
  const total = processes + (hub ? 1 : 0);
  const front = hub ? processes : 0;
  // Explicit ports (e.g. from `freePorts`) win over `basePort + i`.
  const portOf = (i) => opts.ports?.[i] ?? basePort + i;
  const inspectorOf = (i) => opts.inspectorPorts?.[i] ?? inspectorBase + i;
  if (opts.ports && opts.ports.length < total) throw new Error(`${total} processes need ${total} ports`);
  if (opts.inspectorPorts && opts.inspectorPorts.length < total)
    throw new Error(`${total} processes need ${total} inspector ports`);
  const origins = Array.from({ length: total }, (_, i) => `http://127.0.0.1:${portOf(i)}`);
  const battleOrigins = origins.slice(0, processes);
  const stateOf = (i) => (i === front ? persistTo : join(persistTo, `p${i}`));
  const nameOf = (i) => `${i === processes ? "hub" : "process"} ${i} (${prefix}${i})`;
  const pg = await localPostgres(log);
  const { migratePostgres } = await import("./pg-migrate.mjs");
  await migratePostgres(pg.url);
  const started = [];
  const stop = async (signal = "SIGTERM") => {
    await Promise.all(started.map((p) => p.stop(signal)));
    await pg.stop();
  };
  const launch = (i) =>
    spawnDev({
      port: portOf(i),
      config: join(dir, `${prefix}${i}.json`),
      persistTo: stateOf(i),
      inspectorPort: inspectorOf(i),
      vars: opts.vars,
      quiet: opts.quiet,
      pgUrl: pg.url,
    });
  try {
    for (let i = 0; i < total; i++) {
      const cfg = processConfig(base, i, processes, battleOrigins, secrets, prefix, hub);
      writeFileSync(join(dir, `${prefix}${i}.json`), JSON.stringify(cfg, null, 2));
      applyD1Migrations(stateOf(i));
      started.push(await launch(i));
      log(`${nameOf(i)} up on ${origins[i]}`);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  /** Stops process `i` (`SIGKILL`: a crash) and leaves it down until `start(i)`. */
  const kill = async (i, signal = "SIGKILL") => {
    await started[i].stop(signal);
    log(`${nameOf(i)} stopped (${signal})`);
  };
  /** Starts process `i` again on the same port and state, once it has been stopped with `kill`. */
  const start = async (i) => {
    started[i] = await launch(i);
    log(`${nameOf(i)} started again`);
  };
  /** Stops process `i` (`SIGKILL`: a crash) and starts it again on the same port and state. */
  const restart = async (i, signal = "SIGKILL") => {
    await kill(i, signal);
    await start(i);
  };
  return {
    url: origins[front],
    front,
    urls: origins,
    get pids() {
      return started.map((p) => p.pid);
    },
    get pid() {
      return started[front].pid;
    },
    stop,
    kill,
    start,
    restart,
    pgUrl: pg.url,
  };
}
