import { describe, expect, it } from "vitest";
import { BattleGame } from "../../src/battle/game";
import { LeaderboardJson } from "../../src/battle/leaderboard-json";
import type { PushTarget } from "../../src/battle/push";
import { PUSH_SLICE_MS, PushScheduler } from "../../src/battle/push-scheduler";
import { battleConfig } from "./fixtures";

/** A battle of `players` sockets, a manual clock and manual timers. */
function setup(players: number) {
  const game = new BattleGame(battleConfig({ maxPlayers: players }), {
    startsAt: 0,
    endsAt: 1e9,
    endedAt: null,
  });
  const sent: number[] = [];
  const targets: PushTarget[] = [];
  for (let i = 0; i < players; i++) {
    const plan = game.planJoin(`p${i}`, "s", 0);
    if (!plan.ok) throw new Error(plan.error.message);
    const p = game.applyJoin(plan.value);
    targets.push({ playerId: p.id, send: (f) => f.includes('"leaderboard"') && sent.push(p.id) });
  }
  let now = 0;
  const timers: { at: number; fn: () => void }[] = [];
  let slices = 0;
  const views = new LeaderboardJson(game);
  const scheduler = new PushScheduler({
    now: () => now,
    setTimer: (fn, ms) => {
      const t = { at: now + ms, fn };
      timers.push(t);
      return t;
    },
    clearTimer: (t) => timers.splice(timers.indexOf(t as (typeof timers)[number]), 1),
    beforeSlice: () => slices++,
    views: () => views,
    sockets: () => ({
      size: targets.length,
      targets,
      ofPlayer: (id) => targets.filter((t) => t.playerId === id),
    }),
    log: (msg, e) => {
      throw new Error(`${msg}: ${String(e)}`);
    },
  });
  /** Fires the next timer at its time plus `lateMs`; returns the frames that slice sent. */
  const fire = (lateMs = 0) => {
    const t = timers.shift();
    if (!t) return null;
    now = Math.max(now, t.at + lateMs);
    const before = sent.length;
    t.fn();
    return sent.length - before;
  };
  return { game, scheduler, timers, fire, sent, slices: () => slices, at: (t: number) => (now = t) };
}

describe("PushScheduler", () => {
  it("sends each slice its tenth of the players, 50 ms apart, until everyone has the view, then stops", () => {
    const { scheduler, timers, fire, sent, slices } = setup(400);
    scheduler.markChanged();
    expect(timers).toHaveLength(1);
    const frames: number[] = [];
    let at = -1;
    for (let i = 0; i < 20 && timers.length > 0; i++) {
      const due = timers[0]!.at;
      expect(due - at).toBeGreaterThanOrEqual(at < 0 ? 0 : PUSH_SLICE_MS);
      at = due;
      frames.push(fire()!);
    }
    expect(frames.slice(0, 10)).toEqual(Array(10).fill(40));
    expect(new Set(sent).size).toBe(400);
    expect(timers).toHaveLength(0); // nothing pending: no timer armed
    expect(slices()).toBe(frames.length);
  });

  it("halves the share of a slice that fires late and grows it back when slices are on time", () => {
    const { scheduler, fire } = setup(400);
    scheduler.markChanged();
    expect(fire()).toBe(40);
    expect(fire(100)).toBe(20);
    expect(fire(100)).toBe(10);
    expect(fire(0)).toBe(12); // 40 × (1/4 + 1/16)
  });

  it("serves a player whose own score changed in the next slice", () => {
    const { game, scheduler, fire, sent, at } = setup(400);
    scheduler.markChanged();
    for (let i = 0; i < 10; i++) fire();
    sent.length = 0;
    at(2_000); // past everyone's minimum gap
    const plan = game.planAnswer(399, "q1", 1, 10);
    if (!plan.ok) throw new Error(plan.error.message);
    game.applyAnswer(plan.value);
    scheduler.markChanged(399);
    fire();
    expect(sent[0]).toBe(399);
  });
});
