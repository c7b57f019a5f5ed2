/**
 * @module The published specs: `GET /api/openapi.json` (the HTTP API, OpenAPI 3.1) and `GET /api/protocol.schema.json`
 * (the socket frames, JSON Schema 2020-12). Each is generated from the zod schemas on its first request in an isolate
 * and kept as text; nothing of it runs on any other route.
 */
import { Hono } from "hono";
import { protocolSchemaDocument } from "../protocol/protocol-schema";
import type { AppEnv } from "./env";
import { openApiDocument } from "./openapi";
import { rateLimit } from "./rate-limit";

const cached = new Map<string, string>();
function once(key: string, build: () => unknown): string {
  let text = cached.get(key);
  if (text === undefined) {
    text = JSON.stringify(build());
    cached.set(key, text);
  }
  return text;
}

/** The documents change only with a deploy: caches may keep them a few minutes. */
const HEADERS = { "Content-Type": "application/json; charset=UTF-8", "Cache-Control": "public, max-age=300" };

// The edge limit per route: a bare `.use` here would run for every path under `/api`, where this is mounted.
export const specRoutes = new Hono<AppEnv>()
  .get("/openapi.json", rateLimit("API_LIMITER", 10), (c) =>
    c.body(once("openapi", openApiDocument), 200, HEADERS),
  )
  .get("/protocol.schema.json", rateLimit("API_LIMITER", 10), (c) =>
    c.body(once("protocol", protocolSchemaDocument), 200, HEADERS),
  );
