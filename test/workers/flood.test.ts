/** @module A flooding client through the real Worker and Durable Object: rate_limited, then 4001; others unaffected. */
import { describe, expect, it } from "vitest";
import { STRIKES } from "../../src/battle/frame-meter";
import { PLAYER_RATE } from "../../src/battle/token-bucket";
import { connect, createBattle, join, startBattle } from "./helpers";

describe("a flooding client", () => {
  it("gets rate_limited with a correct retryAfterMs, then 4001, while another player is served a full burst of its own", async () => {
    const id = await createBattle();
    await startBattle(id);
    const flooder = await connect(await join(id, "flood"));
    const other = await connect(await join(id, "calm"));

    for (let i = 0; i < 200; i++) flooder.send({ type: "leaderboard", id: i });
    // Sent while the flood is being metered: the other player's budget is its own.
    other.send({ type: "leaderboard", id: "calm-0" });
    const closed = await flooder.waitClosed();
    expect(closed.code).toBe(4001);
    const replies = flooder.frames.filter((f) => f.type === "reply");
    const limited = replies.filter((r) => !r.ok && r.error.code === "rate_limited");
    // Every reply is either served or rate_limited, and the burst's first `capacity` frames are all served.
    expect(replies.every((r) => r.ok || r.error.code === "rate_limited")).toBe(true);
    expect(replies.slice(0, PLAYER_RATE.capacity).every((r) => r.ok)).toBe(true);
    // It was closed on the strike after its allowance ran out, long before the flood was answered in full.
    expect(limited.length).toBeGreaterThanOrEqual(STRIKES.capacity);
    expect(replies.length).toBeLessThan(200);
    expect(replies.at(-1)).toMatchObject({ ok: false, error: { code: "rate_limited" } });
    for (const r of limited) {
      if (r.ok) continue;
      // The wait until the next token: more than 0, at most one token's worth.
      expect(r.error.retryAfterMs).toBeGreaterThan(0);
      expect(r.error.retryAfterMs).toBeLessThanOrEqual(1000 / PLAYER_RATE.ratePerSec);
    }

    // The other player, metered apart: its request during the flood and a whole burst of its own are served.
    expect(await other.next((m) => m.type === "reply" && m.id === "calm-0", "calm-0")).toMatchObject({
      ok: true,
    });
    for (let i = 1; i < PLAYER_RATE.capacity; i++) other.send({ type: "leaderboard", id: `calm-${i}` });
    for (let i = 1; i < PLAYER_RATE.capacity; i++) {
      expect(await other.next((m) => m.type === "reply" && m.id === `calm-${i}`, `calm-${i}`)).toMatchObject({
        ok: true,
      });
    }
    expect(other.closed).toBeNull();
    other.ws.close();
  });

  it("malformed and binary frames are metered too and each gets a structured error", async () => {
    const id = await createBattle();
    await startBattle(id);
    const bad = await connect(await join(id, "garbage"));
    bad.send("{nope");
    bad.ws.send(new Uint8Array([1, 2, 3]));
    bad.send({ type: "answer", id: "wrong-types", questionId: 5, answer: {} });
    bad.send({ type: "ping", id: "p" });
    const codes = [
      (await bad.next((m) => m.type === "error", "bad_json")) as { error: { code: string } },
      (await bad.next((m) => m.type === "error", "binary")) as { error: { code: string } },
    ].map((f) => f.error.code);
    // Both structured; a text and a binary frame may reach the object in either order under load.
    expect(codes.sort()).toEqual(["bad_json", "bad_message"]);
    expect((await bad.next((m) => m.type === "reply" && m.id === "wrong-types")) as object).toMatchObject({
      ok: false,
      error: { code: "bad_message" },
    });
    expect(await bad.next((m) => m.type === "reply" && m.id === "p")).toMatchObject({ ok: true });
    // Keep sending garbage: the strikes run out and the socket is closed with 4001.
    for (let i = 0; i < 100; i++) bad.send("{nope");
    expect((await bad.waitClosed()).code).toBe(4001);
  });
});
