/** @module Run reports: the JSON record, a Markdown table, and a self-contained HTML page with inline SVG charts. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LatencySummary } from "./histogram";
import type { PersistLagReport } from "./persist-lag";
import type { ServerPushStats } from "./setup";
import type { EventCheck, StormReport } from "./storm";
import { steadyCostLine, type UnitCost, unitCostLine } from "./unit-cost";
import type { Mismatch } from "./verify";

export interface ActionReport {
  readonly name: string;
  readonly sent: number;
  readonly ok: number;
  readonly refused: number;
  readonly failed: number;
  /** Replies with ok:true. */
  readonly okPct: number;
  /** Served (ok, or refused by a game rule); failures are timeouts, closes, rate_limited, internal… */
  readonly successPct: number;
  readonly errors: Record<string, number>;
  readonly latency: LatencySummary;
}

export interface TimelinePoint {
  readonly sec: number;
  readonly rps: number;
  readonly failed: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly open: number;
  readonly genCpu: number;
  readonly workerdCpu: number | null;
  readonly machineCpu: number | null;
}

export interface RunReport {
  readonly startedAt: string;
  readonly command: string;
  readonly machine: { cpus: number; model: string; node: string; os: string };
  readonly config: Record<string, unknown>;
  readonly actions: readonly ActionReport[];
  readonly overall: ActionReport;
  readonly throughput: {
    readonly totalRequests: number;
    readonly wallSec: number;
    readonly avgRps: number;
    readonly steadyAvgRps: number;
    /** Latency of all requests after the join ramp. */
    readonly steadyLatency: LatencySummary;
    readonly peakRps: number;
  };
  readonly connections: {
    readonly peak: number;
    readonly reconnects: number;
    readonly closes: Record<string, number>;
  };
  /** Per observer: (sampled score change, player whose view showed that player) pairs, see push-delay.ts. */
  readonly pushDelay: LatencySummary & {
    /** Players whose frames were read (a uniform sample; absent in reports before 2026-12-07: everyone). */
    readonly observers?: number;
    /** Score changes sampled. */
    readonly changes: number;
    readonly matched: number;
    /** Pairs with no fresh frame within 10 s (or when the run ended). */
    readonly expired: number;
    /** Of the samples: observers already showing the new score when the acknowledgement arrived (0 ms). */
    readonly early?: number;
    /** The pairs sampled after the join ramp. */
    readonly steady: LatencySummary;
    /** The pairs whose observer saw the player only in its top N (absent in reports before 2026-12-03). */
    readonly top?: LatencySummary;
    /** Leaderboard push frames received per second, all players together. */
    readonly pushesPerSec: number;
  };
  readonly generatorCpu: {
    readonly seconds: number;
    readonly avgCorePct: number;
    readonly workers: number;
    /** The worst worker's event-loop delay, ms (it inflates the latencies that worker measured). */
    readonly loopDelayMs?: { readonly p50: number; readonly p99: number; readonly max: number };
  };
  /** The battle object's group commits (since it last woke). */
  readonly commits: { readonly batches: number; readonly writes: number; readonly largest: number } | null;
  /** The battle object's push fan-out (since it last woke): frames, and what they were measured to cost in it. */
  readonly pushes?: ServerPushStats | null;
  /** The object's freshness bound (admin view), read every 10 s during the run (absent before 2026-12-07). */
  readonly freshnessBoundMs?: {
    readonly samples: number;
    readonly median: number;
    readonly max: number;
    readonly last: number;
  } | null;
  /** Runtime CPU per request and per frame (absent before 2026-12-07 and for remote targets). */
  readonly unitCost?: UnitCost | null;
  /** The same over the steady state only (after the join ramp): what a request costs once everyone is in. */
  readonly unitCostSteady?: UnitCost | null;
  readonly server: {
    readonly avgWorkerdCpu: number;
    readonly peakWorkerdCpu: number;
    readonly avgOtherCpu: number;
    readonly peakRssMb: number;
    readonly avgMachineCpu: number;
    /** The multi-process mode: each runtime process's workerd CPU (% of a core) and peak RSS. */
    readonly processes?: readonly {
      readonly avgCpu: number;
      readonly peakCpu: number;
      readonly peakRssMb: number;
    }[];
  } | null;
  readonly verification: {
    readonly checked: number;
    readonly excluded: number;
    readonly unknownOnServer: number;
    readonly mismatches: readonly Mismatch[];
  } | null;
  /** Every acknowledged attack reached its target once as an `attacked` event (players with a whole stream). */
  readonly events?: EventCheck;
  /** `--persist-lag`: the persistence pipeline's lag and rates for this battle. */
  readonly persistence?: PersistLagReport | null;
  /** `--reconnect-storm`. */
  readonly storm?: StormReport | null;
  readonly timeline: readonly TimelinePoint[];
  readonly passed: boolean;
  readonly problems: readonly string[];
}

const pct = (n: number) => `${n.toFixed(2)}%`;
const ms = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));

function errorList(e: Record<string, number>): string {
  const entries = Object.entries(e).sort((a, b) => b[1] - a[1]);
  return entries.length === 0 ? "" : entries.map(([k, v]) => `${k}:${v}`).join(" ");
}

function persistenceLine(p: PersistLagReport): string {
  const lag = (v: number | null) => (v === null ? "n/a" : ms(v));
  const rate = (v: number | null, d: number) => (v === null ? "n/a" : v.toFixed(d));
  return (
    `- persistence (${p.drained ? "drained" : "NOT drained"} ${p.drainSec.toFixed(1)} s after the end): ${p.events} answers+attacks in Postgres; ` +
    `ack → Postgres lag p50 ${lag(p.lagMs.p50)} / p99 ${lag(p.lagMs.p99)} / max ${lag(p.lagMs.max)} ms; ` +
    `${rate(p.eventsPerSec, 0)} events/s end to end over ${p.spanSec.toFixed(1)} s; ` +
    (p.queue
      ? `queue ${p.queue.messages} messages (${rate(p.messagesPerSec, 1)}/s), ${p.queue.resends} resends, ${p.queue.sendErrors} send errors`
      : "queue counters unavailable")
  );
}

export function markdown(r: RunReport): string {
  const rows = [...r.actions, r.overall].map(
    (a) =>
      `| ${a.name} | ${a.sent} | ${pct(a.successPct)} | ${pct(a.okPct)} | ${ms(a.latency.p50)} | ${ms(a.latency.p90)} | ${ms(a.latency.p95)} | ${ms(a.latency.p99)} | ${ms(a.latency.max)} | ${errorList(a.errors)} |`,
  );
  const t = r.throughput;
  const s = r.server;
  const v = r.verification;
  return [
    `### Load test ${r.startedAt}`,
    "",
    `\`${r.command}\``,
    "",
    `Machine: ${r.machine.cpus} cores, ${r.machine.model}, Node ${r.machine.node}, ${r.machine.os}` +
      (r.config.pin
        ? `; pinned: server on CPU ${(r.config.pin as { server: string }).server}, generator on CPU ${(r.config.pin as { generator: string }).generator}`
        : ""),
    "",
    "| action | requests | success | ok | p50 ms | p90 ms | p95 ms | p99 ms | max ms | errors |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ...rows,
    "",
    `- throughput: ${t.totalRequests} requests in ${t.wallSec.toFixed(0)} s; avg ${t.avgRps.toFixed(0)} req/s, steady ${t.steadyAvgRps.toFixed(0)} req/s, peak ${t.peakRps} req/s`,
    `- steady state (after the join ramp): p50 ${ms(t.steadyLatency.p50)} / p90 ${ms(t.steadyLatency.p90)} / p95 ${ms(t.steadyLatency.p95)} / p99 ${ms(t.steadyLatency.p99)} / max ${ms(t.steadyLatency.max)} ms`,
    `- connections held (peak): ${r.connections.peak}; reconnects ${r.connections.reconnects}; closes ${errorList(r.connections.closes) || "none"}`,
    `- leaderboard push delay (score change acknowledged → a frame with it reaches each player whose view showed that player; ${r.pushDelay.observers ?? "all"} observers, ${r.pushDelay.changes} changes sampled, ${r.pushDelay.matched} (change, observer) samples${r.pushDelay.early ? ` (${r.pushDelay.early} already showing the new score when the acknowledgement arrived: 0 ms)` : ""}, ${r.pushDelay.expired} unmatched): p50 ${ms(r.pushDelay.p50)} ms, p95 ${ms(r.pushDelay.p95)} ms, p99 ${ms(r.pushDelay.p99)} ms, max ${ms(r.pushDelay.max)} ms; after the join ramp p50 ${ms(r.pushDelay.steady.p50)} / p99 ${ms(r.pushDelay.steady.p99)} / max ${ms(r.pushDelay.steady.max)} ms;${r.pushDelay.top ? ` observers who saw the player only in their top N: ${r.pushDelay.top.count} samples, p50 ${ms(r.pushDelay.top.p50)} / p99 ${ms(r.pushDelay.top.p99)} ms;` : ""} ${r.pushDelay.pushesPerSec.toFixed(0)} leaderboard pushes/s received`,
    `- generator CPU: ${r.generatorCpu.seconds.toFixed(1)} s over ${r.generatorCpu.workers} workers = ${r.generatorCpu.avgCorePct.toFixed(0)}% of a core on average` +
      (r.generatorCpu.loopDelayMs
        ? `; its event-loop delay (worst worker, part of every latency above) p50 ${r.generatorCpu.loopDelayMs.p50.toFixed(1)} / p99 ${r.generatorCpu.loopDelayMs.p99.toFixed(1)} / max ${r.generatorCpu.loopDelayMs.max.toFixed(0)} ms`
        : ""),
    s
      ? `- server (workerd): CPU avg ${s.avgWorkerdCpu.toFixed(0)}% / peak ${s.peakWorkerdCpu.toFixed(0)}% of a core, RSS peak ${s.peakRssMb} MB; rest of wrangler tree avg ${s.avgOtherCpu.toFixed(0)}%; machine busy avg ${s.avgMachineCpu.toFixed(0)}% of 2 cores` +
        (s.processes && s.processes.length > 1
          ? `; per process ${s.processes.map((p, i) => `p${i} avg ${p.avgCpu.toFixed(0)}% / peak ${p.peakCpu.toFixed(0)}%, RSS ${p.peakRssMb} MB`).join("; ")}`
          : "")
      : "- server: not sampled (remote target)",
    r.commits && r.commits.batches > 0
      ? `- group commit: ${r.commits.writes} writes in ${r.commits.batches} transactions (${(r.commits.writes / r.commits.batches).toFixed(2)} per commit, largest ${r.commits.largest})`
      : "- group commit: no counters",
    r.pushes && r.pushes.slices > 0
      ? `- fan-out (server side): ${r.pushes.frames} frames in ${r.pushes.slices} slices; measured in the object ${((1000 * r.pushes.measuredMs) / Math.max(1, r.pushes.measuredFrames)).toFixed(1)} µs per frame over ${r.pushes.measuredFrames} frames (slice start → event loop free, requests meanwhile included); budget at the end ${(1000 * r.pushes.perFrameMs).toFixed(1)} µs/frame, share ${r.pushes.share.toFixed(2)}`
      : "- fan-out: no counters",
    ...(r.freshnessBoundMs
      ? [
          `- freshness bound the object reported (every 10 s, ${r.freshnessBoundMs.samples} reads): median ${r.freshnessBoundMs.median.toFixed(0)} ms, max ${r.freshnessBoundMs.max.toFixed(0)} ms, last ${r.freshnessBoundMs.last.toFixed(0)} ms`,
        ]
      : []),
    ...(r.unitCost ? [unitCostLine(r.unitCost, r.config.fanout === "off")] : []),
    ...(r.unitCostSteady ? [steadyCostLine(r.unitCostSteady, r.config.fanout === "off")] : []),
    ...(r.persistence ? [persistenceLine(r.persistence)] : []),
    v
      ? `- correctness: ${v.checked} scores checked, ${v.excluded} excluded (a reply never came), ${v.mismatches.length} mismatches, ${v.unknownOnServer} unknown participants on the server`
      : "- correctness: not checked",
    ...(r.events
      ? [
          `- events: ${r.events.expected} acknowledged attacks on ${r.events.checked} players with a whole stream (${r.events.excluded} excluded: continuity lost, not connected at the end, or a reply never came): ${r.events.missing} never received, ${r.events.extra} extra`,
        ]
      : []),
    ...(r.storm ? [stormLine(r.storm)] : []),
    `- result: ${r.passed ? "PASS" : `FAIL (${r.problems.join("; ")})`}`,
    "",
  ].join("\n");
}

function stormLine(st: StormReport): string {
  const w = st.window;
  return (
    `- reconnect storm at t=${st.atSec.toFixed(1)} s (ramp + ${st.settleMs / 1000} s): ${st.dropped} TCP connections destroyed; ` +
    `${st.resumed} back (${st.kept} continuity kept, ${st.lost} lost), ${st.notResumed} not back (${st.gaveUp} gave up); ` +
    `resume time p50 ${ms(st.resumeMs.p50)} / p99 ${ms(st.resumeMs.p99)} / max ${ms(st.resumeMs.max)} ms; ` +
    `all back after ${st.allResumedMs === null ? "never" : `${ms(st.allResumedMs)} ms`}; ${st.replayed} missed events replayed; ` +
    `requests in the storm window (t=${w.fromSec}–${w.toSec} s, the last resume + 5 s): ${w.latency.count} replies, p50 ${ms(w.latency.p50)} / p99 ${ms(w.latency.p99)} / max ${ms(w.latency.max)} ms, worst second p99 ${ms(w.worstSecondP99)} ms, ${w.failed} failed`
  );
}

interface Series {
  readonly name: string;
  readonly color: string;
  readonly points: readonly (readonly [number, number])[];
}

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A line chart as inline SVG: no scripts, no CDN. */
export function lineChart(title: string, unit: string, series: readonly Series[], w = 900, h = 260): string {
  const pad = { l: 56, r: 16, t: 28, b: 30 };
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const x0 = Math.min(0, ...xs);
  const x1 = Math.max(1, ...xs);
  const y1 = niceCeil(Math.max(1, ...ys));
  const sx = (x: number) => pad.l + ((x - x0) / (x1 - x0)) * (w - pad.l - pad.r);
  const sy = (y: number) => h - pad.b - (y / y1) * (h - pad.t - pad.b);
  const grid: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const y = (y1 * i) / 4;
    grid.push(
      `<line x1="${pad.l}" x2="${w - pad.r}" y1="${sy(y)}" y2="${sy(y)}" stroke="#ddd"/>`,
      `<text x="${pad.l - 6}" y="${sy(y) + 4}" text-anchor="end" font-size="11">${+y.toFixed(1)}</text>`,
    );
  }
  for (let i = 0; i <= 6; i++) {
    const x = x0 + ((x1 - x0) * i) / 6;
    grid.push(
      `<text x="${sx(x)}" y="${h - 10}" text-anchor="middle" font-size="11">${Math.round(x)} s</text>`,
    );
  }
  const lines = series.map((s) => {
    const d = s.points.map((p, i) => `${i === 0 ? "M" : "L"}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`);
    return `<path d="${d.join("")}" fill="none" stroke="${s.color}" stroke-width="1.5"/>`;
  });
  const legend = series.map(
    (s, i) =>
      `<rect x="${pad.l + 10 + i * 130}" y="8" width="12" height="4" fill="${s.color}"/><text x="${pad.l + 26 + i * 130}" y="14" font-size="12">${esc(s.name)}</text>`,
  );
  return `<figure><figcaption>${esc(title)} (${esc(unit)})</figcaption><svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif">${grid.join("")}${lines.join("")}${legend.join("")}</svg></figure>`;
}

function niceCeil(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

export function html(r: RunReport): string {
  const tl = r.timeline;
  const latency = lineChart("Latency per second", "ms", [
    { name: "p50", color: "#2a7", points: tl.map((p) => [p.sec, p.p50]) },
    { name: "p99", color: "#d33", points: tl.map((p) => [p.sec, p.p99]) },
  ]);
  const rate = lineChart("Throughput", "replies/s", [
    { name: "replies/s", color: "#36c", points: tl.map((p) => [p.sec, p.rps]) },
    { name: "failed/s", color: "#d33", points: tl.map((p) => [p.sec, p.failed]) },
  ]);
  const cpu = lineChart("CPU", "% of one core", [
    { name: "generator", color: "#a5c", points: tl.map((p) => [p.sec, p.genCpu]) },
    ...(r.server
      ? [{ name: "workerd", color: "#e80", points: tl.map((p) => [p.sec, p.workerdCpu ?? 0] as const) }]
      : []),
  ]);
  const conns = lineChart("Open WebSockets", "count", [
    { name: "open", color: "#333", points: tl.map((p) => [p.sec, p.open]) },
  ]);
  const body = markdownToHtml(markdown(r));
  return `<!doctype html><html><head><meta charset="utf-8"><title>Arena load test ${esc(r.startedAt)}</title>
<style>body{font-family:sans-serif;margin:24px;max-width:960px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px}td:not(:first-child){text-align:right}figure{margin:16px 0}figcaption{font-weight:bold}code{background:#f4f4f4}</style>
</head><body>${body}${latency}${rate}${cpu}${conns}</body></html>`;
}

/** Just enough Markdown for our own output: headings, one table, bullet lines, inline code. */
function markdownToHtml(md: string): string {
  const out: string[] = [];
  let inTable = false;
  for (const line of md.split("\n")) {
    const inline = (s: string) => esc(s).replace(/`([^`]+)`/g, "<code>$1</code>");
    if (line.startsWith("|")) {
      const cells = line
        .slice(1, -1)
        .split("|")
        .map((c) => c.trim());
      if (cells.every((c) => /^-+:?$/.test(c))) continue;
      if (!inTable) {
        out.push(`<table><tr>${cells.map((c) => `<th>${inline(c)}</th>`).join("")}</tr>`);
        inTable = true;
      } else out.push(`<tr>${cells.map((c) => `<td>${inline(c)}</td>`).join("")}</tr>`);
      continue;
    }
    if (inTable) {
      out.push("</table>");
      inTable = false;
    }
    if (line.startsWith("### ")) out.push(`<h1>${inline(line.slice(4))}</h1>`);
    else if (line.startsWith("- ")) out.push(`<div>• ${inline(line.slice(2))}</div>`);
    else if (line.trim()) out.push(`<p>${inline(line)}</p>`);
  }
  if (inTable) out.push("</table>");
  return out.join("\n");
}

export function writeReports(dir: string, r: RunReport): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "report.json"), JSON.stringify(r, null, 2));
  writeFileSync(join(dir, "report.md"), markdown(r));
  writeFileSync(join(dir, "report.html"), html(r));
  return dir;
}
