/** @module Backoff of a persistence message whose sink write failed. */

/** Seconds before a failed message is delivered again: base · 2^(attempts−1), at most 5 minutes. */
export function retryDelaySeconds(attempts: number, baseSeconds: number): number {
  return Math.min(300, Math.round(baseSeconds * 2 ** Math.max(0, attempts - 1)));
}
