/**
 * Sharded battles through the real Worker and Durable Objects (coordinator + shard objects over DO RPC): the same
 * seeded script against one object and against 4 shards gives the same replies, views and final standings (every
 * object runs on one injected clock); a cross-shard attack reaches the target's socket from the target's shard.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { err, type Outcome, ok } from "../../src/battle/outcome";
import type { JoinResult } from "../../src/battle/views";
import type { BattleDO } from "../../src/do/battle-do";
import type { ClientRequest, ReplyData } from "../../src/protocol";
import type { ErrorCode } from "../../src/protocol/error-codes";
import type { BattleResults } from "../../src/protocol/http-messages";
import type { BattleRoom } from "../../src/room/room";
import { shardObjectName } from "../../src/sharding/protocol";
import type { TestBattle } from "../unit/shard-harness";
import { DIFF_CONFIG, play, script } from "../unit/shard-script";
import { api, connect, OPERATOR, tokenClaims } from "./helpers";
import { drained, pg, reconcileReport } from "./persistence-helpers";

const stub = (name: string) => env.BATTLE.get(env.BATTLE.idFromName(name));

/** A battle driven over HTTP, with every one of its objects on `clock`. */
class HttpBattle implements TestBattle {
  private readonly tokens = new Map<number, string>();
  readonly objects: string[];

  constructor(
    readonly id: string,
    readonly shards: number,
    private readonly clock: { now: number },
  ) {
    this.objects =
      shards === 1 ? [id] : [id, ...Array.from({ length: shards }, (_, k) => shardObjectName(id, k))];
  }

  static async create(id: string, shards: number, clock: { now: number }): Promise<HttpBattle> {
    const { id: _id, createdAt: _c, ...input } = DIFF_CONFIG;
    // Always explicit: DIFF_CONFIG's maxPlayers (20,000) would otherwise shard the one-object battle automatically.
    const body = { ...input, id, shards };
    const res = await api("POST", "/api/admin/battles", body, OPERATOR);
    if (res.status !== 201) throw new Error(`create failed: ${JSON.stringify(res.json)}`);
    const b = new HttpBattle(id, shards, clock);
    for (const name of b.objects) {
      await runInDurableObject(stub(name), (instance: BattleDO) => {
        instance.clock = () => clock.now;
      });
    }
    return b;
  }

  get now(): number {
    return this.clock.now;
  }

  set now(t: number) {
    this.clock.now = t;
  }

  advance(ms: number): void {
    this.clock.now += ms;
  }

  async join(username: string): Promise<Outcome<JoinResult>> {
    const res = await api("POST", `/api/battles/${this.id}/join`, { username });
    if (res.status >= 400) return err(res.json.error.code as ErrorCode, res.json.error.message);
    this.tokens.set(res.json.participantId, res.json.token);
    const { participantId, username: name, isNew } = res.json;
    return ok({ participantId, username: name, isNew });
  }

  async request(participantId: number, _session: string, msg: ClientRequest): Promise<Outcome<ReplyData>> {
    const auth = { Authorization: `Bearer ${this.tokens.get(participantId)}` };
    const path = `/api/battles/${this.id}`;
    const res =
      msg.type === "answer"
        ? await api("POST", `${path}/answer`, { questionId: msg.questionId, answer: msg.answer }, auth)
        : msg.type === "attack"
          ? await api("POST", `${path}/attack`, { target: msg.target }, auth)
          : await api("GET", `${path}/leaderboard`, undefined, auth);
    if (res.status >= 400) return err(res.json.error.code as ErrorCode, res.json.error.message);
    return ok(res.json.result);
  }

  async start(): Promise<Outcome<unknown>> {
    const res = await api("POST", `/api/admin/battles/${this.id}/start`, {}, OPERATOR);
    return res.status === 200 ? ok(res.json) : err(res.json.error.code, "");
  }

  async end(): Promise<Outcome<unknown>> {
    const res = await api("POST", `/api/admin/battles/${this.id}/end`, {}, OPERATOR);
    return res.status === 200 ? ok(res.json) : err(res.json.error.code, "");
  }

  async results(): Promise<Outcome<BattleResults>> {
    const res = await api("GET", `/api/admin/battles/${this.id}/standings`, undefined, OPERATOR);
    return res.status === 200 ? ok(res.json) : err(res.json.error.code, "");
  }

  /** Two rounds of shard reports, so every replica holds every change (awaited, no sleeping). */
  async settle(): Promise<void> {
    if (this.shards === 1) return;
    for (let round = 0; round < 2; round++) {
      for (const name of this.objects.slice(1)) {
        await runInDurableObject(stub(name), async (instance: BattleDO) => {
          await (instance as unknown as { room: BattleRoom }).room.report();
        });
      }
    }
  }
}

/** What a played script scored: served answers and attacks, and whether the final standings tell players apart. */
function exercised(seen: unknown[]): {
  answers: number;
  attacks: number;
  standings: number;
  scored: number;
  nontrivial: boolean;
} {
  const served = (kind: string) =>
    seen.filter((s) => Array.isArray(s) && s[0] === kind && "ok" in (s[2] as object)).length;
  const final = seen.at(-1) as [string, { score: number }[] | string];
  const standings = final[0] === "final" && Array.isArray(final[1]) ? final[1] : [];
  const scores = new Set(standings.map((s) => s.score));
  const scored = standings.filter((s) => s.score > 0).length;
  const answers = served("answer");
  const attacks = served("attack");
  return {
    answers,
    attacks,
    standings: standings.length,
    scored,
    nontrivial: answers > 0 && attacks > 0 && scored > 0 && scores.size > 1,
  };
}

describe("sharded battles through the Worker and Durable Objects", () => {
  it("4 shards give the same replies, global views and final standings as one object (seeded script)", async () => {
    const steps = script(7, 10, 50);

    const t0 = Date.now();
    const one = await play(await HttpBattle.create(`diff-one-${t0}`, 1, { now: t0 }), steps);
    const sharded = await HttpBattle.create(`diff-four-${t0}`, 4, { now: t0 });
    const four = await play(sharded, steps);
    // Both runs exercised the game: answers and attacks were scored, and the final standings are not trivial.
    for (const run of [one, four]) expect(exercised(run)).toMatchObject({ nontrivial: true });
    expect(four.length).toBe(one.length);
    for (let i = 0; i < one.length; i++) {
      if (JSON.stringify(four[i]) !== JSON.stringify(one[i]))
        expect({ i, got: four[i] }).toEqual({ i, got: one[i] });
    }
    // The coordinator's operator view sums what the shards hold.
    const info = await api("GET", `/api/admin/battles/${sharded.id}`, undefined, OPERATOR);
    expect(info.json.battle).toMatchObject({ status: "ended", config: { shards: 4 } });
  }, 120_000);

  it("delivers a cross-shard attack to the target's socket from the target's shard, with its stream seq", async () => {
    const t0 = Date.now();
    const id = `xshard-${t0}`;
    const { id: _id, createdAt: _c, ...input } = DIFF_CONFIG;
    expect((await api("POST", "/api/admin/battles", { ...input, id, shards: 2 }, OPERATOR)).status).toBe(201);
    // Names until two land on different shards (the token says which; players never see it).
    const players: { participantId: number; token: string; wsUrl: string; shard: number }[] = [];
    for (let i = 0; players.length < 2 || players[0]!.shard === players.at(-1)!.shard; i++) {
      const res = await api("POST", `/api/battles/${id}/join`, { username: `xs${i}` });
      expect(res.status).toBe(201);
      expect(res.json).not.toHaveProperty("shard");
      const claims = tokenClaims<{ sh?: number }>(res.json.token);
      players.push({ ...res.json, shard: claims.sh });
      expect(i).toBeLessThan(20);
    }
    const attacker = players[0]!;
    const target = players.at(-1)!;
    expect((await api("POST", `/api/admin/battles/${id}/start`, {}, OPERATOR)).status).toBe(200);
    const ws = await connect(target as never);
    const scored = await ws.request({ type: "answer", id: 1, questionId: "q1", answer: 0 });
    expect(scored).toMatchObject({ ok: true, data: { correct: true } });
    const auth = { Authorization: `Bearer ${attacker.token}` };
    // Twice: the first hits the shield, the second takes a point.
    const first = await api("POST", `/api/battles/${id}/attack`, { target: target.participantId }, auth);
    expect(first.json.result).toMatchObject({ target: target.participantId, blocked: true, arrows: 1 });
    const second = await api("POST", `/api/battles/${id}/attack`, { target: target.participantId }, auth);
    expect(second.json.result).toMatchObject({ blocked: false, pointsLost: 1, arrows: 0 });
    const hits = [
      await ws.next((m) => m.type === "attacked", "attacked 1"),
      await ws.next((m) => m.type === "attacked", "attacked 2"),
    ];
    expect(hits[0]).toMatchObject({ attacker: { id: attacker.participantId }, blocked: true });
    expect(hits[1]).toMatchObject({ blocked: false, pointsLost: 1 });
    expect((hits[1] as { seq: number }).seq).toBe((hits[0] as { seq: number }).seq + 1);
    const third = await api("POST", `/api/battles/${id}/attack`, { target: target.participantId }, auth);
    expect(third.json.error.code).toBe("no_arrows");
    ws.ws.close();
  });

  it("persists every stream: each shard's outbox and the coordinator's are confirmed, Postgres and D1 reconcile clean after cross-shard attacks", async () => {
    const t0 = Date.now();
    const id = `xpersist-${t0}`;
    const { id: _id, createdAt: _c, ...input } = DIFF_CONFIG;
    expect((await api("POST", "/api/admin/battles", { ...input, id, shards: 3 }, OPERATOR)).status).toBe(201);
    expect((await api("POST", `/api/admin/battles/${id}/start`, {}, OPERATOR)).status).toBe(200);
    const players: { id: number; shard: number; auth: Record<string, string>; points: number }[] = [];
    for (let i = 0; i < 9; i++) {
      const joined = await api("POST", `/api/battles/${id}/join`, { username: `pp${i}` });
      const auth = { Authorization: `Bearer ${joined.json.token}` };
      const claims = JSON.parse(atob(joined.json.token.split(".")[0].replace(/-/g, "+").replace(/_/g, "/")));
      const answer = { questionId: `q${1 + (i % 3)}`, answer: i % 2 };
      const answered = await api("POST", `/api/battles/${id}/answer`, answer, auth);
      expect(answered.status).toBe(200);
      players.push({
        id: joined.json.participantId,
        shard: claims.sh,
        auth,
        points: answered.json.result.points,
      });
    }
    // Cross-shard attacks whose attackers never act again: their spent arrows must still reach the sinks, and the
    // target's shard's event must not overwrite the attacker's totals.
    let crossShard = 0;
    for (const attacker of players) {
      // A target with points left (each is attacked at most twice: a shield, then one point), so every attack lands.
      const target = players.find((p) => p.shard !== attacker.shard && p.points > 1);
      if (!target) continue;
      target.points--;
      const res = await api("POST", `/api/battles/${id}/attack`, { target: target.id }, attacker.auth);
      expect([res.status, res.json.error]).toEqual([200, undefined]);
      crossShard++;
    }
    expect(crossShard).toBeGreaterThan(0);
    expect((await api("POST", `/api/admin/battles/${id}/end`, {}, OPERATOR)).status).toBe(200);
    const drainedState = await drained(id, 20_000);
    // The streams are the coordinator's (3) and the shards' own numbers, each confirmed by both sinks.
    expect(drainedState.streams.map((s: { object: { shard: number } }) => s.object.shard)).toEqual([
      3, 0, 1, 2,
    ]);
    for (const s of drainedState.streams)
      expect(s.sinks).toEqual({ d1: s.object.lastSeq, pg: s.object.lastSeq });
    const report = await reconcileReport(id);
    expect(report).toMatchObject({ clean: true, participants: 9, differences: [], inFlight: false });
    // The operator's view sums the shards' counters (the coordinator itself holds no players).
    const admin = (await api("GET", `/api/admin/battles/${id}`, undefined, OPERATOR)).json;
    expect(admin.battle.stored).toEqual({ participants: 9, answers: 9, attacks: crossShard });
    expect(admin.battle.requests.handled).toBeGreaterThanOrEqual(9 + crossShard);
    const standings = (await api("GET", `/api/admin/battles/${id}/standings`, undefined, OPERATOR)).json
      .standings;
    const rows = await pg().unsafe(
      "SELECT participant_id AS id, score, arrows, shields FROM participants WHERE battle_id = $1 ORDER BY 1",
      [id],
    );
    type Totals = { id: number; score: number; arrows: number; shields: number };
    const byId = (r: Totals) => [r.id, r.score, r.arrows, r.shields];
    expect((rows as unknown as Totals[]).map(byId)).toEqual(
      [...standings].sort((x: { id: number }, y: { id: number }) => x.id - y.id).map(byId),
    );
    const results = await api("GET", `/api/battles/${id}/results`);
    expect(results.status).toBe(200);
    expect(
      results.json.standings.map((r: { id: number; rank: number; score: number }) => [r.rank, r.id, r.score]),
    ).toEqual(standings.map((r: { id: number; rank: number; score: number }) => [r.rank, r.id, r.score]));
    expect(standings).toHaveLength(9);
  });
});
