/**
 * @module Fuzzing a live battle through the real Worker and Durable Object (fast-check, fixed seed): random,
 * malformed, huge and binary frames, wrong types, and forged/expired/replaced/other-battle tokens. The object keeps
 * running, every frame gets exactly one structured answer, and the books balance.
 */
import { env, runInDurableObject, SELF } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { BattleDO } from "../../src/do/battle-do";
import { keyring, signToken } from "../../src/http/signed-token";
import type { ServerMessage } from "../../src/protocol";
import {
  api,
  connect,
  createBattle,
  freshIp,
  join,
  OPERATOR,
  startBattle,
  type TestSocket,
  tokenClaims,
} from "./helpers";

const stubOf = (id: string) => env.BATTLE.get(env.BATTLE.idFromName(id));

async function advanceClock(id: string, ms: number): Promise<void> {
  await runInDurableObject(stubOf(id), (instance: BattleDO) => {
    const base = instance.clock;
    instance.clock = () => base() + ms;
  });
}

const claimsOf = (token: string) => tokenClaims(token);

type Frame = { text: string } | { binary: Uint8Array };

let seq = 0;
const id = () => fc.constant(null).map(() => `v${++seq}`);
const json = (arb: fc.Arbitrary<unknown>): fc.Arbitrary<Frame> =>
  arb.map((v) => ({ text: JSON.stringify(v) }));

const frame: fc.Arbitrary<Frame> = fc.oneof(
  json(
    fc.record({
      type: fc.constant("answer"),
      id: id(),
      questionId: fc.constantFrom("q1", "q2", "q3", "q4", "nope"),
      answer: fc.oneof(fc.integer({ min: -1, max: 3 }), fc.constantFrom("Paris", "water", "x", "")),
    }),
  ),
  json(fc.record({ type: fc.constant("attack"), id: id(), target: fc.integer({ min: 0, max: 6 }) })),
  json(
    fc.record(
      {
        type: fc.constant("leaderboard"),
        id: id(),
        offset: fc.nat(10),
        limit: fc.integer({ min: 1, max: 100 }),
      },
      { requiredKeys: ["type", "id"] },
    ),
  ),
  json(fc.record({ type: fc.constant("ping"), id: id() })),
  // Wrong types and shapes: any JSON in every field.
  json(
    fc.record(
      {
        type: fc.oneof(fc.constantFrom("answer", "attack", "leaderboard", "ping"), fc.jsonValue()),
        id: fc.jsonValue(),
        questionId: fc.jsonValue(),
        answer: fc.jsonValue(),
        target: fc.jsonValue(),
        offset: fc.jsonValue(),
      },
      { requiredKeys: [] },
    ),
  ),
  json(fc.jsonValue()),
  fc.string({ maxLength: 300 }).map((text) => ({ text })),
  fc
    .integer({ min: 8_000, max: 40_000 })
    .map((n) => ({ text: `{"type":"answer","id":1,"answer":"${"x".repeat(n)}"}` })),
  fc.uint8Array({ maxLength: 256 }).map((binary) => ({ binary })),
);

const isAnswer = (m: ServerMessage) => m.type === "reply" || m.type === "error" || m.type === "pong";

describe("fuzzing a live battle", () => {
  it("survives random, malformed, huge and binary frames and bad tokens with every invariant intact", async () => {
    const battleId = await createBattle({
      durationMs: 86_400_000,
      rules: { startingArrows: 5, startingShields: 1, maxAttempts: 3 },
    });
    const otherBattle = await createBattle();
    await startBattle(battleId);
    const players = [await join(battleId, "p0"), await join(battleId, "p1"), await join(battleId, "p2")];
    const sockets: TestSocket[] = [];
    for (const p of players) sockets.push(await connect(p));

    // Tokens that must never get in.
    const victim = await join(battleId, "victim");
    await join(battleId, "victim", victim.playerKey); // replaces the victim's first session
    const real = claimsOf(players[0]!.token);
    const { k: _k, ...session } = real;
    const badTokens: Record<string, string> = {
      forged: await signToken(session, keyring("not-the-secret", "2")),
      expired: await signToken(
        { ...session, e: Math.floor(Date.now() / 1000) - 1 },
        keyring("test-token-secret", "2"),
      ),
      replaced: victim.token,
      otherBattle: (await join(otherBattle, "p0")).token,
      tampered: `${players[1]!.token.split(".")[0]}.${players[0]!.token.split(".")[1]}`,
      garbage: "x.y",
    };

    const scores = new Map<number, number>();
    let acceptedAnswers = 0;
    let acceptedAttacks = 0;
    let sent = 0;
    const tokenKindsTried = new Set<string>();

    await fc.assert(
      fc.asyncProperty(
        fc.nat(2),
        fc.array(frame, { minLength: 1, maxLength: 12 }),
        fc.constantFrom(...Object.keys(badTokens)),
        async (who, frames, tokenKind) => {
          const ws = sockets[who]!;
          const pid = players[who]!.participantId;
          for (const f of frames) {
            if ("binary" in f) ws.ws.send(f.binary);
            else ws.send(f.text);
          }
          sent += frames.length;
          for (let i = 0; i < frames.length; i++) {
            const m = await ws.next(isAnswer, `answer ${i + 1}/${frames.length}`);
            if (m.type === "error") expect(typeof m.error.code).toBe("string");
            if (m.type !== "reply") continue;
            if (!m.ok) {
              expect(typeof m.error.code).toBe("string");
              continue;
            }
            const data = m.data as Record<string, unknown>;
            if ("questionId" in data && "correct" in data) {
              acceptedAnswers++;
              scores.set(pid, (scores.get(pid) ?? 0) + (data.points as number));
            } else if ("pointsLost" in data && "target" in data) {
              acceptedAttacks++;
              const t = data.target as number;
              scores.set(t, (scores.get(t) ?? 0) - (data.pointsLost as number));
            }
          }
          expect(ws.closed).toBeNull();

          const token = badTokens[tokenKind]!;
          const upgrade = await SELF.fetch(
            `http://arena.test/api/battles/${battleId}/ws?token=${encodeURIComponent(token)}`,
            {
              headers: { Upgrade: "websocket", "CF-Connecting-IP": freshIp() },
            },
          );
          // A token the Worker cannot verify for this battle is refused there (401 unauthorized); the replaced
          // session's token is valid, so its socket is accepted by the object and closed at once with 4501 (session
          // replaced, do not reconnect), and over HTTP it gets session_replaced.
          const replaced = tokenKind === "replaced";
          tokenKindsTried.add(tokenKind);
          if (replaced) {
            expect(upgrade.status).toBe(101);
            const ws = upgrade.webSocket!;
            const closed = new Promise<number>((r) => ws.addEventListener("close", (e) => r(e.code)));
            ws.accept();
            expect(await closed).toBe(4501);
          } else {
            expect(upgrade.status).toBe(401);
            expect(((await upgrade.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
          }
          const http = await api(
            "POST",
            `/api/battles/${battleId}/answer`,
            { questionId: "q1", answer: 1 },
            {
              Authorization: `Bearer ${token}`,
            },
          );
          expect(http.status).toBe(401);
          expect(http.json.error.code).toBe(replaced ? "session_replaced" : "unauthorized");

          // Let budgets and strikes refill, so every run is judged on its own frames.
          await advanceClock(battleId, 30_000);
          // Every socket is seen at the new time, so the heartbeat sweep (its alarm fires in real time, on a slow
          // run within the test) does not take a socket idle for a few runs of the moved clock as silent.
          for (const s of sockets)
            expect((await s.request({ type: "ping", id: `keep-${++seq}` })).ok).toBe(true);
        },
      ),
      { numRuns: 40, seed: 20261202 },
    );
    // The seed exercises the real paths too, not only refusals.
    expect(sent).toBeGreaterThan(100);
    expect([...tokenKindsTried].sort()).toEqual(Object.keys(badTokens).sort());
    expect(acceptedAnswers).toBeGreaterThan(0);

    // Still running and answering.
    const after = await sockets[0]!.request({ type: "leaderboard", id: "after" });
    expect(after.ok).toBe(true);

    // The books balance: scores are the sum of accepted effects; nothing negative.
    const standings = await api("GET", `/api/admin/battles/${battleId}/standings`, undefined, OPERATOR);
    for (const p of players) {
      const row = standings.json.standings.find((s: { id: number }) => s.id === p.participantId);
      expect(row.score, `score of ${p.participantId}`).toBe(scores.get(p.participantId) ?? 0);
    }
    for (const s of standings.json.standings as { score: number; arrows: number; shields: number }[]) {
      expect(s.score).toBeGreaterThanOrEqual(0);
      expect(s.arrows).toBeGreaterThanOrEqual(0);
      expect(s.shields).toBeGreaterThanOrEqual(0);
    }
    const info = await api("GET", `/api/admin/battles/${battleId}`, undefined, OPERATOR);
    expect(info.json.battle.stored).toMatchObject({ answers: acceptedAnswers, attacks: acceptedAttacks });
    for (const s of sockets) s.ws.close();
  });
});
