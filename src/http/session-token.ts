/** @module Signed player session tokens: HMAC-SHA256 over {battle, participant, session, expiry}. */
export interface SessionClaims {
  /** Battle id. */
  readonly b: string;
  /** Participant id. */
  readonly p: number;
  /** Session id; a rejoin with the same username issues a new one and the old token stops working. */
  readonly s: string;
  /** Expiry, epoch seconds. */
  readonly e: number;
}

const encoder = new TextEncoder();
const keys = new Map<string, Promise<CryptoKey>>();

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

function toBase64Url(bytes: Uint8Array): string {
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

export async function signSession(claims: SessionClaims, secret: string): Promise<string> {
  const body = toBase64Url(encoder.encode(JSON.stringify(claims)));
  const sig = await crypto.subtle.sign("HMAC", await hmacKey(secret), encoder.encode(body));
  return `${body}.${toBase64Url(new Uint8Array(sig))}`;
}

/** Returns the claims of a well-signed, unexpired token, otherwise null. Constant-time via `subtle.verify`. */
export async function verifySession(
  token: string,
  secret: string,
  nowMs: number,
): Promise<SessionClaims | null> {
  const dot = token.indexOf(".");
  if (dot <= 0 || token.length > 1024) return null;
  const body = token.slice(0, dot);
  const sig = fromBase64Url(token.slice(dot + 1));
  if (!sig) return null;
  const valid = await crypto.subtle.verify("HMAC", await hmacKey(secret), sig, encoder.encode(body));
  if (!valid) return null;
  const raw = fromBase64Url(body);
  if (!raw) return null;
  let claims: unknown;
  try {
    claims = JSON.parse(new TextDecoder().decode(raw));
  } catch {
    return null;
  }
  if (!isClaims(claims) || claims.e * 1000 <= nowMs) return null;
  return claims;
}

function isClaims(x: unknown): x is SessionClaims {
  if (typeof x !== "object" || x === null) return false;
  const c = x as Record<string, unknown>;
  return (
    typeof c.b === "string" && typeof c.p === "number" && typeof c.s === "string" && typeof c.e === "number"
  );
}

export function newSessionId(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return toBase64Url(bytes);
}
