/**
 * @module The console charts' data (pure, no DOM): each poll of the operator API becomes one row of figures (online,
 * requests/s and p50/p99 handling time per action over the poll's interval, the freshness bound, the persistence
 * lag), and a `SeriesWindow` keeps the rows of the last 15 minutes in the column form uPlot draws.
 */
import { bucketQuantile } from "../metrics/bucket-quantile";

/** How far back the charts reach, and at most how many rows they keep (one poll a second). */
export const WINDOW_MS = 15 * 60_000;
export const MAX_ROWS = 900;

/** Every `action` label, for requests/s (`invalid`: a frame that did not parse). */
export const RATE_ACTIONS = ["answer", "attack", "leaderboard", "ping", "invalid"] as const;
/** The actions whose handling time is charted: the ones that wait for a commit or read the board. */
export const LATENCY_ACTIONS = ["answer", "attack", "leaderboard"] as const;

/** What one poll read: the admin view's figures and the persistence status's lag. */
export interface PollFigures {
  /** Wall-clock time of the poll (ms since the epoch). */
  readonly at: number;
  readonly online: number;
  /** Handling-time buckets per action since the object woke (`BattleAdminView.durations`). */
  readonly durations: {
    readonly bounds: readonly number[];
    readonly byAction: Readonly<Record<string, readonly number[]>>;
  };
  readonly freshness: { readonly targetMs: number; readonly boundMs: number | null };
  /** Age of the oldest event a sink has not confirmed (0 when caught up; null when the status was unavailable). */
  readonly persistLagMs: number | null;
}

/** One row of the charts. Null: nothing to draw at this time (a gap in the line). */
export interface ChartRow {
  /** Seconds since the epoch (uPlot's time axis). */
  readonly t: number;
  readonly online: number;
  readonly rates: Readonly<Record<string, number | null>>;
  /** Milliseconds, over the requests handled since the previous poll. */
  readonly p50: Readonly<Record<string, number | null>>;
  readonly p99: Readonly<Record<string, number | null>>;
  readonly freshnessMs: number | null;
  readonly freshnessTargetMs: number;
  readonly persistLagS: number | null;
}

/**
 * What was added to a counter-like array since `prev`. A counter that went down was reset (the battle's object
 * restarted and counts from 0 again), so all of `cur` is new, as Prometheus's `rate()` reads a reset; a rate is
 * never negative.
 */
export function increase(prev: readonly number[] | undefined, cur: readonly number[]): number[] {
  if (prev === undefined || prev.length !== cur.length || cur.some((c, i) => c < prev[i]!)) return [...cur];
  return cur.map((c, i) => c - prev[i]!);
}

function sum(xs: readonly number[]): number {
  let n = 0;
  for (const x of xs) n += x;
  return n;
}

/** The row for poll `cur`; rates and quantiles need the previous poll of the same battle (null: first poll). */
export function chartRow(prev: PollFigures | null, cur: PollFigures): ChartRow {
  const secs = prev === null ? 0 : (cur.at - prev.at) / 1000;
  const sameBounds =
    prev !== null &&
    prev.durations.bounds.length === cur.durations.bounds.length &&
    prev.durations.bounds.every((b, i) => b === cur.durations.bounds[i]);
  const rates: Record<string, number | null> = {};
  const p50: Record<string, number | null> = {};
  const p99: Record<string, number | null> = {};
  for (const action of RATE_ACTIONS) {
    const counts = cur.durations.byAction[action];
    if (prev === null || !(secs > 0) || counts === undefined) {
      rates[action] = null;
      p50[action] = null;
      p99[action] = null;
      continue;
    }
    const added = increase(sameBounds ? prev.durations.byAction[action] : undefined, counts);
    rates[action] = sum(added) / secs;
    const q = (x: number) => {
      const s = bucketQuantile(cur.durations.bounds, added, x);
      return s === null ? null : s * 1000;
    };
    p50[action] = q(0.5);
    p99[action] = q(0.99);
  }
  return {
    t: cur.at / 1000,
    online: cur.online,
    rates,
    p50,
    p99,
    freshnessMs: cur.freshness.boundMs,
    freshnessTargetMs: cur.freshness.targetMs,
    persistLagS: cur.persistLagMs === null ? null : cur.persistLagMs / 1000,
  };
}

/** uPlot's data: the time column, then one column per series. */
export type Columns = [number[], ...(number | null)[][]];

/**
 * The rows of the last `windowMs` (at most `maxRows`), as columns: `pick` turns a row into one value per series.
 * Oldest rows drop off the front as new ones arrive.
 */
export class SeriesWindow {
  private readonly times: number[] = [];
  private readonly values: (number | null)[][];

  constructor(
    private readonly pick: (row: ChartRow) => readonly (number | null)[],
    series: number,
    private readonly windowMs = WINDOW_MS,
    private readonly maxRows = MAX_ROWS,
  ) {
    this.values = Array.from({ length: series }, () => []);
  }

  /** Appends a row; one not later than the last (the wall clock stepped back) is left out: time must ascend. */
  push(row: ChartRow): void {
    const times = this.times;
    const last = times.at(-1);
    if (last !== undefined && !(row.t > last)) return;
    const picked = this.pick(row);
    times.push(row.t);
    this.values.forEach((col, i) => {
      col.push(picked[i] ?? null);
    });
    const oldest = row.t - this.windowMs / 1000;
    let drop = Math.max(0, times.length - this.maxRows);
    while (drop < times.length && times[drop]! < oldest) drop++;
    if (drop > 0) {
      times.splice(0, drop);
      for (const col of this.values) col.splice(0, drop);
    }
  }

  clear(): void {
    this.times.length = 0;
    for (const col of this.values) col.length = 0;
  }

  get length(): number {
    return this.times.length;
  }

  /** The columns for uPlot's `setData` (the arrays are live: read them, do not change them). */
  get data(): Columns {
    return [this.times, ...this.values];
  }
}
