/**
 * @module Metering of player frames: every frame a player sends (well-formed or not, pings with an id included)
 * takes a token from that player's budget, and every bad or refused frame is a strike; a player out of strikes is
 * closed with 4001. Kept per participant, not per socket, so reconnecting does not refill either.
 */
import { PLAYER_RATE, TokenBucket } from "./token-bucket";

/** Bad or refused frames tolerated in a burst, and how fast that allowance comes back (per second). */
export const STRIKES = { capacity: 20, ratePerSec: 1 } as const;

export class FrameMeter {
  private readonly budgets = new Map<number, TokenBucket>();
  private readonly strikes = new Map<number, TokenBucket>();

  /** Takes one frame from `playerId`'s budget: 0 if admitted, otherwise the ms until one is available. */
  admit(playerId: number, now: number): number {
    return bucket(this.budgets, playerId, now, PLAYER_RATE).take(now);
  }

  /** Records a bad or refused frame; true when the player has run out of strikes and must be disconnected. */
  strike(playerId: number, now: number): boolean {
    return bucket(this.strikes, playerId, now, STRIKES).take(now) > 0;
  }
}

function bucket(
  map: Map<number, TokenBucket>,
  playerId: number,
  now: number,
  rate: { readonly capacity: number; readonly ratePerSec: number },
): TokenBucket {
  let b = map.get(playerId);
  if (!b) {
    b = new TokenBucket(rate.capacity, rate.ratePerSec, now);
    map.set(playerId, b);
  }
  return b;
}
