/** @module Authentication middleware: the operator's bearer token and the players' signed session tokens. */
import { createMiddleware } from "hono/factory";
import { ErrorCode } from "../protocol/error-codes";
import type { AppEnv } from "./env";
import { ApiError } from "./errors";
import { sessionKeyring, verifySession } from "./session-token";

function bearer(header: string | undefined): string | null {
  const m = header?.match(/^Bearer\s+(\S+)$/i);
  return m?.[1] ?? null;
}

/** Constant-time string comparison, so the token cannot be guessed byte by byte from timings. */
function sameSecret(a: string, b: string): boolean {
  const enc = new TextEncoder();
  const x = enc.encode(a);
  const y = enc.encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

export const requireOperator = createMiddleware<AppEnv>(async (c, next) => {
  const expected = c.env.OPERATOR_TOKEN;
  if (!expected) throw new ApiError(500, ErrorCode.INTERNAL, "OPERATOR_TOKEN is not configured");
  const token = bearer(c.req.header("Authorization"));
  if (token === null || !sameSecret(token, expected)) {
    throw new ApiError(401, ErrorCode.UNAUTHORIZED, "operator bearer token required");
  }
  await next();
});

/**
 * Player token from `Authorization: Bearer` or, on the WebSocket upgrade only (browsers cannot set headers there),
 * `?token=`. Every other route refuses a token in the query, so tokens do not end up in access logs.
 */
export const requirePlayer = createMiddleware<AppEnv>(async (c, next) => {
  const fromQuery = c.req.path.endsWith("/ws") ? c.req.query("token") : undefined;
  const token = bearer(c.req.header("Authorization")) ?? fromQuery ?? null;
  if (token === null) throw new ApiError(401, ErrorCode.UNAUTHORIZED, "player token required");
  const claims = await verifySession(token, sessionKeyring(c.env), Date.now());
  if (!claims || claims.b !== c.req.param("id")) {
    throw new ApiError(401, ErrorCode.UNAUTHORIZED, "invalid or expired player token");
  }
  c.set("session", claims);
  await next();
});
