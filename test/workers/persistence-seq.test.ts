/**
 * @module No seq gaps (issue 28): a write whose transaction fails gives its outbox seqs back, so the next event
 * takes the same seq and both sinks' watermarks pass everything after it. Through the real Worker and object; the
 * failure is forced with a SQLite trigger in the battle object's own storage.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { BattleDO } from "../../src/do/battle-do";
import { api, connect, createBattle, join, OPERATOR, startBattle } from "./helpers";
import { drained, persistence, reconcileReport } from "./persistence-helpers";

describe("outbox seqs", () => {
  it("a join whose transaction fails leaves no gap: later events are confirmed through", async () => {
    const id = await createBattle();
    await startBattle(id);
    await join(id, "alice");
    await runInDurableObject(env.BATTLE.get(env.BATTLE.idFromName(id)), (_: BattleDO, state) => {
      state.storage.sql.exec(
        `CREATE TRIGGER refuse_boom BEFORE INSERT ON participants WHEN NEW.username = 'boom'
         BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`,
      );
    });
    const before = (await persistence(id)).object.lastSeq;
    const refused = await api("POST", `/api/battles/${id}/join`, { username: "boom" });
    expect(refused.status).toBe(500);
    // The failed join's event is not in the outbox, and its seq was given back.
    expect((await persistence(id)).object.lastSeq).toBe(before);
    const bob = await join(id, "bob");
    const ws = await connect(bob);
    expect((await ws.request({ type: "answer", id: 1, questionId: "q1", answer: 1 })).ok).toBe(true);
    const state = await drained(id);
    expect(state.object.lastSeq).toBe(before + 2);
    expect(await reconcileReport(id)).toMatchObject({ clean: true, participants: 2 });
    expect((await api("GET", `/api/admin/battles/${id}`, undefined, OPERATOR)).json.battle.players).toBe(2);
  });
});
