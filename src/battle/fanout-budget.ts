/**
 * @module How many push frames the next slice may send, from measured time: fan-out may keep the object busy for
 * at most a share of each slice, and a frame costs what the last slices measured (building it, `send`, and the
 * runtime's write until the event loop was free again). Request latency stays the priority: a push slice is a
 * timer, and how late it fires is how long everything else (requests, heartbeats, joins) is waiting, so fan-out,
 * the part nobody asked for, gives way first (AIMD: halve when late, grow back a step at a time when on time).
 *
 * The cost is the lowest of the last few measurements: anything else the object (or the machine) did meanwhile
 * only adds to a measurement, so the lowest is the closest to what frames cost; load is the lateness's business.
 * Measurements are pooled until they span `poolMs`, because the runtime's clock counts whole milliseconds.
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
  /** Most of a slice's interval fan-out may keep the object busy; the rest is left for requests. */
  readonly busyShare: number;
  /** Cost of one frame (ms) assumed before any is measured. */
  readonly initialFrameMs: number;
  /** Bounds of the per-frame cost estimate (ms), so one odd measurement cannot stall or flood the fan-out. */
  readonly minFrameMs: number;
  readonly maxFrameMs: number;
  /** How many pooled measurements the cost is the lowest of. */
  readonly window: number;
  /** A measurement is pooled with the next ones until they span this long (ms) or `poolFrames` frames. */
  readonly poolMs: number;
  readonly poolFrames: number;
}

export const FANOUT_BUDGET: FanoutBudgetOptions = {
  lateMs: 25,
  onTimeMs: 8,
  // Fan-out keeps at least a quarter of its share however busy the object is: at 1/16 a loaded object sent a
  // frame per player every few seconds (push delay p50 1.5 s at 3,000 players), which is staleness, not priority.
  minShare: 1 / 4,
  step: 1 / 16,
  busyShare: 0.6,
  // What `npm run bench:workerd` measures for a frame built and sent inside workerd (~25 µs, runtime write
  // included), with a margin: 20,000 frames/s at the full share before anything is measured.
  initialFrameMs: 0.03,
  minFrameMs: 0.002,
  // A measurement is the slice's frames plus whatever ran before the measuring timer fired (requests, joins): at
  // 10,000 players under 2,000 req/s every one read ~290 µs a frame, ten times the bench's figure, and the budget
  // starved the fan-out (1,742 frames/s). So the estimate is capped at 4× the bench's cost; lateness, not the
  // estimate, is what protects requests.
  maxFrameMs: 0.1,
  window: 32,
  poolMs: 10,
  poolFrames: 5_000,
};

/**
 * The `FANOUT` switch (a benchmark of the request path alone): `off` gives pushes no time share, so a slice sends
 * one frame; unset or `on` keeps the measured budget. Anything else is a typo: it is reported through `warn` and
 * pushes stay on (a benchmark switch must not take battles down).
 */
export function fanoutSwitch(
  value: string | undefined,
  warn: (msg: string) => void = console.warn,
): FanoutBudgetOptions | undefined {
  if (value === "off") return { ...FANOUT_BUDGET, busyShare: 0 };
  if (value !== undefined && value !== "" && value !== "on") {
    warn(`FANOUT must be "on" or "off", not ${JSON.stringify(value)}: pushes stay on`);
  }
  return undefined;
}

export class FanoutBudget {
  private share = 1;
  private frameMs: number;
  /** The last `window` pooled costs per frame (ms), oldest first. */
  private readonly costs: number[] = [];
  private poolFrames = 0;
  private poolMs = 0;

  constructor(private readonly opts: FanoutBudgetOptions = FANOUT_BUDGET) {
    this.frameMs = opts.initialFrameMs;
  }

  /** The current AIMD share of the time budget, in [minShare, 1]. */
  get current(): number {
    return this.share;
  }

  /** The measured cost of one frame (ms), as used for the next slice. */
  get perFrameMs(): number {
    return this.frameMs;
  }

  /**
   * Feeds how late the slice fired and returns how many frames it may send (at least 1, at most `wanted`): the
   * frames that fit, at the measured cost, in `busyShare` of the time since the last slice (`elapsedMs`), times the
   * AIMD share. A late slice halves the share, but its budget still covers the time that passed: subtracting the
   * lateness (as before) left a slice that fired 30 ms late one frame, so under load the fan-out all but stopped.
   */
  frames(wanted: number, elapsedMs: number, lateMs: number): number {
    const o = this.opts;
    if (lateMs > o.lateMs) this.share = Math.max(o.minShare, this.share / 2);
    else if (lateMs < o.onTimeMs) this.share = Math.min(1, this.share + o.step);
    const fit = Math.floor((Math.max(0, elapsedMs) * o.busyShare * this.share) / this.frameMs);
    return Math.max(1, Math.min(wanted, fit));
  }

  /** A slice sent `frames` frames and the object was busy `busyMs` from its start until its event loop was free. */
  measured(frames: number, busyMs: number): void {
    const o = this.opts;
    // Every slice counts, however small: skipping small ones let a high estimate (measured while the loop was
    // backed up) keep the budget too small ever to be measured again (seen in a starved 2,000-player run).
    if (frames < 1 || !(busyMs >= 0)) return;
    this.poolFrames += frames;
    this.poolMs += busyMs;
    if (this.poolMs < o.poolMs && this.poolFrames < o.poolFrames) return;
    this.costs.push(Math.min(o.maxFrameMs, Math.max(o.minFrameMs, this.poolMs / this.poolFrames)));
    if (this.costs.length > o.window) this.costs.shift();
    this.poolFrames = 0;
    this.poolMs = 0;
    this.frameMs = Math.min(...this.costs);
  }
}
