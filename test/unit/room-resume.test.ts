import { describe, expect, it } from "vitest";
import {
  HISTORY_WINDOW_MS,
  PRUNE_INTERVAL_MS,
  parseResume,
  requestKey,
} from "../../src/battle/player-streams";
import { MAX_SOCKETS_PER_PLAYER } from "../../src/room/sessions";
import { battleConfig } from "./fixtures";
import { type MemoryConnection, RoomWorld } from "./room-harness";

async function battle(world: RoomWorld, arrows = 5) {
  const room = await world.room();
  await room.create(battleConfig({ rules: { startingArrows: arrows, startingShields: 0 } }));
  await room.start();
  const ids: number[] = [];
  for (const name of ["alice", "bob", "carol", "dave"]) {
    const j = room.join(name, `s-${name}`);
    if (!j.ok) throw new Error("join failed");
    ids.push(j.value.participantId);
  }
  return { room, ids };
}

function stream(conn: MemoryConnection) {
  return conn.of("welcome").at(-1)!.stream;
}

/** Points for everyone, so attacks take a point. */
function answerAll(
  world: RoomWorld,
  room: Awaited<ReturnType<RoomWorld["room"]>>,
  conns: MemoryConnection[],
) {
  for (const c of conns)
    room.message(c, JSON.stringify({ type: "answer", id: `a-${c.info.p}`, questionId: "q1", answer: 1 }));
  world.runTimers();
}

describe("resuming a player's stream", () => {
  it("replays exactly the frames missed while away, in order, once, then a fresh welcome", async () => {
    const world = new RoomWorld();
    const { room, ids } = await battle(world);
    const [alice, bob, carol] = ids as [number, number, number];
    const ca = await world.connect(room, alice, "s-alice");
    const cb = await world.connect(room, bob, "s-bob");
    const cc = await world.connect(room, carol, "s-carol");
    answerAll(world, room, [ca, cb, cc]);
    const seen = ca.frames.filter((f) => "seq" in f && f.seq !== undefined);
    const lastSeq = (seen.at(-1) as { seq: number }).seq;
    expect(seen.map((f) => [f.type, (f as { seq: number }).seq])).toEqual([["reply", 1]]); // its own answer
    const epoch = stream(ca).epoch;

    // Alice drops; three attacks land while she is away.
    room.closed(ca);
    room.message(cb, JSON.stringify({ type: "attack", id: 1, target: alice }));
    room.message(cc, JSON.stringify({ type: "attack", id: 1, target: alice }));
    world.runTimers();
    room.message(cb, JSON.stringify({ type: "attack", id: 2, target: alice }));
    world.runTimers();

    const back = await world.connect(room, alice, "s-alice", { seq: lastSeq, epoch });
    const frames = back.frames;
    const attacked = frames.filter((f) => f.type === "attacked");
    expect(attacked.map((f) => [f.seq, f.attacker.username])).toEqual([
      [2, "bob"],
      [3, "carol"],
      [4, "bob"],
    ]);
    // The replay comes first, the welcome (a snapshot after those events) last.
    expect(frames.at(-1)).toMatchObject({
      type: "welcome",
      you: { score: attacked.at(-1)!.score },
      stream: { epoch, seq: 4, continuity: "kept", replayed: 3 },
    });
    expect(frames).toHaveLength(4);

    // Live again: the next event continues the sequence on the new socket.
    room.message(cc, JSON.stringify({ type: "attack", id: 2, target: alice }));
    world.runTimers();
    expect(back.of("attacked").at(-1)).toMatchObject({ seq: 5 });
  });

  it("survives a restart: the history is in SQLite", async () => {
    const world = new RoomWorld();
    const first = await battle(world);
    const [alice, bob] = first.ids as [number, number];
    const ca = await world.connect(first.room, alice, "s-alice");
    const cb = await world.connect(first.room, bob, "s-bob");
    answerAll(world, first.room, [ca, cb]);
    const { epoch, seq } = { epoch: stream(ca).epoch, seq: 1 };
    first.room.closed(ca);
    first.room.message(cb, JSON.stringify({ type: "attack", id: 9, target: alice }));
    world.runTimers();

    const room = await world.room();
    const back = await world.connect(room, alice, "s-alice", { seq, epoch });
    expect(back.of("attacked").map((f) => f.seq)).toEqual([2]);
    expect(stream(back)).toEqual({ epoch, seq: 2, continuity: "kept", replayed: 1 });
    // The reply bob got is in his stream too, and his retry after the restart gets it back.
    const cb2 = await world.connect(room, bob, "s-bob");
    room.message(cb2, JSON.stringify({ type: "attack", id: 9, target: alice }));
    world.runTimers();
    const dup = cb2.of("reply").at(-1)!;
    expect(dup).toMatchObject({ id: 9, ok: true, duplicate: true });
    expect("seq" in dup).toBe(false);
    const info = room.info();
    expect(info.ok && info.value.stored.attacks).toBe(1);
  });

  it("answers a retried request id with the original reply and spends nothing", async () => {
    const world = new RoomWorld();
    const { room, ids } = await battle(world, 2);
    const [alice, bob] = ids as [number, number];
    const ca = await world.connect(room, alice, "s-alice");
    const cb = await world.connect(room, bob, "s-bob");
    answerAll(world, room, [ca, cb]);
    room.message(ca, JSON.stringify({ type: "attack", id: "x1", target: bob }));
    room.message(ca, JSON.stringify({ type: "answer", id: "y1", questionId: "q2", answer: "Paris" }));
    world.runTimers();
    const original = ca.of("reply").filter((r) => r.id === "x1" || r.id === "y1");
    const before = room.results();
    const arrows = before.ok ? before.value.standings.find((s) => s.id === alice)!.arrows : -1;
    // The same ids again (a client retrying after a reconnect).
    room.message(ca, JSON.stringify({ type: "attack", id: "x1", target: bob }));
    room.message(ca, JSON.stringify({ type: "answer", id: "y1", questionId: "q2", answer: "Paris" }));
    world.runTimers();
    const retried = ca.of("reply").slice(-2);
    expect(retried.map((r) => [r.id, r.ok, r.duplicate])).toEqual([
      ["x1", true, true],
      ["y1", true, true],
    ]);
    expect(retried.map((r) => (r.ok ? r.data : null))).toEqual(original.map((r) => (r.ok ? r.data : null)));
    const info = room.info();
    expect(info.ok && info.value.stored).toMatchObject({ attacks: 1, answers: 3 });
    const me = room.results();
    expect(me.ok && me.value.standings.find((s) => s.id === alice)).toMatchObject({ arrows, correct: 2 });
    // Bob was attacked once, not twice.
    expect(cb.of("attacked")).toHaveLength(1);
    // A new id is a new request.
    room.message(ca, JSON.stringify({ type: "attack", id: "x2", target: bob }));
    world.runTimers();
    expect(ca.of("reply").at(-1)).toMatchObject({ id: "x2", ok: true, data: { arrows: arrows - 1 } });
  });

  it("gives a snapshot and continuity lost when the gap is gone, the epoch differs or the seq is from elsewhere", async () => {
    const world = new RoomWorld();
    const { room, ids } = await battle(world);
    const [alice, bob] = ids as [number, number];
    const ca = await world.connect(room, alice, "s-alice");
    const cb = await world.connect(room, bob, "s-bob");
    answerAll(world, room, [ca, cb]);
    const epoch = stream(ca).epoch;
    room.closed(ca);
    room.message(cb, JSON.stringify({ type: "attack", id: 1, target: alice }));
    world.runTimers();

    const wrongEpoch = await world.connect(room, alice, "s-alice", { seq: 1, epoch: "other" });
    expect(wrongEpoch.frames).toHaveLength(1);
    expect(stream(wrongEpoch)).toMatchObject({ continuity: "lost", seq: 2, replayed: 0 });
    const ahead = await world.connect(room, alice, "s-alice", { seq: 99, epoch });
    expect(stream(ahead)).toMatchObject({ continuity: "lost" });

    // Past the window the frames are pruned: the seq survives, the replay does not.
    world.now += HISTORY_WINDOW_MS + PRUNE_INTERVAL_MS;
    await room.alarm();
    const late = await world.connect(room, alice, "s-alice", { seq: 1, epoch });
    expect(late.frames).toHaveLength(1);
    expect(stream(late)).toMatchObject({ continuity: "lost", seq: 2 });
    const current = await world.connect(room, alice, "s-alice", { seq: 2, epoch });
    expect(stream(current)).toMatchObject({ continuity: "kept", replayed: 0 });
  });

  it("keeps counting a player's stream after pruning dropped all their frames, across a restart and an end", async () => {
    const world = new RoomWorld();
    const { room, ids } = await battle(world);
    const [alice, bob] = ids as [number, number];
    const ca = await world.connect(room, alice, "s-alice");
    const cb = await world.connect(room, bob, "s-bob");
    answerAll(world, room, [ca, cb]);
    room.message(cb, JSON.stringify({ type: "attack", id: 1, target: alice }));
    world.runTimers();
    const before = stream(await world.connect(room, alice, "s-alice")).seq;
    expect(before).toBe(2);
    world.now += HISTORY_WINDOW_MS + PRUNE_INTERVAL_MS;
    await room.alarm();

    const again = await world.room();
    const c = await world.connect(again, alice, "s-alice", { seq: before, epoch: stream(ca).epoch });
    expect(stream(c)).toMatchObject({ continuity: "kept", seq: before, replayed: 0 });
    await again.end();
    world.runTimers();
    const after = await world.connect(again, alice, "s-alice", { seq: before, epoch: stream(ca).epoch });
    expect(after.frames[0]).toMatchObject({ type: "battle", status: "ended", seq: before + 1 });
    expect(stream(after)).toMatchObject({ continuity: "kept", seq: before + 1, replayed: 1 });
  });

  it("a socket that connects while an attack on its player waits for its commit gets that attack once", async () => {
    const world = new RoomWorld();
    const { room, ids } = await battle(world);
    const [alice, bob] = ids as [number, number];
    const ca = await world.connect(room, alice, "s-alice");
    const cb = await world.connect(room, bob, "s-bob");
    answerAll(world, room, [ca, cb]);
    const { epoch, seq } = stream(await world.connect(room, alice, "s-alice"));
    room.closed(ca);
    room.message(cb, JSON.stringify({ type: "attack", id: 1, target: alice })); // queued, not committed yet
    const back = await world.connect(room, alice, "s-alice", { seq, epoch });
    world.runTimers();
    const attacked = back.frames.filter((f) => (f as { type: string }).type === "attacked");
    expect(attacked).toHaveLength(1);
    expect(attacked[0]).toMatchObject({ seq: seq + 1 });
    expect(stream(back)).toMatchObject({ continuity: "kept", replayed: 1, seq: seq + 1 });
  });

  it("replays a battle status change that happened while away", async () => {
    const world = new RoomWorld();
    const room = await world.room();
    await room.create(battleConfig());
    const j = room.join("alice", "s");
    if (!j.ok) throw new Error("join");
    const c = await world.connect(room, j.value.participantId, "s");
    const { epoch, seq } = stream(c);
    room.closed(c);
    await room.start();
    const back = await world.connect(room, j.value.participantId, "s", { seq, epoch });
    expect(back.frames[0]).toMatchObject({ type: "battle", status: "live", seq: seq + 1 });
    expect(stream(back)).toMatchObject({ continuity: "kept", replayed: 1 });
  });

  it(`keeps at most ${MAX_SOCKETS_PER_PLAYER} sockets per player, closing the oldest with 4502`, async () => {
    const world = new RoomWorld();
    const { room, ids } = await battle(world);
    const conns: MemoryConnection[] = [];
    for (let i = 0; i <= MAX_SOCKETS_PER_PLAYER; i++)
      conns.push(await world.connect(room, ids[0]!, "s-alice"));
    expect(conns[0]!.closed?.code).toBe(4502);
    expect(conns.slice(1).every((c) => c.closed === null)).toBe(true);
    expect(room.online).toBe(MAX_SOCKETS_PER_PLAYER);
  });

  it("pushes leaderboards to a player's new socket while a stale one lingers", async () => {
    const world = new RoomWorld();
    const { room, ids } = await battle(world);
    const [alice, bob] = ids as [number, number];
    const stale = await world.connect(room, alice, "s-alice");
    const cb = await world.connect(room, bob, "s-bob");
    world.advance(1_000);
    const fresh = await world.connect(room, alice, "s-alice");
    room.message(cb, JSON.stringify({ type: "answer", id: 1, questionId: "q1", answer: 1 }));
    world.advance(1_000);
    expect(fresh.of("leaderboard").at(-1)?.top[0]).toMatchObject({ username: "bob", score: 10 });
    expect(stale.of("leaderboard").at(-1)?.top[0]).toMatchObject({ username: "bob", score: 10 });
  });
});

describe("idempotent refusals and reused ids", () => {
  it("a retry of a request refused for a final reason gets the same refusal, marked, without re-evaluating", async () => {
    const world = new RoomWorld();
    const { room, ids } = await battle(world, 0);
    const [alice, bob] = ids as [number, number];
    const ca = await world.connect(room, alice, "s-alice");
    const cb = await world.connect(room, bob, "s-bob");
    room.message(cb, JSON.stringify({ type: "answer", id: "b1", questionId: "q1", answer: 1 }));
    // No arrows yet: refused.
    room.message(ca, JSON.stringify({ type: "attack", id: "x1", target: bob }));
    world.runTimers();
    expect(ca.of("reply").at(-1)).toMatchObject({ id: "x1", ok: false, error: { code: "no_arrows" } });
    // Alice earns an arrow; a retry of x1 (its reply was lost) must not now spend it.
    room.message(ca, JSON.stringify({ type: "answer", id: "a1", questionId: "q1", answer: 1 }));
    world.runTimers();
    const arrows = (ca.of("reply").at(-1) as { data: { arrows: number } }).data.arrows;
    expect(arrows).toBeGreaterThan(0);
    room.message(ca, JSON.stringify({ type: "attack", id: "x1", target: bob }));
    world.runTimers();
    const retried = ca.of("reply").at(-1)!;
    expect(retried).toMatchObject({ id: "x1", ok: false, error: { code: "no_arrows" }, duplicate: true });
    expect("seq" in retried).toBe(false);
    expect(cb.of("attacked")).toHaveLength(0);
    const info = room.info();
    expect(info.ok && info.value.stored.attacks).toBe(0);
    // A new id is a new request and is evaluated now.
    room.message(ca, JSON.stringify({ type: "attack", id: "x2", target: bob }));
    world.runTimers();
    expect(ca.of("reply").at(-1)).toMatchObject({ id: "x2", ok: true, data: { arrows: arrows - 1 } });
  });

  it("transient refusals are not remembered: a retry is evaluated again", async () => {
    const world = new RoomWorld();
    const room = await world.room();
    await room.create(battleConfig());
    const j = room.join("alice", "s");
    if (!j.ok) throw new Error("join");
    const c = await world.connect(room, j.value.participantId, "s");
    room.message(c, JSON.stringify({ type: "answer", id: 1, questionId: "q1", answer: 1 }));
    world.runTimers();
    expect(c.of("reply").at(-1)).toMatchObject({ id: 1, ok: false, error: { code: "battle_not_live" } });
    await room.start();
    room.message(c, JSON.stringify({ type: "answer", id: 1, questionId: "q1", answer: 1 }));
    world.runTimers();
    const r = c.of("reply").at(-1)!;
    expect(r).toMatchObject({ id: 1, ok: true, data: { correct: true } });
    expect("duplicate" in r).toBe(false);
  });

  it("an id reused for a different request (a reloaded client counting from 1 again) is a new request", async () => {
    const world = new RoomWorld();
    const { room, ids } = await battle(world, 2);
    const [alice, bob, carol] = ids as [number, number, number];
    const before = await world.connect(room, alice, "s-alice");
    answerAll(world, room, [
      await world.connect(room, bob, "s-bob"),
      await world.connect(room, carol, "s-carol"),
    ]);
    room.message(before, JSON.stringify({ type: "answer", id: 1, questionId: "q1", answer: 1 }));
    room.message(before, JSON.stringify({ type: "attack", id: 2, target: bob }));
    world.runTimers();
    room.closed(before);
    const after = await world.connect(room, alice, "s-alice");
    room.message(after, JSON.stringify({ type: "answer", id: 1, questionId: "q2", answer: "Paris" }));
    room.message(after, JSON.stringify({ type: "attack", id: 2, target: carol }));
    world.runTimers();
    const replies = after.of("reply");
    expect(replies.map((r) => [r.id, r.ok, "duplicate" in r])).toEqual([
      [1, true, false],
      [2, true, false],
    ]);
    expect(replies[0]).toMatchObject({ data: { questionId: "q2", correct: true } });
    expect(replies[1]).toMatchObject({ data: { target: carol } });
    const info = room.info();
    expect(info.ok && info.value.stored).toMatchObject({ attacks: 2, answers: 4 });
  });

  it("across the deploy that keys requests by what they ask, a retry of an id stored alone is still a retry", async () => {
    const world = new RoomWorld();
    const first = await battle(world, 2);
    const [alice, bob] = first.ids as [number, number];
    const ca = await world.connect(first.room, alice, "s-alice");
    const cb = await world.connect(first.room, bob, "s-bob");
    answerAll(world, first.room, [ca, cb]);
    first.room.message(ca, JSON.stringify({ type: "attack", id: "old", target: bob }));
    world.runTimers();
    const original = ca.of("reply").at(-1)!;
    // The previous release stored the id alone.
    world.db.run(`UPDATE history SET request_id = '"old"' WHERE request_id LIKE '"old"|%'`);
    const room = await world.room();
    const again = await world.connect(room, alice, "s-alice");
    room.message(again, JSON.stringify({ type: "attack", id: "old", target: bob }));
    world.runTimers();
    expect(again.of("reply").at(-1)).toMatchObject({
      id: "old",
      ok: true,
      duplicate: true,
      data: (original as { data: unknown }).data,
    });
    const info = room.info();
    expect(info.ok && info.value.stored.attacks).toBe(1);
  });

  it("a retry that arrives before the original's batch committed still gets the original reply", async () => {
    const world = new RoomWorld();
    const { room, ids } = await battle(world, 2);
    const [alice, bob] = ids as [number, number];
    const ca = await world.connect(room, alice, "s-alice");
    const cb = await world.connect(room, bob, "s-bob");
    answerAll(world, room, [ca, cb]);
    // Both in the same turn: the second arrives while the first's batch is still pending.
    room.message(ca, JSON.stringify({ type: "attack", id: "z", target: bob }));
    room.message(ca, JSON.stringify({ type: "attack", id: "z", target: bob }));
    world.runTimers();
    const [first, second] = ca.of("reply").filter((r) => r.id === "z");
    expect(first).toMatchObject({ ok: true });
    expect(second).toMatchObject({ ok: true, duplicate: true, data: (first as { data: unknown }).data });
    expect(cb.of("attacked")).toHaveLength(1);
  });
});

describe("requestKey", () => {
  it("tells requests under one id apart, by question, answer and its type, or target; stays short", () => {
    const ans = (id: string | number, questionId: string, answer: string | number) =>
      requestKey({ type: "answer", id, questionId, answer });
    expect(ans(1, "q1", 1)).toBe(ans(1, "q1", 1));
    const keys = [ans(1, "q1", 1), ans(1, "q1", "1"), ans(1, "q2", 1), ans(2, "q1", 1), ans("1", "q1", 1)];
    expect(new Set(keys).size).toBe(keys.length);
    expect(requestKey({ type: "attack", id: 1, target: 7 })).toBe("1|t7");
    expect(requestKey({ type: "attack", id: 1, target: 7 })).not.toBe(
      requestKey({ type: "attack", id: 1, target: 8 }),
    );
    expect(requestKey({ type: "leaderboard", id: 1 })).toBeNull();
    expect(ans("x".repeat(64), "q".repeat(64), "a".repeat(1024))!.length).toBeLessThan(80);
  });
});

describe("parseResume", () => {
  it("takes a decimal seq and a short epoch; anything else is no resume", () => {
    expect(parseResume("12", "e")).toEqual({ seq: 12, epoch: "e" });
    for (const [s, e] of [
      ["-1", "e"],
      ["1.5", "e"],
      ["1e3", "e"],
      ["12", ""],
      ["12", "x".repeat(65)],
      [null, "e"],
      ["12", null],
      ["9999999999999999", "e"],
    ] as const) {
      expect(parseResume(s, e)).toBeUndefined();
    }
  });
});
