/**
 * @module The persistence pipeline end to end in workerd: battle object outbox → local Queue → consumer → D1 and
 * Postgres (local Hyperdrive), with reconciliation against the object's standings.
 */
import { env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { packMessages } from "../../src/persistence/message";
import { api, connect, createBattle, join, OPERATOR, startBattle } from "./helpers";
import { ddl, drained, holdWatermarkLock, persistence, pg, reconcileReport } from "./persistence-helpers";

describe("persistence pipeline", () => {
  it("a played battle lands in D1 and Postgres and reconciles clean", async () => {
    const id = await createBattle({ rules: { startingShields: 0 } });
    await startBattle(id);
    const a = await join(id, "alice");
    const b = await join(id, "bob");
    await join(id, "carol");
    // A new session for alice (a rejoin needs her player key, and gets a new one: the old key stops working).
    const a2 = await join(id, "alice", a.playerKey);
    const wa = await connect(await join(id, "alice", a2.playerKey));
    expect((await wa.request({ type: "answer", id: 1, questionId: "q1", answer: 1 })).ok).toBe(true);
    expect((await wa.request({ type: "answer", id: 2, questionId: "q2", answer: "nope" })).ok).toBe(true);
    const wb = await connect(b);
    expect((await wb.request({ type: "answer", id: 1, questionId: "q1", answer: 1 })).ok).toBe(true);
    expect((await wb.request({ type: "attack", id: 2, target: a.participantId })).data.pointsLost).toBe(1);

    // While live, participants' running totals reach Postgres.
    await drained(id);
    const sql = pg();
    const live = await sql.unsafe(
      "SELECT participant_id, username, score, arrows, correct FROM participants WHERE battle_id = $1 ORDER BY 1",
      [id],
    );
    expect(live.map((r) => [r.username, r.score, r.correct])).toEqual([
      ["alice", 9, 1],
      ["bob", 10, 1],
      ["carol", 0, 0],
    ]);
    expect((await reconcileReport(id)).clean).toBe(true);

    expect((await api("POST", `/api/admin/battles/${id}/end`, undefined, OPERATOR)).status).toBe(200);
    await drained(id);
    const report = await reconcileReport(id);
    expect(report).toMatchObject({ clean: true, participants: 3, differences: [] });

    const answers = await sql.unsafe(
      "SELECT participant_id, question_id, correct, points FROM answers WHERE battle_id = $1 ORDER BY seq",
      [id],
    );
    expect(answers.map((r) => [r.participant_id, r.question_id, r.correct])).toEqual([
      [a.participantId, "q1", true],
      [a.participantId, "q2", false],
      [b.participantId, "q1", true],
    ]);
    const [battle] = await sql.unsafe("SELECT status, seq FROM battles WHERE id = $1", [id]);
    expect(battle?.status).toBe("ended");
    const finals = await sql.unsafe(
      "SELECT rank, username, score FROM final_results WHERE battle_id = $1 ORDER BY rank",
      [id],
    );
    expect(finals.map((r) => [r.rank, r.username, r.score])).toEqual([
      [1, "bob", 10],
      [2, "alice", 9],
      [3, "carol", 0],
    ]);

    // D1: the index row moved to ended, the final results are there, and /results serves them.
    const row = await env.DB.prepare("SELECT status FROM battles WHERE id = ?")
      .bind(id)
      .first<{ status: string }>();
    expect(row?.status).toBe("ended");
    const results = await api("GET", `/api/battles/${id}/results`);
    expect(results.status).toBe(200);
    expect(results.json.standings.map((s: { username: string }) => s.username)).toEqual([
      "bob",
      "alice",
      "carol",
    ]);
    expect(results.json.battle).toMatchObject({ id, status: "ended" });

    // A row deleted from Postgres behind the pipeline's back: reconcile reports exactly that row.
    const [gone] = await sql.unsafe(
      "DELETE FROM answers WHERE battle_id = $1 AND question_id = 'q2' RETURNING participant_id",
      [id],
    );
    expect((await reconcileReport(id)).differences).toEqual([
      "postgres answers: 2 rows, object has 3",
      `postgres answer participant ${gone!.participant_id} question "q2" attempt 1: missing`,
    ]);
  });

  it("quarantines an answer Postgres refuses: the battle ends and lands, reconcile names it, a re-apply makes it clean", async () => {
    const id = await createBattle({ rules: { startingShields: 0 } });
    const poison = `refused by ${id}`;
    const constraint = `poison_${id.replace(/\W/g, "_")}`;
    await ddl(`ALTER TABLE answers ADD CONSTRAINT ${constraint} CHECK (answer <> '${poison}') NOT VALID`);
    try {
      await startBattle(id);
      const a = await join(id, "alice");
      const b = await join(id, "bob");
      const wa = await connect(a);
      expect((await wa.request({ type: "answer", id: 1, questionId: "q1", answer: 1 })).ok).toBe(true);
      expect((await wa.request({ type: "answer", id: 2, questionId: "q2", answer: poison })).ok).toBe(true);
      const wb = await connect(b);
      expect((await wb.request({ type: "answer", id: 1, questionId: "q1", answer: 1 })).ok).toBe(true);
      expect((await wb.request({ type: "attack", id: 2, target: a.participantId })).ok).toBe(true);
      expect((await api("POST", `/api/admin/battles/${id}/end`, undefined, OPERATOR)).status).toBe(200);
      // Both sinks confirm the whole stream: the refused event is held in Postgres's quarantine, not in the way.
      const state = await drained(id);
      expect(state.quarantined).toEqual({ d1: 0, pg: 1 });
      const held = await api("GET", `/api/admin/battles/${id}/quarantine`, undefined, OPERATOR);
      expect(held.json.pg).toHaveLength(1);
      const { seq, event, error } = held.json.pg[0];
      expect(JSON.parse(event)).toMatchObject({ k: "answer", p: a.participantId, q: "q2", a: poison });
      expect(error).toMatch(/^23514: .*constraint/);
      const report = await reconcileReport(id);
      expect(report.clean).toBe(false);
      expect(report.differences).toEqual([
        `pg quarantine: stream 0 seq ${seq} refused (${error})`,
        "postgres answers: 2 rows, object has 3",
        `postgres answer participant ${a.participantId} question "q2" attempt 1: missing`,
      ]);
      // What came after it landed: the final standings in both sinks.
      const results = await api("GET", `/api/battles/${id}/results`);
      expect(results.json.standings.map((s: { username: string }) => s.username)).toEqual(["bob", "alice"]);
      const finals = await pg().unsafe(
        "SELECT username FROM final_results WHERE battle_id = $1 ORDER BY rank",
        [id],
      );
      expect(finals.map((r) => r.username)).toEqual(["bob", "alice"]);

      await ddl(`ALTER TABLE answers DROP CONSTRAINT ${constraint}`);
      const reapplied = await api("POST", `/api/admin/battles/${id}/quarantine/reapply`, undefined, OPERATOR);
      expect(reapplied.json).toMatchObject({ reapplied: { d1: 0, pg: 1 }, failed: [] });
      expect(await reconcileReport(id)).toMatchObject({ clean: true, differences: [] });
      expect((await persistence(id)).quarantined).toEqual({ d1: 0, pg: 0 });
    } finally {
      await ddl(`ALTER TABLE answers DROP CONSTRAINT IF EXISTS ${constraint}`);
    }
  });

  it("dead-letters a message that keeps failing, lists it, and a replay after the fix lands it once", async () => {
    const battle = `dlq-${Date.now()}`;
    const sql = pg();
    // Postgres unavailable for this battle: another session holds its watermark row, so every write of the
    // message waits out the lock timeout and is retried, until the queue gives up on it.
    await sql.unsafe("INSERT INTO watermarks (battle_id, shard, seq) VALUES ($1, 0, 0)", [battle]);
    const unlock = await holdWatermarkLock(battle);
    const answer = {
      k: "answer",
      p: 1,
      q: "q1",
      n: 1,
      a: "1",
      c: 1,
      pts: 10,
      bo: 0,
      at: 5,
      st: [10, 4, 0, 1, 5],
    };
    const [message] = packMessages(battle, 0, [{ seq: 1, body: JSON.stringify(answer) }]);
    const body = message!.body;
    await env.EVENTS.send(body, { contentType: "text" });
    await env.EVENTS.send({ v: 1, b: battle, s: 0, f: 2, t: 2, e: "not json" });

    const listed = await vi.waitFor(
      async () => {
        const res = await api("GET", `/api/admin/dead-letters?battle=${battle}`, undefined, OPERATOR);
        if (res.json.deadLetters.length < 2) throw new Error(`not yet: ${JSON.stringify(res.json)}`);
        return res.json.deadLetters as { id: string; fromSeq: number; attempts: number; body: unknown }[];
      },
      // Four failed deliveries, then the dead-letter queue's batch: slow on a loaded machine.
      { timeout: 40_000, interval: 100 },
    );
    const letter = listed.find((l) => l.fromSeq === 1)!;
    expect(letter.body).toEqual(body);
    expect((await sql.unsafe("SELECT 1 FROM answers WHERE battle_id = $1", [battle])).length).toBe(0);

    await unlock();
    const replay = await api("POST", `/api/admin/dead-letters/${letter.id}/replay`, undefined, OPERATOR);
    expect(replay.status).toBe(200);
    const again = await api("POST", `/api/admin/dead-letters/${letter.id}/replay`, undefined, OPERATOR);
    expect([again.status, again.json.error.code]).toEqual([409, "already_replayed"]);
    expect((await api("POST", "/api/admin/dead-letters/nope/replay", undefined, OPERATOR)).status).toBe(404);
    await vi.waitFor(
      async () => {
        const rows = await sql.unsafe("SELECT seq FROM answers WHERE battle_id = $1", [battle]);
        if (rows.length !== 1) throw new Error(`${rows.length} rows`);
      },
      { timeout: 10_000, interval: 100 },
    );
    const open = await api("GET", `/api/admin/dead-letters?battle=${battle}`, undefined, OPERATOR);
    expect(open.json.deadLetters.map((l: { fromSeq: number }) => l.fromSeq)).toEqual([2]);
    const all = await api("GET", `/api/admin/dead-letters?battle=${battle}&all=1`, undefined, OPERATOR);
    expect(all.json.deadLetters).toHaveLength(2);

    // The object's resend from the watermark delivers seq 2 (what the poison letter stood for): both sinks'
    // watermarks pass it, so that letter is superseded (listed with all=1, no longer open), not left to alarm.
    const [resent] = packMessages(battle, 0, [
      { seq: 2, body: JSON.stringify({ ...answer, q: "q2", at: 6 }) },
    ]);
    await env.EVENTS.send(resent!.body, { contentType: "text" });
    await vi.waitFor(
      async () => {
        const [w] = await sql.unsafe("SELECT seq FROM watermarks WHERE battle_id = $1", [battle]);
        if (Number(w?.seq) !== 2) throw new Error(`pg watermark ${w?.seq}`);
        const d1 = await env.DB.prepare("SELECT seq FROM watermarks WHERE battle_id = ?1")
          .bind(battle)
          .first();
        if (d1?.seq !== 2) throw new Error(`d1 watermark ${d1?.seq}`);
        // The consumer itself marks the letter superseded (read straight from D1, before any operator read).
        const letter = await env.DB.prepare(
          "SELECT superseded_at FROM dead_letters WHERE battle_id = ?1 AND from_seq = 2",
        )
          .bind(battle)
          .first<{ superseded_at: number | null }>();
        if (letter?.superseded_at == null) throw new Error("seq 2's letter not superseded yet");
      },
      { timeout: 10_000, interval: 100 },
    );
    const after = await api("GET", `/api/admin/dead-letters?battle=${battle}`, undefined, OPERATOR);
    expect(after.json.deadLetters).toEqual([]);
    const listedAll = await api("GET", `/api/admin/dead-letters?battle=${battle}&all=1`, undefined, OPERATOR);
    const byFrom = new Map(
      listedAll.json.deadLetters.map((l: { fromSeq: number }) => [l.fromSeq, l] as const),
    ) as Map<number, { replayedAt: number | null; supersededAt: number | null; shard: number }>;
    expect(byFrom.get(1)).toMatchObject({ supersededAt: null, shard: 0 });
    expect(byFrom.get(1)!.replayedAt).not.toBeNull();
    expect(byFrom.get(2)).toMatchObject({ replayedAt: null, shard: 0 });
    expect(byFrom.get(2)!.supersededAt).not.toBeNull();
  }, 60_000);
});
