/**
 * @module The consumer against the real D1 and Postgres: the same batch twice, batches in reverse order, and a
 * resend packed differently all leave identical tables (totals right even when an attack's event is applied before
 * the answer that gave the points); an event a sink refuses is quarantined and the stream goes on, and an operator
 * re-applies it once; a sink that is unavailable (a lock held elsewhere, a missing table) retries the batch while
 * the other sink keeps confirming.
 */
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import type { BattleEvent } from "../../src/persistence/events";
import { packMessages } from "../../src/persistence/message";
import { api, OPERATOR } from "./helpers";
import { ddl, holdWatermarkLock, pg } from "./persistence-helpers";

function events(battle: string): BattleEvent[] {
  const b = {
    id: battle,
    title: "Idempotent",
    status: "live" as const,
    startsAt: 1_000,
    endsAt: 61_000,
    durationMs: 60_000,
    maxPlayers: 100,
    createdAt: 900,
  };
  return [
    { k: "battle", why: "created", at: 900, b: { ...b, status: "scheduled" } },
    { k: "battle", why: "started", at: 1_000, b },
    { k: "join", p: 1, u: "ann", s: "s1", at: 1_100, st: [0, 3, 0, 0, 1_100] },
    { k: "join", p: 2, u: "ben", s: "s2", at: 1_200, st: [0, 3, 0, 0, 1_200] },
    {
      k: "answer",
      p: 1,
      q: "q1",
      n: 1,
      a: "1",
      c: 1,
      pts: 12,
      bo: 2,
      at: 2_000,
      st: [12, 4, 0, 1, 2_000],
    },
    { k: "attack", p: 2, x: 1, bl: 0, lost: 1, at: 2_500, st: [0, 2, 0, 0, 1_200], xs: [11, 4, 0, 1, 2_500] },
    { k: "session", p: 2, s: "s2b", at: 2_600 },
    { k: "answer", p: 2, q: "q1", n: 1, a: "0", c: 0, pts: 0, bo: 0, at: 2_700, st: [0, 2, 0, 0, 1_200] },
    { k: "battle", why: "ended", at: 61_000, b: { ...b, status: "ended" } },
    {
      k: "final",
      total: 2,
      rows: [
        [1, 1, "ann", 11, 1, 4, 0],
        [2, 2, "ben", 0, 0, 2, 0],
      ],
    },
  ];
}

/** Messages of `size` events each for `battle` (rows as the object would store them). */
function messages(battle: string, size: number) {
  const rows = events(battle).map((e, i) => ({ seq: i + 1, body: JSON.stringify(e) }));
  const out = [];
  for (let i = 0; i < rows.length; i += size) {
    out.push(...packMessages(battle, 0, rows.slice(i, i + size)).map((m) => m.body));
  }
  return out;
}

let msgCounter = 0;
/** Runs the Worker's queue handler on one batch; `attempts` and the retry base as the queue would set them. */
async function deliver(bodies: readonly unknown[], attempts = 1, retryBase = "0") {
  const batch = createMessageBatch(
    "arena-events",
    bodies.map((body) => ({ id: `m-${++msgCounter}`, timestamp: new Date(), attempts, body })),
  );
  const ctx = createExecutionContext();
  const queue = worker.queue as ExportedHandlerQueueHandler<Env>;
  await queue(batch, { ...env, PERSIST_RETRY_BASE_SECONDS: retryBase } as Env, ctx);
  return getQueueResult(batch, ctx);
}

/** Everything the sinks hold for a battle (not its id), so two battles compare equal. */
async function tables(battle: string) {
  const sql = pg();
  const q = (text: string) => sql.unsafe(text, [battle]).then((rows) => JSON.parse(JSON.stringify(rows)));
  const d1 = (text: string) =>
    env.DB.prepare(text)
      .bind(battle)
      .all()
      .then((r) => r.results);
  return JSON.parse(
    JSON.stringify({
      battles: await q(
        "SELECT title, status, starts_at, ends_at, duration_ms, max_players, created_at, seq FROM battles WHERE id = $1",
      ),
      participants: await q(
        `SELECT participant_id, username, session, score, arrows, shields, correct, reached_at, joined_at,
                last_activity, state_seq, session_seq FROM participants WHERE battle_id = $1 ORDER BY 1`,
      ),
      answers: await q(
        `SELECT shard, seq, participant_id, question_id, attempt, answer, correct, points, bonus, at
         FROM answers WHERE battle_id = $1 ORDER BY seq`,
      ),
      attacks: await q(
        `SELECT shard, seq, attacker_id, target_id, blocked, points_lost, at FROM attacks
         WHERE battle_id = $1 ORDER BY seq`,
      ),
      finals: await q(
        "SELECT rank, participant_id, username, score FROM final_results WHERE battle_id = $1 ORDER BY rank",
      ),
      pgMark: await q("SELECT shard, seq::int AS seq FROM watermarks WHERE battle_id = $1"),
      pgRanges: await q("SELECT count(*)::int AS n FROM applied_ranges WHERE battle_id = $1"),
      d1Battle: await d1("SELECT title, status, starts_at, ends_at, seq FROM battles WHERE id = ?1"),
      d1Results: await d1(
        "SELECT rank, participant_id, username, score, total FROM results WHERE battle_id = ?1 ORDER BY rank",
      ),
      d1Mark: await d1("SELECT shard, seq FROM watermarks WHERE battle_id = ?1"),
    }),
  );
}

describe("persistence consumer", () => {
  it("gives identical tables for in-order, duplicated, reversed and resent deliveries", async () => {
    const ordered = `idem-a-${Date.now()}`;
    for (const m of messages(ordered, 3)) expect((await deliver([m])).explicitAcks).toHaveLength(1);
    const want = await tables(ordered);
    expect(want.participants.map((p: { username: string; score: number }) => [p.username, p.score])).toEqual([
      ["ann", 11],
      ["ben", 0],
    ]);
    expect(want.participants[1].session).toBe("s2b");
    expect(want.pgMark).toEqual([{ shard: 0, seq: 10 }]);
    expect(want.d1Mark).toEqual([{ shard: 0, seq: 10 }]);
    expect(want.pgRanges).toEqual([{ n: 0 }]);

    // Reverse order (the attack lands before the answer that gave the points), each message twice, one batch
    // holding a duplicate, then a resend of everything packed as one message.
    const shuffled = `idem-b-${Date.now()}`;
    const ms = messages(shuffled, 2).reverse();
    for (const m of ms) {
      await deliver([m]);
      await deliver([m]);
    }
    await deliver([ms[0], ms[0], ms[2]]);
    await deliver(messages(shuffled, 100));
    expect(await tables(shuffled)).toEqual(want);

    // Only the second half first: the watermark waits for the gap, then covers everything once it is filled.
    const gap = `idem-c-${Date.now()}`;
    const halves = messages(gap, 5);
    await deliver([halves[1]]);
    expect((await tables(gap)).pgMark).toEqual([{ shard: 0, seq: 0 }]);
    await deliver([halves[0]]);
    expect(await tables(gap)).toEqual(want);
  });

  it("quarantines the events Postgres refuses; the stream goes on and other battles' messages spend no attempt", async () => {
    const battle = `refused-${Date.now()}`;
    const other = `bystander-${Date.now()}`;
    const constraint = `refuse_test_${battle.replace(/\W/g, "_")}`;
    // A cause an operator can fix: a constraint this battle's answers violate (seqs 5 and 8).
    await ddl(`ALTER TABLE answers ADD CONSTRAINT ${constraint} CHECK (battle_id <> '${battle}') NOT VALID`);
    const bad = messages(battle, 5);
    const good = messages(other, 5);
    // The refused message first in the batch: before, that read as "the sink is down" and retried every message.
    const result = await deliver([bad[0], good[0], bad[1], good[1]], 1, "2");
    expect(result.retryMessages).toEqual([]);
    expect(result.explicitAcks).toHaveLength(4);
    const got = await tables(battle);
    expect(got.answers).toEqual([]);
    expect(got.pgMark).toEqual([{ shard: 0, seq: 10 }]);
    expect(got.d1Mark).toEqual([{ shard: 0, seq: 10 }]);
    expect(got.participants.map((p: { username: string; score: number }) => [p.username, p.score])).toEqual([
      ["ann", 11],
      ["ben", 0],
    ]);
    expect(got.finals).toHaveLength(2);
    const bystander = await tables(other);
    expect(bystander.answers).toHaveLength(2);
    expect(bystander.pgMark).toEqual([{ shard: 0, seq: 10 }]);
    const sql = pg();
    const held = await sql.unsafe(
      "SELECT shard, seq::int AS seq, event, error FROM quarantine WHERE battle_id = $1 AND reapplied_at IS NULL ORDER BY seq",
      [battle],
    );
    expect(held.map((r) => [r.shard, r.seq])).toEqual([
      [0, 5],
      [0, 8],
    ]);
    expect(JSON.parse(held[0]!.event)).toEqual(events(battle)[4]);
    expect(held[0]!.error).toMatch(/^23514: .*constraint/);
    const listed = await api("GET", `/api/admin/battles/${battle}/quarantine`, undefined, OPERATOR);
    expect([listed.json.d1, listed.json.pg.map((q: { seq: number }) => q.seq)]).toEqual([[], [5, 8]]);

    // Re-applied by the operator after the fix: each lands once; a second re-apply finds nothing to do.
    const early = await api("POST", `/api/admin/battles/${battle}/quarantine/reapply`, undefined, OPERATOR);
    expect(early.json).toMatchObject({ reapplied: { d1: 0, pg: 0 } });
    expect(early.json.failed.map((f: { seq: number }) => f.seq)).toEqual([5, 8]);
    await ddl(`ALTER TABLE answers DROP CONSTRAINT ${constraint}`);
    const fixed = await api("POST", `/api/admin/battles/${battle}/quarantine/reapply`, undefined, OPERATOR);
    expect(fixed.json).toMatchObject({ reapplied: { d1: 0, pg: 2 }, failed: [] });
    const again = await api("POST", `/api/admin/battles/${battle}/quarantine/reapply`, undefined, OPERATOR);
    expect(again.json).toMatchObject({ reapplied: { d1: 0, pg: 0 }, failed: [] });
    const whole = await tables(battle);
    expect(whole.answers.map((a: { seq: number }) => Number(a.seq))).toEqual([5, 8]);
    expect({ ...whole, answers: [] }).toEqual({ ...(await tables(other)), answers: [] });
    const after = await api("GET", `/api/admin/battles/${battle}/quarantine`, undefined, OPERATOR);
    expect([after.json.d1, after.json.pg]).toEqual([[], []]);
  });

  it("a Postgres row lock held elsewhere: the write times out, is retried, and lands once the lock is gone", async () => {
    const battle = `locked-${Date.now()}`;
    const [first, second] = messages(battle, 5);
    expect((await deliver([first])).explicitAcks).toHaveLength(1);
    const unlock = await holdWatermarkLock(battle);
    const blocked = await deliver([second], 1, "2");
    expect(blocked.explicitAcks).toEqual([]);
    expect(blocked.retryMessages).toHaveLength(1);
    // D1 did not wait for Postgres: it holds the message already.
    const during = await tables(battle);
    expect([during.pgMark, during.d1Mark]).toEqual([[{ shard: 0, seq: 5 }], [{ shard: 0, seq: 10 }]]);
    await unlock();
    const landed = await deliver([second], 2);
    expect(landed.explicitAcks).toHaveLength(1);
    const after = await tables(battle);
    expect(after.pgMark).toEqual([{ shard: 0, seq: 10 }]);
    expect(after.answers).toHaveLength(2);
  });

  it("D1 failing for a while: Postgres keeps confirming, D1 catches up after", async () => {
    const battle = `d1-down-${Date.now()}`;
    const [first, second] = messages(battle, 5);
    expect((await deliver([first])).explicitAcks).toHaveLength(1);
    // D1 unusable (its table gone): not a refusal of the data, so the batch is retried, not quarantined.
    await env.DB.exec("ALTER TABLE applied_ranges RENAME TO applied_ranges_away");
    let down: Awaited<ReturnType<typeof deliver>>;
    try {
      down = await deliver([second], 1, "2");
    } finally {
      await env.DB.exec("ALTER TABLE applied_ranges_away RENAME TO applied_ranges");
    }
    expect([down.explicitAcks, down.retryMessages.length]).toEqual([[], 1]);
    const during = await tables(battle);
    expect([during.pgMark, during.d1Mark]).toEqual([[{ shard: 0, seq: 10 }], [{ shard: 0, seq: 5 }]]);
    expect(
      await env.DB.prepare("SELECT count(*) AS n FROM quarantine WHERE battle_id = ?1").bind(battle).first(),
    ).toEqual({ n: 0 });
    expect((await deliver([second], 2)).explicitAcks).toHaveLength(1);
    expect((await tables(battle)).d1Mark).toEqual([{ shard: 0, seq: 10 }]);
  });

  it("never lets an older final standings event overwrite a newer one, in either sink", async () => {
    const battle = `finals-${Date.now()}`;
    const rows = events(battle).map((e, i) => ({ seq: i + 1, body: JSON.stringify(e) }));
    const newer = {
      k: "final",
      total: 2,
      rows: [
        [1, 2, "ben", 5, 1, 2, 0],
        [2, 1, "ann", 4, 1, 4, 0],
      ],
    };
    const later = packMessages(battle, 0, [{ seq: 11, body: JSON.stringify(newer) }]).map((m) => m.body);
    const all = packMessages(battle, 0, rows).map((m) => m.body);
    expect((await deliver(later)).explicitAcks).toHaveLength(1);
    expect((await deliver(all)).explicitAcks).toHaveLength(1);
    const got = await tables(battle);
    expect(got.finals).toEqual([
      { rank: 1, participant_id: 2, username: "ben", score: 5 },
      { rank: 2, participant_id: 1, username: "ann", score: 4 },
    ]);
    expect(got.d1Results.map((r: { username: string; score: number }) => [r.username, r.score])).toEqual([
      ["ben", 5],
      ["ann", 4],
    ]);
    expect(got.pgMark).toEqual([{ shard: 0, seq: 11 }]);
  });

  it("retries a malformed message alone (poison) and applies the rest of its batch", async () => {
    const battle = `poison-${Date.now()}`;
    const [good] = messages(battle, 100);
    const result = await deliver([{ v: 1, b: battle, s: 0, f: 1, t: 1, e: '[[1,{"k":"nope"}]]' }, good]);
    expect(result.retryMessages).toHaveLength(1);
    expect(result.explicitAcks).toHaveLength(1);
    expect((await tables(battle)).pgMark).toEqual([{ shard: 0, seq: 10 }]);
  });
});
