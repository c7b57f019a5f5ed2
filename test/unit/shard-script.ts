/**
 * @module A seeded script of joins, answers, attacks and samples, and a player for it over any `TestBattle`
 * (a one-object or a sharded battle, in Node or through the Worker): everything observable comes back in order.
 */
import { mulberry32 } from "../../loadtest/prng";
import type { Outcome } from "../../src/battle/outcome";
import { usernameKey } from "../../src/battle/username";
import type { ClientRequest } from "../../src/protocol";
import { shardOf } from "../../src/sharding/shard-of";
import { battleConfig } from "./fixtures";
import type { TestBattle } from "./shard-harness";

const QUESTIONS = Array.from({ length: 8 }, (_, i) => ({
  id: `q${i + 1}`,
  text: `question ${i + 1}`,
  choices: ["a", "b", "c"],
  answer: i % 3,
  ...(i % 4 === 3 ? { points: 25 } : {}),
}));

export const DIFF_CONFIG = battleConfig({
  questions: QUESTIONS,
  speedBonus: { max: 5, windowMs: 2_000 },
  rules: { startingArrows: 2, startingShields: 1, maxAttempts: 2, shieldEveryCorrect: 3 },
});

export type Step =
  | { k: "join"; name: string; player: number }
  | { k: "start" }
  | { k: "answer"; player: number; q: string; a: number }
  | { k: "attack"; player: number; target: number }
  | { k: "sample" }
  | { k: "tick"; ms: number };

/** A seeded script: players by index (their ids come from the battle), targets by index or a bogus id. */
export function script(seed: number, players: number, actions: number): Step[] {
  const rnd = mulberry32(seed);
  const pick = (n: number) => Math.floor(rnd() * n);
  const steps: Step[] = [];
  const names = Array.from({ length: players }, (_, i) => `p${i}-${pick(1000)}`);
  for (let i = 0; i < players / 2; i++) steps.push({ k: "join", name: names[i]!, player: i });
  steps.push({ k: "start" });
  let joined = Math.floor(players / 2);
  for (let i = 0; i < actions; i++) {
    const r = rnd();
    if (joined < players && r < 0.08) {
      steps.push({ k: "join", name: names[joined]!, player: joined });
      joined++;
    } else if (r < 0.1) {
      // A look-alike of a taken name (refused), or a retry of the same name.
      const n = names[pick(joined)]!;
      steps.push({ k: "join", name: n.toUpperCase(), player: -1 });
    } else if (r < 0.6) {
      steps.push({ k: "answer", player: pick(joined), q: `q${1 + pick(8)}`, a: pick(3) });
    } else if (r < 0.9) {
      steps.push({ k: "attack", player: pick(joined), target: rnd() < 0.05 ? -1 : pick(joined) });
    } else if (r < 0.95) {
      steps.push({ k: "sample" });
    } else {
      steps.push({ k: "tick", ms: 1 + pick(300) });
    }
    // Often no time passes between steps: equal reachedAt times make the participant id decide.
    if (rnd() < 0.4) steps.push({ k: "tick", ms: pick(3) });
  }
  steps.push({ k: "sample" });
  return steps;
}

/** Plays the script; returns everything observable, in order. */
export async function play(
  battle: TestBattle,
  steps: readonly Step[],
  /** Runs before step `i` (restarts mid-battle). */
  before?: (i: number) => Promise<void>,
): Promise<unknown[]> {
  const seen: unknown[] = [];
  const ids: number[] = [];
  const sessions: string[] = [];
  const view = (o: Outcome<unknown>) => (o.ok ? { ok: o.value } : { err: o.error.code });
  let reqId = 0;
  for (const [i, step] of steps.entries()) {
    await before?.(i);
    switch (step.k) {
      case "join": {
        const session = `s${sessions.length}`;
        const r = await battle.join(step.name, session);
        seen.push(["join", step.name, view(r)]);
        if (r.ok && r.value.isNew && step.player >= 0) {
          ids[step.player] = r.value.participantId;
          sessions[step.player] = session;
        }
        break;
      }
      case "start": {
        // A battle that did not start would refuse every answer and attack alike in both runs being compared.
        const started = await battle.start();
        if (!started.ok) throw new Error(`start failed: ${started.error.code}`);
        break;
      }
      case "answer":
      case "attack": {
        const id = ids[step.player]!;
        const msg: ClientRequest =
          step.k === "answer"
            ? { type: "answer", id: ++reqId, questionId: step.q, answer: step.a }
            : { type: "attack", id: ++reqId, target: step.target < 0 ? 99_999 : ids[step.target]! };
        seen.push([step.k, id, view(await battle.request(id, sessions[step.player]!, msg))]);
        break;
      }
      case "sample": {
        await battle.settle();
        for (let p = 0; p < ids.length; p++) {
          if (ids[p] === undefined) continue;
          const lb = await battle.request(ids[p]!, sessions[p]!, { type: "leaderboard", id: ++reqId });
          seen.push(["view", ids[p], view(lb)]);
        }
        break;
      }
      case "tick":
        battle.advance(step.ms);
        break;
    }
  }
  const ended = await battle.end();
  if (!ended.ok) throw new Error(`end failed: ${ended.error.code}`);
  const results = await battle.results();
  seen.push(["final", results.ok ? results.value.standings : results.error]);
  return seen;
}

/** Two usernames ("attacker", "target<i>") whose players land on different shards of `shards`. */
export function namesApart(shards: number): [string, string] {
  const a = "attacker";
  for (let i = 0; ; i++) {
    const b = `target${i}`;
    if (shardOf(usernameKey(b), shards) !== shardOf(usernameKey(a), shards)) return [a, b];
  }
}
