/** @module The operator view's figures for the console charts: handling-time buckets per action, freshness bound. */
import { describe, expect, it } from "vitest";
import { FRESHNESS_BOUND_MS } from "../../src/battle/push-scheduler";
import { DURATION_BOUNDS_S } from "../../src/metrics/battle-metrics";
import { battleConfig } from "./fixtures";
import { RoomWorld } from "./room-harness";

const total = (counts: readonly number[] | undefined) => (counts ?? []).reduce((n, c) => n + c, 0);

describe("BattleRoom admin view", () => {
  it("carries each action's handling-time buckets and the freshness bound the fan-out keeps", async () => {
    const world = new RoomWorld();
    const room = await world.room();
    expect((await room.create(battleConfig({ rules: { startingShields: 0 } }))).ok).toBe(true);
    expect((await room.start()).ok).toBe(true);
    const a = room.join("alice", "sa");
    const b = room.join("bob", "sb");
    if (!a.ok || !b.ok) throw new Error("join failed");
    const ca = await world.connect(room, a.value.participantId, "sa");
    await world.connect(room, b.value.participantId, "sb");

    room.message(ca, JSON.stringify({ type: "answer", id: 1, questionId: "q1", answer: 1 }));
    room.message(ca, JSON.stringify({ type: "answer", id: 2, questionId: "q2", answer: "Paris" }));
    room.message(ca, JSON.stringify({ type: "attack", id: 3, target: b.value.participantId }));
    world.advance(3);
    expect(ca.of("reply")).toHaveLength(3);

    const info = room.info();
    if (!info.ok) throw new Error("no view");
    const { durations, freshness } = info.value;
    expect(durations.bounds).toEqual(DURATION_BOUNDS_S);
    expect(total(durations.byAction.answer)).toBe(2);
    expect(total(durations.byAction.attack)).toBe(1);
    expect(total(durations.byAction.leaderboard)).toBe(0);
    expect(durations.byAction.answer).toHaveLength(DURATION_BOUNDS_S.length + 1);
    // Two sockets: the default budget keeps the documented bound.
    expect(freshness).toEqual({ targetMs: FRESHNESS_BOUND_MS, boundMs: FRESHNESS_BOUND_MS });
    // The view crosses Durable Object RPC (structured clone) and HTTP (JSON) as it is.
    expect(JSON.parse(JSON.stringify(info.value.durations))).toEqual(durations);
  });
});
