/**
 * @module Cost of one conflated push tick at battle scale, in Node: 20,000 connected players, a few hundred
 * score changes between ticks (the reference mix at ~2,000 req/s), frames counted but not sent.
 * Run: `node --import tsx bench/push.bench.ts`.
 */
import { cpus } from "node:os";
import { mulberry32 } from "../loadtest/prng";
import { BattleInput } from "../src/battle/config";
import { BattleGame } from "../src/battle/game";
import { LeaderboardJson } from "../src/battle/leaderboard-json";
import { LeaderboardPush, type PushTarget } from "../src/battle/push";

const QUESTIONS = Array.from({ length: 12 }, (_, i) => ({ id: `q${i}`, text: `Q${i}`, answer: `a${i}` }));

function run(players: number, changesPerTick: number, ticks: number): void {
  const rand = mulberry32(42);
  const input = BattleInput.parse({ title: "bench", questions: QUESTIONS, maxPlayers: players });
  const config = { ...input, id: "bench", createdAt: 0 };
  const game = new BattleGame(config, { startsAt: 0, endsAt: 1e12, endedAt: null });
  let bytes = 0;
  let frames = 0;
  const targets: PushTarget[] = [];
  for (let i = 0; i < players; i++) {
    const plan = game.planJoin(`player${i}`, "s", 0);
    if (!plan.ok && plan.error.code === "battle_full") break;
    if (!plan.ok) throw new Error(plan.error.message);
    const p = game.applyJoin(plan.value);
    targets.push({
      playerId: p.id,
      send: (f) => {
        frames++;
        bytes += f.length;
      },
    });
  }
  const push = new LeaderboardPush();
  const json = new LeaderboardJson(game);
  push.tick(json, targets, true, { budget: 4000 });
  let now = 1;
  const times: number[] = [];
  let sent = 0;
  for (let t = 0; t < ticks; t++) {
    for (let c = 0; c < changesPerTick; c++) {
      now += 1;
      const id = 1 + Math.floor(rand() * players);
      const q = `q${Math.floor(rand() * QUESTIONS.length)}`;
      const plan = game.planAnswer(id, q, rand() < 0.7 ? `a${q.slice(1)}` : "wrong", now);
      if (plan.ok) game.applyAnswer(plan.value);
    }
    frames = 0;
    bytes = 0;
    const t0 = performance.now();
    push.tick(json, targets, true, { budget: 4000 });
    times.push(performance.now() - t0);
    sent += frames;
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  console.log(
    `${players} players, ${changesPerTick} changes/tick: tick median ${median.toFixed(1)} ms, ` +
      `max ${times.at(-1)!.toFixed(1)} ms, ${Math.round(sent / ticks)} frames/tick (${Math.round(bytes / Math.max(1, frames))} B each)`,
  );
}

console.log(`push tick bench — ${cpus()[0]?.model} × ${cpus().length}, node ${process.version}`);
run(1_000, 20, 20);
run(20_000, 300, 20);
run(20_000, 30, 20);
run(100_000, 1000, 5);
