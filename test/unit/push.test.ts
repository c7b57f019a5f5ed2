import { describe, expect, it, vi } from "vitest";
import { BattleGame } from "../../src/battle/game";
import { LeaderboardJson } from "../../src/battle/leaderboard-json";
import { LeaderboardPush, type PushTarget } from "../../src/battle/push";
import { battleConfig } from "./fixtures";

const T0 = 1_000;

function setup(players: number) {
  const game = new BattleGame(battleConfig({ leaderboardSize: 3 }), {
    startsAt: T0,
    endsAt: T0 + 1e6,
    endedAt: null,
  });
  const inbox = new Map<number, string[]>();
  const targets: PushTarget[] = [];
  for (let i = 0; i < players; i++) {
    const plan = game.planJoin(`p${i}`, "s", T0);
    if (!plan.ok) throw new Error(plan.error.message);
    const p = game.applyJoin(plan.value);
    inbox.set(p.id, []);
    targets.push({ playerId: p.id, send: (f) => inbox.get(p.id)!.push(f) });
  }
  const score = (id: number, q: string, at: number) => {
    const plan = game.planAnswer(id, q, 1, at);
    if (!plan.ok) throw new Error(plan.error.message);
    game.applyAnswer(plan.value);
  };
  return { game, json: new LeaderboardJson(game), inbox, targets, score };
}

describe("conflated pushes", () => {
  it("sends presence once per change and leaderboards only to changed views", () => {
    const { json, inbox, targets, score } = setup(20);
    const push = new LeaderboardPush();
    expect(push.tick(json, targets, true)).toBe(40); // presence + first leaderboard to everyone
    expect(push.tick(json, targets, false)).toBe(0);
    expect(push.tick(json, targets, true)).toBe(0); // nothing changed
    // Player 20 (last) scores: top changes, so everyone hears it.
    score(20, "q1", T0 + 5);
    expect(push.tick(json, targets, true)).toBe(20);
    const last = JSON.parse(inbox.get(20)!.at(-1)!);
    expect(last).toMatchObject({ type: "leaderboard", total: 20, me: { rank: 1, score: 10 } });
    expect(last.top.map((s: { id: number }) => s.id)).toEqual([20, 1, 2]);
    expect(last.around.map((s: { rank: number }) => s.rank)).toEqual([1, 2, 3, 4, 5, 6]);
    const far = JSON.parse(inbox.get(10)!.at(-1)!);
    expect(far.me).toEqual({ rank: 11, score: 0 });
    expect(far.around.map((s: { id: number; rank: number }) => [s.id, s.rank])[0]).toEqual([5, 6]);
  });

  it("skips players whose rank, score and neighbours did not move when the top did not change", () => {
    const { json, inbox, targets, score } = setup(30);
    const push = new LeaderboardPush();
    for (let i = 1; i <= 4; i++) score(i, "q1", T0 + i); // ranks 1-4 stay the top
    push.tick(json, targets, true);
    for (const box of inbox.values()) box.length = 0;
    // Player 10 scores later than players 1-4, so the top 3 stays; 10 moves from rank 10 to rank 5.
    score(10, "q1", T0 + 100);
    push.tick(json, targets, true);
    const notified = [...inbox.entries()].filter(([, box]) => box.length > 0).map(([id]) => id);
    // Ranks 5..10 changed hands, so exactly the views of ranks 1..15 (±5) changed: ids 1..15.
    expect(notified.sort((a, b) => a - b)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
  });

  it("holds a view whose only change is rank numbers until its last frame is rankDriftMs old, then sends it", () => {
    const { json, inbox, targets, score } = setup(60);
    const push = new LeaderboardPush();
    const at = (now: number) => ({ listMax: 0, now, minGapMs: 500, rankDriftMs: 2_000 });
    for (let i = 1; i <= 4; i++) score(i, "q1", T0 + i);
    push.tick(json, targets, true, at(0));
    for (const box of inbox.values()) box.length = 0;
    // Player 40 passes players 5..39 (rank 40 → 5). Those whose ±5 showed rank 40 or now shows rank 5 see player 40
    // go or come; players 10..34 are now one rank lower, and so is everyone around them: only ranks changed.
    score(40, "q1", T0 + 100);
    const drifting = Array.from({ length: 25 }, (_, i) => 10 + i);
    const got = () => [...inbox.entries()].filter(([, box]) => box.length > 0).map(([id]) => id);
    push.tick(json, targets, true, at(1_000));
    const seesPlayer40 = [
      ...Array.from({ length: 9 }, (_, i) => 1 + i),
      ...Array.from({ length: 11 }, (_, i) => 35 + i),
    ];
    expect(got().sort((a, b) => a - b)).toEqual(seesPlayer40);
    expect(push.pending).toBe(true); // the drifting views are still owed a frame
    const before = got().length;
    push.tick(json, targets, false, at(1_500)); // their last frame (t = 0) is not 2 s old yet
    expect(got()).toHaveLength(before);
    push.tick(json, targets, false, at(2_000));
    for (const id of drifting) {
      expect(inbox.get(id), `player ${id}`).toHaveLength(1);
      expect(JSON.parse(inbox.get(id)![0]!).me.rank).toBe(id + 1);
    }
    expect(push.pending).toBe(false);
  });

  it("does not keep waiting on stale ranks of sockets that closed while the board kept changing", () => {
    const { json, inbox, targets, score } = setup(60);
    const push = new LeaderboardPush();
    // The online count is held, so the closing sockets do not change everyone's view by themselves.
    const at = (now: number) => ({ listMax: 0, now, minGapMs: 500, rankDriftMs: 2_000, online: 60 });
    for (let i = 1; i <= 4; i++) score(i, "q1", T0 + i);
    push.tick(json, targets, true, at(0));
    score(40, "q1", T0 + 100); // players 10..34: only their ranks changed
    push.tick(json, targets, true, at(1_000));
    expect(push.pending).toBe(true);
    // Those 25 sockets close without being forgotten; the board changes again (a new sweep over who is left).
    const open = targets.filter((t) => t.playerId < 10 || t.playerId > 34);
    for (const box of inbox.values()) box.length = 0;
    push.tick(json, open, true, at(1_600));
    expect([...inbox.values()].every((b) => b.length === 0)).toBe(true); // nobody left has anything new
    expect(push.pending).toBe(false);
  });

  it("sends rank changes like any other without rankDriftMs", () => {
    const { json, inbox, targets, score } = setup(60);
    const push = new LeaderboardPush();
    for (let i = 1; i <= 4; i++) score(i, "q1", T0 + i);
    push.tick(json, targets, true, { listMax: 0 });
    for (const box of inbox.values()) box.length = 0;
    score(40, "q1", T0 + 100);
    push.tick(json, targets, true, { listMax: 0 });
    for (let id = 5; id <= 40; id++) expect(inbox.get(id), `player ${id}`).toHaveLength(1);
  });

  it("lists who is online in small battles and only counts in large ones", () => {
    const { json, inbox, targets } = setup(3);
    const push = new LeaderboardPush();
    push.tick(json, targets, false, { listMax: 50 });
    expect(JSON.parse(inbox.get(1)![0]!)).toEqual({
      type: "presence",
      online: 3,
      players: [
        { id: 1, username: "p0" },
        { id: 2, username: "p1" },
        { id: 3, username: "p2" },
      ],
    });
    expect(push.tick(json, targets, false, { listMax: 50 })).toBe(0);
    // Past listMax there are no presence frames; the count rides in the leaderboard frames.
    const before = inbox.get(1)!.length;
    push.tick(json, targets.slice(0, 2), false, { listMax: 1 });
    expect(
      inbox
        .get(1)!
        .slice(before)
        .map((f) => JSON.parse(f)),
    ).toEqual([expect.objectContaining({ type: "leaderboard", online: 2 })]);
  });

  it.each([
    ["scanning the targets", false],
    ["looking players up", true],
  ])(
    "spends at most the budget per tick, serving players who scored first (%s) and the rest in rotation",
    (_, lookup) => {
      const { json, inbox, targets, score } = setup(20);
      const push = new LeaderboardPush();
      const byPlayer = (id: number) => targets.filter((t) => t.playerId === id);
      const opts = { listMax: 0, budget: 6, ...(lookup ? { byPlayer } : {}) };
      expect(push.tick(json, targets, true, opts)).toBe(6);
      expect(push.pending).toBe(true);
      score(17, "q1", T0 + 1);
      push.touch(17);
      expect(push.tick(json, targets, true, opts)).toBe(6);
      expect(JSON.parse(inbox.get(17)!.at(-1)!).me).toEqual({ rank: 1, score: 10 });
      // The sweep restarted with the change; a few more ticks reach everyone, then it stops.
      let ticks = 0;
      while (push.pending && ticks < 10) {
        push.tick(json, targets, false, opts);
        ticks++;
      }
      expect(push.pending).toBe(false);
      for (const [id, box] of inbox) {
        const last = JSON.parse(box.at(-1)!);
        expect(last.top[0].id, `player ${id}`).toBe(17);
      }
      expect(push.tick(json, targets, false, opts)).toBe(0);
    },
  );

  it("leaves top out of a compact client's frame while it is the one that client already has", () => {
    const { json, inbox, targets, score } = setup(6);
    const compact = targets.map((t) => (t.playerId === 6 ? { ...t, compact: true } : t));
    const push = new LeaderboardPush();
    const opts = { listMax: 0 };
    push.tick(json, compact, true, opts);
    const first = JSON.parse(inbox.get(6)!.at(-1)!);
    expect(first.top).toHaveLength(3); // a first frame always carries top
    // Player 5 scores 10 and tops the board: everyone's top changed, so the compact client gets it too.
    score(5, "q1", T0 + 1);
    push.touch(5);
    push.tick(json, compact, true, opts);
    expect(JSON.parse(inbox.get(6)!.at(-1)!).top[0]).toMatchObject({ id: 5, score: 10 });
    // Player 6 itself scores 10, second place: top changes again (6 enters it).
    score(6, "q1", T0 + 2);
    push.touch(6);
    push.tick(json, compact, true, opts);
    expect(JSON.parse(inbox.get(6)!.at(-1)!).top.map((r: { id: number }) => r.id)).toEqual([5, 6, 1]);
    // Player 4 scores 10 and takes 3rd place (top changes); then player 2 scores 10 too, but reached it later,
    // so it is 4th: below the top, next to player 6.
    score(4, "q1", T0 + 3);
    push.touch(4);
    push.tick(json, compact, true, opts);
    const withNewTop = inbox.get(6)!.length;
    score(2, "q1", T0 + 4);
    push.touch(2);
    push.tick(json, compact, true, opts);
    const frames6 = inbox.get(6)!;
    expect(frames6.length).toBe(withNewTop + 1); // 6's neighbourhood changed (2 moved up next to it)…
    const compactFrame = JSON.parse(frames6.at(-1)!);
    expect(compactFrame.top).toBeUndefined(); // …but not the top: the frame leaves it out
    expect(compactFrame).toMatchObject({ type: "leaderboard", total: 6, me: { rank: 2, score: 10 } });
    expect(compactFrame.around.map((r: { id: number }) => r.id)).toEqual([5, 6, 4, 2, 1, 3]);
    // Everyone else still gets full frames.
    expect(JSON.parse(inbox.get(1)!.at(-1)!).top).toHaveLength(3);
  });

  it("gives a reconnecting player a full frame after forget()", () => {
    const { json, inbox, targets } = setup(3);
    const push = new LeaderboardPush();
    push.tick(json, targets, true);
    push.forget(targets.find((t) => t.playerId === 2)!);
    inbox.get(2)!.length = 0;
    expect(push.tick(json, targets, true)).toBe(1);
    expect(inbox.get(2)).toHaveLength(1);
  });

  it("sends a player at most one frame per minimum gap and holds later changes until it has passed", () => {
    const { json, inbox, targets, score } = setup(4);
    const push = new LeaderboardPush();
    const at = (now: number) => ({ listMax: 0, now, minGapMs: 500 });
    push.tick(json, targets, true, at(0));
    for (const box of inbox.values()) box.length = 0;
    score(3, "q1", T0 + 1);
    push.touch(3);
    expect(push.tick(json, targets, true, at(100))).toBe(0); // everyone's view changed, nobody is due yet
    expect(push.pending).toBe(true);
    score(3, "q3", T0 + 2);
    push.touch(3);
    expect(push.tick(json, targets, true, at(300))).toBe(0);
    expect(push.tick(json, targets, false, at(500))).toBe(4); // the deferred views, each with the latest state
    expect(JSON.parse(inbox.get(3)!.at(-1)!).me).toEqual({ rank: 1, score: 20 });
    expect(push.pending).toBe(false);
    expect([...inbox.values()].map((b) => b.length)).toEqual([1, 1, 1, 1]);
  });

  it("holds a presence change until the gap has passed", () => {
    const { json, inbox, targets } = setup(3);
    const push = new LeaderboardPush();
    const presence = (id: number) => inbox.get(id)!.filter((f) => f.includes('"presence"')).length;
    push.tick(json, targets.slice(0, 2), false, { now: 0, minGapMs: 500 });
    expect(presence(1)).toBe(1);
    push.tick(json, targets, false, { now: 100, minGapMs: 500 });
    expect(presence(1)).toBe(1);
    expect(push.pending).toBe(true);
    push.tick(json, targets, false, { now: 600, minGapMs: 500 });
    expect(presence(1)).toBe(2);
    expect(presence(3)).toBe(1);
  });

  it("resends for the online count alone only when it moved by 1% in battles over 100 online", () => {
    const { json, inbox, targets } = setup(300);
    const push = new LeaderboardPush();
    push.tick(json, targets, true, { listMax: 0 });
    const frames = () => [...inbox.values()].reduce((n, b) => n + b.length, 0);
    const before = frames();
    expect(push.tick(json, targets.slice(0, 299), false, { listMax: 0 })).toBe(0); // one left: under 1%
    expect(frames()).toBe(before);
    const sent = push.tick(json, targets.slice(0, 296), false, { listMax: 0 }); // 4 left: a sweep
    expect(sent).toBe(296);
    expect(JSON.parse(inbox.get(1)!.at(-1)!).online).toBe(296);
  });

  it("bounds the work of a slice: deferred players cost no view until their gap has passed", () => {
    const { json, inbox, targets, score } = setup(1000);
    const push = new LeaderboardPush();
    const opts = (now: number) => ({ listMax: 0, now, minGapMs: 500, budget: 10 });
    push.tick(json, targets, true, { listMax: 0, now: 0, minGapMs: 500 }); // everyone has a frame at t=0
    score(1000, "q1", T0 + 1); // the top changes: every view changed
    for (let i = 1; i <= 1000; i++) push.touch(i);
    const views = vi.spyOn(json, "personal");
    // Every slice builds at most 2 × budget views, however many players are deferred (all 1,000 here).
    const perTick = (now: number, changed: boolean) => {
      views.mockClear();
      const sent = push.tick(json, targets, changed, opts(now));
      expect(views.mock.calls.length, `views built at t=${now}`).toBeLessThanOrEqual(20);
      return sent;
    };
    expect(perTick(100, true)).toBe(0); // everyone changed, nobody is due
    expect(perTick(150, false)).toBe(0);
    expect(perTick(600, false)).toBe(10);
    let ticks = 0;
    while (push.pending && ticks < 1000) {
      perTick(650 + ticks * 50, false);
      ticks++;
    }
    expect(push.pending).toBe(false);
    expect(JSON.parse(inbox.get(1)!.at(-1)!).top[0].id).toBe(1000); // the change reached everyone
    expect(JSON.parse(inbox.get(999)!.at(-1)!).top[0].id).toBe(1000);
  });
});
