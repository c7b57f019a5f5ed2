/**
 * Cross-shard attacks in Node (coordinator and shards wired by direct calls): the hit is applied and delivered by
 * the target's shard with the target's stream seq; a refusal or an unreachable target shard refunds the arrow; a
 * retry after a lost answer (same attack id) applies nothing twice.
 */
import { describe, expect, it } from "vitest";
import { usernameKey } from "../../src/battle/username";
import { shardOf } from "../../src/sharding/shard-of";
import { REMOTE_ATTACK_ATTEMPTS } from "../../src/sharding/shard-side";
import { ShardedBattle } from "./shard-harness";
import { DIFF_CONFIG, namesApart } from "./shard-script";

const SHARDS = 4;

async function setup() {
  const battle = await ShardedBattle.create(DIFF_CONFIG, SHARDS, 1_000_000);
  const [an, tn] = namesApart(SHARDS);
  const a = await battle.join(an, "sa");
  const t = await battle.join(tn, "st");
  if (!a.ok || !t.ok) throw new Error("join failed");
  await battle.start();
  const attacker = a.value.participantId;
  const target = t.value.participantId;
  const targetShard = shardOf(usernameKey(tn), SHARDS);
  const attackerShard = shardOf(usernameKey(an), SHARDS);
  // The target scores (q1's key is choice 0), so it has points to lose.
  const scored = await battle.request(target, "st", { type: "answer", id: 1, questionId: "q1", answer: 0 });
  expect(scored.ok).toBe(true);
  await battle.settle();
  const attack = () => battle.request(attacker, "sa", { type: "attack", id: "x", target });
  const stateOf = () => ({
    attacker: battle.rooms[attackerShard]!.state!.players.get(attacker)!,
    target: battle.rooms[targetShard]!.state!.players.get(target)!,
  });
  return { battle, attacker, target, attackerShard, targetShard, attack, stateOf };
}

describe("cross-shard attacks", () => {
  it("applies the hit on the target's shard, which delivers `attacked` with the target's seq; the arrow is spent", async () => {
    const s = await setup();
    const world = s.battle.shardWorlds[s.targetShard]!;
    const conn = await world.connect(s.battle.rooms[s.targetShard]!, s.target, "st");
    const shields = s.stateOf().target.shields;
    const score = s.stateOf().target.score;
    const first = await s.attack();
    expect(first).toMatchObject({ ok: true, value: { target: s.target, blocked: shields > 0, arrows: 1 } });
    const second = await s.attack();
    expect(second).toMatchObject({ ok: true, value: { blocked: false, pointsLost: 1, arrows: 0 } });
    const hits = conn.of("attacked");
    expect(hits).toHaveLength(2);
    expect(hits[0]).toMatchObject({ attacker: { id: s.attacker, username: "attacker" }, blocked: true });
    expect(hits[1]!.seq).toBe(hits[0]!.seq! + 1);
    expect(s.stateOf().target).toMatchObject({ shields: shields - 1, score: score - 1 });
    // The attack row is written once, by the target's shard; the attacker's shard stored the spent arrows.
    const stored = (k: number) => {
      const info = s.battle.rooms[k]!.info();
      return info.ok ? info.value.stored.attacks : -1;
    };
    expect(stored(s.targetShard)).toBe(2);
    expect(stored(s.attackerShard)).toBe(0);
    await s.battle.restartShard(s.attackerShard);
    expect(s.stateOf().attacker.arrows).toBe(0);
    expect(await s.attack()).toMatchObject({ ok: false, error: { code: "no_arrows" } });
  });

  it("refunds the arrow when the target's shard refuses (no points)", async () => {
    const s = await setup();
    s.stateOf().target.score = 0; // as if an attack took the last point a moment ago
    const r = await s.attack();
    expect(r).toMatchObject({ ok: false, error: { code: "target_has_no_points" } });
    expect(s.stateOf().attacker.arrows).toBe(2);
    await s.battle.restartShard(s.attackerShard);
    expect(s.stateOf().attacker.arrows).toBe(2);
  });

  it("refunds the arrow when the target's shard is unreachable, after retrying with the same attack id", async () => {
    const s = await setup();
    s.battle.unreachable.add(s.targetShard);
    const before = { ...s.stateOf().target };
    const r = await s.attack();
    expect(r).toMatchObject({ ok: false, error: { code: "internal" } });
    expect(s.battle.attackCalls[s.targetShard]).toBe(REMOTE_ATTACK_ATTEMPTS);
    expect(s.stateOf().attacker.arrows).toBe(2);
    expect(s.stateOf().target).toMatchObject({ score: before.score, shields: before.shields });
    s.battle.unreachable.clear();
    expect(await s.attack()).toMatchObject({ ok: true, value: { arrows: 1 } });
  });

  it("a refund never lifts the arrows past maxArrows (an answer in between earned up to the cap)", async () => {
    const s = await setup();
    const max = s.battle.rooms[s.attackerShard]!.state!.config.rules.maxArrows;
    s.battle.unreachable.add(s.targetShard);
    const shard = s.battle.network.shard.bind(s.battle.network);
    (s.battle.network as { shard: typeof shard }).shard = (battle, k) => {
      const peer = shard(battle, k);
      return {
        ...peer,
        remoteAttack: async (req) => {
          s.stateOf().attacker.arrows = max; // earned while the call was out
          return peer.remoteAttack(req);
        },
      };
    };
    expect(await s.attack()).toMatchObject({ ok: false, error: { code: "internal" } });
    expect(s.stateOf().attacker.arrows).toBe(max);
    await s.battle.restartShard(s.attackerShard);
    expect(s.stateOf().attacker.arrows).toBe(max);
  });

  it("a retry after a lost answer gets the remembered answer: the hit is applied once", async () => {
    const s = await setup();
    s.stateOf().target.shields = 0;
    const score = s.stateOf().target.score;
    s.battle.loseAnswers = 1;
    const r = await s.attack();
    expect(r).toMatchObject({ ok: true, value: { blocked: false, pointsLost: 1, arrows: 1 } });
    expect(s.battle.attackCalls[s.targetShard]).toBe(2);
    expect(s.stateOf().target.score).toBe(score - 1);
    // The same attack id straight to the target's shard again, after a restart: the stored answer, nothing applied.
    await s.battle.restartShard(s.targetShard);
    const again = await s.battle.run(
      s.battle.rooms[s.targetShard]!.remoteAttack({
        id: "replayed",
        attacker: { id: s.attacker, username: "attacker" },
        arrows: 1,
        target: s.target,
      }),
    );
    expect(again.ok).toBe(true);
    const twice = await s.battle.run(
      s.battle.rooms[s.targetShard]!.remoteAttack({
        id: "replayed",
        attacker: { id: s.attacker, username: "attacker" },
        arrows: 1,
        target: s.target,
      }),
    );
    expect(twice).toEqual(again);
    expect(s.stateOf().target.score).toBe(score - 2);
    const info = s.battle.rooms[s.targetShard]!.info();
    expect(info.ok && info.value.stored.attacks).toBe(2);
  });

  it("a crash of the attacker's shard between the hit and its answer keeps the arrow spent, and a retried request gets the reply", async () => {
    const s = await setup();
    s.stateOf().target.shields = 0;
    const score = s.stateOf().target.score;
    s.battle.hangAfterHit = 1;
    const msg = { type: "attack", id: "crash-1", target: s.target } as const;
    // The attack starts; the target's shard applies the hit; the attacker's shard dies before the answer is back.
    void s.battle.rooms[s.attackerShard]!.request(s.attacker, "sa", msg, true);
    await s.battle.run(turnsUntil(() => s.stateOf().target.score === score - 1));
    expect(s.battle.attackCalls[s.targetShard]).toBe(1);
    await s.battle.crashShard(s.attackerShard);
    await s.battle.run(s.battle.rooms[s.attackerShard]!.settlePendingAttacks());
    await s.battle.run(turnsUntil(() => s.battle.attackCalls[s.targetShard] === 2));
    // Asked again with the same attack id: the remembered answer, nothing applied twice; the arrow stays spent.
    expect(s.stateOf().target.score).toBe(score - 1);
    expect(s.stateOf().attacker.arrows).toBe(1);
    await s.battle.crashShard(s.attackerShard);
    expect(s.stateOf().attacker.arrows).toBe(1);
    expect(await s.battle.run(s.battle.rooms[s.attackerShard]!.settlePendingAttacks())).toBe(0);
    // The player's client retries the request that never got its reply: the settled reply, not a second attack.
    const retried = await s.battle.run(s.battle.rooms[s.attackerShard]!.request(s.attacker, "sa", msg, true));
    expect(retried).toMatchObject({ ok: true, value: { target: s.target, pointsLost: 1, arrows: 1 } });
    expect(s.battle.attackCalls[s.targetShard]).toBe(2);
    expect(s.stateOf().target.score).toBe(score - 1);
  });

  it("a crash before the call reached the target's shard applies the attack once when settled", async () => {
    const s = await setup();
    s.stateOf().target.shields = 0;
    const score = s.stateOf().target.score;
    s.battle.hangBeforeHit = 1;
    const room = s.battle.rooms[s.attackerShard]!;
    // The reservation is committed and the call goes out, then the shard dies: nothing was applied anywhere.
    void room.request(s.attacker, "sa", { type: "attack", id: "crash-2", target: s.target });
    await s.battle.run(turnsUntil(() => s.battle.attackCalls[s.targetShard]! >= 1));
    s.battle.unreachable.add(s.targetShard);
    await s.battle.crashShard(s.attackerShard);
    // Still unreachable on the wake: the arrow stays reserved (no refund without an answer), nothing applied.
    await s.battle.run(s.battle.rooms[s.attackerShard]!.settlePendingAttacks());
    expect(s.stateOf().attacker.arrows).toBe(1);
    expect(s.stateOf().target.score).toBe(score);
    s.battle.unreachable.clear();
    await s.battle.crashShard(s.attackerShard);
    await s.battle.run(s.battle.rooms[s.attackerShard]!.settlePendingAttacks());
    await s.battle.run(turnsUntil(() => s.stateOf().target.score === score - 1));
    expect(s.stateOf().attacker.arrows).toBe(1);
    await s.battle.crashShard(s.attackerShard);
    expect(s.stateOf().attacker.arrows).toBe(1);
    expect(await s.battle.run(s.battle.rooms[s.attackerShard]!.settlePendingAttacks())).toBe(0);
    expect(s.stateOf().target.score).toBe(score - 1);
  });
});

/** Resolves once `cond` holds, checking after every turn of the event loop (the pump runs the timers meanwhile). */
async function turnsUntil(cond: () => boolean): Promise<void> {
  const nextTurn = (globalThis as unknown as { setImmediate: (f: () => void) => void }).setImmediate;
  for (let i = 0; i < 5_000 && !cond(); i++) await new Promise<void>((r) => nextTurn(r));
  if (!cond()) throw new Error("condition never held");
}
