/**
 * @module The console's live charts (uPlot): online, requests/s by action, p50/p99 handling time, the freshness
 * bound and the persistence lag over the last 15 minutes, fed one row per poll (`chart-series.ts` makes the rows).
 * Each chart takes its container's width and follows it (one per row on a phone), with a legend that wraps.
 */
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { type ChartRow, LATENCY_ACTIONS, RATE_ACTIONS, SeriesWindow } from "./chart-series";
import { el } from "./dom";

const HEIGHT = 170;
const AXIS = "#94a3b8";
const GRID = "#334155";
const COLOR: Readonly<Record<string, string>> = {
  answer: "#38bdf8",
  attack: "#f87171",
  leaderboard: "#4ade80",
  ping: "#c084fc",
  invalid: "#fbbf24",
};

interface SeriesSpec {
  readonly label: string;
  readonly stroke: string;
  readonly dash?: number[];
}

interface ChartSpec {
  /** `data-chart` of the figure: a stable name for tests and styles. */
  readonly name: string;
  readonly title: string;
  /** Formats a value of the y axis. */
  readonly format: (v: number) => string;
  readonly series: readonly SeriesSpec[];
  readonly pick: (row: ChartRow) => readonly (number | null)[];
}

/** Time-axis tick steps (seconds). */
const TIME_STEPS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900];

const num = (digits: number) => (v: number) => v.toFixed(digits);

const SPECS: readonly ChartSpec[] = [
  {
    name: "online",
    title: "Online (open sockets)",
    format: num(0),
    series: [{ label: "online", stroke: COLOR.answer! }],
    pick: (r) => [r.online],
  },
  {
    name: "requests",
    title: "Requests/s by action",
    format: num(1),
    series: RATE_ACTIONS.map((a) => ({ label: a, stroke: COLOR[a]! })),
    pick: (r) => RATE_ACTIONS.map((a) => r.rates[a] ?? null),
  },
  {
    name: "latency",
    title: "Handling time p50 (dashed) / p99, ms",
    format: num(1),
    series: LATENCY_ACTIONS.flatMap((a) => [
      { label: `${a} p50`, stroke: COLOR[a]!, dash: [5, 4] },
      { label: `${a} p99`, stroke: COLOR[a]! },
    ]),
    pick: (r) => LATENCY_ACTIONS.flatMap((a) => [r.p50[a] ?? null, r.p99[a] ?? null]),
  },
  {
    name: "freshness",
    title: "Push freshness bound, ms",
    format: num(0),
    series: [
      { label: "fan-out can keep", stroke: COLOR.leaderboard! },
      { label: "target", stroke: AXIS, dash: [5, 4] },
    ],
    pick: (r) => [r.freshnessMs, r.freshnessTargetMs],
  },
  {
    name: "persistence",
    title: "Persistence lag (oldest unconfirmed event), s",
    format: num(1),
    series: [{ label: "lag", stroke: COLOR.invalid! }],
    pick: (r) => [r.persistLagS],
  },
];

/** From 0 to a little above the highest value (1 when there is none), so a flat line stays inside the plot. */
function zeroBased(_u: uPlot, _min: number | null, max: number | null): uPlot.Range.MinMax {
  return [0, max !== null && max > 0 ? max * 1.1 : 1];
}

function options(spec: ChartSpec, width: number): uPlot.Options {
  const axis = { stroke: AXIS, grid: { stroke: GRID, width: 1 }, ticks: { stroke: GRID, width: 1 } };
  return {
    width,
    height: HEIGHT,
    scales: { x: { time: true }, y: { range: zeroBased } },
    series: [
      {},
      ...spec.series.map((s) => ({
        label: s.label,
        stroke: s.stroke,
        width: 2,
        ...(s.dash ? { dash: s.dash } : {}),
      })),
    ],
    axes: [
      // Whole seconds and up: sub-second ticks crowd a phone's axis while only a few polls are in.
      { ...axis, space: 60, incrs: TIME_STEPS_S },
      { ...axis, size: 48, values: (_u, ticks) => ticks.map((t) => spec.format(t)) },
    ],
    // The legend names the series (it wraps on a phone); values are read off the axis.
    legend: { live: false },
    cursor: { drag: { x: false, y: false } },
  };
}

interface Chart {
  readonly figure: HTMLElement;
  readonly window: SeriesWindow;
  readonly spec: ChartSpec;
  plot: uPlot | null;
}

export class ConsoleCharts {
  private readonly charts: Chart[];

  constructor(container: HTMLElement) {
    this.charts = SPECS.map((spec) => {
      const figure = el(
        "figure",
        { class: "chart", "data-chart": spec.name },
        el("figcaption", {}, spec.title),
      );
      container.append(figure);
      return { figure, spec, window: new SeriesWindow(spec.pick, spec.series.length), plot: null };
    });
    // The plots follow their figures' width (a rotated phone, a resized window, the panel first shown).
    new ResizeObserver(() => this.fit()).observe(container);
  }

  /** A poll's row: appended to every chart (drawn now if the charts are on screen). */
  push(row: ChartRow): void {
    for (const c of this.charts) {
      c.window.push(row);
      if (c.plot) c.plot.setData(c.window.data);
    }
    this.fit();
  }

  /** Another battle was selected: its charts start empty. */
  clear(): void {
    for (const c of this.charts) {
      c.window.clear();
      c.plot?.setData(c.window.data);
    }
  }

  /** Creates the plots once their figures have a width, and keeps each as wide as its figure. */
  private fit(): void {
    for (const c of this.charts) {
      const width = Math.floor(c.figure.clientWidth);
      if (width <= 0) continue;
      if (!c.plot) c.plot = new uPlot(options(c.spec, width), c.window.data, c.figure);
      else if (c.plot.width !== width) c.plot.setSize({ width, height: HEIGHT });
    }
  }
}
