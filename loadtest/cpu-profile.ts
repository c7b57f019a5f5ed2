/**
 * @module Samples a CPU profile of the running Worker and its Durable Objects through the runtime's inspector
 * (`wrangler dev` serves it on 127.0.0.1:9229), writes a `.cpuprofile` (open it in Chrome DevTools) and prints the
 * functions with the most self time. `npm run profile -- --seconds 20 [--inspector 9229] [--out file]`.
 * `npm run profile -- --heap` instead prints the isolate's JavaScript heap after a full GC (the figure the
 * 128 MB isolate limit applies to); divide the growth by the players connected for the heap per player.
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import WebSocket from "ws";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  readonly name: string;
  readonly ms: number;
  readonly pct: number;
}

/** Self time per function (name + file:line), largest first. */
export function selfTimes(profile: Profile): SelfTime[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const ms = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]!);
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    total += dt;
    if (!node) continue;
    const f = node.callFrame;
    const file = f.url.split("/").pop() ?? "";
    const name = `${f.functionName || "(anonymous)"}${file ? ` ${file}:${f.lineNumber + 1}` : ""}`;
    ms.set(name, (ms.get(name) ?? 0) + dt);
  }
  return [...ms.entries()]
    .map(([name, t]) => ({ name, ms: t, pct: total > 0 ? (t / total) * 100 : 0 }))
    .sort((a, b) => b.ms - a.ms);
}

/**
 * How regularly the sampler ran: each sample's weight is the time since the one before, so when the sampler thread
 * cannot run (it shares a pinned core with the thread it samples), a long gap lands whole on whatever ran next.
 * `share` of the profile's time sits in gaps over 4× the asked interval: self times are that much less certain.
 */
export function sampleGaps(
  profile: Profile,
  intervalUs: number,
): { medianMs: number; maxMs: number; share: number } {
  const ms = profile.timeDeltas.map((d) => d / 1000).sort((a, b) => a - b);
  const total = ms.reduce((a, b) => a + b, 0);
  const long = ms.filter((d) => d > (4 * intervalUs) / 1000).reduce((a, b) => a + b, 0);
  return {
    medianMs: ms[Math.floor(ms.length / 2)] ?? 0,
    maxMs: ms.at(-1) ?? 0,
    share: total > 0 ? long / total : 0,
  };
}

export interface BusyStretch {
  /** Since the profile's start. */
  readonly startMs: number;
  readonly ms: number;
  /** The frames (outermost named JavaScript function under the root) that took most of it. */
  readonly top: { name: string; ms: number }[];
}

/**
 * Stretches where the thread never went idle for at least `minMs`: the stalls a request waiting behind them sees
 * whole. Each names the entry points (the first frame under the root: a socket message, a timer, a queue batch, GC)
 * that filled it, largest first.
 */
export function busyStretches(profile: Profile, minMs: number): BusyStretch[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const rootId = profile.nodes[0]?.id;
  const entry = (id: number): string => {
    let cur = id;
    while (parent.get(cur) !== undefined && parent.get(cur) !== rootId) cur = parent.get(cur)!;
    const f = byId.get(cur)?.callFrame;
    if (!f) return "?";
    const file = f.url.split("/").pop() ?? "";
    return `${f.functionName || "(anonymous)"}${file ? ` ${file}:${f.lineNumber + 1}` : ""}`;
  };
  const out: BusyStretch[] = [];
  let t = 0;
  let start = -1;
  let parts = new Map<string, number>();
  const close = (end: number): void => {
    if (start >= 0 && end - start >= minMs) {
      const top = [...parts.entries()]
        .map(([name, ms]) => ({ name, ms }))
        .sort((a, b) => b.ms - a.ms)
        .slice(0, 4);
      out.push({ startMs: start, ms: end - start, top });
    }
    start = -1;
    parts = new Map();
  };
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    t += dt;
    const id = profile.samples[i]!;
    const idle = byId.get(id)?.callFrame.functionName === "(idle)";
    if (idle) {
      close(t - dt);
      continue;
    }
    if (start < 0) start = t - dt;
    const name = entry(id);
    parts.set(name, (parts.get(name) ?? 0) + dt);
  }
  close(t);
  return out.sort((a, b) => b.ms - a.ms);
}

interface Inspector {
  call(method: string, params?: object): Promise<unknown>;
  close(): void;
}

async function openInspector(inspectorUrl: string): Promise<Inspector> {
  const ws = new WebSocket(inspectorUrl);
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  let nextId = 1;
  const pending = new Map<number, (result: unknown) => void>();
  ws.on("message", (data) => {
    const msg = JSON.parse(String(data)) as { id?: number; result?: unknown };
    if (msg.id !== undefined) pending.get(msg.id)?.(msg.result);
  });
  return {
    call: (method, params = {}) =>
      new Promise<unknown>((resolve) => {
        const id = nextId++;
        pending.set(id, resolve);
        ws.send(JSON.stringify({ id, method, params }));
      }),
    close: () => ws.close(),
  };
}

/** Connects to the inspector, profiles for `seconds`, and returns the profile. */
export async function captureProfile(
  inspectorUrl: string,
  seconds: number,
  intervalUs = 500,
): Promise<Profile> {
  const ins = await openInspector(inspectorUrl);
  await ins.call("Profiler.enable");
  await ins.call("Profiler.setSamplingInterval", { interval: intervalUs });
  await ins.call("Profiler.start");
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const { profile } = (await ins.call("Profiler.stop")) as { profile: Profile };
  ins.close();
  return profile;
}

/** The isolate's JavaScript heap in bytes after a full garbage collection. */
export async function heapAfterGc(inspectorUrl: string): Promise<{ usedSize: number; totalSize: number }> {
  const ins = await openInspector(inspectorUrl);
  await ins.call("HeapProfiler.collectGarbage");
  const heap = (await ins.call("Runtime.getHeapUsage")) as { usedSize: number; totalSize: number };
  ins.close();
  return heap;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: "string", default: "20" },
      inspector: { type: "string", default: "9229" },
      out: { type: "string", default: "loadtest/reports/worker.cpuprofile" },
      top: { type: "string", default: "30" },
      interval: { type: "string", default: "500" },
      stalls: { type: "string", default: "50" },
      heap: { type: "boolean", default: false },
    },
  });
  if (values.heap) {
    const h = await heapAfterGc(`ws://127.0.0.1:${values.inspector}/ws`);
    console.log(
      `JS heap after GC: ${(h.usedSize / 1e6).toFixed(2)} MB used of ${(h.totalSize / 1e6).toFixed(2)} MB`,
    );
    return;
  }
  const profile = await captureProfile(
    `ws://127.0.0.1:${values.inspector}/ws`,
    Number(values.seconds),
    Number(values.interval),
  );
  writeFileSync(values.out, JSON.stringify(profile));
  const wall = (profile.endTime - profile.startTime) / 1000;
  const rows = selfTimes(profile);
  const idle = rows.find((r) => r.name.startsWith("(idle)"))?.ms ?? 0;
  console.log(`profile: ${wall.toFixed(0)} ms wall, ${(wall - idle).toFixed(0)} ms not idle → ${values.out}`);
  const gaps = sampleGaps(profile, Number(values.interval));
  console.log(
    `sampler: ${profile.samples.length} samples, gap median ${gaps.medianMs.toFixed(1)} ms, max ${gaps.maxMs.toFixed(0)} ms; ${(gaps.share * 100).toFixed(0)}% of the time in gaps over 4× the interval (their time lands on one frame)`,
  );
  for (const r of rows.slice(0, Number(values.top))) {
    console.log(`${r.ms.toFixed(0).padStart(8)} ms ${r.pct.toFixed(1).padStart(5)}%  ${r.name}`);
  }
  const stalls = busyStretches(profile, Number(values.stalls));
  console.log(`\nbusy stretches of at least ${values.stalls} ms (no idle sample): ${stalls.length}`);
  for (const s of stalls.slice(0, 10)) {
    const top = s.top.map((t) => `${t.name} ${t.ms.toFixed(0)} ms`).join("; ");
    console.log(`${s.ms.toFixed(0).padStart(6)} ms at +${(s.startMs / 1000).toFixed(1)} s: ${top}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
