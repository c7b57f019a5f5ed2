/** @module Leaderboard engine vs Redis sorted sets: increment+rank throughput, rebuild time and bytes per participant. */
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { relative } from "node:path";
import { Redis } from "ioredis";
import { mulberry32 } from "../loadtest/prng";
import { Leaderboard, type Standing } from "../src/leaderboard";

const SIZES = [20_000, 100_000] as const;
const SEED = 2026;
const T0 = 1_767_225_600_000;
/** Initial scores are uniform below this; deltas are +1..+10 (answers) or −1 (attacks, never below 0). */
const SCORE_RANGE = 10_000;
const ATTACK_SHARE = 0.1;
/** A top-10 and an around-me (±5) read after every this many increment+rank pairs. */
const READ_EVERY = 1_000;
const AROUND = 5;
const ENGINE_OPS = 2_000_000;
const ENGINE_ROUNDS = 5;
const ENGINE_WARMUP_OPS = 300_000;
const REDIS_PIPELINE = 100;
const REDIS_PIPELINED_OPS = 200_000;
const REDIS_AWAIT_OPS = 5_000;
const REBUILD_SIZE = 100_000;
const REBUILD_ROUNDS = 9;
const RESULTS = "bench/results/leaderboard.json";

/** N participants with sparse ids (as a battle gets them) and a shadow of their scores to draw deltas from. */
interface Population {
  readonly ids: Int32Array;
  readonly scores: Int32Array;
  readonly rows: Standing[];
}

function population(n: number, rng: () => number): Population {
  const ids = new Int32Array(n);
  const scores = new Int32Array(n);
  const rows: Standing[] = [];
  for (let i = 0; i < n; i++) {
    ids[i] = 1_000_000 + i * 37 + Math.floor(rng() * 37);
    scores[i] = Math.floor(rng() * SCORE_RANGE);
    rows.push({ id: ids[i]!, score: scores[i]!, reachedAt: T0 - Math.floor(rng() * 3_600_000) });
  }
  return { ids, scores, rows };
}

/** The next `ops` operations as participant indexes and deltas; advances the shadow scores. */
function opStream(pop: Population, ops: number, rng: () => number): { who: Int32Array; delta: Int32Array } {
  const n = pop.ids.length;
  const who = new Int32Array(ops);
  const delta = new Int32Array(ops);
  for (let i = 0; i < ops; i++) {
    const p = Math.floor(rng() * n);
    const d = rng() < ATTACK_SHARE && pop.scores[p]! > 0 ? -1 : 1 + Math.floor(rng() * 10);
    pop.scores[p]! += d;
    who[i] = p;
    delta[i] = d;
  }
  return { who, delta };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

let sink = 0;
/** Simulated server clock for reachedAt: never goes back, 16 score changes per millisecond. */
let tick = 0;

/** Increment+rank pairs per second; `coldRank` reads the rank of another random participant instead of the one just moved. */
function engineRound(
  board: Leaderboard,
  pop: Population,
  ops: number,
  rng: () => number,
  coldRank: boolean,
): number {
  const { who, delta } = opStream(pop, ops, rng);
  const other = coldRank ? Int32Array.from({ length: ops }, () => Math.floor(rng() * pop.ids.length)) : who;
  const ids = pop.ids;
  const start = performance.now();
  for (let i = 0; i < ops; i++) {
    const id = ids[who[i]!]!;
    board.increment(id, delta[i]!, T0 + (tick++ >>> 4));
    sink += board.rankOf(ids[other[i]!]!)!;
    if ((i + 1) % READ_EVERY === 0) sink += board.top(10).length + board.around(id, AROUND).length;
  }
  return ops / ((performance.now() - start) / 1000);
}

interface EngineResult {
  opsPerSec: number;
  rounds: number[];
  coldRankOpsPerSec: number;
  /** The same pairs right after a battle opens: everyone at 0, one big tie group. */
  openingOpsPerSec: number;
}

const OPENING_OPS = 300_000;

/** Everyone joined at score 0 within the last minute; the first answers pull players out of the tie group. */
function benchOpening(n: number): number {
  const rng = mulberry32(SEED + 3 * n);
  const pop = population(n, rng);
  pop.scores.fill(0);
  const board = Leaderboard.fromRows(
    pop.rows.map((r) => ({ ...r, score: 0, reachedAt: T0 - Math.floor(rng() * 60_000) })),
  );
  return engineRound(board, pop, OPENING_OPS, rng, false);
}

function benchEngine(n: number): EngineResult {
  const rng = mulberry32(SEED + n);
  const pop = population(n, rng);
  const board = Leaderboard.fromRows(pop.rows);
  engineRound(board, pop, ENGINE_WARMUP_OPS, rng, false);
  const rounds: number[] = [];
  for (let r = 0; r < ENGINE_ROUNDS; r++) rounds.push(engineRound(board, pop, ENGINE_OPS, rng, false));
  const cold: number[] = [];
  for (let r = 0; r < 3; r++) cold.push(engineRound(board, pop, ENGINE_OPS / 2, rng, true));
  return {
    opsPerSec: median(rounds),
    rounds,
    coldRankOpsPerSec: median(cold),
    openingOpsPerSec: benchOpening(n),
  };
}

async function connectRedis(): Promise<Redis | null> {
  const redis = new Redis({
    host: "127.0.0.1",
    port: 6379,
    lazyConnect: true,
    connectTimeout: 1_000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // Without a listener ioredis reports connection failures as unhandled error events.
  redis.on("error", () => {});
  try {
    await redis.connect();
    await redis.ping();
    return redis;
  } catch {
    redis.disconnect();
    return null;
  }
}

function checkReplies(replies: [Error | null, unknown][] | null): [Error | null, unknown][] {
  if (!replies) throw new Error("Redis pipeline returned no replies");
  for (const [err] of replies) if (err) throw err;
  return replies;
}

interface RedisResult {
  pipelinedOpsPerSec: number;
  perAwaitOpsPerSec: number;
}

async function benchRedis(redis: Redis, n: number): Promise<RedisResult> {
  const rng = mulberry32(SEED + n);
  const pop = population(n, rng);
  const members = Array.from(pop.ids, (id) => String(id));
  const key = `arena:bench:leaderboard:${process.pid}:${Date.now()}:${n}`;
  try {
    for (let i = 0; i < n; i += 1_000) {
      const args: (string | number)[] = [];
      for (let j = i; j < Math.min(n, i + 1_000); j++) args.push(pop.scores[j]!, members[j]!);
      await redis.zadd(key, ...args);
    }
    const { who, delta } = opStream(pop, REDIS_PIPELINED_OPS, rng);
    let start = performance.now();
    for (let i = 0; i < REDIS_PIPELINED_OPS; i += REDIS_PIPELINE) {
      const pipeline = redis.pipeline();
      for (let j = i; j < i + REDIS_PIPELINE; j++) {
        const member = members[who[j]!]!;
        pipeline.zincrby(key, delta[j]!, member);
        pipeline.zrevrank(key, member);
      }
      const replies = checkReplies(await pipeline.exec());
      if ((i + REDIS_PIPELINE) % READ_EVERY === 0) {
        const rank = Number(replies[replies.length - 1]![1]);
        checkReplies(
          await redis
            .pipeline()
            .zrevrange(key, 0, 9, "WITHSCORES")
            .zrevrange(key, Math.max(0, rank - AROUND), rank + AROUND, "WITHSCORES")
            .exec(),
        );
      }
    }
    const pipelinedOpsPerSec = REDIS_PIPELINED_OPS / ((performance.now() - start) / 1000);
    const awaited = opStream(pop, REDIS_AWAIT_OPS, rng);
    start = performance.now();
    for (let i = 0; i < REDIS_AWAIT_OPS; i++) {
      const member = members[awaited.who[i]!]!;
      await redis.zincrby(key, awaited.delta[i]!, member);
      const rank = (await redis.zrevrank(key, member)) ?? 0;
      if ((i + 1) % READ_EVERY === 0) {
        await redis.zrevrange(key, 0, 9, "WITHSCORES");
        await redis.zrevrange(key, Math.max(0, rank - AROUND), rank + AROUND, "WITHSCORES");
      }
    }
    const perAwaitOpsPerSec = REDIS_AWAIT_OPS / ((performance.now() - start) / 1000);
    return { pipelinedOpsPerSec, perAwaitOpsPerSec };
  } finally {
    await redis.del(key);
  }
}

interface RebuildResult {
  sortedRowsMs: number;
  unsortedRowsMs: number;
}

/** fromRows of rows in rank order (how the Durable Object reads them back) and, for reference, shuffled. */
function benchRebuild(): RebuildResult {
  const rng = mulberry32(SEED);
  const pop = population(REBUILD_SIZE, rng);
  const sorted = Leaderboard.fromRows(pop.rows).toRows();
  const shuffled = [...sorted];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  const time = (rows: Standing[], rounds: number): number => {
    const ms: number[] = [];
    for (let r = 0; r < rounds + 2; r++) {
      const start = performance.now();
      sink += Leaderboard.fromRows(rows).size;
      if (r >= 2) ms.push(performance.now() - start);
    }
    return median(ms);
  };
  return { sortedRowsMs: time(sorted, REBUILD_ROUNDS), unsortedRowsMs: time(shuffled, 3) };
}

interface MemoryResult {
  method: "heap-delta" | "typed-arrays";
  afterFromRows: number;
  afterWorkload: number;
  typedArrayBytes: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

function usedBytes(): number {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** Participants measured per size: several boards at 20,000 so heap noise (bytecode flushing, ~1 MB) stays small. */
const MEMORY_PARTICIPANTS = 200_000;
const MEMORY_CHURN_OPS = 500_000;

/**
 * Bytes per participant: heap plus typed-array growth across building boards from rows that already exist,
 * then again after each board took MEMORY_CHURN_OPS increments (leaves split and fill unevenly).
 */
function benchMemory(n: number): MemoryResult {
  const copies = Math.max(1, Math.round(MEMORY_PARTICIPANTS / n));
  const rng = mulberry32(SEED + 7 * n);
  const pops = Array.from({ length: copies }, () => population(n, rng));
  const streams = pops.map((pop) => opStream(pop, MEMORY_CHURN_OPS, rng));
  const before = usedBytes();
  const boards = pops.map((pop) => Leaderboard.fromRows(pop.rows));
  const built = usedBytes();
  boards.forEach((board, k) => {
    const { who, delta } = streams[k]!;
    const ids = pops[k]!.ids;
    for (let i = 0; i < who.length; i++) board.increment(ids[who[i]!]!, delta[i]!, T0 + (tick++ >>> 4));
  });
  const churned = usedBytes();
  const total = n * copies;
  const typedArrayBytes = boards.reduce((sum, board) => sum + board.byteLength, 0);
  sink += pops.reduce((sum, pop) => sum + pop.rows.length, 0);
  if (!gc)
    return {
      method: "typed-arrays",
      afterFromRows: typedArrayBytes / total,
      afterWorkload: typedArrayBytes / total,
      typedArrayBytes,
    };
  return {
    method: "heap-delta",
    afterFromRows: (built - before) / total,
    afterWorkload: (churned - before) / total,
    typedArrayBytes,
  };
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

async function main(): Promise<void> {
  const cpus = os.cpus();
  const machine = {
    cpuModel: cpus[0]?.model ?? "unknown",
    cores: cpus.length,
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    totalMemGiB: Math.round(os.totalmem() / 2 ** 30),
    gcExposed: gc !== undefined,
  };
  console.log(
    `machine: ${machine.cpuModel}, ${machine.cores} cores, node ${machine.node}, ${machine.platform}`,
  );
  console.log(
    `workload: increment (90% +1..+10, 10% −1) then rankOf; top(10) + around(±${AROUND}) every ${fmt(READ_EVERY)} ops`,
  );

  const engine: Record<number, EngineResult> = {};
  for (const n of SIZES) {
    engine[n] = benchEngine(n);
    const e = engine[n]!;
    console.log(
      `engine  n=${fmt(n).padStart(7)}: ${fmt(e.opsPerSec).padStart(10)} increment+rank/s (median of ${ENGINE_ROUNDS} × ${fmt(ENGINE_OPS)}; ` +
        `rounds ${e.rounds.map((r) => fmt(r)).join(", ")}); rank of another participant: ${fmt(e.coldRankOpsPerSec)}/s; ` +
        `first ${fmt(OPENING_OPS)} after an opening with everyone at 0: ${fmt(e.openingOpsPerSec)}/s`,
    );
  }

  const redisResults: Record<number, RedisResult & { ratioPipelined: number; ratioPerAwait: number }> = {};
  const redis = await connectRedis();
  if (!redis) {
    console.log("Redis not running on 127.0.0.1:6379 — comparison skipped");
  } else {
    try {
      for (const n of SIZES) {
        const r = await benchRedis(redis, n);
        const e = engine[n]!.opsPerSec;
        redisResults[n] = {
          ...r,
          ratioPipelined: e / r.pipelinedOpsPerSec,
          ratioPerAwait: e / r.perAwaitOpsPerSec,
        };
        console.log(
          `redis   n=${fmt(n).padStart(7)}: ${fmt(r.pipelinedOpsPerSec).padStart(10)} ZINCRBY+ZREVRANK/s pipelined ×${REDIS_PIPELINE} ` +
            `(engine ${(e / r.pipelinedOpsPerSec).toFixed(1)}×); ${fmt(r.perAwaitOpsPerSec)}/s one await per command ` +
            `(engine ${fmt(e / r.perAwaitOpsPerSec)}×)`,
        );
      }
    } finally {
      redis.disconnect();
    }
  }

  const rebuild = benchRebuild();
  console.log(
    `rebuild n=${fmt(REBUILD_SIZE)}: fromRows ${rebuild.sortedRowsMs.toFixed(1)} ms (rows in rank order), ` +
      `${rebuild.unsortedRowsMs.toFixed(1)} ms (shuffled rows)`,
  );

  const memory: Record<number, MemoryResult> = {};
  for (const n of SIZES) {
    memory[n] = benchMemory(n);
    const m = memory[n]!;
    console.log(
      `memory  n=${fmt(n).padStart(7)}: ${m.afterFromRows.toFixed(0)} B/participant after fromRows, ` +
        `${m.afterWorkload.toFixed(0)} B/participant after ${fmt(MEMORY_CHURN_OPS)} increments per board ` +
        `(${m.method === "heap-delta" ? "heap+arrayBuffers delta with --expose-gc" : "typed-array sizes only; run with node --expose-gc for a heap delta"})`,
    );
  }

  const results = {
    date: new Date().toISOString(),
    command: ["node", ...process.execArgv, relative(process.cwd(), process.argv[1] ?? "")].join(" "),
    machine,
    workload: {
      seed: SEED,
      scoreRange: SCORE_RANGE,
      attackShare: ATTACK_SHARE,
      readEvery: READ_EVERY,
      around: AROUND,
      engineOps: ENGINE_OPS,
      engineRounds: ENGINE_ROUNDS,
      redisPipeline: REDIS_PIPELINE,
      redisPipelinedOps: REDIS_PIPELINED_OPS,
      redisAwaitOps: REDIS_AWAIT_OPS,
    },
    engine,
    redis: redis ? redisResults : null,
    rebuild: { size: REBUILD_SIZE, ...rebuild },
    memory,
  };
  mkdirSync("bench/results", { recursive: true });
  writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`results written to ${RESULTS} (checksum ${sink})`);
}

await main();
