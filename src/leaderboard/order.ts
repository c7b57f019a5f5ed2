/** @module The leaderboard's total order: score descending, then reachedAt ascending, then id ascending. */
import type { Standing } from "./types";

/** Negative when `a` ranks ahead of `b`, 0 only for equal keys. */
export function compareStandings(a: Standing, b: Standing): number {
  if (a.score !== b.score) return a.score > b.score ? -1 : 1;
  if (a.reachedAt !== b.reachedAt) return a.reachedAt < b.reachedAt ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
