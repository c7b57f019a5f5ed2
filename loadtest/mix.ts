/** @module The traffic profile: the reference action mix and the think-time maths that hits a target rate. */

export type ActionType = "answer" | "leaderboard" | "attack";

/** Per player over a battle, from the reference report: ~10 answers, ~30 leaderboard reads, ~5 attacks. */
export const REFERENCE_MIX: Readonly<Record<ActionType, number>> = { answer: 10, leaderboard: 30, attack: 5 };

export interface Plan {
  /** Aggregate request rate once everyone has joined (answers + leaderboard reads + attacks). */
  readonly rps: number;
  /** Mean time between one player's requests. */
  readonly meanThinkMs: number;
  /** Expected requests of each type per player over the run. */
  readonly perPlayer: Readonly<Record<ActionType, number>>;
  /** Questions the battle needs so nobody runs out. */
  readonly questions: number;
  /** How long the join ramp lasts. */
  readonly rampSec: number;
}

export function mixTotal(mix: Readonly<Record<ActionType, number>>): number {
  return mix.answer + mix.leaderboard + mix.attack;
}

/**
 * Without `rps`, each player spreads the reference mix over the run (the uncompressed profile); with it, per-player
 * think times are stretched or shrunk so `players` together send `rps` requests a second.
 */
export function planLoad(opts: {
  players: number;
  durationSec: number;
  joinPerMin: number;
  rps?: number;
  mix?: Readonly<Record<ActionType, number>>;
}): Plan {
  const mix = opts.mix ?? REFERENCE_MIX;
  const total = mixTotal(mix);
  const rps = opts.rps ?? (opts.players * total) / opts.durationSec;
  const perPlayerRate = rps / opts.players;
  const meanThinkMs = 1000 / perPlayerRate;
  const rampSec = (opts.players / opts.joinPerMin) * 60;
  // A player joining at the mean ramp time plays for the rest of the run.
  const activeSec = Math.max(1, opts.durationSec - rampSec / 2);
  const perPlayerTotal = perPlayerRate * activeSec;
  const perPlayer = {
    answer: (perPlayerTotal * mix.answer) / total,
    leaderboard: (perPlayerTotal * mix.leaderboard) / total,
    attack: (perPlayerTotal * mix.attack) / total,
  };
  // Poisson tails: leave headroom so the unlucky busy player still has questions.
  const questions = Math.min(1000, Math.max(20, Math.ceil(perPlayer.answer * 2 + 10)));
  return { rps, meanThinkMs, perPlayer, questions, rampSec };
}

/** Cumulative thresholds for picking an action with one uniform draw. */
export function mixThresholds(mix: Readonly<Record<ActionType, number>>): [number, number] {
  const total = mixTotal(mix);
  return [mix.answer / total, (mix.answer + mix.leaderboard) / total];
}

export function pickAction(u: number, thresholds: readonly [number, number]): ActionType {
  return u < thresholds[0] ? "answer" : u < thresholds[1] ? "leaderboard" : "attack";
}

/** Parses "90s", "5m", "1h", "1500ms" or a bare number of seconds. */
export function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s.trim());
  if (!m) throw new Error(`bad duration ${JSON.stringify(s)} (use e.g. 30s, 5m)`);
  const n = Number(m[1]);
  const unit = m[2] ?? "s";
  return unit === "ms" ? n : unit === "s" ? n * 1000 : unit === "m" ? n * 60_000 : n * 3_600_000;
}
