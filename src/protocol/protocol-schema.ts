/**
 * @module The socket protocol as one JSON Schema (draft 2020-12) document, served at `/api/protocol.schema.json`:
 * `$defs.ClientFrame` is the zod schema the battle object parses frames with (`ClientMessage`, as its input),
 * `$defs.ServerFrame` every frame the server sends, `$defs.CloseCode` every close code with its meaning and
 * `$defs.ErrorCode` every error code. The root accepts any frame of either direction. Pure; built once per isolate.
 */
import { z } from "zod";
import { ClientMessage } from "./client-messages";
import { wireSchemas } from "./schemas";
import { MAX_FRAME_BYTES, PROTOCOL_VERSION } from "./version";

type Json = Record<string, unknown>;

/** Drops a standalone schema's `$schema` and `$id`: inside `$defs` they would start a new resource. */
function bare(schema: Json): Json {
  const { $schema: _s, $id: _i, ...rest } = schema;
  return rest;
}

/** The `$defs` names `schema` refers to, directly or through other `$defs`. */
function reachable(roots: readonly string[], all: Record<string, unknown>): Set<string> {
  const seen = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) for (const x of node) visit(x);
    else if (node !== null && typeof node === "object")
      for (const [k, v] of Object.entries(node)) {
        if (k === "$ref" && typeof v === "string" && v.startsWith("#/$defs/")) add(v.slice(8));
        else visit(v);
      }
  };
  const add = (id: string) => {
    if (seen.has(id) || !(id in all)) return;
    seen.add(id);
    visit(all[id]);
  };
  for (const id of roots) add(id);
  return seen;
}

export function protocolSchemaDocument(): Json {
  // The registry also holds the HTTP API's schemas (once `http/` is loaded): keep only what the frames use.
  const { schemas } = z.toJSONSchema(wireSchemas, { target: "draft-2020-12", uri: (id) => `#/$defs/${id}` });
  const defs: Record<string, Json> = {};
  for (const id of reachable(["ServerFrame", "CloseCode", "ErrorCode"], schemas))
    defs[id] = bare(schemas[id] as Json);
  defs.ClientFrame = {
    ...bare(z.toJSONSchema(ClientMessage, { target: "draft-2020-12", io: "input" }) as Json),
    description: `A JSON text frame of at most ${MAX_FRAME_BYTES} bytes; every request but ping has an id.`,
  };
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: `Arena socket protocol, version ${PROTOCOL_VERSION}`,
    description:
      "Frames of GET /api/battles/{id}/ws (docs/protocol.md): validate a client frame with #/$defs/ClientFrame, " +
      "a server frame with #/$defs/ServerFrame. Close codes: #/$defs/CloseCode; error codes: #/$defs/ErrorCode.",
    anyOf: [{ $ref: "#/$defs/ClientFrame" }, { $ref: "#/$defs/ServerFrame" }],
    $defs: defs,
  };
}
