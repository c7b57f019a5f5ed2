/**
 * @module The contract check of the e2e tests: every HTTP exchange is matched to its operation in the published
 * OpenAPI document (path template, method, status) and its body validated with Ajv against the declared schema
 * (a successful call's request too: path id, query and body); every frame the server sends is validated against
 * `#/$defs/ServerFrame` of the protocol schema. The documents are built from `src/` as the Worker builds them
 * (`api-contract.test.ts` checks the served ones are the same). Records which operations matched, by status.
 */
import Ajv2020, { type ValidateFunction } from "ajv/dist/2020";
import { openApiDocument } from "../../src/http/openapi";
import { protocolSchemaDocument } from "../../src/protocol/protocol-schema";

type Json = Record<string, any>;

export const OPENAPI: Json = openApiDocument();
export const PROTOCOL: Json = protocolSchemaDocument();

const API_ID = "urn:arena:openapi";
const PROTOCOL_ID = "urn:arena:protocol";

/** Strict Ajv: a schema Ajv finds ambiguous or unknown keywords in fails here, as it would for a client. */
function newAjv(coerceTypes: boolean): Ajv2020 {
  const ajv = new Ajv2020({ strict: true, allErrors: true, coerceTypes });
  // The OpenAPI components as one JSON Schema resource whose `$defs` are the components (refs rewritten).
  const defs = JSON.parse(
    JSON.stringify(OPENAPI.components.schemas).replaceAll("#/components/schemas/", "#/$defs/"),
  );
  ajv.addSchema({ $id: API_ID, $defs: defs });
  ajv.addSchema({ ...PROTOCOL, $id: PROTOCOL_ID });
  return ajv;
}
const ajv = newAjv(false);
/** Query strings and path ids arrive as text: validated with coercion (`"20"` is an integer 20). */
const ajvText = newAjv(true);

/** A validator for a `{$ref: "#/components/schemas/X"}` or an inline schema. */
function compile(schema: Json, a = ajv): ValidateFunction {
  if (typeof schema.$ref === "string" && schema.$ref.startsWith("#/components/schemas/"))
    return a.getSchema(`${API_ID}#/$defs/${schema.$ref.slice("#/components/schemas/".length)}`)!;
  return a.compile(schema);
}

export const serverFrame = ajv.getSchema(`${PROTOCOL_ID}#/$defs/ServerFrame`)!;
export const clientFrame = ajv.getSchema(`${PROTOCOL_ID}#/$defs/ClientFrame`)!;

interface Operation {
  readonly method: string;
  readonly template: string;
  readonly pattern: RegExp;
  readonly op: Json;
}

const OPERATIONS: Operation[] = Object.entries(OPENAPI.paths as Json).flatMap(([template, item]) =>
  Object.entries(item as Json).map(([method, op]) => ({
    method,
    template,
    pattern: new RegExp(`^${template.replace(/\{id\}/g, "([^/]+)")}$`),
    op: op as Json,
  })),
);

/** `operationId status` of every exchange that matched the spec, in this test file. */
export const matched = new Set<string>();
/** The `type` of every server frame that validated (which kinds of frame the tests saw). */
export const frameTypes = new Set<string>();
/** Problems found in frames (they arrive in socket callbacks; the e2e helpers fail the test after it). */
export const frameProblems: string[] = [];

const describeErrors = (v: ValidateFunction) =>
  (v.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`).join("; ");

export interface Exchange {
  readonly method: string;
  /** Path and query, as requested. */
  readonly path: string;
  readonly requestBody?: unknown;
  readonly status: number;
  readonly contentType: string;
  /** The response's text. */
  readonly body: string;
}

/** The problems of one HTTP exchange against the OpenAPI document (empty: it matches). */
export function checkExchange(x: Exchange): string[] {
  const url = new URL(x.path, "http://arena.invalid");
  const method = x.method.toLowerCase();
  // A literal path (`/api/admin/battles`) wins over a template that would also match it.
  const candidates = OPERATIONS.filter((o) => o.method === method && o.pattern.test(url.pathname));
  const found = candidates.find((o) => !o.template.includes("{")) ?? candidates[0];
  const where = `${x.method} ${url.pathname} → ${x.status}`;
  if (!found) return [`${where}: no such operation in the OpenAPI document`];
  const { op } = found;
  const spec = op.responses[String(x.status)] as Json | undefined;
  if (!spec) return [`${where}: status ${x.status} is not a documented response of ${op.operationId}`];
  const problems: string[] = [];
  const content = spec.content as Json | undefined;
  if (!content) {
    if (x.body !== "") problems.push(`${where}: a body where the spec has none`);
  } else {
    const [type, media] = Object.entries(content)[0] as [string, Json];
    if (!x.contentType.startsWith(type.split(";")[0]!))
      problems.push(`${where}: content type ${x.contentType}, the spec says ${type}`);
    else if (type === "application/json") {
      let body: unknown;
      try {
        body = JSON.parse(x.body);
      } catch {
        problems.push(`${where}: the body is not JSON`);
      }
      const validate = compile(media.schema);
      if (body !== undefined && !validate(body))
        problems.push(`${where}: response body: ${describeErrors(validate)} in ${x.body.slice(0, 300)}`);
    }
  }
  // A request the server accepted must be one the spec accepts (path id, query, body).
  if (x.status < 300) problems.push(...checkRequest(found, url, x.requestBody, where));
  if (problems.length === 0) matched.add(`${op.operationId} ${x.status}`);
  return problems;
}

function checkRequest(found: Operation, url: URL, body: unknown, where: string): string[] {
  const problems: string[] = [];
  const params = (found.op.parameters ?? []) as Json[];
  const id = found.pattern.exec(url.pathname)?.[1];
  const values: Json = {};
  const properties: Json = {};
  const required: string[] = [];
  for (const p of params) {
    if (p.in === "header") continue;
    properties[p.name] = p.schema;
    if (p.required) required.push(p.name);
    const v =
      p.in === "path"
        ? id === undefined
          ? undefined
          : decodeURIComponent(id)
        : url.searchParams.get(p.name);
    if (v !== undefined && v !== null) values[p.name] = v;
  }
  const validate = compile({ type: "object", properties, required }, ajvText);
  if (!validate(values)) problems.push(`${where}: request parameters: ${describeErrors(validate)}`);
  const requestBody = found.op.requestBody as Json | undefined;
  if (requestBody) {
    const v = compile(requestBody.content["application/json"].schema);
    if (!v(body ?? {})) problems.push(`${where}: request body: ${describeErrors(v)}`);
  } else if (body !== undefined && JSON.stringify(body) !== "{}")
    problems.push(`${where}: a request body where the spec has none`);
  return problems;
}

/** The per-frame schemas (`WelcomeFrame`, …) whose `type` is `type`: a refusal is explained by the closest one. */
function frameSchemas(type: unknown): ValidateFunction[] {
  return Object.entries(PROTOCOL.$defs as Json)
    .filter(([name, s]) => name.endsWith("Frame") && (s as Json).properties?.type?.const === type)
    .map(([name]) => ajv.getSchema(`${PROTOCOL_ID}#/$defs/${name}`)!);
}

/** The problems of one frame the server sent (as text). */
export function checkServerFrame(text: string): string[] {
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch {
    return [`a server frame is not JSON: ${text.slice(0, 200)}`];
  }
  if (!serverFrame(frame)) {
    const type = (frame as Json | null)?.type;
    const closest = frameSchemas(type)
      .map((v) => (v(frame) ? [] : describeErrors(v)))
      .sort((a, b) => a.length - b.length)[0];
    const why = closest === undefined ? `no frame has type ${JSON.stringify(type)}` : closest;
    return [`server frame: ${why || describeErrors(serverFrame)} in ${text.slice(0, 300)}`];
  }
  frameTypes.add((frame as { type: string }).type);
  return [];
}

/** Every operation of the document, by `operationId`. */
export const operationIds = (): string[] => OPERATIONS.map((o) => o.op.operationId as string);
