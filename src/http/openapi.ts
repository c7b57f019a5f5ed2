/**
 * @module The OpenAPI 3.1 document of the HTTP API, built from the route table (`route-specs.ts`): request schemas
 * are the zod objects the handlers validate with (as JSON Schema of their input), responses the schemas of
 * `wireSchemas`. Pure; the Worker builds it once per isolate, on the first request for it.
 */
import { z } from "zod";
import { ErrorCode, HTTP_STATUS, PROTOCOL_VERSION } from "../protocol";
import { ErrorResponseSchema, wireSchemas } from "../protocol/schemas";
import { type ResponseSpec, ROUTES, type RouteSpec } from "./route-specs";

type Json = Record<string, unknown>;

const TARGET = "draft-2020-12" as const;
const COMPONENTS = "#/components/schemas/";

/** A standalone JSON Schema without its `$schema` and `$id` (they belong to the document, not a component). */
function bare(schema: Json): Json {
  const { $schema: _s, $id: _i, ...rest } = schema;
  return rest;
}

/** Every named response and frame schema, as `components.schemas`, referring to each other by `$ref`. */
export function wireComponents(uri: (id: string) => string): Record<string, Json> {
  const { schemas } = z.toJSONSchema(wireSchemas, { target: TARGET, uri });
  return Object.fromEntries(Object.entries(schemas).map(([id, s]) => [id, bare(s as Json)]));
}

/** The JSON Schema of what a request schema accepts (its input: defaults optional, coercions as their target). */
export function inputSchema(schema: z.ZodType): Json {
  return bare(z.toJSONSchema(schema, { target: TARGET, io: "input" }) as Json);
}

const ref = (schema: z.ZodType): Json => {
  const id = wireSchemas.get(schema)?.id;
  if (id === undefined) throw new Error("a response schema must be registered in wireSchemas");
  return { $ref: `${COMPONENTS}${id}` };
};

/** The error codes each status carries (`HTTP_STATUS`), for the error responses' descriptions. */
function codesOf(status: number): string {
  const codes = Object.values(ErrorCode).filter((c) => HTTP_STATUS[c] === status);
  if (status === 426) return "bad_message (not a WebSocket upgrade)";
  return codes.length > 0 ? codes.join(", ") : "see ErrorCode";
}

function response(spec: ResponseSpec): Json {
  const out: Json = { description: spec.description };
  if (spec.headers)
    out.headers = Object.fromEntries(
      Object.entries(spec.headers).map(([h, d]) => [h, { description: d, schema: { type: "string" } }]),
    );
  if (spec.schema) out.content = { "application/json": { schema: ref(spec.schema) } };
  else if (spec.text) out.content = { [spec.text]: { schema: { type: "string" } } };
  else if (spec.document) out.content = { "application/json": { schema: { type: "object" } } };
  return out;
}

function parameters(route: RouteSpec): Json[] {
  const out: Json[] = [];
  if (route.id !== undefined)
    out.push({
      name: "id",
      in: "path",
      required: true,
      schema: route.id === "any" ? { type: "string" } : { type: "string", pattern: route.id.source },
    });
  for (const [name, field] of Object.entries(route.query?.shape ?? {})) {
    const schema = inputSchema(field as z.ZodType);
    out.push({ name, in: "query", required: !(field as z.ZodType).safeParse(undefined).success, schema });
  }
  for (const [name, description] of Object.entries(route.queryStrings ?? {}))
    out.push({ name, in: "query", required: false, description, schema: { type: "string" } });
  for (const [name, description] of Object.entries(route.headers ?? {}))
    out.push({ name, in: "header", required: false, description, schema: { type: "string" } });
  return out;
}

function operation(route: RouteSpec): Json {
  const op: Json = { operationId: route.operationId, summary: route.summary, tags: [route.auth] };
  if (route.auth !== "none") op.security = [{ [route.auth]: [] }];
  const params = parameters(route);
  if (params.length > 0) op.parameters = params;
  if (route.body)
    op.requestBody = {
      required: true,
      content: { "application/json": { schema: { $ref: `${COMPONENTS}${route.body.name}` } } },
    };
  const responses: Json = {};
  for (const [status, spec] of Object.entries(route.responses)) responses[status] = response(spec);
  for (const status of route.errors)
    responses[String(status)] = {
      description: codesOf(status),
      content: { "application/json": { schema: ref(ErrorResponseSchema) } },
    };
  op.responses = responses;
  return op;
}

/** The whole document (a fresh object each call; the Worker keeps its JSON text). */
export function openApiDocument(): Json {
  const schemas = wireComponents((id) => `${COMPONENTS}${id}`);
  const paths: Record<string, Json> = {};
  for (const route of ROUTES) {
    if (route.body) schemas[route.body.name] = inputSchema(route.body.schema);
    paths[route.path] = { ...paths[route.path], [route.method]: operation(route) };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Arena HTTP API",
      version: `protocol-${PROTOCOL_VERSION}`,
      description:
        "Generated from the zod schemas that validate each request (docs/api.md). The socket protocol: " +
        "/api/protocol.schema.json (docs/protocol.md).",
    },
    jsonSchemaDialect: "https://spec.openapis.org/oas/3.1/dialect/base",
    servers: [{ url: "/" }],
    tags: [
      { name: "none", description: "Anyone" },
      { name: "operator", description: "The operator (bearer token)" },
      { name: "player", description: "A joined player (session token)" },
    ],
    paths,
    components: {
      schemas,
      securitySchemes: {
        operator: { type: "http", scheme: "bearer", description: "OPERATOR_TOKEN" },
        player: {
          type: "http",
          scheme: "bearer",
          description: "The session token of a join (the socket upgrade also takes it as ?token=)",
        },
      },
    },
  };
}
