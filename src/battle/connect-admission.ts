/**
 * @module How fast a battle object takes new sockets, and when a refused one should come back. Sockets are admitted
 * at a steady rate with a burst (GCRA, the token bucket's arrival-time form), and each refused socket is told its
 * own later slot (reservations spaced at the same rate) instead of one shared delay, so a crowd beyond the rate
 * returns as an even stream. It is a ceiling, not the storm fix: a whole battle reconnecting at once recovers
 * fastest unpaced when clients wait long enough for their upgrade (BENCHMARKS.md: 7,000 back in 22 s; what wedged
 * the object was clients abandoning upgrades after 10 s), and every refusal costs another upgrade. Platform-free
 * and clocked by the caller.
 */

export interface ConnectAdmissionOptions {
  /** Sockets admitted per second, steady. */
  readonly ratePerSec: number;
  /** Sockets admitted at once after a quiet spell. */
  readonly burst: number;
  /** No refused socket is told to wait longer than this (ms). */
  readonly maxWaitMs: number;
}

/**
 * Measured (BENCHMARKS.md): one object took a 7,000-player storm back in ~22 s unpaced (clients waiting up to
 * 30 s for the upgrade), while pacing at 300/s made it 58 s (each refusal is another upgrade round trip). So the
 * default only paces bursts beyond 2,000 sockets a second. `CONNECT_RATE_PER_SECOND` sets it (the burst follows).
 */
export const CONNECT_ADMISSION: ConnectAdmissionOptions = {
  ratePerSec: 2_000,
  burst: 2_000,
  maxWaitMs: 60_000,
};

export class ConnectAdmission {
  /** When the next socket would be admitted at the steady rate (the GCRA's theoretical arrival time). */
  private tat = Number.NEGATIVE_INFINITY;
  /** The last slot handed to a refused socket. */
  private reserved = Number.NEGATIVE_INFINITY;
  private readonly intervalMs: number;
  private readonly toleranceMs: number;
  readonly stats = { admitted: 0, refused: 0 };

  constructor(private readonly opts: ConnectAdmissionOptions = CONNECT_ADMISSION) {
    this.intervalMs = 1000 / opts.ratePerSec;
    this.toleranceMs = (Math.max(1, opts.burst) - 1) * this.intervalMs;
  }

  /** 0 when the socket is admitted now; otherwise how long (ms, ≥ 1) this socket should wait before it retries. */
  admit(now: number): number {
    const tat = Math.max(this.tat, now);
    if (tat <= now + this.toleranceMs + 1e-6) {
      this.tat = tat + this.intervalMs;
      this.stats.admitted++;
      return 0;
    }
    // The earliest time a socket would be admitted again, and after every slot already handed out.
    const slot = Math.max(this.reserved + this.intervalMs, tat - this.toleranceMs);
    this.reserved = slot;
    this.stats.refused++;
    return Math.min(this.opts.maxWaitMs, Math.max(1, Math.ceil(slot - now)));
  }
}

/** A setting `CONNECT_RATE_PER_SECOND` as admission options (the default when unset or not a positive integer). */
export function connectAdmissionOptions(ratePerSec: number | undefined): ConnectAdmissionOptions {
  if (ratePerSec === undefined || !Number.isInteger(ratePerSec) || ratePerSec <= 0) return CONNECT_ADMISSION;
  return { ...CONNECT_ADMISSION, ratePerSec, burst: ratePerSec };
}
