/** @module Edge rate limits (Workers rate-limit binding), counted per client address (IPv6 per /64). */
import { createMiddleware } from "hono/factory";
import { ErrorCode } from "../protocol/error-codes";
import { addressKey, clientIp } from "./client-address";
import type { AppEnv } from "./env";
import { ApiError } from "./errors";

/** `RATE_LIMIT_EXEMPT_IPS`: comma-separated addresses (or IPv6 /64 keys) that skip the edge limits. */
function isExempt(env: Env, ip: string, key: string): boolean {
  const list: string = env.RATE_LIMIT_EXEMPT_IPS ?? "";
  return list !== "" && list.split(",").some((x) => x.trim() === ip || x.trim() === key);
}

/** The key a request is counted under, or undefined for an exempt address (passed on to the battle's join limit). */
export function limitedAddress(env: Env, req: Request): string | undefined {
  const ip = clientIp(req);
  const key = addressKey(ip);
  return isExempt(env, ip, key) ? undefined : key;
}

/** `periodSec` must match the binding's period in wrangler.toml: it is the `retryAfterMs` a refused caller gets. */
export function rateLimit(binding: "JOIN_LIMITER" | "API_LIMITER", periodSec: number) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const key = limitedAddress(c.env, c.req.raw);
    if (key !== undefined) {
      const { success } = await c.env[binding].limit({ key: `${binding}:${key}` });
      if (!success)
        throw new ApiError(
          429,
          ErrorCode.RATE_LIMITED,
          "too many requests from this address",
          periodSec * 1000,
        );
    }
    await next();
  });
}
