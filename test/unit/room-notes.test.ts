/**
 * @module The room's operator-facing log lines (Node, real SQLite): a bad frame, a refused join and the outbox's
 * resend are each one JSON line with the battle, a stable `event`, the code where there is one and numbers as
 * numbers, and none holds the frame's content, a session or a key. Also the freshness bound's gauge.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { FRESHNESS_BOUND_MS } from "../../src/battle/push-scheduler";
import { writeExposition } from "../../src/metrics/text-format";
import { battleConfig } from "./fixtures";
import { RoomWorld } from "./room-harness";

afterEach(() => vi.restoreAllMocks());

/** From now on, every line written to console.log/warn/error, parsed (a line that is not JSON fails the test). */
function capture(): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  for (const level of ["log", "warn", "error"] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      lines.push(JSON.parse(args.map(String).join(" ")) as Record<string, unknown>);
    });
  }
  return lines;
}

describe("room notes", () => {
  it("logs a bad frame with the participant, code and length, never its content", async () => {
    const lines = capture();
    const world = new RoomWorld();
    const room = await world.room();
    expect((await room.create(battleConfig())).ok).toBe(true);
    expect((await room.start()).ok).toBe(true);
    const a = room.join("alice", "session-SECRET-a");
    if (!a.ok) throw new Error("join failed");
    const conn = await world.connect(room, a.value.participantId, "session-SECRET-a");
    const frame = '{"type":"answer","token":"SECRET-in-frame"';
    room.message(conn, frame);
    world.runTimers();
    const bad = lines.filter((l) => l.event === "bad_frame");
    expect(bad).toEqual([
      {
        level: "warn",
        event: "bad_frame",
        battle: room.state!.config.id,
        participant: a.value.participantId,
        code: "bad_json",
        length: frame.length,
      },
    ]);
    expect(JSON.stringify(lines)).not.toContain("SECRET");
  });

  it("logs each refused join with its code (name taken, full), without the name's key or session", async () => {
    const lines = capture();
    const world = new RoomWorld();
    const room = await world.room();
    expect((await room.create(battleConfig({ maxPlayers: 1 }))).ok).toBe(true);
    const proof = { issue: "key-hash-SECRET", present: null, identified: false };
    expect(room.join("alice", "session-SECRET-1", proof).ok).toBe(true);
    const taken = room.join("alice", "session-SECRET-2", { ...proof, present: "wrong-hash-SECRET" });
    const full = room.join("bob", "session-SECRET-3");
    expect(taken.ok || full.ok).toBe(false);
    expect(lines.filter((l) => l.event === "join_refused")).toEqual([
      { level: "info", event: "join_refused", battle: room.state!.config.id, code: "username_taken" },
      { level: "info", event: "join_refused", battle: room.state!.config.id, code: "battle_full" },
    ]);
    expect(JSON.stringify(lines)).not.toContain("SECRET");
  });

  it("logs the outbox's resend with its seq and wait as numbers", async () => {
    const lines = capture();
    const world = new RoomWorld();
    const room = await world.room();
    expect((await room.create(battleConfig())).ok).toBe(true);
    expect(room.join("alice", "sa").ok).toBe(true);
    // The queue takes the events but nothing confirms them: after 5 s the object sends again.
    for (let i = 0; i < 80 && !lines.some((l) => String(l.event).startsWith("no_confirmation")); i++) {
      world.advance(100);
      await Promise.resolve();
    }
    const resend = lines.find((l) => l.event === "no_confirmation_past_seq_for_ms_sending_again");
    expect(resend).toMatchObject({ level: "error", battle: room.state!.config.id, seq: 0 });
    expect(typeof resend!.waitedMs).toBe("number");
    expect(resend!.waitedMs as number).toBeGreaterThanOrEqual(5_000);
    expect(resend!.lastSeq as number).toBeGreaterThan(0);
  });
});

describe("freshness gauge", () => {
  it("exposes the push freshness bound in seconds: the target while the budget keeps up", async () => {
    const world = new RoomWorld();
    const room = await world.room();
    expect((await room.create(battleConfig())).ok).toBe(true);
    const text = writeExposition([{ labels: [["battle", "b"]], families: room.metrics()! }]);
    expect(text).toContain("# TYPE arena_push_freshness_bound_seconds gauge");
    expect(text).toContain(`arena_push_freshness_bound_seconds{battle="b"} ${FRESHNESS_BOUND_MS / 1000}`);
  });
});
