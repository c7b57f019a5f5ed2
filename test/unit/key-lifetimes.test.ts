/**
 * @module Hostile clients, round two (unit level): identity tokens have a maximum lifetime (`verifyIdentity` with
 * any `IDENTITY_MAX_LIFETIME_S`), a key-proven rejoin rotates the player key in the pure rules, and the SDK keeps
 * the key of every join reply (what the player page relies on, through a `localStorage`-backed store).
 */

import { ArenaClient, StorageKeyStore } from "@arena/client";
import { describe, expect, it } from "vitest";
import { BattleGame, type JoinProof } from "../../src/battle/game";
import type { Outcome } from "../../src/battle/outcome";
import {
  DEFAULT_IDENTITY_MAX_LIFETIME_S,
  IDENTITY_CLOCK_SKEW_S,
  identityMaxLifetime,
  verifyIdentity,
} from "../../src/http/identity-token";
import { keyring, signToken } from "../../src/http/signed-token";
import { battleConfig } from "./fixtures";

const code = <T>(o: Outcome<T>) => (o.ok ? "ok" : o.error.code);
function value<T>(o: Outcome<T>): T {
  if (!o.ok) throw new Error(o.error.code);
  return o.value;
}

describe("identity token lifetime", () => {
  const ring = keyring("operator-secret", "op1");
  const NOW_S = 1_800_000_000;
  const now = NOW_S * 1000;
  const check = async (times: object, max?: number, nowMs = now) =>
    code(
      await verifyIdentity(
        await signToken({ b: "b-1", sub: "acct", u: "Ann", ...times }, ring),
        ring,
        "b-1",
        nowMs,
        max,
      ),
    );

  it("reads IDENTITY_MAX_LIFETIME_S, falling back to 24 h when unset or malformed", () => {
    expect(DEFAULT_IDENTITY_MAX_LIFETIME_S).toBe(86_400);
    expect(identityMaxLifetime("3600")).toBe(3600);
    for (const bad of [undefined, "", " ", "0", "-5", "abc", "Infinity"])
      expect(identityMaxLifetime(bad), String(bad)).toBe(86_400);
  });

  it("is exact at any configured maximum: e - iat == max passes, max + 1 does not", async () => {
    for (const max of [60, 3600, 86_400, 7 * 86_400]) {
      const iat = NOW_S - 5;
      expect(await check({ iat, e: iat + max }, max)).toBe("ok");
      expect(await check({ iat, e: iat + max + 1 }, max)).toBe("identity_expired");
    }
  });

  it("expires at e, or at iat + max for a token with only iat", async () => {
    expect(await check({ e: NOW_S + 1 })).toBe("ok");
    expect(await check({ e: NOW_S })).toBe("identity_expired");
    expect(await check({ iat: NOW_S - 3600 }, 3600)).toBe("identity_expired");
    expect(await check({ iat: NOW_S - 3599 }, 3600)).toBe("ok");
  });

  it("counts a token without iat from now, with the clock skew as slack", async () => {
    expect(await check({ e: NOW_S + 3600 + IDENTITY_CLOCK_SKEW_S }, 3600)).toBe("ok");
    expect(await check({ e: NOW_S + 3600 + IDENTITY_CLOCK_SKEW_S + 1 }, 3600)).toBe("identity_expired");
  });

  it("refuses an iat beyond the clock skew in the future", async () => {
    expect(await check({ iat: NOW_S + IDENTITY_CLOCK_SKEW_S, e: NOW_S + 600 })).toBe("ok");
    expect(await check({ iat: NOW_S + IDENTITY_CLOCK_SKEW_S + 1, e: NOW_S + 600 })).toBe("identity_expired");
  });

  it("refuses as unauthorized a token with no time, a non-number one, or e not after iat", async () => {
    for (const times of [
      {},
      { e: "soon" },
      { iat: null },
      { e: NOW_S + 60, iat: "x" },
      { iat: NOW_S, e: NOW_S },
    ])
      expect(await check(times), JSON.stringify(times)).toBe("unauthorized");
  });
});

describe("player key rotation in the rules", () => {
  const T0 = 1_000_000;
  const keyed = (issue: string, present: string | null): JoinProof => ({ issue, present, identified: false });

  it("a key-proven rejoin stores the newly issued hash; the presented one stops working", () => {
    const game = new BattleGame(battleConfig(), { startsAt: T0, endsAt: T0 + 60_000, endedAt: null });
    const first = value(game.planJoin("alice", "s1", T0, keyed("h1", null)));
    expect(first.keyHash).toBe("h1");
    const alice = game.applyJoin(first);

    const again = game.planJoin("ALICE", "s2", T0, keyed("h2", "h1"));
    expect(again).toMatchObject({ ok: true, value: { id: alice.id, isNew: false, keyHash: "h2" } });
    // Planning alone changes nothing (a plan whose write fails leaves the old key valid).
    expect(game.players.get(alice.id)?.keyHash).toBe("h1");
    game.applyJoin(value(again));
    expect(game.players.get(alice.id)?.keyHash).toBe("h2");

    expect(code(game.planJoin("alice", "s3", T0, keyed("h3", "h1")))).toBe("username_taken");
    expect(code(game.planJoin("alice", "s3", T0, keyed("h3", "h2")))).toBe("ok");
  });

  it("an identity rejoin keeps its hash (no player key)", () => {
    const game = new BattleGame(battleConfig({ identity: "operator" }), {
      startsAt: T0,
      endsAt: T0 + 60_000,
      endedAt: null,
    });
    const id: JoinProof = { issue: "acct-hash", present: "acct-hash", identified: true };
    const p = game.applyJoin(value(game.planJoin("Carol", "s1", T0, id)));
    expect(game.planJoin("Carol", "s2", T0, id)).toMatchObject({ ok: true, value: { keyHash: "acct-hash" } });
    expect(p.keyHash).toBe("acct-hash");
  });
});

describe("the SDK's key store", () => {
  it("stores the key of every join reply (first and rotated) and presents the latest", async () => {
    const storage = new Map<string, string>();
    const sent: unknown[] = [];
    let n = 0;
    const client = new ArenaClient({
      baseUrl: "http://arena.test",
      socketFactory: () => {
        throw new Error("not used");
      },
      playerKeys: new StorageKeyStore({
        getItem: (k) => storage.get(k) ?? null,
        setItem: (k, v) => void storage.set(k, v),
      }),
      fetch: async (_url, init) => {
        sent.push(JSON.parse(String(init?.body)));
        n++;
        const body = {
          participantId: 1,
          username: "bob",
          isNew: n === 1,
          token: "t",
          expiresAt: 0,
          wsUrl: "ws://x",
        };
        return new Response(JSON.stringify({ ...body, playerKey: `key-${n}` }), {
          status: n === 1 ? 201 : 200,
        });
      },
    });
    await client.join("b-1", "bob");
    await client.join("b-1", "bob");
    await client.join("b-1", "bob");
    expect(sent).toEqual([
      { username: "bob" },
      { username: "bob", playerKey: "key-1" },
      { username: "bob", playerKey: "key-2" },
    ]);
    expect(storage.get("arena:key:b-1:bob")).toBe("key-3");
  });
});
