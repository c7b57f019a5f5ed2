/**
 * @module Which runtime process holds an object of a battle in the local multi-process mode (`npm run
 * start:sharded`): the coordinator (named by the battle id) in process 0, shard k in process `k mod P`. In
 * production there is one Worker and one namespace, `processes` is 1 and every object is local.
 * With `--hub` there is one more process, index P, that holds no battle object: the HTTP front door, the queue
 * and its consumer (as in production, where a consumer invocation never shares a battle object's thread).
 */

/**
 * The local topology this Worker runs in: `processes` runtime processes hold the battle objects, this one is
 * `self` (`self === processes`: the hub, which holds none).
 */
export interface Placement {
  readonly processes: number;
  readonly self: number;
}

/** The one-process topology (production, `npm start`, the tests). */
export const SINGLE_PROCESS: Placement = { processes: 1, self: 0 };

/** Garbage, missing or out-of-range settings fall back to one process (everything local). */
export function placementOf(processes: unknown, self: unknown): Placement {
  const p = Number(processes);
  const i = Number(self);
  if (!Number.isInteger(p) || p < 1 || p > 64) return SINGLE_PROCESS;
  if (!Number.isInteger(i) || i < 0 || i > p) return SINGLE_PROCESS;
  return i === 0 && p === 1 ? SINGLE_PROCESS : { processes: p, self: i };
}

/** The process of the object named `name` (`<battle>` or `<battle>#s<k>`, see `shardObjectName`). */
export function processOfObject(name: string, placement: Placement): number {
  if (placement.processes === 1) return 0; // also the hub's view when one process holds every object
  const m = /#s(\d+)$/.exec(name);
  return m ? Number(m[1]) % placement.processes : 0;
}

/** The binding name of process `j`'s battle namespace as seen from another process (`BATTLE` for its own). */
export function namespaceBinding(process: number, placement: Placement): string {
  return process === placement.self ? "BATTLE" : `BATTLE_P${process}`;
}

/**
 * The origin players of process `j` connect to: `origins` is the comma-separated list the start script passes
 * (`LOCAL_ORIGINS`, one per process); null when there is none for `j` (use the request's own origin).
 */
export function originOfProcess(process: number, origins: unknown): string | null {
  if (typeof origins !== "string" || origins === "") return null;
  const list = origins.split(",").map((s) => s.trim());
  const origin = list[process];
  if (origin === undefined || !/^https?:\/\/[\w.\-[\]:]+$/.test(origin)) return null;
  return origin;
}
