/** @module Signed player session tokens: {battle, participant, session, expiry}, signed with a key id (`k`). */
import { type Keyring, keyring, randomToken, signToken, verifyToken } from "./signed-token";

export interface SessionClaims {
  /** Battle id. */
  readonly b: string;
  /** Participant id. */
  readonly p: number;
  /** Session id; a rejoin with the same username issues a new one and the old token stops working. */
  readonly s: string;
  /** Expiry, epoch seconds. */
  readonly e: number;
  /** The player's shard in a sharded battle (absent: the battle's one object). `k` is the signing key's id. */
  readonly sh?: number;
}

/** `TOKEN_SECRET` signs (as key id `TOKEN_KID`, default "1"); `TOKEN_SECRETS_PREVIOUS` still verify. */
export function sessionKeyring(env: {
  readonly TOKEN_SECRET: string;
  readonly TOKEN_KID?: string;
  readonly TOKEN_SECRETS_PREVIOUS?: string;
}): Keyring {
  return keyring(env.TOKEN_SECRET, env.TOKEN_KID || "1", env.TOKEN_SECRETS_PREVIOUS ?? "");
}

export function signSession(claims: SessionClaims, ring: Keyring): Promise<string> {
  return signToken(claims, ring);
}

/** Returns the claims of a well-signed, unexpired token, otherwise null. */
export async function verifySession(
  token: string,
  ring: Keyring,
  nowMs: number,
): Promise<SessionClaims | null> {
  const c = await verifyToken(token, ring);
  if (
    !c ||
    typeof c.b !== "string" ||
    typeof c.p !== "number" ||
    typeof c.s !== "string" ||
    typeof c.e !== "number" ||
    c.e * 1000 <= nowMs ||
    (c.sh !== undefined && !(Number.isInteger(c.sh) && (c.sh as number) >= 0))
  )
    return null;
  return typeof c.sh === "number"
    ? { b: c.b, p: c.p, s: c.s, e: c.e, sh: c.sh }
    : { b: c.b, p: c.p, s: c.s, e: c.e };
}

export function newSessionId(): string {
  return randomToken(16);
}
