/**
 * @module Player identity tokens issued by the operator's own site (HMAC-SHA256 with an operator-held secret,
 * `IDENTITY_SECRETS`): they name the player of one battle, so events with accounts need no player keys. A token
 * lives at most `IDENTITY_MAX_LIFETIME_S` (24 h by default), so a leaked one cannot be replayed for the whole event.
 */
import { err, type Outcome, ok } from "../battle/outcome";
import { ErrorCode } from "../protocol/error-codes";
import { type Keyring, keyring, verifyToken } from "./signed-token";

export interface IdentityClaims {
  /** Battle id the token is for. */
  readonly b: string;
  /** The player's stable account id on the operator's site. */
  readonly sub: string;
  /** The username to play under. */
  readonly u: string;
  /** Expiry, epoch seconds: the token's `e`, or `iat` + the maximum lifetime when it has only `iat`. */
  readonly e: number;
  /** Issue time, epoch seconds, when the token carries one. */
  readonly iat?: number;
}

/** Default of `IDENTITY_MAX_LIFETIME_S`: an identity token may live at most 24 hours. */
export const DEFAULT_IDENTITY_MAX_LIFETIME_S = 86_400;
/** How far the operator's clock may run ahead of ours: an `iat` up to this far in the future is accepted. */
export const IDENTITY_CLOCK_SKEW_S = 60;

/** `IDENTITY_SECRETS` is `kid:secret,kid:secret`; any listed key verifies. Null when none is configured. */
export function identityKeyring(list: string | undefined): Keyring | null {
  if (list === undefined || list.trim() === "") return null;
  const first = list.split(",")[0]?.trim() ?? "";
  const colon = first.indexOf(":");
  if (colon <= 0) throw new Error("IDENTITY_SECRETS is kid:secret,kid:secret");
  return keyring(first.slice(colon + 1), first.slice(0, colon), list);
}

/** `IDENTITY_MAX_LIFETIME_S` as seconds: a positive number, else (unset or malformed) the 24 h default. */
export function identityMaxLifetime(value: string | undefined): number {
  const n = Number(value);
  return value !== undefined && value.trim() !== "" && Number.isFinite(n) && n > 0
    ? n
    : DEFAULT_IDENTITY_MAX_LIFETIME_S;
}

const time = (v: unknown): v is number | undefined =>
  v === undefined || (typeof v === "number" && Number.isFinite(v));

/**
 * The claims of a token signed by the operator's key, for `battleId`, with a 1–256 char `sub`, and within its
 * lifetime. It carries `e` (expiry), `iat` (issue time) or both, epoch seconds:
 * - past its expiry (`e`, else `iat` + `maxLifetimeS`) it is refused;
 * - an `iat` more than {@link IDENTITY_CLOCK_SKEW_S} ahead of `nowMs` is refused (issued in the future);
 * - with both, `e - iat` may be at most `maxLifetimeS`; with `e` alone, `e` may be at most `maxLifetimeS` (plus
 *   the skew) from now.
 * A forged, malformed or other battle's token is `unauthorized`; a genuine one outside those times is
 * `identity_expired` (both 401).
 */
export async function verifyIdentity(
  token: string,
  ring: Keyring,
  battleId: string,
  nowMs: number,
  maxLifetimeS: number = DEFAULT_IDENTITY_MAX_LIFETIME_S,
): Promise<Outcome<IdentityClaims>> {
  const c = await verifyToken(token, ring);
  if (
    !c ||
    c.b !== battleId ||
    typeof c.sub !== "string" ||
    c.sub.length < 1 ||
    c.sub.length > 256 ||
    typeof c.u !== "string" ||
    !time(c.e) ||
    !time(c.iat) ||
    (c.e === undefined && c.iat === undefined) ||
    (c.e !== undefined && c.iat !== undefined && c.e <= c.iat)
  )
    return err(ErrorCode.UNAUTHORIZED, "invalid identity token, or another battle's");
  const iat = c.iat as number | undefined;
  const e = (c.e as number | undefined) ?? (iat as number) + maxLifetimeS;
  if (e * 1000 <= nowMs) return err(ErrorCode.IDENTITY_EXPIRED, "the identity token has expired");
  if (iat !== undefined && iat * 1000 > nowMs + IDENTITY_CLOCK_SKEW_S * 1000)
    return err(ErrorCode.IDENTITY_EXPIRED, "the identity token is issued in the future (iat)");
  const lifetime = iat === undefined ? null : e - iat;
  if (
    lifetime === null
      ? e * 1000 - nowMs > (maxLifetimeS + IDENTITY_CLOCK_SKEW_S) * 1000
      : lifetime > maxLifetimeS
  )
    return err(
      ErrorCode.IDENTITY_EXPIRED,
      `the identity token lives longer than the maximum of ${maxLifetimeS} s` +
        (lifetime === null ? " from now" : ` (e - iat = ${lifetime} s)`),
    );
  return ok(iat === undefined ? { b: c.b, sub: c.sub, u: c.u, e } : { b: c.b, sub: c.sub, u: c.u, e, iat });
}
