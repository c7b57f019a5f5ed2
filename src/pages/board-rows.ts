/** @module Which leaderboard rows a player sees: the top N, then (after a gap) the players around them. Pure. */
import type { LeaderboardView, StandingView } from "../protocol/server-messages";

/** A standing, or a gap between the top list and the rows around the player. */
export type BoardRow = StandingView | { readonly gap: true; readonly key: string };

/** Top rows in rank order, then the `around` rows not already shown, with a gap marker when ranks skip. */
export function boardRows(view: Pick<LeaderboardView, "top" | "around">): BoardRow[] {
  const rows: BoardRow[] = [];
  const shown = new Set<number>();
  let lastRank = 0;
  for (const s of view.top) {
    rows.push(s);
    shown.add(s.id);
    lastRank = s.rank;
  }
  for (const s of view.around) {
    if (shown.has(s.id)) continue;
    if (s.rank > lastRank + 1) rows.push({ gap: true, key: `gap-${lastRank}` });
    rows.push(s);
    shown.add(s.id);
    lastRank = s.rank;
  }
  return rows;
}

export function isGap(r: BoardRow): r is { readonly gap: true; readonly key: string } {
  return "gap" in r;
}
