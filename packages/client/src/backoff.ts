/** @module Reconnect policy: exponential backoff with jitter, and which close codes allow a retry at all. */
import { isReconnectable } from "./protocol/close-codes.js";

export interface BackoffOptions {
  /** Ceiling of the first attempt's delay. */
  readonly baseMs: number;
  /** No delay is ever longer than this. */
  readonly maxMs: number;
}

/** A whole battle that drops at once comes back spread over the first second, then 2 s, 4 s… up to 30 s. */
export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1_000, maxMs: 30_000 };

/**
 * Delay before reconnect attempt `attempt` (0-based): "full jitter" — uniform in [0, ceiling) with the exponential
 * ceiling `min(maxMs, baseMs·2^attempt)`, so a crowd that dropped together (a deploy, a network blip) spreads
 * evenly over the whole ceiling instead of arriving in waves. `rng` returns [0, 1).
 */
export function backoffDelay(
  attempt: number,
  rng: () => number = Math.random,
  opts: BackoffOptions = DEFAULT_BACKOFF,
): number {
  const exp = Math.min(Math.max(0, Math.floor(attempt)), 30);
  const ceiling = Math.min(opts.maxMs, opts.baseMs * 2 ** exp);
  return Math.floor(rng() * ceiling);
}

/** Close codes 4500–4999 mean "do not come back with this token"; 1000 is a deliberate, clean close. */
export function shouldReconnect(code: number): boolean {
  return code !== 1000 && isReconnectable(code);
}
