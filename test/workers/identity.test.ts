/** @module Identity through the real Worker and Durable Object: player keys, look-alikes, operator tokens, key ids. */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ArenaClient } from "../../src/client";
import { keyring, signToken } from "../../src/http/signed-token";
import { api, connect, createBattle, freshIp, startBattle } from "./helpers";

const joinPath = (id: string) => `/api/battles/${id}/join`;

/** The SDK over the real Worker (HTTP only; each call from a fresh address). */
function sdkClient(): ArenaClient {
  return new ArenaClient({
    baseUrl: "http://arena.test",
    socketFactory: () => {
      throw new Error("not used");
    },
    fetch: (u, init) =>
      SELF.fetch(u, { ...init, headers: { ...(init?.headers as object), "CF-Connecting-IP": freshIp() } }),
  });
}

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(atob(token.split(".")[0]!.replace(/-/g, "+").replace(/_/g, "/")));
}

describe("player keys", () => {
  it("a rejoin without the key is refused and the original keeps playing; with it, it takes over", async () => {
    const id = await createBattle();
    await startBattle(id);
    const first = await api("POST", joinPath(id), { username: "alice" });
    expect(first.status).toBe(201);
    expect(first.json.playerKey).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    const ws = await connect(first.json);

    for (const attempt of [{}, { playerKey: "guess" }, { playerKey: `${first.json.playerKey}x` }]) {
      const stolen = await api("POST", joinPath(id), { username: "alice", ...attempt });
      expect(stolen).toMatchObject({ status: 409, json: { error: { code: "username_taken" } } });
    }
    const played = await ws.request({ type: "answer", id: 1, questionId: "q1", answer: 1 });
    expect(played.ok).toBe(true);
    expect(ws.closed).toBeNull();

    const again = await api("POST", joinPath(id), { username: "alice", playerKey: first.json.playerKey });
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ participantId: first.json.participantId, isNew: false });
    expect(again.json.playerKey).toBeUndefined();
    expect((await ws.waitClosed()).code).toBe(4501);
    const ws2 = await connect(again.json);
    expect((await ws2.request({ type: "leaderboard", id: 2 })).data.me.score).toBeGreaterThan(0);
    ws2.ws.close();
  });

  it("look-alikes of an existing name are refused and do not disturb its player", async () => {
    const id = await createBattle();
    await startBattle(id);
    const alice = await api("POST", joinPath(id), { username: "alice" });
    const ws = await connect(alice.json);
    const taken = ["ALICE", "\uff41\uff4c\uff49\uff43\uff45", "al\u0131ce", "aIice", " alice "];
    for (const username of taken) {
      const res = await api("POST", joinPath(id), { username });
      expect(res, username).toMatchObject({ status: 409, json: { error: { code: "username_taken" } } });
    }
    for (const username of ["\u0430lice", "ali\u0441e"]) {
      const res = await api("POST", joinPath(id), { username });
      expect(res, username).toMatchObject({ status: 400, json: { error: { code: "invalid_username" } } });
    }
    // An all-Cyrillic look-alike of a Latin name is one script, so it is refused as taken.
    await api("POST", joinPath(id), { username: "ace" });
    expect((await api("POST", joinPath(id), { username: "\u0430\u0441\u0435" })).json.error.code).toBe(
      "username_taken",
    );
    expect((await ws.request({ type: "leaderboard", id: 1 })).ok).toBe(true);
    expect(ws.closed).toBeNull();
    ws.ws.close();
  });

  it("the SDK keeps the key of a first join and presents it on a rejoin", async () => {
    const id = await createBattle();
    const client = sdkClient();
    const first = await client.join(id, "bob");
    const again = await client.join(id, "bob");
    expect(again).toMatchObject({ participantId: first.participantId, isNew: false });
    const other = sdkClient();
    await expect(other.join(id, "bob")).rejects.toMatchObject({ code: "username_taken" });
  });
});

describe("operator identity tokens", () => {
  const operatorKey = keyring("test-identity-secret", "op1");
  const identity = (b: string, sub: string, u: string, e = Math.floor(Date.now() / 1000) + 600) => ({
    b,
    sub,
    u,
    e,
  });

  it("an operator-identity battle admits signed tokens only, with the username from the token", async () => {
    const id = await createBattle({ identity: "operator" });
    await startBattle(id);
    const open = await api("POST", joinPath(id), { username: "carol" });
    expect(open).toMatchObject({ status: 403, json: { error: { code: "identity_required" } } });

    const token = await signToken(identity(id, "acct-1", "Carol"), operatorKey);
    const joined = await api("POST", joinPath(id), { identityToken: token });
    expect(joined.status).toBe(201);
    expect(joined.json).toMatchObject({ username: "Carol", isNew: true });
    expect(joined.json.playerKey).toBeUndefined();
    const ws = await connect(joined.json);

    // The same account from another device takes over; another account with the same name cannot.
    const again = await api("POST", joinPath(id), {
      identityToken: await signToken(identity(id, "acct-1", "Carol"), operatorKey),
    });
    expect(again).toMatchObject({ status: 200, json: { participantId: joined.json.participantId } });
    expect((await ws.waitClosed()).code).toBe(4501);
    const impostor = await signToken(identity(id, "acct-2", "carol"), operatorKey);
    expect((await api("POST", joinPath(id), { identityToken: impostor })).json.error.code).toBe(
      "username_taken",
    );

    // A key from the grace list still verifies (rotation of the operator's secret).
    const older = await signToken(identity(id, "acct-3", "Dave"), keyring("test-old-identity-secret", "op0"));
    expect((await api("POST", joinPath(id), { identityToken: older })).status).toBe(201);
  });

  it("forged, expired, other-battle and malformed identity tokens are refused", async () => {
    const id = await createBattle({ identity: "operator" });
    const other = await createBattle({ identity: "operator" });
    const bad = [
      await signToken(identity(id, "acct-1", "eve"), keyring("guessed-secret", "op1")),
      await signToken(identity(id, "acct-1", "eve", Math.floor(Date.now() / 1000) - 1), operatorKey),
      await signToken(identity(other, "acct-1", "eve"), operatorKey),
      await signToken(identity(id, "acct-1", "eve"), keyring("test-identity-secret", "nope")),
      "garbage",
      `${btoa(JSON.stringify(identity(id, "acct-1", "eve"))).replace(/=+$/, "")}.AAAA`,
    ];
    for (const identityToken of bad) {
      const res = await api("POST", joinPath(id), { identityToken });
      expect(res, identityToken).toMatchObject({ status: 401, json: { error: { code: "unauthorized" } } });
    }
    const badName = await signToken(identity(id, "acct-9", ""), operatorKey);
    expect((await api("POST", joinPath(id), { identityToken: badName })).json.error.code).toBe(
      "invalid_username",
    );
  });
});

describe("session token key ids", () => {
  it("tokens signed with a key in TOKEN_SECRETS_PREVIOUS still work; unknown key ids do not", async () => {
    const id = await createBattle();
    await startBattle(id);
    const joined = await api("POST", joinPath(id), { username: "frank" });
    const claims = claimsOf(joined.json.token);
    expect(claims.k).toBe("2");
    const { k: _k, ...session } = claims;
    const board = (token: string) =>
      api("GET", `/api/battles/${id}/leaderboard`, undefined, { Authorization: `Bearer ${token}` });
    expect((await board(joined.json.token)).status).toBe(200);
    expect((await board(await signToken(session, keyring("test-old-token-secret", "1")))).status).toBe(200);
    expect((await board(await signToken(session, keyring("test-token-secret", "7")))).status).toBe(401);
    expect((await board(await signToken(session, keyring("wrong", "2")))).status).toBe(401);
  });
});
