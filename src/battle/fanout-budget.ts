/**
 * @module How many push frames the next slice may send: the full share while the object keeps up, less when its
 * event loop falls behind. A push slice is a timer; how late it fires is how long everything else (requests,
 * heartbeats, joins) is waiting, so fan-out, the part nobody asked for, gives way first (AIMD: halve when late,
 * grow back a step at a time when on time).
 */

export interface FanoutBudgetOptions {
  /** Lateness (ms) above which the budget is halved. */
  readonly lateMs: number;
  /** Lateness (ms) below which the budget grows back. */
  readonly onTimeMs: number;
  /** Smallest share of the full budget. */
  readonly minShare: number;
  /** Share regained per on-time slice. */
  readonly step: number;
}

export const FANOUT_BUDGET: FanoutBudgetOptions = { lateMs: 25, onTimeMs: 8, minShare: 1 / 16, step: 1 / 16 };

export class FanoutBudget {
  private share = 1;

  constructor(private readonly opts: FanoutBudgetOptions = FANOUT_BUDGET) {}

  /** The current share of the full budget, in [minShare, 1]. */
  get current(): number {
    return this.share;
  }

  /** Feeds how late the slice fired and returns how many of `full` frames it may send (at least 1). */
  frames(full: number, lateMs: number): number {
    const o = this.opts;
    if (lateMs > o.lateMs) this.share = Math.max(o.minShare, this.share / 2);
    else if (lateMs < o.onTimeMs) this.share = Math.min(1, this.share + o.step);
    return Math.max(1, Math.floor(full * this.share));
  }
}
