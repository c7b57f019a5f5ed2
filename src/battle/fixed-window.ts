/** @module A fixed-window counter per key (joins per address per minute); memory is one entry per key seen this window. */
export class FixedWindow {
  private window = -1;
  private readonly counts = new Map<string, number>();

  constructor(private readonly periodMs: number) {}

  /** Counts one event for `key`: 0 if within `limit` (0 = unlimited), otherwise the ms until the window ends. */
  take(key: string, limit: number, now: number): number {
    if (limit <= 0) return 0;
    const window = Math.floor(now / this.periodMs);
    if (window !== this.window) {
      this.window = window;
      this.counts.clear();
    }
    const n = this.counts.get(key) ?? 0;
    if (n >= limit) return (window + 1) * this.periodMs - now;
    this.counts.set(key, n + 1);
    return 0;
  }
}
