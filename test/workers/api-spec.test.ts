/**
 * @module The specs as the Worker serves them: `GET /api/openapi.json` and `GET /api/protocol.schema.json` are the
 * generated documents (cacheable), and the route table they come from lists exactly the routes the Hono app serves.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { app } from "../../src/http/app";
import { openApiDocument } from "../../src/http/openapi";
import { ROUTES } from "../../src/http/route-specs";
import { protocolSchemaDocument } from "../../src/protocol/protocol-schema";
import { freshIp } from "./helpers";

async function get(path: string) {
  const res = await SELF.fetch(`http://arena.test${path}`, { headers: { "CF-Connecting-IP": freshIp() } });
  return { res, json: (await res.json()) as Record<string, unknown> };
}

describe("published specs", () => {
  it("serves the OpenAPI document generated from the route table", async () => {
    const { res, json } = await get("/api/openapi.json");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(res.headers.get("cache-control")).toContain("max-age");
    expect(json).toEqual(openApiDocument());
    // Built once: a second request gets the same text.
    expect((await get("/api/openapi.json")).json).toEqual(json);
  });

  it("serves the protocol schema", async () => {
    const { res, json } = await get("/api/protocol.schema.json");
    expect(res.status).toBe(200);
    expect(json).toEqual(protocolSchemaDocument());
    expect(Object.keys(json.$defs as object)).toEqual(expect.arrayContaining(["ClientFrame", "ServerFrame"]));
  });

  it("documents exactly the routes the app serves", () => {
    const served = app.routes
      .filter((r) => r.method !== "ALL")
      .map((r) => `${r.method} ${r.path.replace(/:id\b/g, "{id}")}`);
    const documented = ROUTES.map((r) => `${r.method.toUpperCase()} ${r.path}`);
    expect([...new Set(served)].sort()).toEqual([...documented].sort());
  });
});
