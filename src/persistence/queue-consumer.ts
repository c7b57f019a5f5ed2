/**
 * @module Queue consumers of the persistence pipeline. Events: each batch is validated message by message
 * (malformed ones are poison: retried, then dead-lettered), then written as one D1 batch and one Postgres
 * transaction; on success every message is acked and each battle's object learns the sinks' watermarks (so it
 * can drop its outbox rows). A failed batch is retried message by message, so one bad message cannot hold back
 * the others; retries back off with `msg.attempts`. Dead letters are stored in D1 for operators to list and replay.
 */
import { battleStub } from "../http/battle-stub";
import { planApply } from "./apply-plan";
import { applyToD1 } from "./d1-sink";
import { storeDeadLetters, supersedeDeadLetters } from "./dead-letters";
import { type ParsedMessage, parseMessage } from "./message";
import { applyToPostgres, pgClient } from "./pg-sink";
import { retryDelaySeconds } from "./retry";
import { type Watermarks, watermarkKey } from "./watermarks";

interface Parsed {
  readonly msg: Message<unknown>;
  readonly parsed: ParsedMessage;
}

export async function consumeEvents(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const base = Number(env.PERSIST_RETRY_BASE_SECONDS ?? "2");
  const retry = (msg: Message<unknown>) => msg.retry({ delaySeconds: retryDelaySeconds(msg.attempts, base) });
  const good: Parsed[] = [];
  for (const msg of batch.messages) {
    const parsed = parseMessage(msg.body);
    if (typeof parsed === "string") {
      console.error(`queue ${batch.queue}: poison message ${msg.id} (attempt ${msg.attempts}): ${parsed}`);
      retry(msg);
    } else good.push({ msg, parsed });
  }
  if (good.length === 0) return;
  try {
    await apply(env, good);
    return;
  } catch (e) {
    if (good.length === 1) {
      console.error(`queue ${batch.queue}: message ${good[0]!.msg.id} failed; retrying`, e);
      retry(good[0]!.msg);
      return;
    }
    console.error(`queue ${batch.queue}: batch of ${good.length} failed; applying one by one`, e);
  }
  for (let i = 0; i < good.length; i++) {
    const one = good[i]!;
    try {
      await apply(env, [one]);
    } catch (e) {
      console.error(`queue ${batch.queue}: message ${one.msg.id} failed; retrying`, e);
      retry(one.msg);
      // The first one failing alone as well points at the sink (e.g. Postgres down), not at the messages.
      if (i === 0) {
        for (const rest of good.slice(1)) retry(rest.msg);
        return;
      }
    }
  }
}

async function apply(env: Env, items: readonly Parsed[]): Promise<void> {
  const plan = planApply(items.map((i) => i.parsed));
  const d1 = await applyToD1(env.DB, plan, Date.now());
  const pg = await applyToPostgres(pgClient(env.HYPERDRIVE.connectionString), plan);
  for (const i of items) i.msg.ack();
  await confirm(env, plan.keys, d1, pg);
  await supersedeLetters(env, plan.keys, pg);
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
    console.error("marking superseded dead letters failed", e);
  }
}

/** Tells each battle's object what both sinks hold; a lost call only delays the cleanup (the object resends). */
async function confirm(
  env: Env,
  keys: readonly { battle: string; shard: number }[],
  d1: Watermarks,
  pg: Watermarks,
): Promise<void> {
  const calls = keys.map(({ battle, shard }) => {
    const key = watermarkKey(battle, shard);
    // The battle's object routes a shard's stream to that shard (sharded battles, src/sharding).
    return battleStub(env, battle).confirmPersisted({ d1: d1.get(key) ?? 0, pg: pg.get(key) ?? 0 }, shard);
  });
  for (const r of await Promise.allSettled(calls)) {
    if (r.status === "rejected") console.error("confirming to a battle object failed", r.reason);
  }
}

export async function consumeDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  try {
    await storeDeadLetters(env.DB, batch.queue, batch.messages, Date.now());
    for (const msg of batch.messages) msg.ack();
  } catch (e) {
    console.error(`DLQ ${batch.queue}: storing dead letters failed; retrying`, e);
    for (const msg of batch.messages) msg.retry({ delaySeconds: 10 });
  }
}
