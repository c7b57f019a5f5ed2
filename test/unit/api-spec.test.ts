/**
 * @module The published specs as documents: the OpenAPI document is valid OpenAPI 3.1 (a maintained validator),
 * every schema in it and in the protocol schema compiles with Ajv (strict), the request schemas are the routes'
 * own, and every error and close code the server can produce is in both documents and in the SDK's exports.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as sdk from "@arena/client";
import { Validator } from "@seriousme/openapi-schema-validator";
import Ajv2020 from "ajv/dist/2020";
import { describe, expect, expectTypeOf, it } from "vitest";
import { BattleInput } from "../../src/battle/config";
import { openApiDocument } from "../../src/http/openapi";
import { JoinBody } from "../../src/http/request-schemas";
import { ROUTES } from "../../src/http/route-specs";
import { AnswerBody, CloseCode, ErrorCode, HTTP_STATUS } from "../../src/protocol";
import { protocolSchemaDocument } from "../../src/protocol/protocol-schema";

const api = openApiDocument() as any;
const protocol = protocolSchemaDocument() as any;

describe("the OpenAPI document", () => {
  it("is valid OpenAPI 3.1", async () => {
    const result = await new Validator().validate(api);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(api.openapi).toBe("3.1.0");
    // The validator is not vacuous: an info without title and version is refused.
    expect((await new Validator().validate({ ...api, info: {} })).valid).toBe(false);
  });

  it("has a schema Ajv compiles (strict) for every component", () => {
    const ajv = new Ajv2020({ strict: true });
    const defs = JSON.parse(
      JSON.stringify(api.components.schemas).replaceAll("#/components/schemas/", "#/$defs/"),
    );
    ajv.addSchema({ $id: "urn:arena:api", $defs: defs });
    for (const name of Object.keys(defs))
      expect(ajv.getSchema(`urn:arena:api#/$defs/${name}`), name).toBeTypeOf("function");
  });

  it("lists every route of the table once, with its request schema from the route's validator", () => {
    const ops = Object.entries(api.paths).flatMap(([path, item]) =>
      Object.keys(item as object).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(new Set(ops).size).toBe(ROUTES.length);
    const bodies = Object.fromEntries(
      ROUTES.filter((r) => r.body).map((r) => [r.body!.name, r.body!.schema]),
    );
    // The same zod objects the handlers parse with, not copies.
    expect(bodies.BattleInput).toBe(BattleInput);
    expect(bodies.JoinBody).toBe(JoinBody);
    expect(bodies.AnswerBody).toBe(AnswerBody);
    const join = api.components.schemas.JoinBody;
    expect(join).toMatchObject({ type: "object", additionalProperties: false });
    expect(Object.keys(join.properties).sort()).toEqual(["identityToken", "playerKey", "username"]);
  });

  it("documents real statuses only, and every error code's status on some route", () => {
    const documented = new Set(ROUTES.flatMap((r) => r.errors));
    for (const route of ROUTES)
      for (const status of route.errors)
        expect(
          Object.values(HTTP_STATUS).includes(status) || status === 426,
          `${route.operationId} ${status}`,
        ).toBe(true);
    for (const code of Object.values(ErrorCode)) expect(documented, code).toContain(HTTP_STATUS[code]);
  });
});

describe("the protocol schema", () => {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  const validate = ajv.compile(protocol);
  const server =
    ajv.getSchema("#/$defs/ServerFrame") ?? ajv.compile({ ...protocol, $ref: "#/$defs/ServerFrame" });

  it("compiles (strict) and accepts both directions' frames", () => {
    expect(validate({ type: "answer", id: 1, questionId: "q1", answer: 2 })).toBe(true);
    expect(validate({ type: "ping" })).toBe(true);
    expect(validate({ type: "pong" })).toBe(true);
    expect(validate({ type: "closing", code: CloseCode.SUPERSEDED, reason: "superseded" })).toBe(true);
  });

  it("refuses frames off the protocol", () => {
    expect(validate({ type: "answer", id: 1, questionId: "q1" })).toBe(false);
    expect(validate({ type: "closing", code: 4999, reason: "?" })).toBe(false);
    expect(validate({ type: "reply", id: 1, ok: false, error: { code: "nope", message: "" } })).toBe(false);
    expect(validate({ type: "attacked" })).toBe(false);
    expect(server).toBeTypeOf("function");
  });

  it("names one schema per server frame type", () => {
    const frames = Object.keys(protocol.$defs).filter(
      (n) => n.endsWith("Frame") && !["ServerFrame", "ClientFrame"].includes(n),
    );
    const types = new Set(frames.map((n) => protocol.$defs[n].properties.type.const));
    expect([...types].sort()).toEqual(
      [
        "attacked",
        "battle",
        "closing",
        "error",
        "leaderboard",
        "pong",
        "presence",
        "reply",
        "welcome",
      ].sort(),
    );
  });
});

describe("error and close codes", () => {
  const errorCodes = Object.values(ErrorCode).sort();
  const closeCodes = Object.values(CloseCode).sort();
  const consts = (schema: any) => (schema.anyOf as { const: number }[]).map((s) => s.const).sort();

  it("every error code is in both documents and in the SDK", () => {
    expect([...api.components.schemas.ErrorCode.enum].sort()).toEqual(errorCodes);
    expect([...protocol.$defs.ErrorCode.enum].sort()).toEqual(errorCodes);
    expect(Object.values(sdk.ErrorCode).sort()).toEqual(errorCodes);
    expectTypeOf<sdk.ErrorCode>().toEqualTypeOf<ErrorCode>();
    expectTypeOf<sdk.ErrorBody["code"]>().toEqualTypeOf<ErrorCode>();
  });

  it("every close code is in both documents, with its meaning, and in the SDK", () => {
    expect(consts(protocol.$defs.CloseCode)).toEqual(closeCodes);
    expect(consts(api.components.schemas.CloseCode)).toEqual(closeCodes);
    for (const s of protocol.$defs.CloseCode.anyOf) expect(s.description.length).toBeGreaterThan(20);
    expect(Object.values(sdk.CloseCode).sort()).toEqual(closeCodes);
    expectTypeOf<sdk.CloseCode>().toEqualTypeOf<CloseCode>();
  });

  it("the server closes sockets only with codes of CloseCode (no bare numbers)", () => {
    // Every `close(…)` in the server's socket code names its code; a literal one must be a CloseCode value.
    const dir = join(__dirname, "../../src/battle");
    const literal = /(?:closeQuietly\([^,]+,|\.close\(|closeConnection\([^,]+,)\s*(\d{4})\b/g;
    const found: number[] = [];
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts")))
      for (const m of readFileSync(join(dir, file), "utf8").matchAll(literal)) found.push(Number(m[1]));
    for (const code of found) expect(closeCodes, `close code ${code}`).toContain(code);
  });
});
