/** @module Edge rate limits (Workers rate-limit binding), keyed by client IP. */
import { createMiddleware } from "hono/factory";
import { ErrorCode } from "../protocol/error-codes";
import type { AppEnv } from "./env";
import { ApiError } from "./errors";

export function clientIp(req: Request): string {
  return (
    req.headers.get("CF-Connecting-IP") ??
    req.headers.get("X-Forwarded-For")?.split(",")[0]?.trim() ??
    "unknown"
  );
}

function isExempt(env: Env, ip: string): boolean {
  const list: string = env.RATE_LIMIT_EXEMPT_IPS ?? "";
  return list !== "" && list.split(",").some((x) => x.trim() === ip);
}

export function rateLimit(binding: "JOIN_LIMITER" | "API_LIMITER", periodSec: number) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const ip = clientIp(c.req.raw);
    if (!isExempt(c.env, ip)) {
      const { success } = await c.env[binding].limit({ key: `${binding}:${ip}` });
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
