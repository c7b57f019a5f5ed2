/** @module Samples CPU and memory of the local server (workerd under `wrangler dev`) and the whole machine from /proc. */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

const CLK_TCK = 100;

interface ProcInfo {
  readonly pid: number;
  readonly ppid: number;
  readonly comm: string;
  readonly ticks: number;
}

function readStat(pid: number): ProcInfo | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    const close = s.lastIndexOf(")");
    const comm = s.slice(s.indexOf("(") + 1, close);
    const f = s.slice(close + 2).split(" ");
    // Fields after comm: state(0) ppid(1) … utime(11) stime(12).
    return { pid, ppid: Number(f[1]), comm, ticks: Number(f[11]) + Number(f[12]) };
  } catch {
    return null;
  }
}

function rssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** All descendants of `root` (and root) as a map pid → info. */
export function processTree(root: number): ProcInfo[] {
  const all: ProcInfo[] = [];
  for (const name of readdirSync("/proc")) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const info = readStat(pid);
    if (info) all.push(info);
  }
  const children = new Map<number, ProcInfo[]>();
  for (const p of all) {
    const list = children.get(p.ppid) ?? [];
    list.push(p);
    children.set(p.ppid, list);
  }
  const out: ProcInfo[] = [];
  const stack = [root];
  const self = all.find((p) => p.pid === root);
  if (self) out.push(self);
  while (stack.length > 0) {
    const pid = stack.pop()!;
    for (const c of children.get(pid) ?? []) {
      out.push(c);
      stack.push(c.pid);
    }
  }
  return out;
}

function machineTicks(): { busy: number; total: number } {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0]!;
  const n = line.trim().split(/\s+/).slice(1).map(Number);
  const total = n.reduce((a, b) => a + b, 0);
  const idle = (n[3] ?? 0) + (n[4] ?? 0);
  return { busy: total - idle, total };
}

export interface ServerSample {
  readonly sec: number;
  /** workerd processes' CPU, % of one core. */
  readonly workerdCpu: number;
  /** Everything else under the wrangler dev tree (node wrangler, esbuild…), % of one core. */
  readonly otherCpu: number;
  readonly workerdRssMb: number;
  /** Whole machine busy, % of all cores. */
  readonly machineCpu: number;
  /** Open file descriptors per process of the wrangler tree (name:fds), refreshed every 5 s. */
  readonly fds: string;
  /** Per runtime process (one per root, the multi-process mode): workerd CPU % of a core and RSS MB. */
  readonly byProcess: readonly { readonly cpu: number; readonly rssMb: number }[];
}

function fdCount(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
}

/**
 * Samples once a second until stopped; `roots` are the wrangler dev processes (one, or one per process of the
 * multi-process mode; none: machine only).
 */
export class ServerSampler {
  readonly samples: ServerSample[] = [];
  private timer: ReturnType<typeof setInterval> | null = null;
  private prev = new Map<number, number>();
  private prevMachine = machineTicks();
  private prevAt = Date.now();
  private trees: ProcInfo[][] = [];
  private treeAt = 0;
  private fds = "";

  constructor(
    private readonly roots: readonly number[],
    private readonly startAt: number,
  ) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), 1000);
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  workerdPids(): number[] {
    return this.trees
      .flat()
      .filter((p) => p.comm === "workerd")
      .map((p) => p.pid);
  }

  private sample(): void {
    const now = Date.now();
    const dt = (now - this.prevAt) / 1000;
    if (this.roots.length > 0 && now - this.treeAt > 5000) {
      this.trees = this.roots.map((root) => processTree(root));
      this.treeAt = now;
      this.fds = this.trees
        .flat()
        .map((p) => [p.comm, fdCount(p.pid)] as const)
        .filter(([, n]) => n > 50)
        .map(([c, n]) => `${c}:${n}`)
        .join(" ");
    }
    let workerd = 0;
    let other = 0;
    let rss = 0;
    const next = new Map<number, number>();
    const perProcess = this.trees.map(() => ({ ticks: 0, rssKb: 0 }));
    this.trees.forEach((tree, i) => {
      for (const p of tree) {
        const info = readStat(p.pid);
        if (!info) continue;
        next.set(p.pid, info.ticks);
        const before = this.prev.get(p.pid);
        const d = before === undefined ? 0 : info.ticks - before;
        if (info.comm === "workerd") {
          const kb = rssKb(p.pid);
          workerd += d;
          rss += kb;
          perProcess[i]!.ticks += d;
          perProcess[i]!.rssKb += kb;
        } else other += d;
      }
    });
    this.prev = next;
    const m = machineTicks();
    const machine =
      m.total > this.prevMachine.total
        ? ((m.busy - this.prevMachine.busy) / (m.total - this.prevMachine.total)) * 100
        : 0;
    this.prevMachine = m;
    this.prevAt = now;
    if (dt <= 0) return;
    this.samples.push({
      sec: Math.round((now - this.startAt) / 1000),
      workerdCpu: Math.round((workerd / CLK_TCK / dt) * 1000) / 10,
      otherCpu: Math.round((other / CLK_TCK / dt) * 1000) / 10,
      workerdRssMb: Math.round(rss / 1024),
      machineCpu: Math.round(machine),
      fds: this.fds,
      byProcess: perProcess.map((p) => ({
        cpu: Math.round((p.ticks / CLK_TCK / dt) * 1000) / 10,
        rssMb: Math.round(p.rssKb / 1024),
      })),
    });
  }
}

/** TCP ports `pid` listens on (from /proc/net/tcp and the process's socket inodes). */
export function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]!);
      } catch {
        // fd closed meanwhile
      }
    }
  } catch {
    return [];
  }
  const ports: number[] = [];
  for (const line of readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[3] === "0A" && f[9] && inodes.has(f[9])) ports.push(Number.parseInt(f[1]!.split(":")[1]!, 16));
  }
  return ports;
}

/**
 * `wrangler dev` puts a proxy workerd in front of the one running the Worker; the proxy spends ~6 file descriptors
 * per WebSocket (2 sockets, 4 pipes), which caps it near 3,300 sockets under the 20,000 fd limit. The runtime behind
 * it serves the same Worker on its own entry port with 1 fd per socket: find that port (the one answering /health).
 */
export async function findDirectEntry(root: number, publicPort: number): Promise<string | null> {
  for (const p of processTree(root)) {
    if (p.comm !== "workerd") continue;
    for (const port of listeningPorts(p.pid)) {
      if (port === publicPort) continue;
      try {
        const r = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) });
        const body = (await r.json()) as { ok?: boolean };
        if (r.ok && body.ok === true) return `http://127.0.0.1:${port}`;
      } catch {
        // not the entry socket
      }
    }
  }
  return null;
}
