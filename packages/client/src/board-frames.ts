/**
 * @module Compact leaderboard pushes (protocol 3). A client that connects with `?push=2` gets `top` only in
 * frames where it changed since its previous frame; the others carry `total`, `online`, `me` and `around`, and
 * the client keeps the last `top` it saw. Frames to clients without the parameter are unchanged.
 */
import type { LeaderboardView } from "./protocol/server-messages.js";

/** The query parameter that asks the battle for compact leaderboard frames. */
export const COMPACT_PUSH_PARAM = "push";

/** `wsUrl` with `push=2` added (kept if already there). */
export function compactPushUrl(wsUrl: string): string {
  const url = new URL(wsUrl);
  url.searchParams.set(COMPACT_PUSH_PARAM, "2");
  return url.toString();
}

/**
 * Whether a leaderboard frame carries `top`. A string value cannot hold an unescaped `"`, so the key is found only
 * where it is a key.
 */
export function carriesTop(frame: string): boolean {
  return frame.includes('"top":[');
}

/** A pushed view with the `top` of an earlier frame filled in where the frame left it out. */
export function withTop(
  view: Omit<LeaderboardView, "top"> & { readonly top?: LeaderboardView["top"] },
  earlierTop: LeaderboardView["top"] | undefined,
): LeaderboardView {
  return view.top !== undefined ? (view as LeaderboardView) : { ...view, top: earlierTop ?? [] };
}
