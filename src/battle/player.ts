/** @module A participant's in-memory state and its public views. */
import type { PlayerView } from "../protocol/server-messages";

export interface Player {
  readonly id: number;
  readonly username: string;
  session: string;
  /**
   * SHA-256 of the player key issued at the latest join (or of the operator identity); a rejoin must match it, and
   * a key-proven rejoin replaces it with the hash of a fresh key.
   */
  keyHash: string | null;
  score: number;
  /** Server time at which the current score was reached (the leaderboard tie-break). */
  reachedAt: number;
  arrows: number;
  shields: number;
  correct: number;
  readonly joinedAt: number;
  /** Answers submitted per question id. */
  readonly attempts: Map<string, number>;
  /** Question ids answered correctly. */
  readonly scored: Set<string>;
}

export function doneQuestions(p: Player, maxAttempts: number): string[] {
  const done = new Set(p.scored);
  for (const [q, n] of p.attempts) if (n >= maxAttempts) done.add(q);
  return [...done];
}

export function playerView(p: Player, rank: number, maxAttempts: number): PlayerView {
  return {
    id: p.id,
    username: p.username,
    score: p.score,
    arrows: p.arrows,
    shields: p.shields,
    correct: p.correct,
    rank,
    done: doneQuestions(p, maxAttempts),
  };
}
