/** @module Per-player message budget (token bucket): steady `ratePerSec` with bursts up to `capacity`. */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly capacity: number,
    private readonly ratePerSec: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.updatedAt = now;
  }

  /** Takes one token; returns 0 on success, otherwise the ms to wait until one is available. */
  take(now: number): number {
    const elapsed = now - this.updatedAt;
    if (elapsed > 0) {
      this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.ratePerSec) / 1000);
      this.updatedAt = now;
    }
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) * 1000) / this.ratePerSec);
  }
}

/** ARCHITECTURE.md: ~10 messages/s per player, with room for a short burst. */
export const PLAYER_RATE = { capacity: 20, ratePerSec: 10 } as const;
