/**
 * @module `--persist-lag`: once the battle has ended, waits until both sinks confirmed every event of it, then
 * measures the persistence pipeline from Postgres and the operator API (scripts/persist-lag.mjs): ack → Postgres
 * lag p50/p99/max, events/s end to end, queue messages and their rate.
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { OperatorApi } from "./setup";

export interface PersistLagReport {
  readonly events: number;
  readonly lagMs: { readonly p50: number | null; readonly p99: number | null; readonly max: number | null };
  /** First commit → last row in Postgres. */
  readonly spanSec: number;
  readonly eventsPerSec: number | null;
  /** The battle object's flusher counters (since it last woke). */
  readonly queue: { messages: number; events: number; resends: number; sendErrors: number } | null;
  readonly messagesPerSec: number | null;
  /** How long the pipeline took to confirm everything after the battle ended. */
  readonly drainSec: number;
  /** Both sinks had confirmed every event when measured. */
  readonly drained: boolean;
}

interface PipelineStatus {
  readonly object: {
    readonly lastSeq: number;
    readonly confirmed: { readonly d1: number; readonly pg: number };
  };
}

async function status(api: OperatorApi, battleId: string): Promise<PipelineStatus> {
  const res = await fetch(`${api.baseUrl}/api/admin/battles/${encodeURIComponent(battleId)}/persistence`, {
    headers: { Authorization: `Bearer ${api.token}` },
  });
  if (!res.ok) throw new Error(`persistence view: HTTP ${res.status}`);
  return (await res.json()) as PipelineStatus;
}

export async function measurePersistLag(
  root: string,
  api: OperatorApi,
  battleId: string,
  pgUrl: string,
  log: (s: string) => void,
  timeoutMs = 180_000,
): Promise<PersistLagReport> {
  const t0 = Date.now();
  let drained = false;
  while (Date.now() - t0 < timeoutMs) {
    const s = await status(api, battleId);
    const { lastSeq, confirmed } = s.object;
    if (confirmed.pg >= lastSeq && confirmed.d1 >= lastSeq) {
      drained = true;
      break;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  const drainSec = (Date.now() - t0) / 1000;
  if (!drained) log(`persistence not drained after ${drainSec.toFixed(0)} s; measuring what arrived`);
  const mod = await import(pathToFileURL(join(root, "scripts", "persist-lag.mjs")).href);
  const figures = await mod.persistLag({ pgUrl, battle: battleId, baseUrl: api.baseUrl, token: api.token });
  for (const line of mod.formatLag(figures) as string[]) log(line);
  return { ...(figures as Omit<PersistLagReport, "drainSec" | "drained">), drainSec, drained };
}
