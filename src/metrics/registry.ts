/**
 * @module Metric families for the Prometheus exposition (pure: no platform imports). Counters and histograms keep
 * their values in preallocated typed arrays indexed by a small integer series code (e.g. action × outcome), so
 * counting is an increment and observing a bucket scan plus three increments: no strings, no Map, no allocation.
 * `collect()` builds plain `Family` objects at scrape time; they cross Durable Object RPC as they are (structured
 * clone) and the Worker writes them as text (`text-format.ts`).
 *
 * Why not `prom-client` (the maintained npm client, 15.x): it requires Node's `cluster`, `fs`, `http`, `zlib`,
 * `perf_hooks` and `process`, keeps one global registry per process (a Worker isolate serves many battles, and a
 * battle's counters live in its Durable Object, not in the Worker that is scraped), and allocates per observation
 * for label lookups. `@hono/prometheus` wraps it. The text format is small enough to write directly.
 */

/** Label names and, per sample, the values in the same order. */
export type LabelValues = readonly string[];

export interface ValueSample {
  readonly labels: LabelValues;
  readonly value: number;
}

export interface HistogramSample {
  readonly labels: LabelValues;
  /** Per bucket (not cumulative), one per bound and a last one above every bound (the `+Inf` bucket's own). */
  readonly counts: readonly number[];
  readonly sum: number;
  readonly count: number;
}

export type Family =
  | {
      readonly name: string;
      readonly help: string;
      readonly type: "counter" | "gauge";
      readonly labelNames: readonly string[];
      readonly samples: readonly ValueSample[];
    }
  | {
      readonly name: string;
      readonly help: string;
      readonly type: "histogram";
      readonly labelNames: readonly string[];
      /** Upper bounds, ascending, without `+Inf`. */
      readonly bounds: readonly number[];
      readonly samples: readonly HistogramSample[];
    };

/**
 * A counter with a fixed set of series: series `i` has the label values `series[i]`. `inc(i)` is the hot path.
 * `keep(i, value)`: whether `collect` lists a series (default: all; e.g. rare outcomes only once they happened).
 */
export class Counter {
  readonly values: Float64Array;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    readonly series: readonly LabelValues[],
    private readonly keep: (series: number, value: number) => boolean = () => true,
  ) {
    this.values = new Float64Array(series.length);
  }

  inc(series = 0, by = 1): void {
    this.values[series]! += by;
  }

  collect(): Family {
    const samples: ValueSample[] = [];
    for (let i = 0; i < this.series.length; i++) {
      const value = this.values[i]!;
      if (this.keep(i, value)) samples.push({ labels: this.series[i]!, value });
    }
    return { name: this.name, help: this.help, type: "counter", labelNames: this.labelNames, samples };
  }
}

/** A histogram with fixed bounds and a fixed set of series (same conventions as `Counter`). */
export class Histogram {
  /** `counts[s * (bounds + 1) + b]`: observations of series `s` in bucket `b` (not cumulative). */
  private readonly counts: Float64Array;
  private readonly sums: Float64Array;
  private readonly totals: Float64Array;
  private readonly width: number;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly bounds: readonly number[],
    readonly labelNames: readonly string[] = [],
    readonly series: readonly LabelValues[] = [[]],
  ) {
    for (let i = 1; i < bounds.length; i++)
      if (!(bounds[i]! > bounds[i - 1]!)) throw new Error(`${name}: bounds must ascend`);
    this.width = bounds.length + 1;
    this.counts = new Float64Array(series.length * this.width);
    this.sums = new Float64Array(series.length);
    this.totals = new Float64Array(series.length);
  }

  observe(series: number, value: number): void {
    const bounds = this.bounds;
    let b = 0;
    while (b < bounds.length && value > bounds[b]!) b++;
    this.counts[series * this.width + b]! += 1;
    this.sums[series]! += value;
    this.totals[series]! += 1;
  }

  /** Observations of one series so far. */
  count(series = 0): number {
    return this.totals[series]!;
  }

  collect(): Family {
    const samples: HistogramSample[] = [];
    for (let s = 0; s < this.series.length; s++) {
      const at = s * this.width;
      samples.push({
        labels: this.series[s]!,
        counts: Array.from(this.counts.subarray(at, at + this.width)),
        sum: this.sums[s]!,
        count: this.totals[s]!,
      });
    }
    return {
      name: this.name,
      help: this.help,
      type: "histogram",
      labelNames: this.labelNames,
      bounds: this.bounds,
      samples,
    };
  }
}

/** A gauge read at scrape time (one unlabelled sample, or one per label values). */
export function gauge(
  name: string,
  help: string,
  value: number | readonly ValueSample[],
  labelNames: readonly string[] = [],
): Family {
  return readFamily("gauge", name, help, value, labelNames);
}

/** A counter whose value is kept elsewhere (e.g. an existing stats object), read at scrape time. */
export function counterOf(
  name: string,
  help: string,
  value: number | readonly ValueSample[],
  labelNames: readonly string[] = [],
): Family {
  return readFamily("counter", name, help, value, labelNames);
}

function readFamily(
  type: "gauge" | "counter",
  name: string,
  help: string,
  value: number | readonly ValueSample[],
  labelNames: readonly string[],
): Family {
  const samples = typeof value === "number" ? [{ labels: [], value }] : value;
  return { name, help, type, labelNames, samples };
}
