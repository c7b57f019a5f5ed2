/**
 * @module `npm run loadtest`: starts (or targets) an Arena server, creates and starts a battle, ramps players in
 * across worker processes, drives the reference mix, then ends the battle, checks every score and writes reports.
 */

import { fork } from "node:child_process";
import {
  cpSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { cpus, release, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { results } from "@arena/client";
import { PLAYERS_PER_OBJECT } from "../src/battle/config";
import { decodeHistogram, encodeHistogram, mergeEncoded, newHistogram, summarize } from "./histogram";
import type { Final, StatName, Tick, WorkerConfig, WorkerMessage } from "./ipc";
import { STAT_NAMES } from "./ipc";
import { type ActionType, parseDuration, planLoad, REFERENCE_MIX } from "./mix";
import { measurePersistLag, type PersistLagReport } from "./persist-lag";
import { parsePin, pin, processTree } from "./pin";
import { deriveSeed, mulberry32 } from "./prng";
import { DEFAULT_OBSERVERS } from "./push-delay";
import { type ActionReport, markdown, type RunReport, type TimelinePoint, writeReports } from "./report";
import { findDirectEntry, ServerSampler } from "./server-stats";
import {
  type CommitStats,
  createAndStart,
  endBattle,
  freshnessBound,
  makeQuestions,
  type OperatorApi,
  type ServerPushStats,
} from "./setup";
import { checkEvents, type EventCheck, type SecondSample, type StormReport, stormReport } from "./storm";
import { unitCost } from "./unit-cost";
import { verifyScores } from "./verify";

const HERE = dirname(fileURLToPath(import.meta.url));
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const REQUEST_STATS: readonly StatName[] = ["join", "connect", "answer", "leaderboard", "attack"];
/** A storm must leave the run at least this long for the crowd to come back. */
const STORM_MIN_AFTER_MS = 30_000;

const PROFILES: Record<string, Record<string, string>> = {
  smoke: {
    players: "300",
    duration: "30s",
    rps: "300",
    "join-rate": "6000",
    heartbeat: "10s",
    "min-success": "99",
  },
};

function options() {
  const { values } = parseArgs({
    options: {
      profile: { type: "string" },
      players: { type: "string" },
      duration: { type: "string" },
      rps: { type: "string" },
      "join-rate": { type: "string" },
      target: { type: "string" },
      "operator-token": { type: "string" },
      port: { type: "string" },
      "persist-to": { type: "string" },
      workers: { type: "string" },
      seed: { type: "string" },
      heartbeat: { type: "string" },
      timeout: { type: "string" },
      "upgrade-timeout": { type: "string" },
      "right-ratio": { type: "string" },
      mix: { type: "string" },
      "min-success": { type: "string" },
      "push-samples": { type: "string" },
      observers: { type: "string" },
      "request-cost-us": { type: "string" },
      "server-pid": { type: "string" },
      "inspector-port": { type: "string" },
      "report-dir": { type: "string" },
      live: { type: "boolean" },
      "via-proxy": { type: "boolean" },
      "reconnect-storm": { type: "boolean" },
      "storm-settle": { type: "string" },
      shards: { type: "string" },
      processes: { type: "string" },
      hub: { type: "boolean" },
      persistence: { type: "string" },
      fanout: { type: "string" },
      "persist-lag": { type: "boolean" },
      pg: { type: "string" },
      pin: { type: "boolean" },
      "pin-cpus": { type: "string" },
      help: { type: "boolean" },
    },
    allowPositionals: false,
  });
  if (values.help) {
    console.log(`npm run loadtest -- [--profile smoke] [--players N] [--duration 5m] [--rps R] [--join-rate N/min]
  [--target URL --operator-token T] [--port 8790] [--workers N] [--seed S] [--heartbeat 30s] [--timeout 10s]
  [--upgrade-timeout 30s]  (how long a player waits for its WebSocket upgrade; default --timeout. Browsers and the
    SDK wait ~30 s: a shorter wait abandons upgrades the object is about to serve, see BENCHMARKS.md storms)
  [--right-ratio 0.7] [--mix answer=10,leaderboard=30,attack=5] [--min-success 99] [--server-pid PID]
  [--shards N]  (a sharded battle of N shard objects plus its coordinator; default 1, one object: the battle is
    created with this count, never the automatic one for its size)
  [--processes P]  (with --shards N >= P: the local multi-process mode, P wrangler dev processes on --port,
    --port+1, ...; shard k in process k mod P; see docs/sharding.md)
  [--hub]  (the multi-process mode with one more process on --port+P for the queue consumer and HTTP: the
    consumer off the battle objects' thread, as in production; allows --processes 1 with one object)
  [--inspector-port P]  (the runtime's inspector, for \`npm run profile -- --inspector P\`; default wrangler's 9229)
  [--persist-to DIR]  (server state; default a fresh dir on tmpfs /dev/shm if there is one, see BENCHMARKS.md)
  [--live]  (run wrangler dev on the working tree instead of a snapshot copy; edits then reload it mid-run)
  [--via-proxy]  (players go through wrangler's dev proxy; by default a local run talks to the runtime directly)
  [--reconnect-storm [--storm-settle 10s]]  (after the join ramp and the settle time, every player's TCP
    connection is destroyed at once; they come back through the SDK's backoff and resume; reports resume times,
    replayed events, continuity, lost events and the request p99 in the storm window)
  [--persist-lag [--pg URL]]  (after the battle ends: wait for the pipeline to drain, then report ack → Postgres
    lag p50/p99/max, events/s end to end, queue messages/s; --pg for a --target run, default ARENA_PG_URL)
  [--persistence off]  (the local server runs with PERSISTENCE=off: no outbox rows, nothing to the queue, D1 or
    Postgres; the "before" of a before/after comparison, see BENCHMARKS.md)
  [--fanout off]  (the local server runs with FANOUT=off: one leaderboard frame per push slice, ~20/s, so the
    object's CPU is what the requests alone cost; push delay is then meaningless)
  [--pin [--pin-cpus 0:1]]  (a local server's processes, every thread, on CPU 0 and the generator on CPU 1, with
    taskset: one core for the server, as production gives each object its own thread; recorded in the report)
  [--observers N]  (push delay is measured at a uniform sample of N players, default ${DEFAULT_OBSERVERS}; the others'
    leaderboard frames are counted and dropped unread, so the generator's cost does not grow with the players)
  [--request-cost-us N]  (a request's runtime CPU from a --fanout off run of the same sitting: the report then
    prices a push frame as (runtime CPU − requests × N) ÷ frames)`);
    process.exit(0);
  }
  const profile = values.profile ? PROFILES[values.profile] : {};
  if (!profile)
    throw new Error(`unknown profile ${values.profile} (have: ${Object.keys(PROFILES).join(", ")})`);
  const get = (k: string, d: string) => (values as Record<string, string | undefined>)[k] ?? profile[k] ?? d;
  const players = Number(get("players", "1000"));
  const mix = { ...REFERENCE_MIX };
  for (const part of get("mix", "").split(",").filter(Boolean)) {
    const [k, v] = part.split("=");
    if (!k || !(k in mix)) throw new Error(`bad --mix entry ${part}`);
    mix[k as ActionType] = Number(v);
  }
  const rps = get("rps", "");
  return {
    profile: values.profile ?? null,
    players,
    durationMs: parseDuration(get("duration", "60s")),
    rps: rps ? Number(rps) : undefined,
    joinPerMin: Number(get("join-rate", "1000")),
    target: values.target ?? null,
    operatorToken: get("operator-token", "dev-operator-token"),
    port: Number(get("port", "8790")),
    persistTo: get("persist-to", ""),
    workers: Number(get("workers", String(Math.max(1, Math.ceil(players / 8000), players >= 2000 ? 2 : 1)))),
    seed: Number(get("seed", "1")),
    heartbeatMs: parseDuration(get("heartbeat", "30s")),
    timeoutMs: parseDuration(get("timeout", "10s")),
    /** How long a client waits for a WebSocket upgrade (default: --timeout; browsers wait ~30 s, see --help). */
    upgradeTimeoutMs: parseDuration(get("upgrade-timeout", get("timeout", "10s"))),
    rightRatio: Number(get("right-ratio", "0.7")),
    mix,
    minSuccess: Number(get("min-success", "0")),
    pushSamples: Number(get("push-samples", "20")),
    observers: Number(get("observers", String(DEFAULT_OBSERVERS))),
    requestCostUs: values["request-cost-us"] ? Number(values["request-cost-us"]) : null,
    serverPid: values["server-pid"] ? Number(values["server-pid"]) : null,
    inspectorPort: values["inspector-port"] ? Number(values["inspector-port"]) : undefined,
    reportDir: get("report-dir", join(HERE, "reports")),
    live: values.live === true,
    viaProxy: values["via-proxy"] === true,
    reconnectStorm: values["reconnect-storm"] === true,
    stormSettleMs: parseDuration(get("storm-settle", "10s")),
    shards: Number(get("shards", "1")),
    processes: Number(get("processes", "1")),
    hub: values.hub === true,
    persistence: onOff("persistence", values.persistence),
    fanout: onOff("fanout", values.fanout),
    persistLag: values["persist-lag"] === true,
    pgUrl: values.pg ?? process.env.ARENA_PG_URL ?? null,
    pin: parsePin(values.pin === true, values["pin-cpus"]),
  };
}

function onOff(flag: string, v: string | undefined): "on" | "off" {
  if (v === undefined || v === "on" || v === "off") return v ?? "on";
  throw new Error(`--${flag} on|off, not ${v}`);
}

type Options = ReturnType<typeof options>;

/**
 * Copies what `wrangler dev` needs into `dest`, so edits to the working tree during a run do not make wrangler
 * reload the Worker (a reload drops every WebSocket with 1006).
 */
function snapshotTree(root: string, dest: string): string {
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  const files = [
    "src",
    "packages",
    "public",
    "migrations",
    "scripts",
    "wrangler.toml",
    "package.json",
    "tsconfig.json",
    ".dev.vars",
  ];
  for (const f of files) {
    if (existsSync(join(root, f))) cpSync(join(root, f), join(dest, f), { recursive: true });
  }
  if (!existsSync(join(dest, ".dev.vars")) && existsSync(join(root, ".dev.vars.example")))
    cpSync(join(root, ".dev.vars.example"), join(dest, ".dev.vars.example"));
  linkModules(join(root, "node_modules"), join(dest, "node_modules"));
  return dest;
}

/**
 * `node_modules` as a tree of hard links (the same files, no copy), not a symlink: the bundler resolves a symlink to
 * the working tree and watches the package.json files above every module it reads, so with a symlink an edit of the
 * project's package.json reloaded both runtimes of a 20,000-player run mid-ramp (seen 2026-12-03). Falls back to a
 * symlink where hard links cannot be made (another file system).
 */
function linkModules(src: string, dest: string): void {
  try {
    linkTree(src, dest);
  } catch (e) {
    console.error(
      `[loadtest] node_modules linked as a symlink (${(e as Error).message}); do not edit package.json during the run`,
    );
    rmSync(dest, { recursive: true, force: true });
    symlinkSync(src, dest);
  }
}

function linkTree(src: string, dest: string): void {
  mkdirSync(dest);
  for (const name of readdirSync(src)) {
    const from = join(src, name);
    const to = join(dest, name);
    const st = lstatSync(from);
    if (st.isSymbolicLink()) symlinkSync(readlinkSync(from), to);
    else if (st.isDirectory()) linkTree(from, to);
    else linkSync(from, to);
  }
}

/**
 * Where a local run keeps the server's state. workerd runs SQLite on its one event-loop thread, so every commit's
 * fsync blocks all sockets: on this VM's disk, stalls of 0.1-0.8 s (measured: 232 fsyncs/s, up to 89 ms each, all
 * on the main thread). Production storage never blocks the isolate that way, so by default the state goes to tmpfs;
 * `--persist-to .wrangler/loadtest` measures the disk instead.
 */
function defaultPersistDir(root: string, port: number): string {
  const dir = existsSync("/dev/shm")
    ? `/dev/shm/arena-loadtest-${port}`
    : join(root, ".wrangler", `loadtest-${port}`);
  rmSync(dir, { recursive: true, force: true });
  return dir;
}

/** Two ticks of one worker that fell into the same second. */
function mergeTicks(a: Tick, b: Tick): Tick {
  const h = newHistogram();
  h.add(decodeHistogram(a.hist));
  h.add(decodeHistogram(b.hist));
  return {
    ...b,
    completed: a.completed + b.completed,
    failed: a.failed + b.failed,
    hist: encodeHistogram(h),
    open: Math.max(a.open, b.open),
    cpuUs: a.cpuUs + b.cpuUs,
  };
}

function pct(n: number, d: number): number {
  return d === 0 ? 100 : (n / d) * 100;
}

function actionReport(name: string, finals: readonly Final[], names: readonly StatName[]): ActionReport {
  let sent = 0;
  let ok = 0;
  let refused = 0;
  let failed = 0;
  const errors: Record<string, number> = {};
  const encoded: string[] = [];
  for (const f of finals) {
    for (const n of names) {
      const s = f.stats[n];
      sent += s.sent;
      ok += s.ok;
      refused += s.refused;
      failed += s.failed;
      for (const [k, v] of Object.entries(s.errors)) errors[k] = (errors[k] ?? 0) + v;
      encoded.push(f.hists[n]);
    }
  }
  return {
    name,
    sent,
    ok,
    refused,
    failed,
    okPct: pct(ok, sent),
    successPct: pct(ok + refused, sent),
    errors,
    latency: summarize(mergeEncoded(encoded)),
  };
}

async function main(): Promise<number> {
  const o = options();
  if (!Number.isInteger(o.processes) || o.processes < 1 || o.processes > 16)
    throw new Error("--processes: an integer from 1 to 16");
  if (o.processes > 1 && (o.target || o.shards < o.processes))
    throw new Error("--processes P is a local run of a battle with --shards N >= P (and no --target)");
  if (o.hub && o.target) throw new Error("--hub is a local run (no --target)");
  const multiProcess = o.processes > 1 || o.hub;
  const log = (s: string) => console.log(`[loadtest] ${s}`);
  const startedAt = new Date().toISOString();
  const plan = planLoad({
    players: o.players,
    durationSec: o.durationMs / 1000,
    joinPerMin: o.joinPerMin,
    rps: o.rps,
    mix: o.mix,
  });
  log(
    `${o.players} players, ${o.durationMs / 1000} s, target ${plan.rps.toFixed(0)} req/s (think ${plan.meanThinkMs.toFixed(0)} ms), ` +
      `ramp ${plan.rampSec.toFixed(0)} s at ${o.joinPerMin}/min, ${o.workers} workers, ${plan.questions} questions`,
  );

  type Server = {
    url: string;
    pid: number | undefined;
    stop: () => Promise<void>;
    pgUrl?: string;
    urls?: string[];
    pids?: number[];
    front?: number;
  };
  let server: Server | null = null;
  let baseUrl = o.target;
  /** Socket origins the server hands out → the runtime's own entry (bypassing wrangler's proxy). */
  const wsOrigins: Record<string, string> = {};
  if (!baseUrl) {
    const root = join(HERE, "..");
    // Outside the repository: the bundler also watches the package.json and tsconfig.json of parent folders, so a
    // snapshot under the repo reloaded (and dropped every socket) whenever the repo's own package.json changed.
    const serverRoot = o.live ? root : snapshotTree(root, join(tmpdir(), `arena-loadtest-src-${o.port}`));
    const persistTo = resolve(root, o.persistTo || defaultPersistDir(root, o.port));
    log(`server state (Durable Object SQLite, D1) in ${persistTo}`);
    const t0 = Date.now();
    const vars = { RATE_LIMIT_EXEMPT_IPS: "127.0.0.1", PERSISTENCE: o.persistence, FANOUT: o.fanout };
    if (multiProcess) {
      const sharded = await import(pathToFileURL(join(serverRoot, "scripts", "arena-sharded.mjs")).href);
      server = (await sharded.startShardedArena({
        processes: o.processes,
        hub: o.hub,
        basePort: o.port,
        inspectorBase: o.inspectorPort ?? 9320,
        persistTo,
        namePrefix: `arena-lt${o.port}-p`,
        vars,
        quiet: true,
        log,
      })) as Server;
    } else {
      const mod = await import(pathToFileURL(join(serverRoot, "scripts", "arena-server.mjs")).href);
      const startArena = mod.startArena as (opts: object) => Promise<Server>;
      server = await startArena({
        port: o.port,
        persistTo,
        inspectorPort: o.inspectorPort,
        // No runtime inspector unless a profile will want one: its proxy's per-subrequest events cost the server's core.
        inspector: o.inspectorPort !== undefined,
        vars,
        quiet: true,
        log,
      });
    }
    baseUrl = server.url;
    const pids = server.pids ?? (server.pid === undefined ? [] : [server.pid]);
    if (!o.viaProxy) {
      for (const [i, pid] of pids.entries()) {
        const direct = await findDirectEntry(pid, o.port + i);
        if (!direct) {
          log(`could not find process ${i}'s own entry port; its players go through wrangler's proxy`);
          continue;
        }
        log(`bypassing wrangler's dev proxy (6 fds per socket): process ${i}'s players use ${direct}`);
        wsOrigins[`127.0.0.1:${o.port + i}`] = direct;
        if (i === (server.front ?? 0)) baseUrl = direct;
      }
    }
    log(`server up at ${baseUrl} in ${((Date.now() - t0) / 1000).toFixed(1)} s (pid ${server.pid})`);
    if (o.pin) {
      // The generator first (its workers, forked later, inherit it), then every process of the server's trees.
      pin([process.pid], o.pin.generator);
      const pinned = pin(
        pids.flatMap((p) => processTree(p)),
        o.pin.server,
      );
      log(
        `pinned: server processes ${pinned.join(" ")} on CPU ${o.pin.server}, generator on CPU ${o.pin.generator}`,
      );
    }
  }
  baseUrl = baseUrl.replace(/\/$/, "");
  const api: OperatorApi = { baseUrl, token: o.operatorToken };
  const children: ReturnType<typeof fork>[] = [];
  try {
    const pgUrl = server?.pgUrl ?? o.pgUrl;
    const serverPids = server ? (server.pids ?? [server.pid!]) : o.serverPid !== null ? [o.serverPid] : [];
    return await run(o, plan, api, serverPids, wsOrigins, startedAt, children, pgUrl);
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill();
    if (server) {
      await server.stop();
      log("server stopped");
    }
  }
}

async function run(
  o: Options,
  plan: ReturnType<typeof planLoad>,
  api: OperatorApi,
  serverPids: readonly number[],
  wsOrigins: Readonly<Record<string, string>>,
  startedAt: string,
  children: ReturnType<typeof fork>[],
  pgUrl: string | null,
): Promise<number> {
  const log = (s: string) => console.log(`[loadtest] ${s}`);
  const battleId = `lt-${Date.now().toString(36)}-${o.seed}`;
  const rng = mulberry32(deriveSeed(o.seed, 0xbadbeef));
  const questions = makeQuestions(plan.questions, rng);
  await createAndStart(api, {
    id: battleId,
    questions: questions.input,
    durationMs: o.durationMs + plan.rampSec * 1000 + 600_000,
    // Head room for reconnects, within what the battle's objects hold (PLAYERS_PER_OBJECT each).
    maxPlayers: Math.min(o.players + 100, PLAYERS_PER_OBJECT * Math.max(1, o.shards)),
    // Always explicit: `--shards 1` measures one object, whatever the automatic shard count for maxPlayers.
    shards: o.shards,
  });
  log(`battle ${battleId} created and started`);

  const ticks = new Map<number, Tick[]>();
  let drained = 0;
  const finals: Final[] = [];
  const ready: Promise<void>[] = [];
  const done: Promise<void>[] = [];
  for (let w = 0; w < o.workers; w++) {
    const child = fork(join(HERE, "worker.ts"), [], {
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    children.push(child);
    ready.push(
      new Promise((resolve, reject) => {
        child.once("message", () => resolve());
        child.once("exit", (code) => reject(new Error(`worker ${w} exited early (${code})`)));
      }),
    );
    done.push(
      new Promise((resolve, reject) => {
        child.on("message", (m: WorkerMessage) => {
          if (m.type === "tick") {
            const list = ticks.get(m.sec) ?? [];
            const same = list.findIndex((t) => t.worker === m.worker);
            if (same < 0) list.push(m);
            else list[same] = mergeTicks(list[same]!, m);
            ticks.set(m.sec, list);
          } else if (m.type === "final") {
            finals.push(m);
            resolve();
          } else if (m.type === "drained") {
            // Final reports once every worker stopped sending and got its last replies (see worker.ts).
            if (++drained === o.workers) for (const c of children) c.send({ type: "report" });
          } else if (m.type === "log") log(`worker ${w}: ${m.msg}`);
        });
        child.once("exit", (code) => {
          if (code !== 0) reject(new Error(`worker ${w} exited with ${code}`));
        });
      }),
    );
  }
  await Promise.all(ready);
  const startAt = Date.now() + 300;
  const endAt = startAt + o.durationMs;
  // The storm: after the whole ramp and the settle time; the run must leave the crowd time to come back.
  const stormAt = o.reconnectStorm ? startAt + Math.ceil(plan.rampSec * 1000) + o.stormSettleMs : null;
  if (stormAt !== null) {
    const needSec = Math.ceil((stormAt - startAt + STORM_MIN_AFTER_MS) / 1000);
    if (stormAt + STORM_MIN_AFTER_MS > endAt)
      throw new Error(
        `--duration too short for --reconnect-storm: at least ${needSec}s (ramp + settle + 30 s)`,
      );
    log(`reconnect storm at t=${((stormAt - startAt) / 1000).toFixed(1)} s`);
  }
  const sampler = new ServerSampler(serverPids, startAt);
  sampler.start();
  const parentCpu0 = process.cpuUsage();
  children.forEach((child, index) => {
    const config: WorkerConfig = {
      index,
      workers: o.workers,
      baseUrl: api.baseUrl,
      battleId,
      usernamePrefix: `p${o.seed}-`,
      players: o.players,
      startAt,
      joinPerSec: o.joinPerMin / 60,
      endAt,
      meanThinkMs: plan.meanThinkMs,
      mix: o.mix,
      heartbeatMs: o.heartbeatMs,
      requestTimeoutMs: o.timeoutMs,
      upgradeTimeoutMs: o.upgradeTimeoutMs,
      seed: o.seed,
      rightRatio: o.rightRatio,
      questions: questions.plan,
      pushSamplesPerSec: o.pushSamples / o.workers,
      observers: o.observers,
      stormAt,
      wsOrigins,
    };
    child.send({ type: "init", config });
  });
  // The object's own freshness bound, read every 10 s (cheap: one admin read), for the report.
  const bounds: number[] = [];
  const progress = setInterval(() => {
    freshnessBound(api, battleId).then(
      (b) => {
        if (b !== null) bounds.push(b);
      },
      () => {},
    );
    const secs = [...ticks.keys()].sort((a, b) => b - a);
    const last = secs[1] ?? secs[0];
    if (last === undefined) return;
    const list = ticks.get(last) ?? [];
    const rps = list.reduce((a, t) => a + t.completed, 0);
    const open = list.reduce((a, t) => a + t.open, 0);
    const p99 = summarize(mergeEncoded(list.map((t) => t.hist))).p99;
    const s = sampler.samples.at(-1);
    log(
      `t=${last}s ${rps} replies/s, p99 ${p99} ms, open ${open}` +
        (s ? `, workerd ${s.workerdCpu}% cpu ${s.workerdRssMb} MB, machine ${s.machineCpu}% ${s.fds}` : ""),
    );
  }, 10_000);
  await Promise.all(done);
  clearInterval(progress);
  sampler.stop();
  const parentCpu = process.cpuUsage(parentCpu0);
  const wallSec = (Date.now() - startAt) / 1000;

  log("ending the battle and checking scores");
  const losses = new Map<number, number>();
  const hits = new Map<number, number>();
  const unknownTargets = new Set<number>();
  for (const f of finals) {
    for (const [pid, n] of f.losses) losses.set(pid, (losses.get(pid) ?? 0) + n);
    for (const [pid, n] of f.hits) hits.set(pid, (hits.get(pid) ?? 0) + n);
    for (const pid of f.unknownTargets) unknownTargets.add(pid);
  }
  const events: EventCheck = checkEvents(
    finals.flatMap((f) => f.players),
    hits,
    unknownTargets,
  );
  let verification: ReturnType<typeof verifyScores> | null = null;
  let endError: string | null = null;
  let commits: CommitStats | null = null;
  let pushes: ServerPushStats | null = null;
  try {
    ({ commits, pushes } = await endBattle(api, battleId));
    const final = await results(api.baseUrl, battleId);
    verification = verifyScores(
      finals.flatMap((f) => f.players),
      losses,
      unknownTargets,
      final.standings,
    );
  } catch (e) {
    endError = `could not end the battle or read results: ${(e as Error).message}`;
  }
  for (const c of children) c.send({ type: "close" });
  let persistence: PersistLagReport | null = null;
  if (o.persistLag) {
    if (o.persistence === "off") log("--persist-lag: persistence is off, nothing to measure");
    else if (!pgUrl) log("--persist-lag: no Postgres URL (--pg or ARENA_PG_URL)");
    else {
      try {
        persistence = await measurePersistLag(join(HERE, ".."), api, battleId, pgUrl, log);
      } catch (e) {
        log(`--persist-lag failed: ${(e as Error).message}`);
      }
    }
  }

  const actions = STAT_NAMES.map((n) => actionReport(n, finals, [n]));
  const overall = actionReport("overall", finals, REQUEST_STATS);
  const timeline: TimelinePoint[] = [];
  const secs = [...ticks.keys()].sort((a, b) => a - b);
  for (const sec of secs) {
    const list = ticks.get(sec)!;
    const h = newHistogram();
    for (const t of list) h.add(decodeHistogram(t.hist));
    const sum = summarize(h);
    const s = sampler.samples.find((x) => x.sec === sec);
    timeline.push({
      sec,
      rps: list.reduce((a, t) => a + t.completed, 0),
      failed: list.reduce((a, t) => a + t.failed, 0),
      p50: sum.p50,
      p99: sum.p99,
      max: sum.max,
      open: list.reduce((a, t) => a + t.open, 0),
      genCpu: Math.round(list.reduce((a, t) => a + t.cpuUs, 0) / 1e4),
      workerdCpu: s?.workerdCpu ?? null,
      machineCpu: s?.machineCpu ?? null,
    });
  }
  let storm: StormReport | null = null;
  if (stormAt !== null) {
    const seconds = new Map<number, SecondSample>();
    for (const [sec, list] of ticks) {
      seconds.set(sec, { hists: list.map((t) => t.hist), failed: list.reduce((a, t) => a + t.failed, 0) });
    }
    storm = stormReport(
      finals.flatMap((f) => (f.storm ? [f.storm] : [])),
      (stormAt - startAt) / 1000,
      o.stormSettleMs,
      seconds,
    );
  }
  const playing = timeline.filter((p) => p.sec > plan.rampSec + 1 && p.sec <= o.durationMs / 1000);
  // Latency once every player has joined: the per-second histograms of the playing window, merged.
  const steadyHist = newHistogram();
  for (const p of playing) for (const t of ticks.get(p.sec) ?? []) steadyHist.add(decodeHistogram(t.hist));
  const steadyLatency = summarize(steadyHist);
  const playingSecs = new Set(playing.map((p) => p.sec));
  const totalCompleted = timeline.reduce((a, p) => a + p.rps, 0);
  const genCpuSec =
    finals.reduce((a, f) => a + f.cpu.user + f.cpu.system, 0) / 1e6 +
    (parentCpu.user + parentCpu.system) / 1e6;
  const ss = sampler.samples.filter((s) => s.sec > 0 && s.sec <= o.durationMs / 1000);
  const avg = (xs: number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
  const pushDelay = summarize(mergeEncoded(finals.map((f) => f.pushDelay)));
  const pushDelaySteady = summarize(mergeEncoded(finals.map((f) => f.pushDelaySteady)));
  const pushDelayTop = summarize(mergeEncoded(finals.map((f) => f.pushDelayTop)));
  const closes: Record<string, number> = {};
  for (const f of finals) for (const [k, v] of Object.entries(f.closes)) closes[k] = (closes[k] ?? 0) + v;

  const problems: string[] = [];
  const invalidFrames = finals.reduce((a, f) => a + f.invalidFrames, 0);
  if (invalidFrames > 0) problems.push(`${invalidFrames} frames from the server were not valid JSON`);
  if (endError) problems.push(endError);
  if (verification && verification.mismatches.length > 0)
    problems.push(`${verification.mismatches.length} score mismatches`);
  if (events.missing > 0 || events.extra > 0)
    problems.push(
      `attacked events: ${events.missing} acknowledged but never received, ${events.extra} extra`,
    );
  if (storm && storm.notResumed > 0)
    problems.push(`${storm.notResumed} players did not come back after the storm`);
  if (o.minSuccess > 0) {
    for (const a of [...actions.filter((x) => REQUEST_STATS.includes(x.name as StatName)), overall]) {
      if (a.sent > 0 && a.successPct < o.minSuccess)
        problems.push(`${a.name} success ${a.successPct.toFixed(2)}% < ${o.minSuccess}%`);
    }
  }
  const report: RunReport = {
    startedAt,
    command: `npm run loadtest -- ${process.argv.slice(2).join(" ")}`,
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model ?? "?",
      node: process.version,
      os: `linux ${release()}`,
    },
    config: {
      profile: o.profile,
      players: o.players,
      durationSec: o.durationMs / 1000,
      targetRps: Math.round(plan.rps),
      meanThinkMs: Math.round(plan.meanThinkMs),
      joinPerMin: o.joinPerMin,
      rampSec: plan.rampSec,
      workers: o.workers,
      seed: o.seed,
      mix: o.mix,
      heartbeatMs: o.heartbeatMs,
      timeoutMs: o.timeoutMs,
      upgradeTimeoutMs: o.upgradeTimeoutMs,
      rightRatio: o.rightRatio,
      questions: plan.questions,
      target: api.baseUrl,
      battleId,
      persistence: o.persistence,
      fanout: o.fanout,
      pin: o.pin,
    },
    actions,
    overall,
    throughput: {
      totalRequests: overall.sent,
      wallSec,
      avgRps: totalCompleted / Math.max(1, secs.length),
      steadyAvgRps: avg(playing.map((p) => p.rps)),
      steadyLatency,
      peakRps: Math.max(0, ...timeline.map((p) => p.rps)),
    },
    connections: {
      peak: Math.max(0, ...timeline.map((p) => p.open)),
      reconnects: finals.reduce((a, f) => a + f.reconnects, 0),
      closes,
    },
    pushDelay: {
      ...pushDelay,
      observers: finals.reduce((a, f) => a + f.observers, 0),
      changes: finals.reduce((a, f) => a + f.pushSamples.changes, 0),
      matched: finals.reduce((a, f) => a + f.pushSamples.matched, 0),
      expired: finals.reduce((a, f) => a + f.pushSamples.unmatched, 0),
      early: finals.reduce((a, f) => a + (f.pushSamples.early ?? 0), 0),
      steady: pushDelaySteady,
      top: pushDelayTop,
      pushesPerSec: finals.reduce((a, f) => a + f.pushesReceived, 0) / wallSec,
    },
    generatorCpu: {
      seconds: genCpuSec,
      avgCorePct: (genCpuSec / wallSec) * 100,
      workers: o.workers,
      loopDelayMs: {
        p50: Math.max(0, ...finals.map((f) => f.loopDelayMs.p50)),
        p99: Math.max(0, ...finals.map((f) => f.loopDelayMs.p99)),
        max: Math.max(0, ...finals.map((f) => f.loopDelayMs.max)),
      },
    },
    commits,
    pushes,
    server:
      serverPids.length > 0
        ? {
            avgWorkerdCpu: avg(ss.map((s) => s.workerdCpu)),
            peakWorkerdCpu: Math.max(0, ...ss.map((s) => s.workerdCpu)),
            avgOtherCpu: avg(ss.map((s) => s.otherCpu)),
            peakRssMb: Math.max(0, ...ss.map((s) => s.workerdRssMb)),
            avgMachineCpu: avg(ss.map((s) => s.machineCpu)),
            processes: serverPids.map((_, i) => {
              const mine = ss.map((s) => s.byProcess[i] ?? { cpu: 0, rssMb: 0 });
              return {
                avgCpu: avg(mine.map((m) => m.cpu)),
                peakCpu: Math.max(0, ...mine.map((m) => m.cpu)),
                peakRssMb: Math.max(0, ...mine.map((m) => m.rssMb)),
              };
            }),
          }
        : null,
    freshnessBoundMs:
      bounds.length > 0
        ? { samples: bounds.length, median: median(bounds), max: Math.max(...bounds), last: bounds.at(-1)! }
        : null,
    unitCost:
      serverPids.length > 0
        ? unitCost(
            ss.map((s) => s.workerdCpu),
            totalCompleted,
            pushes?.frames ?? null,
            o.requestCostUs,
          )
        : null,
    unitCostSteady:
      serverPids.length > 0 && playing.length > 0
        ? unitCost(
            ss.filter((s) => playingSecs.has(s.sec)).map((s) => s.workerdCpu),
            playing.reduce((a, p) => a + p.rps, 0),
            null,
            null,
          )
        : null,
    verification,
    events,
    storm,
    persistence,
    timeline,
    passed: problems.length === 0,
    problems,
  };
  const dir = writeReports(join(o.reportDir, startedAt.replace(/[:.]/g, "-")), report);
  console.log(`\n${markdown(report)}`);
  for (const m of verification?.mismatches.slice(0, 20) ?? []) {
    console.log(
      `MISMATCH ${m.username} (#${m.participantId}): ${m.field ?? "score"} expected ${m.expected}, server ${m.actual}`,
    );
  }
  for (const x of events.examples) {
    console.log(
      `EVENTS #${x.participantId}: ${x.acknowledged} attacks acknowledged, ${x.seen} attacked events seen`,
    );
  }
  log(`reports in ${dir}`);
  return problems.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(2);
  },
);
