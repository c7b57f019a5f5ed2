/**
 * @module Promises of the README that no other test checked (issue 26), through the real Worker and object: a
 * retried `/answer` with the same `Idempotency-Key` applies once and returns the first reply (marked `duplicate`); a non-upgrade GET on
 * `/ws` is 426; the exact heartbeat frame is answered by the runtime's auto-response.
 */
import { describe, expect, it } from "vitest";
import { HEARTBEAT_REQUEST, HEARTBEAT_RESPONSE } from "../../src/protocol/client-messages";
import { api, connect, createBattle, join, OPERATOR, startBattle } from "./helpers";

describe("README promises", () => {
  it("an /answer retried with its Idempotency-Key is applied once and gets the first reply again", async () => {
    const id = await createBattle();
    await startBattle(id);
    const alice = await join(id, "alice");
    const auth = { Authorization: `Bearer ${alice.token}`, "Idempotency-Key": "retry-1" };
    const first = await api("POST", `/api/battles/${id}/answer`, { questionId: "q1", answer: 1 }, auth);
    expect(first.status).toBe(200);
    const again = await api("POST", `/api/battles/${id}/answer`, { questionId: "q1", answer: 1 }, auth);
    expect(again).toEqual({ status: 200, json: { ...first.json, duplicate: true } });
    // Without the key the same answer is a new request: the question is already answered.
    const unkeyed = await api(
      "POST",
      `/api/battles/${id}/answer`,
      { questionId: "q1", answer: 1 },
      { Authorization: `Bearer ${alice.token}` },
    );
    expect([unkeyed.status, unkeyed.json.error.code]).toEqual([409, "already_answered"]);
    const info = await api("GET", `/api/admin/battles/${id}`, undefined, OPERATOR);
    expect(info.json.battle.stored.answers).toBe(1);
  });

  it("a GET on /ws without an upgrade is 426, a query token works on /ws only, and the heartbeat gets its pong", async () => {
    const id = await createBattle();
    await startBattle(id);
    const alice = await join(id, "alice");
    const plain = await api("GET", `/api/battles/${id}/ws?token=${encodeURIComponent(alice.token)}`);
    expect([plain.status, plain.json.error.code]).toEqual([426, "bad_message"]);
    // The query carries a token on the upgrade only; elsewhere it would land in access logs.
    const queried = await api(
      "GET",
      `/api/battles/${id}/leaderboard?token=${encodeURIComponent(alice.token)}`,
    );
    expect([queried.status, queried.json.error.code]).toEqual([401, "unauthorized"]);
    const headed = await api("GET", `/api/battles/${id}/leaderboard`, undefined, {
      Authorization: `Bearer ${alice.token}`,
    });
    expect(headed.status).toBe(200);
    const ws = await connect(alice);
    const pong = new Promise<string>((resolve) =>
      ws.ws.addEventListener("message", (e) => {
        if (e.data === HEARTBEAT_RESPONSE) resolve(e.data as string);
      }),
    );
    ws.send(HEARTBEAT_REQUEST);
    expect(await pong).toBe(HEARTBEAT_RESPONSE);
  });
});
