/**
 * @module Player identity tokens issued by the operator's own site (HMAC-SHA256 with an operator-held secret,
 * `IDENTITY_SECRETS`): they name the player of one battle, so events with accounts need no player keys.
 */
import { type Keyring, keyring, verifyToken } from "./signed-token";

export interface IdentityClaims {
  /** Battle id the token is for. */
  readonly b: string;
  /** The player's stable account id on the operator's site. */
  readonly sub: string;
  /** The username to play under. */
  readonly u: string;
  /** Expiry, epoch seconds. */
  readonly e: number;
}

/** `IDENTITY_SECRETS` is `kid:secret,kid:secret`; any listed key verifies. Null when none is configured. */
export function identityKeyring(list: string | undefined): Keyring | null {
  if (list === undefined || list.trim() === "") return null;
  const first = list.split(",")[0]?.trim() ?? "";
  const colon = first.indexOf(":");
  if (colon <= 0) throw new Error("IDENTITY_SECRETS is kid:secret,kid:secret");
  return keyring(first.slice(colon + 1), first.slice(0, colon), list);
}

/** The claims of a token signed by the operator's key, for `battleId`, unexpired, with a 1–256 char `sub`. */
export async function verifyIdentity(
  token: string,
  ring: Keyring,
  battleId: string,
  nowMs: number,
): Promise<IdentityClaims | null> {
  const c = await verifyToken(token, ring);
  if (
    !c ||
    c.b !== battleId ||
    typeof c.sub !== "string" ||
    c.sub.length < 1 ||
    c.sub.length > 256 ||
    typeof c.u !== "string" ||
    typeof c.e !== "number" ||
    c.e * 1000 <= nowMs
  )
    return null;
  return { b: c.b, sub: c.sub, u: c.u, e: c.e };
}
