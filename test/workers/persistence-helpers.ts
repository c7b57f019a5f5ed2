/** @module Helpers for the persistence tests: wait until a battle's pipeline is drained, read Postgres rows. */
import { env } from "cloudflare:test";
import { vi } from "vitest";
import { pgClient } from "../../src/persistence/pg-sink";
import { api, OPERATOR } from "./helpers";

export function pg() {
  return pgClient(env.HYPERDRIVE.connectionString);
}

export async function persistence(id: string): Promise<any> {
  const res = await api("GET", `/api/admin/battles/${id}/persistence`, undefined, OPERATOR);
  if (res.status !== 200) throw new Error(`persistence failed: ${JSON.stringify(res.json)}`);
  return res.json;
}

/**
 * Waits until both sinks confirmed every event the battle's objects wrote (each shard's too, in a sharded battle)
 * and their outboxes are empty.
 */
export async function drained(id: string, timeout = 15_000): Promise<any> {
  return vi.waitFor(
    async () => {
      const s = await persistence(id);
      for (const { object } of s.streams) {
        const { lastSeq, confirmed, depth } = object;
        if (lastSeq === 0 || confirmed.d1 !== lastSeq || confirmed.pg !== lastSeq || depth !== 0) {
          throw new Error(`not drained: ${JSON.stringify(s)}`);
        }
      }
      return s;
    },
    { timeout, interval: 50 },
  );
}

export async function reconcileReport(id: string): Promise<any> {
  const res = await api("GET", `/api/admin/battles/${id}/reconcile`, undefined, OPERATOR);
  if (res.status !== 200) throw new Error(`reconcile failed: ${JSON.stringify(res.json)}`);
  return res.json;
}

/**
 * Runs DDL on a table every test file's consumer writes to, without wedging them: an `ALTER TABLE` waiting for its
 * lock queues every later writer of the table behind it, so one slow holder (another file's consumer mid-batch)
 * stalled whole test files under a full run. Each try waits at most 1 s for the lock, then lets the writers through
 * and tries again. CHECK constraints go in `NOT VALID`: enforced on new rows at once, no scan of the table.
 */
export async function ddl(statement: string, timeout = 20_000): Promise<void> {
  const sql = pg();
  await vi.waitFor(
    () =>
      sql.begin(async (tx) => {
        await tx.unsafe("SET LOCAL lock_timeout = '1s'");
        await tx.unsafe(statement);
      }),
    { timeout, interval: 200 },
  );
}

/**
 * Holds the battle's Postgres watermark rows locked from another session (Postgres is then unavailable for that
 * battle: its writes wait out the lock timeout and are retried) until the returned function is called.
 */
export async function holdWatermarkLock(battle: string): Promise<() => Promise<void>> {
  const sql = pg();
  let release!: () => void;
  const released = new Promise<void>((r) => {
    release = r;
  });
  let locked!: () => void;
  const holding = new Promise<void>((r) => {
    locked = r;
  });
  const holder = sql.begin(async (tx) => {
    await tx.unsafe("SELECT 1 FROM watermarks WHERE battle_id = $1 FOR UPDATE", [battle]);
    locked();
    await released;
  });
  await holding;
  return async () => {
    release();
    await holder;
  };
}
