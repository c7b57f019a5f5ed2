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
export async function captureProfile(inspectorUrl: string, seconds: number): Promise<Profile> {
  const ins = await openInspector(inspectorUrl);
  await ins.call("Profiler.enable");
  await ins.call("Profiler.setSamplingInterval", { interval: 500 });
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
  const profile = await captureProfile(`ws://127.0.0.1:${values.inspector}/ws`, Number(values.seconds));
  writeFileSync(values.out, JSON.stringify(profile));
  const wall = (profile.endTime - profile.startTime) / 1000;
  const rows = selfTimes(profile);
  const idle = rows.find((r) => r.name.startsWith("(idle)"))?.ms ?? 0;
  console.log(`profile: ${wall.toFixed(0)} ms wall, ${(wall - idle).toFixed(0)} ms not idle → ${values.out}`);
  for (const r of rows.slice(0, Number(values.top))) {
    console.log(`${r.ms.toFixed(0).padStart(8)} ms ${r.pct.toFixed(1).padStart(5)}%  ${r.name}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
