/** @module The battle lifecycle (scheduled → live → ended) as a pure function of the clock. */
import type { BattleStatus } from "../protocol/server-messages";

export interface Schedule {
  startsAt: number | null;
  endsAt: number | null;
  /** Set when an operator ends the battle early. */
  endedAt: number | null;
}

export function statusAt(s: Schedule, now: number): BattleStatus {
  if (s.endedAt !== null && now >= s.endedAt) return "ended";
  if (s.endsAt !== null && now >= s.endsAt) return "ended";
  if (s.startsAt !== null && now >= s.startsAt) return "live";
  return "scheduled";
}

/** The instant the battle froze, once it has. */
export function endedAt(s: Schedule): number | null {
  if (s.endedAt !== null) return s.endedAt;
  return s.endsAt;
}

/** When the next lifecycle alarm should fire, or null if nothing is pending. */
export function nextTransition(s: Schedule, now: number): number | null {
  const status = statusAt(s, now);
  if (status === "scheduled") return s.startsAt;
  if (status === "live") return s.endsAt;
  return null;
}
