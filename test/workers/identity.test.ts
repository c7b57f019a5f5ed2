/** @module Identity through the real Worker and Durable Object: player keys, look-alikes, operator tokens, key ids. */
import { env, runInDurableObject, SELF } from "cloudflare:test";
import { ArenaClient, type ArenaClientOptions, MemoryKeyStore } from "@arena/client";
import { describe, expect, it } from "vitest";
import type { BattleDO } from "../../src/do/battle-do";
import { keyring, signToken } from "../../src/http/signed-token";
import { shardObjectName } from "../../src/sharding/protocol";
import { api, connect, createBattle, freshIp, startBattle, tokenClaims } from "./helpers";

const joinPath = (id: string) => `/api/battles/${id}/join`;

/** Options of an SDK client over the real Worker (HTTP only; each call from a fresh address). */
function sdkOptions(): ArenaClientOptions {
  return {
    baseUrl: "http://arena.test",
    socketFactory: () => {
      throw new Error("not used");
    },
    fetch: (u, init) =>
      SELF.fetch(u, { ...init, headers: { ...(init?.headers as object), "CF-Connecting-IP": freshIp() } }),
  };
}

function sdkClient(): ArenaClient {
  return new ArenaClient(sdkOptions());
}

const claimsOf = (token: string) => tokenClaims(token);

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
    expect(again.json.playerKey).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(again.json.playerKey).not.toBe(first.json.playerKey);
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

/** Throws the objects away (as an eviction or a crash would); the next call rebuilds them from their SQLite. */
async function restart(names: string[]): Promise<void> {
  for (const name of names) {
    const stub = env.BATTLE.get(env.BATTLE.idFromName(name));
    await runInDurableObject(stub, (_: BattleDO, state) => state.abort("restarted by the test")).catch(
      () => {},
    );
  }
}

describe("player key rotation", () => {
  /** Joins `name` with `playerKey`; returns the status, code and the reply's key. */
  async function rejoin(id: string, name: string, playerKey: string | undefined) {
    const res = await api("POST", joinPath(id), { username: name, playerKey });
    return {
      status: res.status,
      code: res.json.error?.code,
      key: res.json.playerKey as string | undefined,
      res,
    };
  }

  /**
   * The whole story on one battle: every proven rejoin hands out a new key and retires the one it presented, the
   * newest key works, and an object restart (rebuilt from its SQLite) keeps exactly that state.
   */
  async function rotates(id: string, shards = 1): Promise<void> {
    const first = await rejoin(id, "alice", undefined);
    expect(first.status).toBe(201);
    const k1 = first.key!;
    const second = await rejoin(id, "ALICE", k1);
    expect(second.status).toBe(200);
    expect(second.res.json).toMatchObject({ participantId: first.res.json.participantId, isNew: false });
    const k2 = second.key!;
    expect(k2).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(k2).not.toBe(k1);
    // The key a shared computer saw once is no takeover any more: refused exactly as a wrong key.
    expect(await rejoin(id, "alice", k1)).toMatchObject({ status: 409, code: "username_taken" });
    const third = await rejoin(id, "alice", k2);
    expect(third.status).toBe(200);
    const k3 = third.key!;
    expect(new Set([k1, k2, k3]).size).toBe(3);
    expect(await rejoin(id, "alice", k2)).toMatchObject({ status: 409, code: "username_taken" });

    // The rotation is stored with the player (the battle's SQLite), not only in memory.
    await restart(
      shards === 1 ? [id] : [id, ...Array.from({ length: shards }, (_, k) => shardObjectName(id, k))],
    );
    expect(await rejoin(id, "alice", k2)).toMatchObject({ status: 409, code: "username_taken" });
    const afterRestart = await rejoin(id, "alice", k3);
    expect(afterRestart.status).toBe(200);
    expect(afterRestart.res.json.participantId).toBe(first.res.json.participantId);
    expect(await rejoin(id, "alice", k3)).toMatchObject({ status: 409, code: "username_taken" });
    expect((await rejoin(id, "alice", afterRestart.key)).status).toBe(200);
    // Still one player, and a failed rejoin left nothing behind.
    expect((await api("GET", `/api/battles/${id}`)).json.battle.players).toBe(1);
  }

  it("a rejoin with the key returns a new one; the old key is refused, the new one works, across a restart", async () => {
    const id = await createBattle();
    await startBattle(id);
    await rotates(id);
  });

  it("rotates the same way in a sharded battle (the player's shard checks and stores the key)", async () => {
    const id = await createBattle({ shards: 2 });
    await startBattle(id);
    await rotates(id, 2);
    // Names on both shards rotate independently.
    for (const name of ["bob", "carol", "dave", "erin"]) {
      const a = await rejoin(id, name, undefined);
      const b = await rejoin(id, name, a.key);
      expect([a.status, b.status]).toEqual([201, 200]);
      expect(await rejoin(id, name, a.key)).toMatchObject({ status: 409, code: "username_taken" });
      expect((await rejoin(id, name, b.key)).status).toBe(200);
    }
  });

  it("the SDK stores the key of every join, so it keeps rejoining while a copied old key is refused", async () => {
    const id = await createBattle();
    const store = new MemoryKeyStore();
    const client = new ArenaClient({ ...sdkOptions(), playerKeys: store });
    const first = await client.join(id, "bob");
    const seenOnce = store.get(id, "bob")!;
    expect(seenOnce).toBe(first.playerKey);
    const again = await client.join(id, "bob");
    expect(again).toMatchObject({ participantId: first.participantId, isNew: false });
    expect(store.get(id, "bob")).toBe(again.playerKey);
    expect(again.playerKey).not.toBe(seenOnce);
    const copied = new MemoryKeyStore();
    copied.set(id, "bob", seenOnce);
    const thief = new ArenaClient({ ...sdkOptions(), playerKeys: copied });
    await expect(thief.join(id, "bob")).rejects.toMatchObject({ status: 409, code: "username_taken" });
    expect(await client.join(id, "bob")).toMatchObject({ participantId: first.participantId, isNew: false });
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
  const nowS = () => Math.floor(Date.now() / 1000);

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
    const { e: _e, ...noTimes } = identity(id, "acct-1", "eve");
    const bad = [
      await signToken(identity(id, "acct-1", "eve"), keyring("guessed-secret", "op1")),
      await signToken(identity(other, "acct-1", "eve"), operatorKey),
      // No time at all (neither `e` nor `iat`), a non-numeric one, or an `e` not after its `iat`.
      await signToken(noTimes, operatorKey),
      await signToken({ ...noTimes, e: "tomorrow" }, operatorKey),
      await signToken({ ...noTimes, iat: nowS(), e: nowS() }, operatorKey),
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

describe("identity token lifetime (IDENTITY_MAX_LIFETIME_S, 86400 by default)", () => {
  const operatorKey = keyring("test-identity-secret", "op1");
  const MAX = 86_400;
  const nowS = () => Math.floor(Date.now() / 1000);
  const joinWith = async (id: string, claims: object) =>
    api("POST", joinPath(id), { identityToken: await signToken(claims, operatorKey) });
  const expired = { status: 401, json: { error: { code: "identity_expired" } } };

  it("refuses an expired token with identity_expired", async () => {
    const id = await createBattle({ identity: "operator" });
    const base = { b: id, sub: "acct-1", u: "Eve" };
    for (const claims of [
      { ...base, e: nowS() - 1 },
      { ...base, iat: nowS() - 600, e: nowS() - 1 },
      // Only `iat`: it expires `MAX` seconds after it.
      { ...base, iat: nowS() - MAX - 1 },
    ]) {
      const res = await joinWith(id, claims);
      expect(res, JSON.stringify(claims)).toMatchObject(expired);
      expect(res.json.error.message).toMatch(/expired/);
    }
    expect((await api("GET", `/api/battles/${id}`)).json.battle.players).toBe(0);
  });

  it("refuses a token whose lifetime exceeds the maximum, or issued in the future", async () => {
    const id = await createBattle({ identity: "operator" });
    const base = { b: id, sub: "acct-1", u: "Eve" };
    for (const claims of [
      { ...base, iat: nowS(), e: nowS() + 7 * MAX },
      { ...base, iat: nowS() - 60, e: nowS() + MAX },
      // Without `iat` the lifetime is counted from now (a token valid for a year is refused, though not expired).
      { ...base, e: nowS() + 365 * MAX },
      { ...base, e: nowS() + MAX + 3600 },
      // Issued an hour in the future (beyond the 60 s clock skew), however short.
      { ...base, iat: nowS() + 3600, e: nowS() + 3600 + 600 },
    ]) {
      expect(await joinWith(id, claims), JSON.stringify(claims)).toMatchObject(expired);
    }
    expect((await api("GET", `/api/battles/${id}`)).json.battle.players).toBe(0);
  });

  it("accepts a valid token, with iat and e, e alone, iat alone, or iat a little ahead (clock skew)", async () => {
    const id = await createBattle({ identity: "operator" });
    const cases: [string, object][] = [
      ["A", { iat: nowS(), e: nowS() + 600 }],
      ["B", { e: nowS() + 600 }],
      ["C", { iat: nowS() }],
      ["D", { iat: nowS() + 30, e: nowS() + 630 }],
      ["E", { e: nowS() + MAX }],
    ];
    for (const [u, times] of cases) {
      const res = await joinWith(id, { b: id, sub: `acct-${u}`, u, ...times });
      expect(res, JSON.stringify(times)).toMatchObject({ status: 201, json: { username: u, isNew: true } });
    }
  });

  it("is exact at the boundary: e - iat == max is accepted, max + 1 refused", async () => {
    const id = await createBattle({ identity: "operator" });
    const iat = nowS() - 10;
    const atMax = await joinWith(id, { b: id, sub: "acct-1", u: "Max", iat, e: iat + MAX });
    expect(atMax).toMatchObject({ status: 201, json: { username: "Max" } });
    const overMax = await joinWith(id, { b: id, sub: "acct-2", u: "Over", iat, e: iat + MAX + 1 });
    expect(overMax).toMatchObject(expired);
    expect(overMax.json.error.message).toContain(`${MAX + 1}`);
    // The same account rejoins with a fresh token of exactly the maximum lifetime; the refused one never joined.
    const iat2 = nowS();
    const again = await joinWith(id, { b: id, sub: "acct-1", u: "Max", iat: iat2, e: iat2 + MAX });
    expect(again).toMatchObject({ status: 200, json: { participantId: atMax.json.participantId } });
    expect((await api("GET", `/api/battles/${id}`)).json.battle.players).toBe(1);
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
