import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../loadtest/prng";
import { FANOUT_BUDGET } from "../../src/battle/fanout-budget";
import { BattleGame } from "../../src/battle/game";
import { LeaderboardJson } from "../../src/battle/leaderboard-json";
import type { PushTarget } from "../../src/battle/push";
import {
  FRESHNESS_BOUND_MS,
  PUSH_INTERVAL_MS,
  PUSH_RUN_SLICES,
  PUSH_SLICE_MS,
  PushScheduler,
  RANK_FRESHNESS_BOUND_MS,
} from "../../src/battle/push-scheduler";
import { battleConfig } from "./fixtures";

const QUESTIONS = Array.from({ length: 40 }, (_, i) => ({ id: `q${i}`, text: `Q${i}`, answer: `a${i}` }));

/**
 * A battle of `players` sockets, a manual clock and manual timers. Every frame sent moves the clock `frameMs`
 * on, as the runtime's time would, so the scheduler's measurement sees what frames cost. The budget assumes
 * 0.15 ms a frame to start and may learn costs up to 5 ms (the shipped bounds fit workerd's ~25 µs frames; these
 * tests simulate far costlier ones to see the mechanics).
 */
const BUDGET = { ...FANOUT_BUDGET, initialFrameMs: 0.15, maxFrameMs: 5, window: 8 };
function setup(players: number, frameMs = 0) {
  const game = new BattleGame(battleConfig({ maxPlayers: players, questions: QUESTIONS }), {
    startsAt: 0,
    endsAt: 1e9,
    endedAt: null,
  });
  const sent: number[] = [];
  const frames = new Map<number, string>();
  const targets: PushTarget[] = [];
  let now = 0;
  for (let i = 0; i < players; i++) {
    const plan = game.planJoin(`p${i}`, "s", 0);
    if (!plan.ok) throw new Error(plan.error.message);
    const p = game.applyJoin(plan.value);
    targets.push({
      playerId: p.id,
      send: (f) => {
        if (!f.includes('"leaderboard"')) return;
        sent.push(p.id);
        frames.set(p.id, f);
        now += frameMs;
      },
    });
  }
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
    budget: BUDGET,
  });
  /** Fires the earliest timer at its time plus `lateMs`; returns the frames sent meanwhile. */
  const fire = (lateMs = 0) => {
    if (timers.length === 0) return null;
    let k = 0;
    for (let i = 1; i < timers.length; i++) if (timers[i]!.at < timers[k]!.at) k = i;
    const t = timers.splice(k, 1)[0]!;
    now = Math.max(now, t.at + lateMs);
    const before = sent.length;
    t.fn();
    return sent.length - before;
  };
  /** Fires every timer due by `t`, then sets the clock to `t`. */
  const runUntil = (t: number) => {
    for (;;) {
      let k = -1;
      for (let i = 0; i < timers.length; i++)
        if (timers[i]!.at <= t && (k < 0 || timers[i]!.at < timers[k]!.at)) k = i;
      if (k < 0) break;
      fire();
    }
    now = Math.max(now, t);
  };
  return {
    game,
    views,
    scheduler,
    timers,
    fire,
    runUntil,
    sent,
    frames,
    slices: () => slices,
    now: () => now,
    at: (t: number) => (now = t),
  };
}

describe("PushScheduler", () => {
  it("sends each slice its share of the players' rotation, a slice apart, until everyone has the view, then stops", () => {
    const { scheduler, timers, fire, sent, slices, now } = setup(400);
    // The rotation visits everyone once per interval: 400 players over 450 ms in 10 ms slices is 9 a slice.
    const pace = Math.ceil((400 * PUSH_SLICE_MS) / PUSH_INTERVAL_MS);
    const full = Math.floor(400 / pace);
    scheduler.markChanged();
    expect(timers).toHaveLength(1);
    const perSlice: number[] = [];
    let last = -1;
    for (let i = 0; i < 400 && timers.length > 0; i++) {
      const due = Math.min(...timers.map((t) => t.at));
      const n = fire()!;
      if (due === last) continue; // the zero-delay measuring timer of the slice before
      expect(due - last).toBeGreaterThanOrEqual(last < 0 ? 0 : PUSH_SLICE_MS);
      last = due;
      perSlice.push(n);
    }
    expect(perSlice.slice(0, full + 1)).toEqual([...Array(full).fill(pace), 400 - full * pace]);
    expect(new Set(sent).size).toBe(400);
    expect(timers).toHaveLength(0); // nothing pending: no timer armed
    expect(slices()).toBe(perSlice.length);
    expect(now()).toBeLessThan((full + 1) * PUSH_SLICE_MS);
  });

  it("keeps a late slice's run short, halves the share when very late, and keeps the full pace on time", () => {
    const { scheduler, fire, timers } = setup(900, 0.5); // 0.5 ms a frame
    const busy = FANOUT_BUDGET.busyShare;
    scheduler.markChanged();
    expect(fire()).toBe(Math.ceil((900 * PUSH_SLICE_MS) / PUSH_INTERVAL_MS)); // the rotation's share
    fire(); // the measuring timer: 0.5 ms a frame from now on
    // 20 ms behind (not late enough to halve): the slice stands for the 30 ms since the last, 0.6 of it in frames.
    expect(fire(20)).toBe(Math.floor(((PUSH_SLICE_MS + 20) * busy) / 0.5));
    fire();
    scheduler.markChanged();
    // 200 ms behind: the share halves, and however long it waited, one slice sends at most PUSH_RUN_SLICES slices'
    // worth of frames (a short synchronous run: requests that arrived meanwhile wait behind little fan-out).
    expect(fire(200)).toBe(Math.floor((PUSH_RUN_SLICES * PUSH_SLICE_MS * busy * 0.5) / 0.5));
    fire();
    const after: number[] = [];
    while (timers.length > 0 && after.length < 120) {
      const n = fire()!;
      if (n > 0) after.push(n);
    }
    // A slice's worth (10 ms, 0.6 of it at 0.5 ms a frame) once the share is back.
    expect(Math.max(...after)).toBe(Math.floor((PUSH_SLICE_MS * busy) / 0.5));
  });

  it("sizes the budget to the measured cost of a frame", () => {
    // 2 ms a frame: 6 ms of a 10 ms slice fit 3 frames once measured (the first slice assumes 0.15 ms a frame).
    const { scheduler, fire, timers } = setup(400, 2);
    scheduler.markChanged();
    const perSlice: number[] = [];
    while (timers.length > 0 && perSlice.length < 30) {
      const n = fire()!;
      if (n > 0) perSlice.push(n);
    }
    expect(perSlice[0]).toBe(Math.ceil((400 * PUSH_SLICE_MS) / PUSH_INTERVAL_MS));
    expect(perSlice.at(-2)).toBe(Math.floor((PUSH_SLICE_MS * FANOUT_BUDGET.busyShare) / 2));
    expect(scheduler.stats.perFrameMs).toBeGreaterThan(1.5);
    expect(scheduler.stats.measuredMs / scheduler.stats.measuredFrames).toBeCloseTo(2, 6);
  });

  it("serves a player whose own score changed in the next slice", () => {
    const { game, scheduler, fire, sent, at, timers } = setup(400);
    scheduler.markChanged();
    while (timers.length > 0) fire();
    sent.length = 0;
    at(2_000); // past everyone's minimum gap
    const plan = game.planAnswer(399, "q1", "a1", 10);
    if (!plan.ok) throw new Error(plan.error.message);
    game.applyAnswer(plan.value);
    scheduler.markChanged(399);
    fire();
    expect(sent[0]).toBe(399);
  });

  it("serves the players around a changed score's old and new place before the rotation reaches them", () => {
    // 0.4 ms a frame: once measured, a slice sends ~15 frames, so the rotation alone would take many slices.
    const { game, scheduler, fire, sent, at, timers, views } = setup(400, 0.4);
    const rng = mulberry32(5);
    for (const id of game.players.keys()) {
      for (let q = 0; q < 6; q++) {
        const plan = game.planAnswer(id, `q${q}`, rng() < 0.5 ? `a${q}` : "wrong", 0);
        if (plan.ok) game.applyAnswer(plan.value);
      }
    }
    scheduler.markChanged();
    while (timers.length > 0) fire();
    at(10_000); // past everyone's minimum gap; the budget has measured 0.4 ms a frame
    const board = game.board;
    const mover = board.at(380)!.id;
    const oldRank = board.rankOf(mover)!;
    for (let q = 10; q < 14; q++) {
      const plan = game.planAnswer(mover, `q${q}`, `a${q}`, 10_000);
      if (!plan.ok) throw new Error(plan.error.message);
      game.applyAnswer(plan.value);
    }
    const newRank = board.rankOf(mover)!;
    expect(newRank).toBeLessThan(oldRank - 20);
    // Who shows the mover now, and who showed it before.
    const near = (r: number) => board.page(Math.max(0, r - 6), r + 5 - Math.max(0, r - 6)).map((x) => x.id);
    // (Those above the old place moved down one: positions oldRank-4..oldRank+5 held the mover's old neighbours.)
    const before = board.page(oldRank - 5, 10).map((x) => x.id);
    const watching = new Set([...near(newRank), ...before].filter((id) => id !== mover));
    sent.length = 0;
    scheduler.markChanged(mover, oldRank);
    const served = new Set<number>();
    for (let i = 0; i < 8 && timers.length > 0; i++) {
      fire();
      for (const id of sent) served.add(id);
    }
    expect(sent[0]).toBe(mover);
    for (const id of watching) expect(served.has(id)).toBe(true);
    // Those around the new place see the mover now.
    for (const id of near(newRank)) expect(views.personal(id)).toContain(`"id":${mover},`);
    expect(served.size).toBeLessThan(100); // the rotation did not reach everyone in that time
  });
});

describe("freshness in a simulated battle", () => {
  /**
   * 300 players answer at ~250/s for 4 s of simulated time. After every answer each player's current view (top
   * and personal part) is compared with the last frame they got: a player whose view changed is stale from that
   * moment until a frame reaches them. Returns the longest staleness seen.
   */
  function simulate(frameMs: number): {
    maxStaleMs: number;
    maxRankStaleMs: number;
    frames: number;
    changes: number;
  } {
    const players = 300;
    const s = setup(players, frameMs);
    const rand = mulberry32(7);
    const staleSince = new Map<number, number>();
    const ranksStaleSince = new Map<number, number>();
    const current = (id: number) => `"top":${s.views.top()},${s.views.personal(id)}}`;
    const noRanks = (f: string) => f.replace(/"rank":\d+,/g, "");
    let maxStaleMs = 0;
    let maxRankStaleMs = 0;
    let changes = 0;
    let seenVersion = -1;
    let seenFrames = -1;
    const check = () => {
      const now = s.now();
      if (s.game.boardVersion !== seenVersion || s.sent.length !== seenFrames) {
        seenVersion = s.game.boardVersion;
        seenFrames = s.sent.length;
        for (let id = 1; id <= players; id++) {
          const f = s.frames.get(id);
          const view = current(id);
          if (f?.endsWith(view)) ranksStaleSince.delete(id);
          else if (!ranksStaleSince.has(id)) ranksStaleSince.set(id, now);
          if (f !== undefined && noRanks(f).endsWith(noRanks(view))) staleSince.delete(id);
          else if (!staleSince.has(id)) staleSince.set(id, now);
        }
      }
      for (const since of staleSince.values()) maxStaleMs = Math.max(maxStaleMs, now - since);
      for (const since of ranksStaleSince.values()) maxRankStaleMs = Math.max(maxRankStaleMs, now - since);
    };
    s.scheduler.markChanged();
    s.runUntil(1_000); // everyone has their first frame
    check();
    expect(staleSince.size).toBe(0);
    for (let t = 1_000; t < 5_000; t += 4) {
      s.runUntil(t);
      check();
      const id = 1 + Math.floor(rand() * players);
      const q = Math.floor(rand() * QUESTIONS.length);
      const plan = s.game.planAnswer(id, `q${q}`, rand() < 0.7 ? `a${q}` : "no", s.now());
      if (!plan.ok) continue;
      s.game.applyAnswer(plan.value);
      if (plan.value.points !== 0) {
        changes++;
        s.scheduler.markChanged(id);
      }
      check();
    }
    return { maxStaleMs, maxRankStaleMs, frames: s.sent.length, changes };
  }

  it(`a player whose view changed gets a frame within ${FRESHNESS_BOUND_MS} ms (rank numbers alone within ${RANK_FRESHNESS_BOUND_MS} ms) while the budget covers the frames`, () => {
    const r = simulate(0.02);
    expect(r.changes).toBeGreaterThan(400);
    expect(r.frames).toBeGreaterThan(2_000);
    expect(r.maxStaleMs).toBeGreaterThan(FRESHNESS_BOUND_MS / 2); // the check does see stale views
    expect(r.maxStaleMs).toBeLessThanOrEqual(FRESHNESS_BOUND_MS);
    // Rank numbers alone do wait (the check sees it), and not longer than their bound.
    expect(r.maxRankStaleMs).toBeGreaterThan(FRESHNESS_BOUND_MS);
    expect(r.maxRankStaleMs).toBeLessThanOrEqual(RANK_FRESHNESS_BOUND_MS);
  }, 30_000);

  it("frames that cost more than the object can spare make views staler than the bound (the check can fail)", () => {
    const r = simulate(2);
    expect(r.maxStaleMs).toBeGreaterThan(FRESHNESS_BOUND_MS);
  }, 30_000);
});
