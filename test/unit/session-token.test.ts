import { describe, expect, it } from "vitest";
import { verifyIdentity } from "../../src/http/identity-token";
import { signSession, verifySession } from "../../src/http/session-token";
import { keyring, signToken } from "../../src/http/signed-token";

const claims = { b: "battle-1", p: 7, s: "sess", e: 2_000_000_000 };

describe("session tokens", () => {
  it("round-trips signed claims", async () => {
    const ring = keyring("k1");
    const token = await signSession(claims, ring);
    expect(await verifySession(token, ring, 1_000_000_000_000)).toEqual(claims);
  });

  it("refuses a wrong key, a tampered body, expiry and garbage", async () => {
    const ring = keyring("k1");
    const token = await signSession(claims, ring);
    expect(await verifySession(token, keyring("k2"), 0)).toBeNull();
    const [body, sig] = token.split(".");
    const forged = btoa(JSON.stringify({ ...claims, p: 8, k: "1" })).replace(/=+$/, "");
    expect(await verifySession(`${forged}.${sig}`, ring, 0)).toBeNull();
    expect(await verifySession(`${body}.${sig}`, ring, claims.e * 1000)).toBeNull();
    expect(await verifySession("not-a-token", ring, 0)).toBeNull();
    expect(await verifySession(".", ring, 0)).toBeNull();
    expect(await verifySession(`${"x".repeat(3000)}.${sig}`, ring, 0)).toBeNull();
  });

  it("rotates: a new key signs, tokens of keys in the grace list still verify, others do not", async () => {
    const before = keyring("old-secret", "1");
    const old = await signSession(claims, before);
    const rotated = keyring("new-secret", "2", "1:old-secret");
    expect(await verifySession(old, rotated, 0)).toEqual(claims);
    const fresh = await signSession(claims, rotated);
    expect(JSON.parse(atob(fresh.split(".")[0]!.replace(/-/g, "+").replace(/_/g, "/"))).k).toBe("2");
    expect(await verifySession(fresh, rotated, 0)).toEqual(claims);
    // Once the grace list drops kid 1, its tokens are refused; a token naming an unknown kid is refused.
    expect(await verifySession(old, keyring("new-secret", "2"), 0)).toBeNull();
    expect(await verifySession(await signToken(claims, keyring("new-secret", "9")), rotated, 0)).toBeNull();
    // A token signed with kid 2's secret but claiming kid 1 fails: the kid picks the secret.
    const lying = await signToken({ ...claims }, keyring("new-secret", "1"));
    expect(await verifySession(lying, rotated, 0)).toBeNull();
  });

  it("fails loudly on a malformed grace list", () => {
    expect(() => keyring("s", "2", "no-colon")).toThrow();
    expect(() => keyring("s", "2", "1:")).toThrow();
  });
});

describe("identity tokens", () => {
  const ring = keyring("operator-secret", "op1");
  const id = { b: "battle-1", sub: "acct-42", u: "Alice", e: 2_000_000_000 };

  it("accept the operator's signature for this battle until expiry", async () => {
    const token = await signToken(id, ring);
    // Ten minutes before expiry (a token without `iat` may expire at most the maximum lifetime from now).
    const now = (id.e - 600) * 1000;
    const code = (o: { ok: boolean; error?: { code: string } }) => (o.ok ? "ok" : o.error!.code);
    expect(await verifyIdentity(token, ring, "battle-1", now)).toEqual({ ok: true, value: id });
    expect(code(await verifyIdentity(token, ring, "battle-2", now))).toBe("unauthorized");
    expect(code(await verifyIdentity(token, ring, "battle-1", id.e * 1000))).toBe("identity_expired");
    expect(
      code(await verifyIdentity(await signToken(id, keyring("guess", "op1")), ring, "battle-1", now)),
    ).toBe("unauthorized");
    expect(code(await verifyIdentity(await signToken({ ...id, sub: "" }, ring), ring, "battle-1", now))).toBe(
      "unauthorized",
    );
    expect(code(await verifyIdentity(await signToken({ ...id, u: 5 }, ring), ring, "battle-1", now))).toBe(
      "unauthorized",
    );
  });
});
