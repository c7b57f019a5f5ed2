/** @module The Hono app: routes, the edge rate limit, and the one error handler. */
import { Hono } from "hono";
import { ErrorCode } from "../protocol/error-codes";
import { PROTOCOL_VERSION } from "../protocol/version";
import type { AppEnv } from "./env";
import { ApiError, errorResponse } from "./errors";
import { operatorRoutes } from "./operator-routes";
import { persistenceRoutes } from "./persistence-routes";
import { playerRoutes } from "./player-routes";
import { rateLimit } from "./rate-limit";
import { specRoutes } from "./spec-routes";

export const app = new Hono<AppEnv>()
  .get("/health", (c) => c.json({ ok: true, protocol: PROTOCOL_VERSION }))
  .use("/api/admin/*", rateLimit("API_LIMITER", 10))
  .route("/api/admin", operatorRoutes)
  .route("/api/admin", persistenceRoutes)
  .route("/api/battles", playerRoutes)
  .route("/api", specRoutes)
  .notFound(() => {
    throw new ApiError(404, ErrorCode.NOT_FOUND, "no such route");
  })
  .onError((e, c) => errorResponse(c, e));
