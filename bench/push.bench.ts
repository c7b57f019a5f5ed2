/**
 * @module Push fan-out, old path against new in the same run (Node, one core): a simulated battle of N connected
 * players with score changes at the rate of the 2,000 req/s load (~500/s), pushed for `SECONDS` of simulated time.
 * - old: full frames (top in every one), the fixed 4,000 frames/s cap (200 per 50 ms slice, a tenth of the players
 *   per slice, 500 ms gap), as shipped before the measured budget. Kept here only, for this comparison.
 * - new: `PushScheduler` as shipped (a ninth of the players per slice, 450 ms gap, measured budget; the simulated
 *   clock stands still inside a slice, so time does not limit it here) with compact frames (protocol 2).
 * Each frame is UTF-8 encoded as the runtime does on `send`. Reported: JS time per frame and frames/s per core,
 * bytes per frame, frames delivered per simulated second, and the JS heap our push state takes per player.
 * The runtime's own write path is not in these figures (see the load test's "fan-out (server side)" line).
 * Run: `node --expose-gc --import tsx bench/push.bench.ts [players…]` (default 2000 10000).
 */
import { cpus } from "node:os";
import { mulberry32 } from "../loadtest/prng";
import type { BattleGame } from "../src/battle/game";
import { LeaderboardJson } from "../src/battle/leaderboard-json";
import { LeaderboardPush } from "../src/battle/push";
import { PushScheduler } from "../src/battle/push-scheduler";
import { SocketSet } from "../src/battle/socket-set";
import { BENCH_QUESTIONS, joinedBattle } from "./joined-battle";

const SECONDS = 10;
const CHANGES_PER_SEC = 500;
const SLICE_MS = 50;

interface Result {
  readonly frames: number;
  readonly bytes: number;
  readonly jsMs: number;
}

interface Battle {
  readonly game: BattleGame;
  readonly json: LeaderboardJson;
  readonly sockets: SocketSet<object>;
  /** Frames sent and their UTF-8 bytes (encoded as the runtime does on `send`). */
  readonly sent: { frames: number; bytes: number };
  /** Applies the score changes due in (from, to]. */
  play(from: number, to: number): void;
}

function battle(players: number, compact: boolean): Battle {
  const sent = { frames: 0, bytes: 0 };
  const sockets = new SocketSet<object>((_s, f) => {
    sent.frames++;
    sent.bytes += Buffer.byteLength(f);
  });
  const game = joinedBattle(players, {}, (id) => sockets.add({}, id, compact));
  const rand = mulberry32(42);
  let due = 0;
  return {
    game,
    json: new LeaderboardJson(game),
    sockets,
    sent,
    play(from, to) {
      for (; due <= to; due += 1000 / CHANGES_PER_SEC) {
        if (due <= from) continue;
        for (;;) {
          const id = 1 + Math.floor(rand() * players);
          const q = Math.floor(rand() * BENCH_QUESTIONS.length);
          const plan = game.planAnswer(id, `q${q}`, `a${q}`, due);
          if (!plan.ok) continue;
          game.applyAnswer(plan.value);
          break;
        }
      }
    },
  };
}

/** The fan-out as it was: a fixed cap of 4,000 frames/s, a tenth of the players per slice, full frames. */
function oldPath(players: number): Result {
  const b = battle(players, false);
  const push = new LeaderboardPush();
  let jsMs = 0;
  let version = -1;
  for (let now = 0; now <= SECONDS * 1000; now += SLICE_MS) {
    b.play(now - SLICE_MS, now);
    const changed = b.game.boardVersion !== version;
    version = b.game.boardVersion;
    const budget = Math.min(Math.ceil(b.sockets.size / 10), (4_000 * SLICE_MS) / 1000);
    const t0 = performance.now();
    push.tick(b.json, b.sockets.targets, changed, {
      listMax: 0,
      budget,
      now,
      minGapMs: 500,
      byPlayer: (id) => b.sockets.ofPlayer(id),
    });
    jsMs += performance.now() - t0;
  }
  return { ...b.sent, jsMs };
}

/** The fan-out as shipped, driven by a simulated clock and timers. */
function newPath(players: number): Result {
  const b = battle(players, true);
  let now = 0;
  let timers: { at: number; fn: () => void }[] = [];
  const scheduler = new PushScheduler({
    now: () => now,
    setTimer: (fn, ms) => {
      const t = { at: now + ms, fn };
      timers.push(t);
      return t;
    },
    clearTimer: (t) => {
      timers = timers.filter((x) => x !== t);
    },
    beforeSlice: () => {},
    views: () => b.json,
    sockets: () => b.sockets,
    log: (msg, e) => {
      throw new Error(`${msg}: ${String(e)}`);
    },
  });
  let jsMs = 0;
  let version = b.game.boardVersion;
  scheduler.markChanged();
  for (let t = 0; t <= SECONDS * 1000; t += 1) {
    b.play(t - 1, t);
    if (b.game.boardVersion !== version) {
      version = b.game.boardVersion;
      scheduler.markChanged();
    }
    now = t;
    const due = timers.filter((x) => x.at <= t).sort((x, y) => x.at - y.at);
    for (const x of due) {
      timers = timers.filter((y) => y !== x);
      const t0 = performance.now();
      x.fn();
      jsMs += performance.now() - t0;
    }
  }
  return { ...b.sent, jsMs };
}

/** JS heap of the push state per player: game, serialised views, sockets and what each was last sent. */
function heapPerPlayer(players: number): number | null {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return null;
  gc();
  const before = process.memoryUsage().heapUsed;
  const b = battle(players, true);
  const push = new LeaderboardPush();
  push.tick(b.json, b.sockets.targets, true, { listMax: 0 });
  gc();
  const after = process.memoryUsage().heapUsed;
  const keep: unknown[] = [b, push];
  void keep;
  return (after - before) / players;
}

function report(name: string, players: number, r: Result): number {
  const perCore = (r.frames / r.jsMs) * 1000;
  console.log(
    `  ${name}: ${Math.round(r.frames / SECONDS)} frames/s delivered, ${((1000 * r.jsMs) / r.frames).toFixed(1)} µs JS per frame ` +
      `→ ${Math.round(perCore).toLocaleString("en")} frames/s per core, ${Math.round(r.bytes / r.frames)} B per frame ` +
      `(${((r.bytes / SECONDS / 1e6) * 8).toFixed(1)} Mbit/s)`,
  );
  void players;
  return perCore;
}

const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);
console.log(`push fan-out bench — ${cpus()[0]?.model} × ${cpus().length}, node ${process.version}`);
for (const players of sizes.length > 0 ? sizes : [2_000, 10_000]) {
  console.log(`${players} players, ${CHANGES_PER_SEC} score changes/s, ${SECONDS} s simulated:`);
  const before = report("old (full frames, 4,000 frames/s cap)", players, oldPath(players));
  const after = report("new (compact frames, measured budget)", players, newPath(players));
  const heap = heapPerPlayer(players);
  console.log(
    `  new ÷ old frames/s per core: ${(after / before).toFixed(2)}×` +
      (heap === null ? "" : `; JS heap of game + push state: ${Math.round(heap)} B per player`),
  );
}
