/**
 * @module The battle room's logs are structured JSON lines (issue 24): each parses, carries `level`, a stable
 * `event`, the battle, the message and the error's cause as fields, and never a token, session or key.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { logEvent } from "../../src/persistence/log";
import { battleConfig } from "./fixtures";
import { RoomWorld } from "./room-harness";

afterEach(() => vi.restoreAllMocks());

describe("room logs", () => {
  it("a persistence retry is logged as a JSON line with its fields and cause, and no line holds a session or key", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => {
      lines.push(args.map(String).join(" "));
    });
    const world = new RoomWorld();
    world.queueFails = true;
    const room = await world.room();
    expect((await room.create(battleConfig())).ok).toBe(true);
    const battle = room.state!.config.id;
    const secret = "player-key-hash-SECRET";
    const joined = room.join("alice", "session-SECRET", { issue: secret, present: null, identified: false });
    expect(joined.ok).toBe(true);
    for (let i = 0; i < 20 && lines.length === 0; i++) {
      world.advance(100);
      await Promise.resolve();
    }
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) {
      const entry = JSON.parse(l) as Record<string, unknown>;
      expect(entry).toMatchObject({ level: "error", battle });
      expect(entry.event).toMatch(/^[a-z_]+$/);
      expect(typeof entry.message).toBe("string");
      expect(l).not.toContain("SECRET");
    }
    const retry = lines.map((l) => JSON.parse(l)).find((e) => e.event === "queue_send_failed_retrying");
    expect(retry).toMatchObject({ cause: { name: "Error", message: "queue down" } });
  });

  it("names events by their message without numbers", () => {
    expect(logEvent("creating shard 3 failed (attempt 2); calling again")).toBe(
      "creating_shard_failed_attempt_calling_again",
    );
    expect(logEvent("42")).toBe("battle_log");
  });
});
