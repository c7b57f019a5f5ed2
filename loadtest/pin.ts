/**
 * @module `--pin`: the local server's processes (every thread of each) on one CPU list and the load generator on
 * another, with Linux `taskset`, so the server's figures are those of one core of its own, as a production object
 * has its own thread (issue 29). The generator pins itself before it forks its workers, which inherit it.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

export interface PinPlan {
  readonly server: string;
  readonly generator: string;
}

/** `--pin-cpus server:generator` (lists as taskset takes them, e.g. `0:1` or `0-1:2-3`); default `0:1`. */
export function parsePin(on: boolean, cpus: string | undefined): PinPlan | null {
  if (!on && cpus === undefined) return null;
  const [server, generator] = (cpus ?? "0:1").split(":");
  const list = /^\d+(-\d+)?(,\d+(-\d+)?)*$/;
  if (!server || !generator || !list.test(server) || !list.test(generator))
    throw new Error(`--pin-cpus server:generator, e.g. 0:1 (not ${cpus})`);
  return { server, generator };
}

/** `root` and every process below it (from /proc's parent links). */
export function processTree(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // Field 4 of /proc/<pid>/stat is the parent; the command (field 2) may hold spaces, so read after its `)`.
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parentOf.set(Number(name), ppid);
    } catch {
      // gone meanwhile
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++)
    for (const [pid, ppid] of parentOf) if (ppid === tree[i] && !tree.includes(pid)) tree.push(pid);
  return tree;
}

/** Pins every thread of every process in `pids` to `cpus`; returns the pids pinned. */
export function pin(pids: readonly number[], cpus: string): number[] {
  const done: number[] = [];
  for (const pid of pids) {
    try {
      execFileSync("taskset", ["-a", "-p", "-c", cpus, String(pid)], { stdio: "ignore" });
      done.push(pid);
    } catch {
      // exited meanwhile
    }
  }
  return done;
}
