/**
 * @module Compact HMAC-SHA256 tokens (`base64url(JSON claims).base64url(signature)`) with key ids, so a signing
 * secret can be rotated: new tokens are signed with the current key, tokens of listed older keys still verify.
 */
const encoder = new TextEncoder();
const keys = new Map<string, Promise<CryptoKey>>();

/** The secrets a token may be signed with, by key id; `current` signs new tokens. */
export interface Keyring {
  readonly current: { readonly kid: string; readonly secret: string };
  readonly byKid: ReadonlyMap<string, string>;
}

/**
 * A keyring from a current secret (`kid` default "1") and a grace list `"kid:secret,kid:secret"` of older ones.
 * Throws on a malformed list: a misconfigured rotation must fail loudly, not log everyone out.
 */
export function keyring(secret: string, kid = "1", previous = ""): Keyring {
  const byKid = new Map<string, string>();
  for (const entry of previous.split(",")) {
    const item = entry.trim();
    if (item === "") continue;
    const colon = item.indexOf(":");
    if (colon <= 0 || colon === item.length - 1) throw new Error("a key list is kid:secret,kid:secret");
    byKid.set(item.slice(0, colon), item.slice(colon + 1));
  }
  byKid.set(kid, secret);
  return { current: { kid, secret }, byKid };
}

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
      "verify",
    ]);
    keys.set(secret, key);
  }
  return key;
}

export function toBase64Url(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(s: string): Uint8Array<ArrayBuffer> | null {
  try {
    const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

/** Signs `claims` plus `k` (the current key id). */
export async function signToken(claims: object, ring: Keyring): Promise<string> {
  const body = toBase64Url(encoder.encode(JSON.stringify({ ...claims, k: ring.current.kid })));
  const sig = await crypto.subtle.sign("HMAC", await hmacKey(ring.current.secret), encoder.encode(body));
  return `${body}.${toBase64Url(new Uint8Array(sig))}`;
}

/**
 * The claims object of a token signed by a key of `ring` (by its `k`; a token without one is checked against the
 * current key), or null. Expiry and shape are the caller's to check. Constant-time via `subtle.verify`.
 */
export async function verifyToken(token: string, ring: Keyring): Promise<Record<string, unknown> | null> {
  if (token.length > 2048) return null;
  const dot = token.indexOf(".");
  if (dot <= 0) return null;
  const body = token.slice(0, dot);
  const raw = fromBase64Url(body);
  const sig = fromBase64Url(token.slice(dot + 1));
  if (!raw || !sig) return null;
  let claims: unknown;
  try {
    claims = JSON.parse(new TextDecoder().decode(raw));
  } catch {
    return null;
  }
  if (typeof claims !== "object" || claims === null || Array.isArray(claims)) return null;
  const c = claims as Record<string, unknown>;
  const secret =
    c.k === undefined ? ring.current.secret : typeof c.k === "string" ? ring.byKid.get(c.k) : undefined;
  if (secret === undefined) return null;
  const valid = await crypto.subtle.verify("HMAC", await hmacKey(secret), sig, encoder.encode(body));
  return valid ? c : null;
}

/** SHA-256 of `s`, base64url: what the battle object stores instead of a player key. */
export async function sha256(s: string): Promise<string> {
  return toBase64Url(new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(s))));
}

export function randomToken(bytes = 16): string {
  const b = new Uint8Array(bytes);
  crypto.getRandomValues(b);
  return toBase64Url(b);
}
