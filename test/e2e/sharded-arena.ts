/**
 * @module One multi-process local Arena per test file (scripts/arena-sharded.mjs): started quiet in a fresh state
 * directory that `stop` removes. Each file passes its own port range and worker-name prefix, since files run side
 * by side and processes find each other by name.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
// @ts-expect-error: plain ESM script without types
import { startShardedArena } from "../../scripts/arena-sharded.mjs";

export interface ShardedTestArena {
  /** The front door (process 0, or the hub). */
  readonly url: string;
  /** Every process's origin, the hub last. */
  readonly urls: string[];
  readonly front: number;
  stop(): Promise<void>;
  /** SIGKILLs process `i` and starts it again on the same port and state. */
  restart(i: number): Promise<void>;
  /** SIGKILLs process `i` and leaves it down (its port answers nothing) until `start(i)`. */
  kill(i: number): Promise<void>;
  /** Starts process `i`, stopped with `kill`, again on the same port and state. */
  start(i: number): Promise<void>;
}

export async function startTestShardedArena(opts: {
  processes: number;
  hub?: boolean;
  /** Ports `basePort + i` and inspectors `inspectorBase + i`, or explicit `ports`/`inspectorPorts` (the hub last). */
  basePort?: number;
  inspectorBase?: number;
  ports?: number[];
  inspectorPorts?: number[];
  namePrefix: string;
}): Promise<ShardedTestArena> {
  const persistTo = mkdtempSync(join(tmpdir(), "arena-mp-"));
  const arena = await startShardedArena({ ...opts, persistTo, quiet: true, log: () => {} });
  return {
    url: arena.url,
    urls: arena.urls,
    front: arena.front,
    restart: (i) => arena.restart(i),
    kill: (i) => arena.kill(i),
    start: (i) => arena.start(i),
    async stop() {
      await arena.stop();
      rmSync(persistTo, { recursive: true, force: true });
    },
  };
}
