/**
 * @module Operator API of the persistence pipeline: a battle's pipeline state (outbox depth, oldest unconfirmed
 * age, confirmed seq per sink, dead letters), its reconciliation against D1 and Postgres, and the dead letters
 * (list, replay once). Before counting or listing dead letters, letters whose seqs both sinks now hold are marked
 * superseded, so what is open is what still needs an operator.
 */
import { Hono } from "hono";
import {
  countDeadLetters,
  listDeadLetters,
  openDeadLetterKeys,
  replayDeadLetter,
  supersedeDeadLetters,
} from "../persistence/dead-letters";
import { pgClient } from "../persistence/pg-sink";
import { d1Quarantined, pgQuarantined, reapplyQuarantined } from "../persistence/quarantine";
import { reconcile } from "../persistence/reconcile";
import type { StoredRecord } from "../persistence/records";
import { d1Results, d1Watermark, pgBattleRows, pgRecords, pgWatermarks } from "../persistence/sink-reads";
import { ErrorCode } from "../protocol/error-codes";
import { shardObjectName } from "../sharding/protocol";
import { requireOperator } from "./auth";
import { battleIdParam } from "./battle-id";
import { battleStub } from "./battle-stub";
import type { AppEnv } from "./env";
import { ApiError, unwrap } from "./errors";
import { DeadLetterQuery } from "./request-schemas";

/** The names of a battle's objects: its own, then (a sharded battle) each shard's. */
async function battleObjects(env: Env, id: string): Promise<string[]> {
  const info = unwrap(await battleStub(env, id).info());
  const shards = info.config.shards ?? 1;
  return shards > 1 ? [id, ...Array.from({ length: shards }, (_, k) => shardObjectName(id, k))] : [id];
}

/** Marks superseded the open letters (of one battle, or up to 100 battles) both sinks have caught up with. */
async function supersedeCovered(env: Env, battleId?: string): Promise<void> {
  const keys = await openDeadLetterKeys(env.DB, battleId, 100);
  if (keys.length === 0) return;
  let marks: Awaited<ReturnType<typeof pgWatermarks>>;
  try {
    marks = await pgWatermarks(pgClient(env.HYPERDRIVE.connectionString), keys);
  } catch {
    return; // Postgres unreachable: nothing can be shown covered; the letters stay open
  }
  await supersedeDeadLetters(env.DB, marks, Date.now());
}

/** Every answer and attack one object stores, page by page. */
async function objectRecords(env: Env, name: string): Promise<StoredRecord[]> {
  const out: StoredRecord[] = [];
  for (const kind of ["answers", "attacks"] as const) {
    let after: (string | number)[] | null = null;
    for (;;) {
      const page: StoredRecord[] = await battleStub(env, name).records(kind, after, 5_000);
      out.push(...page);
      if (page.length < 5_000) break;
      after = [...page[page.length - 1]!.key];
    }
  }
  return out;
}

/** Open quarantined events per sink (Postgres's as an error when it cannot be reached). */
async function quarantineCounts(
  env: Env,
  id: string,
): Promise<{ d1: number; pg: number | { error: string } }> {
  const d1 = (await d1Quarantined(env.DB, id)).length;
  try {
    return { d1, pg: (await pgQuarantined(pgClient(env.HYPERDRIVE.connectionString), id)).length };
  } catch (e) {
    return { d1, pg: { error: e instanceof Error ? e.message : String(e) } };
  }
}

export const persistenceRoutes = new Hono<AppEnv>()
  .use(requireOperator)
  .get("/battles/:id/persistence", battleIdParam(), async (c) => {
    const id = c.req.param("id");
    const objects = await battleObjects(c.env, id);
    const statuses = await Promise.all(
      objects.map(async (name) => unwrap(await battleStub(c.env, name).persistence())),
    );
    const d1 = await Promise.all(statuses.map((st) => d1Watermark(c.env.DB, id, st.shard)));
    let pg: Map<number, number> | { error: string };
    try {
      const marks = await pgWatermarks(
        pgClient(c.env.HYPERDRIVE.connectionString),
        statuses.map((st) => ({ battle: id, shard: st.shard })),
      );
      pg = new Map(marks.map((m) => [m.shard, m.seq]));
    } catch (e) {
      pg = { error: e instanceof Error ? e.message : String(e) };
    }
    if (pg instanceof Map) await supersedeCovered(c.env, id);
    const sinksOf = (i: number) => ({
      d1: d1[i]!,
      pg: pg instanceof Map ? (pg.get(statuses[i]!.shard) ?? 0) : pg,
    });
    const letters = await countDeadLetters(c.env.DB, id);
    const quarantined = await quarantineCounts(c.env, id);
    return c.json({
      battle: id,
      /** The battle's own object (a sharded battle's coordinator) and its stream's watermarks in each sink. */
      object: statuses[0],
      sinks: sinksOf(0),
      /** Every persistence stream of the battle: its object's, then each shard's (a sharded battle). */
      streams: statuses.map((object, i) => ({ object, sinks: sinksOf(i) })),
      /** Open dead letters: neither replayed nor covered by both sinks' watermarks (these need an operator). */
      deadLetters: letters.open,
      /** Dead letters a resend from the watermark delivered since (informational). */
      deadLettersSuperseded: letters.superseded,
      /** Events a sink refused, kept in its quarantine until an operator re-applies them (per sink). */
      quarantined,
    });
  })
  .get("/battles/:id/quarantine", battleIdParam({ archived: true }), async (c) => {
    const id = c.req.param("id");
    const d1 = await d1Quarantined(c.env.DB, id, 100);
    let pg: Awaited<ReturnType<typeof pgQuarantined>> | { error: string };
    try {
      pg = await pgQuarantined(pgClient(c.env.HYPERDRIVE.connectionString), id, 100);
    } catch (e) {
      pg = { error: e instanceof Error ? e.message : String(e) };
    }
    return c.json({ battle: id, d1, pg });
  })
  .post("/battles/:id/quarantine/reapply", battleIdParam({ archived: true }), async (c) => {
    const id = c.req.param("id");
    try {
      return c.json({
        battle: id,
        ...(await reapplyQuarantined(c.env.DB, pgClient(c.env.HYPERDRIVE.connectionString), id)),
      });
    } catch (e) {
      throw new ApiError(
        503,
        ErrorCode.SINK_UNAVAILABLE,
        `a sink is unavailable: ${e instanceof Error ? e.message : e}`,
      );
    }
  })
  .get("/battles/:id/reconcile", battleIdParam(), async (c) => {
    const id = c.req.param("id");
    const stub = battleStub(c.env, id);
    const results = unwrap(await stub.results());
    const objects = await battleObjects(c.env, id);
    // Answers and attacks are stored by the object of the player who made them; a sharded battle's view sums them.
    const { stored } = unwrap(await stub.info());
    const statuses = await Promise.all(
      objects.map(async (name) => unwrap(await battleStub(c.env, name).persistence())),
    );
    const sql = pgClient(c.env.HYPERDRIVE.connectionString);
    await supersedeCovered(c.env, id);
    const [pg, d1, pgRows, objectRows, letters, d1Held, pgHeld] = await Promise.all([
      pgBattleRows(sql, id),
      d1Results(c.env.DB, id),
      pgRecords(sql, id),
      Promise.all(objects.map((name) => objectRecords(c.env, name))).then((all) => all.flat()),
      countDeadLetters(c.env.DB, id),
      d1Quarantined(c.env.DB, id),
      pgQuarantined(sql, id),
    ]);
    const report = reconcile({
      final: results.final,
      standings: results.standings,
      stored,
      pg,
      d1Results: d1,
      streams: statuses,
      deadLetters: letters.open,
      quarantined: [...d1Held, ...pgHeld],
      records: { object: objectRows, pg: pgRows },
    });
    return c.json({
      battle: id,
      ...report,
      lastSeq: statuses[0]!.lastSeq,
      confirmed: statuses[0]!.confirmed,
      /** Some stream's events are not confirmed by both sinks yet (each listed in `differences`). */
      inFlight: statuses.some((st) => Math.min(st.confirmed.d1, st.confirmed.pg) < st.lastSeq),
      streams: statuses.map((st) => ({ shard: st.shard, lastSeq: st.lastSeq, confirmed: st.confirmed })),
    });
  })
  .get("/dead-letters", async (c) => {
    const q = DeadLetterQuery.parse(c.req.query());
    await supersedeCovered(c.env, q.battle);
    const letters = await listDeadLetters(c.env.DB, {
      open: q.all === "0",
      battleId: q.battle,
      limit: q.limit,
      offset: q.offset,
    });
    return c.json({ deadLetters: letters, limit: q.limit, offset: q.offset });
  })
  .post("/dead-letters/:id/replay", async (c) => {
    const out = await replayDeadLetter(c.env.DB, c.env.EVENTS, c.req.param("id"), Date.now());
    if (out === null) throw new ApiError(404, ErrorCode.NOT_FOUND, "no such dead letter");
    if (out === "replayed")
      throw new ApiError(409, ErrorCode.ALREADY_REPLAYED, "this dead letter was replayed already");
    return c.json({ replayed: out });
  });
