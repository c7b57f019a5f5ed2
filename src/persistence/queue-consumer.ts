/**
 * @module Queue consumers of the persistence pipeline. Events: each batch is validated message by message
 * (malformed ones are poison: retried, then dead-lettered), then written to D1 (one batch) and to Postgres (one
 * transaction) side by side and independently. An event a sink refuses (a constraint, a character it cannot
 * store) is quarantined in that sink and the stream goes on (src/persistence/poison.ts); a sink that is down makes
 * the batch come again later, backing off with `msg.attempts`, while the other sink keeps confirming. Each battle's
 * object learns the watermarks of the sinks that answered (so it can drop its outbox rows). Dead letters are stored
 * in D1 for operators to list and replay.
 */

import { objectStub } from "../sharding/do-network";
import { applyToD1, d1Incarnations } from "./d1-sink";
import { storeDeadLetters, supersedeDeadLetters } from "./dead-letters";
import { log } from "./log";
import { type ParsedMessage, parseMessage } from "./message";
import { applyToPostgres, LOCK_TIMEOUT_MS, pgClient, pgIncarnations } from "./pg-sink";
import { type Applied, applyIsolating, d1Refuses, pgRefuses } from "./poison";
import { retryDelaySeconds } from "./retry";
import { type Watermarks, watermarkKey } from "./watermarks";

export async function consumeEvents(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const base = Number(env.PERSIST_RETRY_BASE_SECONDS ?? "2");
  const retry = (msg: Message<unknown>) => msg.retry({ delaySeconds: retryDelaySeconds(msg.attempts, base) });
  const good: Message<unknown>[] = [];
  const parsed: ParsedMessage[] = [];
  for (const msg of batch.messages) {
    const p = parseMessage(msg.body);
    if (typeof p === "string") {
      log.error("poison_message", { queue: batch.queue, message: msg.id, attempt: msg.attempts, cause: p });
      retry(msg);
    } else {
      good.push(msg);
      parsed.push(p);
    }
  }
  if (parsed.length === 0) return;
  // Each sink on its own: one down (or slow) never holds the other back, and each confirms what it holds.
  const sql = pgClient(env.HYPERDRIVE.connectionString);
  const lockTimeoutMs = Number(env.PG_LOCK_TIMEOUT_MS ?? "") || LOCK_TIMEOUT_MS;
  const now = Date.now();
  const [d1, pg] = await Promise.allSettled([
    applyIsolating(
      {
        name: "d1",
        apply: (plan) => applyToD1(env.DB, plan, now),
        refuses: d1Refuses,
        incarnations: d1Incarnations(env.DB, Date.now),
      },
      parsed,
    ),
    applyIsolating(
      {
        name: "pg",
        apply: (plan) => applyToPostgres(sql, plan, lockTimeoutMs),
        refuses: pgRefuses,
        incarnations: pgIncarnations(sql, lockTimeoutMs),
      },
      parsed,
    ),
  ]);
  for (const [sink, r] of [
    ["d1", d1],
    ["pg", pg],
  ] as const) {
    if (r.status === "rejected") {
      // One line per (battle, shard) stream of the batch, so a battle's lines can be found by its field.
      for (const s of streamsOf(good, parsed)) {
        log.error("sink_unavailable", {
          queue: batch.queue,
          sink,
          battle: s.battle,
          shard: s.shard,
          messages: s.messages,
          attempt: s.attempt,
          retryInSeconds: retryDelaySeconds(s.attempt, base),
          cause: r.reason,
        });
      }
    } else {
      for (const q of r.value.quarantined) {
        log.error("event_quarantined", {
          sink,
          battle: q.battle,
          shard: q.shard,
          seq: q.seq,
          cause: q.error,
        });
      }
    }
  }
  // Acked once both sinks hold every event (applied or quarantined); otherwise the whole batch comes again (the
  // sink that has it already applies it as a no-op).
  if (d1.status === "fulfilled" && pg.status === "fulfilled") for (const m of good) m.ack();
  else for (const m of good) retry(m);
  const keys = planKeys(parsed);
  await confirm(
    env,
    keys,
    d1.status === "fulfilled" ? d1.value : null,
    pg.status === "fulfilled" ? pg.value : null,
  );
  if (pg.status === "fulfilled") await supersedeLetters(env, keys, pg.value.marks);
}

/** Per (battle, shard) stream of a batch: its messages and the highest delivery attempt among them. */
function streamsOf(
  msgs: readonly Message<unknown>[],
  parsed: readonly ParsedMessage[],
): { battle: string; shard: number; messages: number; attempt: number }[] {
  const out = new Map<string, { battle: string; shard: number; messages: number; attempt: number }>();
  parsed.forEach((m, i) => {
    const key = watermarkKey(m.battle, m.shard);
    const s = out.get(key) ?? { battle: m.battle, shard: m.shard, messages: 0, attempt: 0 };
    s.messages++;
    s.attempt = Math.max(s.attempt, msgs[i]!.attempts);
    out.set(key, s);
  });
  return [...out.values()];
}

/** The (battle, shard) streams of these messages. */
function planKeys(messages: readonly ParsedMessage[]): { battle: string; shard: number }[] {
  const keys = new Map<string, { battle: string; shard: number }>();
  for (const m of messages) keys.set(watermarkKey(m.battle, m.shard), { battle: m.battle, shard: m.shard });
  return [...keys.values()];
}

/**
 * Open dead letters of these streams that both sinks now hold are superseded at once (a resend delivered them), so
 * the open count an operator or an alert reads is right without anyone reading the list first. One D1 statement
 * on the partial index of unresolved letters; a failure only leaves them for the next batch or the operator's read.
 */
async function supersedeLetters(
  env: Env,
  keys: readonly { battle: string; shard: number }[],
  pg: Watermarks,
): Promise<void> {
  const marks = keys.map(({ battle, shard }) => ({
    battle,
    shard,
    seq: pg.get(watermarkKey(battle, shard)) ?? 0,
  }));
  try {
    await supersedeDeadLetters(env.DB, marks, Date.now());
  } catch (e) {
    log.error("supersede_failed", { cause: e });
  }
}

/**
 * Tells each battle's object what the sinks that answered hold (null: that sink was unavailable), with the
 * incarnation the marks belong to (an object of another creation of the battle id ignores them); a lost call only
 * delays the cleanup (the object resends).
 */
async function confirm(
  env: Env,
  keys: readonly { battle: string; shard: number }[],
  d1: Applied | null,
  pg: Applied | null,
): Promise<void> {
  const calls: Promise<void>[] = [];
  for (const { battle, shard } of keys) {
    const key = watermarkKey(battle, shard);
    const byIncarnation = new Map<string, { d1?: number; pg?: number }>();
    for (const [sink, applied] of [
      ["d1", d1],
      ["pg", pg],
    ] as const) {
      const inc = applied?.incarnations.get(key);
      const mark = applied?.marks.get(key);
      if (inc === undefined || mark === undefined) continue;
      byIncarnation.set(inc, { ...byIncarnation.get(inc), [sink]: mark });
    }
    // The battle's object routes a shard's stream to that shard (sharded battles, src/sharding).
    for (const [inc, marks] of byIncarnation) {
      calls.push(objectStub(env, battle).confirmPersisted(marks, shard, inc));
    }
  }
  for (const r of await Promise.allSettled(calls)) {
    if (r.status === "rejected") log.error("confirm_failed", { cause: r.reason });
  }
}

export async function consumeDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  try {
    await storeDeadLetters(env.DB, batch.queue, batch.messages, Date.now());
    for (const msg of batch.messages) msg.ack();
  } catch (e) {
    log.error("dead_letter_store_failed", { queue: batch.queue, cause: e });
    for (const msg of batch.messages) msg.retry({ delaySeconds: 10 });
  }
}
