/**
 * @module Stream incarnations (issue 28): a battle id created, played, wiped from its object's state and created
 * again is a new stream. The first battle's rows move to `<id>~<incarnation>` whole, the second lands under `<id>`
 * and is confirmed; no row of one merges with or is dropped against the other's.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { BattleDO } from "../../src/do/battle-do";
import { api, connect, createBattle, join, OPERATOR, startBattle } from "./helpers";
import { drained, pg, reconcileReport } from "./persistence-helpers";

async function play(id: string, name: string, answer: number) {
  await startBattle(id);
  const ws = await connect(await join(id, name));
  expect((await ws.request({ type: "answer", id: 1, questionId: "q1", answer })).ok).toBe(true);
  expect((await ws.request({ type: "answer", id: 2, questionId: "q3", answer: 1 })).ok).toBe(true);
  ws.ws.close();
  expect((await api("POST", `/api/admin/battles/${id}/end`, undefined, OPERATOR)).status).toBe(200);
  return drained(id);
}

async function rows(battle: string) {
  const sql = pg();
  const q = async (text: string) => JSON.parse(JSON.stringify(await sql.unsafe(text, [battle])));
  return {
    battle: await q("SELECT title, status FROM battles WHERE id = $1"),
    participants: await q("SELECT participant_id, username, score FROM participants WHERE battle_id = $1"),
    answers: await q(
      "SELECT participant_id, question_id, answer FROM answers WHERE battle_id = $1 ORDER BY seq",
    ),
    finals: await q("SELECT rank, username, score FROM final_results WHERE battle_id = $1 ORDER BY rank"),
  };
}

describe("stream incarnations", () => {
  it("a battle id created again after its object's state is gone is a new stream; both battles stay whole", async () => {
    const id = await createBattle({ title: "First" });
    const stub = env.BATTLE.get(env.BATTLE.idFromName(id));
    await play(id, "alice", 1);
    const first = await rows(id);
    expect(first.participants).toEqual([{ participant_id: 1, username: "alice", score: 20 }]);

    // The object's state is wiped (as a lost local state or another environment sharing the database would be).
    await runInDurableObject(stub, async (_: BattleDO, state) => {
      await state.storage.deleteAll();
    });
    await runInDurableObject(stub, (_: BattleDO, state) => state.abort("wiped by the test")).catch(() => {});
    expect((await api("GET", `/api/admin/battles/${id}`, undefined, OPERATOR)).status).toBe(404);

    const again = await api(
      "POST",
      "/api/admin/battles",
      { id, title: "Second", questions: (await import("./helpers")).QUESTIONS },
      OPERATOR,
    );
    expect(again.status).toBe(201);
    // The second battle is confirmed by both sinks through its last event (drained() checks lastSeq and depth).
    await play(id, "bob", 0);
    expect(await reconcileReport(id)).toMatchObject({ clean: true, participants: 1 });

    const second = await rows(id);
    expect(second).toEqual({
      battle: [{ title: "Second", status: "ended" }],
      participants: [{ participant_id: 1, username: "bob", score: 10 }],
      answers: [
        { participant_id: 1, question_id: "q1", answer: "0" },
        { participant_id: 1, question_id: "q3", answer: "1" },
      ],
      finals: [{ rank: 1, username: "bob", score: 10 }],
    });
    // The first battle is whole under its archived id, in Postgres and in D1.
    const archived = await pg().unsafe("SELECT id FROM battles WHERE id LIKE $1", [`${id}~%`]);
    expect(archived).toHaveLength(1);
    const old = String(archived[0]!.id);
    expect(await rows(old)).toEqual({ ...first, battle: [{ title: "First", status: "ended" }] });
    const d1 = await env.DB.prepare("SELECT id, title FROM battles WHERE id = ?1 OR id = ?2 ORDER BY id")
      .bind(id, old)
      .all();
    expect(d1.results).toEqual([
      { id, title: "Second" },
      { id: old, title: "First" },
    ]);
    const results = await api("GET", `/api/battles/${id}/results`);
    expect(results.json.standings.map((s: { username: string }) => s.username)).toEqual(["bob"]);
  });
});
