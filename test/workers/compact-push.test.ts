/** @module Compact leaderboard pushes (protocol 3) through the real Worker and Durable Object. */
import { describe, expect, it } from "vitest";
import { PROTOCOL_VERSION } from "../../src/protocol/version";
import { connect, createBattle, join, startBattle } from "./helpers";

describe("compact leaderboard pushes", () => {
  it("leave top out for a client that asked with ?push=2 while its top is unchanged; others get full frames", async () => {
    const id = await createBattle({ leaderboardSize: 1 });
    const [a, b, c] = [await join(id, "alice"), await join(id, "bob"), await join(id, "carol")];
    const wa = await connect(a);
    const wb = await connect(b);
    const wc = await connect({ ...c, wsUrl: `${c.wsUrl}&push=2` });
    expect(wc.frames[0]).toMatchObject({ type: "welcome", protocol: PROTOCOL_VERSION });
    await startBattle(id);

    // Alice scores: the top changes, so even the compact client's frame carries it.
    expect((await wa.request({ type: "answer", id: 1, questionId: "q1", answer: 1 })).ok).toBe(true);
    const first = await wc.next(
      (m) => m.type === "leaderboard" && m.me?.rank === 3 && m.around.some((r) => r.score === 10),
      "carol's frame after alice scored",
    );
    expect(first).toMatchObject({ top: [{ username: "alice", score: 10 }] });

    // Bob scores the same later: second place, the top (alice alone) is unchanged, carol's neighbourhood is not.
    expect((await wb.request({ type: "answer", id: 1, questionId: "q1", answer: 1 })).ok).toBe(true);
    const compact = await wc.next(
      (m) => m.type === "leaderboard" && m.around.filter((r) => r.score === 10).length === 2,
      "carol's frame after bob scored",
    );
    expect(compact).not.toHaveProperty("top");
    expect(compact).toMatchObject({ total: 3, me: { rank: 3, score: 0 } });
    if (compact.type !== "leaderboard") throw new Error("unreachable");
    expect(compact.around.map((r) => [r.rank, r.username, r.score])).toEqual([
      [1, "alice", 10],
      [2, "bob", 10],
      [3, "carol", 0],
    ]);

    // Alice's client did not ask: her frame after bob scored carries the top as before.
    const full = await wa.next(
      (m) => m.type === "leaderboard" && m.around.filter((r) => r.score === 10).length === 2,
      "alice's frame after bob scored",
    );
    expect(full).toMatchObject({ top: [{ username: "alice", score: 10 }] });
  });
});
