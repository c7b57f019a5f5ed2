/**
 * @module How long after a change of the top N each player gets a frame carrying it (or a newer top), through the
 * real PushScheduler / LeaderboardPush / LeaderboardJson on a virtual clock, with a seeded battle at the load test's
 * answers and attacks; a frame costs `frameMs` in the fan-out budget (default 46 µs, the pinned runs' measured cost)
 * and nothing else. What it gives is the scheduler's own delay, without the runtime: set against the load test's
 * push delay for players who see a change only in their top (BENCHMARKS.md, "2026-12-07 late night").
 * `npm run bench:top -- [players 2500] [req/s 500] [seconds 30] [frameMs 0.046]`.
 */
import { mulberry32 } from "../loadtest/prng";
import { FANOUT_BUDGET } from "../src/battle/fanout-budget";
import { LeaderboardJson } from "../src/battle/leaderboard-json";
import type { PushTarget } from "../src/battle/push";
import { PushScheduler } from "../src/battle/push-scheduler";
import { BENCH_QUESTIONS, joinedBattle } from "./joined-battle";

const PLAYERS = Number(process.argv[2] ?? 2500);
const RPS = Number(process.argv[3] ?? 500);
const SECONDS = Number(process.argv[4] ?? 30);
const QUESTIONS = BENCH_QUESTIONS.length;
const game = joinedBattle(PLAYERS, { points: 10 });
const json = new LeaderboardJson(game);
let now = 0;
const timers: { at: number; fn: () => void; id: number }[] = [];
let nextId = 1;
/** Per player: the top JSON of the last frame that carried one. */
const lastTop = new Map<number, string>();
/** Top changes: when the top became `top`; who has not got it yet. */
const pending: { at: number; top: string; waiting: Set<number> }[] = [];
const delays: number[] = [];
let frames = 0;
const targets: PushTarget[] = [];
const byPlayer = new Map<number, PushTarget[]>();
for (let id = 1; id <= PLAYERS; id++) {
  const t: PushTarget = {
    playerId: id,
    compact: true,
    send(frame: string) {
      frames++;
      const i = frame.indexOf('"top":');
      if (i < 0) return;
      const top = frame.slice(i, frame.indexOf("]", i) + 1);
      lastTop.set(id, top);
      // Any top sent now is at least as new as every change before now (a later top answers an earlier change).
      for (const p of pending) if (p.at <= now && p.waiting.delete(id)) delays.push(now - p.at);
    },
  };
  targets.push(t);
  byPlayer.set(id, [t]);
}
const scheduler = new PushScheduler({
  now: () => now,
  setTimer: (fn, ms) => {
    const id = nextId++;
    timers.push({ at: now + ms, fn, id });
    return id;
  },
  clearTimer: (id) => {
    const k = timers.findIndex((t) => t.id === id);
    if (k >= 0) timers.splice(k, 1);
  },
  beforeSlice: () => {},
  views: () => json,
  sockets: () => ({ size: targets.length, targets, ofPlayer: (id) => byPlayer.get(id) ?? [] }),
  log: (m, e) => console.error(m, e),
  // A frame costs what the pinned runs measured (~46 µs): the budget a slice gets is then what it gets there.
  budget: {
    ...FANOUT_BUDGET,
    minFrameMs: Number(process.argv[5] ?? 0.046),
    initialFrameMs: Number(process.argv[5] ?? 0.046),
  },
});
const rand = mulberry32(3);
const next = new Int32Array(PLAYERS + 1);
let currentTop = "";
const end = SECONDS * 1000;
for (let due = 0; now < end; ) {
  // Requests due before the next timer.
  timers.sort((a, b) => a.at - b.at);
  const t = timers[0];
  if (t && t.at <= due) {
    timers.shift();
    now = Math.max(now, t.at);
    t.fn();
    continue;
  }
  now = due;
  due += 1000 / RPS;
  const id = 1 + Math.floor(rand() * PLAYERS);
  const u = rand();
  if (u >= 1 - 5 / 45) {
    // An attack: half the time at someone near on the board, as the load tester does.
    let target = 1 + Math.floor(rand() * PLAYERS);
    if (rand() < 0.5) {
      const near = game.board.around(id, 5);
      target = near[Math.floor(rand() * near.length)]?.id ?? target;
    }
    const plan = game.planAttack(id, target, now);
    if (!plan.ok) continue;
    const oldRank = game.rankOf(target);
    game.applyAttack(plan.value);
    if (plan.value.pointsLost !== 0) scheduler.markChanged(target, oldRank);
  } else if (u < 10 / 45) {
    const q = next[id]!;
    if (q >= QUESTIONS) continue;
    next[id] = q + 1;
    const plan = game.planAnswer(id, `q${q}`, rand() < 0.7 ? `a${q}` : "x", now);
    if (!plan.ok || plan.value.points === 0) continue;
    const oldRank = game.rankOf(id);
    game.applyAnswer(plan.value);
    scheduler.markChanged(id, oldRank);
  }
  const top = `"top":${json.top()}`;
  if (top !== currentTop) {
    currentTop = top;
    pending.push({ at: now, top, waiting: new Set(targets.map((x) => x.playerId)) });
  }
}
const owed = pending.filter((p) => p.at < end - 5000);
const never = owed.reduce((a, p) => a + p.waiting.size, 0);
delays.sort((a, b) => a - b);
const q = (f: number) => delays[Math.min(delays.length - 1, Math.floor(delays.length * f))]?.toFixed(0);
console.log(
  `${PLAYERS} players, ${RPS} req/s, ${SECONDS} s: ${pending.length} top changes, ${frames} frames (${(frames / SECONDS).toFixed(0)}/s); delay to a frame with that top or a newer one: p50 ${q(0.5)} p90 ${q(0.9)} p99 ${q(0.99)} max ${q(1)} ms over ${delays.length}; never answered: ${never}`,
);
