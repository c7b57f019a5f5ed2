import { describe, expect, it } from "vitest";
import { signSession, verifySession } from "../../src/http/session-token";

const claims = { b: "battle-1", p: 7, s: "sess", e: 2_000_000_000 };

describe("session tokens", () => {
  it("round-trips signed claims", async () => {
    const token = await signSession(claims, "k1");
    expect(await verifySession(token, "k1", 1_000_000_000_000)).toEqual(claims);
  });

  it("refuses a wrong key, a tampered body, expiry and garbage", async () => {
    const token = await signSession(claims, "k1");
    expect(await verifySession(token, "k2", 0)).toBeNull();
    const [body, sig] = token.split(".");
    const forged = btoa(JSON.stringify({ ...claims, p: 8 })).replace(/=+$/, "");
    expect(await verifySession(`${forged}.${sig}`, "k1", 0)).toBeNull();
    expect(await verifySession(`${body}.${sig}`, "k1", claims.e * 1000)).toBeNull();
    expect(await verifySession("not-a-token", "k1", 0)).toBeNull();
    expect(await verifySession(".", "k1", 0)).toBeNull();
  });
});
