/**
 * @module How many leaderboard frames a freshness bound needs, whatever the push path costs: a seeded battle with
 * the load tester's traffic (the reference mix at `--rps`, 70% right answers, +10 points and a speed bonus of up
 * to 5, arrows at a player near on the board or at random, shields from every third correct answer) played
 * through the real `BattleGame`, and an ideal scheduler (no budget: every player checked every 50 ms slice, at
 * most one frame per `--gap` ms) that sends a frame whenever the player's view changed. Reported: score and
 * top-N changes per second, frames per second under three rules, and why each frame was due:
 * - every change (today's rule): top N, the player's own score, who is around them and their scores, or a rank;
 * - rank drift waits: a view whose only change is rank numbers (players elsewhere passed each other) waits up
 *   to `--drift` ms;
 * - no top: as the previous, and the top N reaches players some other way (what the personal part alone needs).
 * Frames/s × the runtime's measured cost per frame (BENCHMARKS.md) is the fan-out's floor on one thread.
 * Run: `npm run bench:churn -- [--players 10000] [--rps 2000] [--gap 450] [--drift 2000] [--seconds 20]`.
 */
import { parseArgs } from "node:util";
import { mulberry32 } from "../loadtest/prng";
import { AROUND, type BattleGame } from "../src/battle/game";
import { BENCH_QUESTIONS, joinedBattle } from "./joined-battle";

const { values } = parseArgs({
  options: {
    players: { type: "string", default: "10000" },
    rps: { type: "string", default: "2000" },
    gap: { type: "string", default: "450" },
    drift: { type: "string", default: "2000" },
    seconds: { type: "string", default: "20" },
    warmup: { type: "string", default: "60" },
    seed: { type: "string", default: "3" },
  },
});
const PLAYERS = Number(values.players);
const RPS = Number(values.rps);
const GAP = Number(values.gap);
const DRIFT = Number(values.drift);
const SECONDS = Number(values.seconds);
const WARMUP = Number(values.warmup);
const SEED = Number(values.seed);
const SLICE_MS = 50;
const QUESTIONS = BENCH_QUESTIONS.length;
/** The load tester's mix (loadtest/mix.ts): answers, leaderboard reads, attacks. */
const ANSWER = 10 / 45;
const ATTACK = 5 / 45;

interface Rule {
  readonly name: string;
  /** How long a change of rank numbers alone may wait (0: sent like any change). */
  readonly driftMs: number;
  /** Whether the top N counts as part of the pushed view. */
  readonly top: boolean;
}

interface Seen {
  content: string;
  rank: number;
  top: number;
  at: number;
}

interface Tally {
  frames: number;
  content: number;
  topOnly: number;
  driftOnly: number;
}

function battle(seed: number) {
  const durationMs = (WARMUP + SECONDS) * 1000;
  const game = joinedBattle(PLAYERS, { points: 10, speedBonus: { max: 5, windowMs: durationMs } });
  const rand = mulberry32(seed);
  const next = new Int32Array(PLAYERS + 1);
  let scoreChanges = 0;
  const answer = (id: number, at: number) => {
    const q = next[id]!;
    if (q >= QUESTIONS) return;
    next[id] = q + 1;
    const right = rand() < 0.7;
    const plan = game.planAnswer(id, `q${q}`, right ? `a${q}` : "wrong", at);
    if (!plan.ok) return;
    const before = game.boardVersion;
    game.applyAnswer(plan.value);
    if (game.boardVersion !== before) scoreChanges++;
  };
  const attack = (id: number, at: number): boolean => {
    let target = 1 + Math.floor(rand() * PLAYERS);
    if (rand() < 0.5) {
      const rank = game.rankOf(id);
      const near = game.around(id, rank);
      target = near[Math.floor(rand() * near.length)]!.id;
    }
    const plan = game.planAttack(id, target, at);
    if (!plan.ok) return false;
    const before = game.boardVersion;
    game.applyAttack(plan.value);
    if (game.boardVersion !== before) scoreChanges++;
    return true;
  };
  let due = 0;
  return {
    game,
    get scoreChanges() {
      return scoreChanges;
    },
    /** Plays the requests due in (from, to]: RPS in all, each from a random player, the reference mix. */
    play(from: number, to: number) {
      for (; due <= to; due += 1000 / RPS) {
        if (due <= from) continue;
        const id = 1 + Math.floor(rand() * PLAYERS);
        const u = rand();
        if (u < ANSWER) answer(id, due);
        else if (u >= 1 - ATTACK && !attack(id, due)) answer(id, due);
      }
    },
  };
}

/** What the player sees apart from rank numbers: their score, who is around them and those players' scores. */
function content(game: BattleGame, id: number): { content: string; rank: number } {
  const rank = game.rankOf(id);
  const rows = game.board.around(id, AROUND);
  let out = `${game.players.get(id)!.score}|`;
  for (const r of rows) out += `${r.id}:${r.score},`;
  return { content: out, rank };
}

function run(rule: Rule) {
  const b = battle(SEED);
  const tally: Tally = { frames: 0, content: 0, topOnly: 0, driftOnly: 0 };
  const seen = new Map<number, Seen>();
  let top = "";
  let topVersion = 0;
  let topChanges = 0;
  let scoreStart = 0;
  const end = (WARMUP + SECONDS) * 1000;
  for (let now = 0; now <= end; now += SLICE_MS) {
    b.play(now - SLICE_MS, now);
    if (now < WARMUP * 1000) continue;
    if (now === WARMUP * 1000) scoreStart = b.scoreChanges;
    const t = b.game.board
      .top(b.game.config.leaderboardSize)
      .map((r) => `${r.id}:${r.score}`)
      .join(",");
    if (t !== top) {
      if (top !== "" && now > WARMUP * 1000) topChanges++;
      top = t;
      topVersion++;
    }
    const counting = now > WARMUP * 1000;
    for (let id = 1; id <= PLAYERS; id++) {
      const last = seen.get(id);
      if (last && now - last.at < GAP) continue;
      const v = content(b.game, id);
      const topNow = rule.top ? topVersion : 0;
      if (!last) {
        seen.set(id, { ...v, top: topNow, at: now });
        continue;
      }
      const contentChanged = last.content !== v.content;
      const topChanged = last.top !== topNow;
      const rankChanged = last.rank !== v.rank;
      const driftDue = rankChanged && now - last.at >= rule.driftMs;
      if (!contentChanged && !topChanged && !driftDue) continue;
      if (counting) {
        tally.frames++;
        if (contentChanged) tally.content++;
        else if (topChanged) tally.topOnly++;
        else tally.driftOnly++;
      }
      last.content = v.content;
      last.rank = v.rank;
      last.top = topNow;
      last.at = now;
    }
  }
  return { tally, topChanges, scoreChanges: b.scoreChanges - scoreStart };
}

const rules: Rule[] = [
  { name: "every change (today)", driftMs: 0, top: true },
  { name: `rank drift waits ${DRIFT} ms`, driftMs: DRIFT, top: true },
  { name: `no top, drift waits ${DRIFT} ms`, driftMs: DRIFT, top: false },
];
console.log(
  `view churn: ${PLAYERS} players, ${RPS} req/s (reference mix), a frame at most every ${GAP} ms, ` +
    `${SECONDS} s measured after ${WARMUP} s of play, seed ${SEED}`,
);
for (const rule of rules) {
  const t0 = performance.now();
  const r = run(rule);
  const per = (n: number) => (n / SECONDS).toFixed(0);
  const share = (n: number) => `${((100 * n) / Math.max(1, r.tally.frames)).toFixed(0)}%`;
  console.log(
    `${rule.name.padEnd(30)} frames/s ${per(r.tally.frames).padStart(6)} ` +
      `(${(r.tally.frames / SECONDS / PLAYERS).toFixed(2)} per player) · due to: their own part ${share(r.tally.content)}, ` +
      `top N only ${share(r.tally.topOnly)}, rank numbers only ${share(r.tally.driftOnly)} · ` +
      `score changes/s ${per(r.scoreChanges)}, top-N changes/s ${(r.topChanges / SECONDS).toFixed(2)} ` +
      `(${((performance.now() - t0) / 1000).toFixed(0)} s)`,
  );
}
