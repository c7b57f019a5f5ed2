/** @module Parsing untrusted frames into typed client messages; never throws. */
import { CLIENT_TYPES, ClientMessage, RequestId } from "./client-messages";
import { type ErrorBody, ErrorCode } from "./error-codes";
import { fastParse } from "./fast-parse";
import { utf8Length } from "./text";
import { MAX_FRAME_BYTES } from "./version";

export type ParseResult =
  | { readonly ok: true; readonly msg: ClientMessage }
  | { readonly ok: false; readonly id?: RequestId; readonly error: ErrorBody };

/** Whether `s` is over `max` UTF-8 bytes, by length first (n units are n..3n bytes), counted without encoding. */
function tooLarge(s: string, max: number): boolean {
  if (s.length > max) return true;
  return s.length * 3 > max && utf8Length(s) > max;
}

export function parseClientFrame(frame: string | ArrayBuffer, maxBytes = MAX_FRAME_BYTES): ParseResult {
  if (typeof frame !== "string") {
    return fail(ErrorCode.BAD_MESSAGE, "binary frames are not supported; send JSON text");
  }
  if (tooLarge(frame, maxBytes)) {
    return fail(ErrorCode.FRAME_TOO_LARGE, `frames are limited to ${maxBytes} bytes`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(frame);
  } catch {
    return fail(ErrorCode.BAD_JSON, "frame is not valid JSON");
  }
  return parseClientMessage(raw);
}

export function parseClientMessage(raw: unknown): ParseResult {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return fail(ErrorCode.BAD_MESSAGE, "a message is a JSON object with a `type`");
  }
  const obj = raw as Record<string, unknown>;
  const fast = fastParse(obj);
  if (fast !== null) return { ok: true, msg: fast };
  const idResult = RequestId.safeParse(obj.id);
  const id = idResult.success ? idResult.data : undefined;
  if (typeof obj.type !== "string" || !CLIENT_TYPES.has(obj.type)) {
    return fail(ErrorCode.UNKNOWN_TYPE, `unknown message type ${JSON.stringify(obj.type)}`, id);
  }
  const parsed = ClientMessage.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
    return fail(ErrorCode.BAD_MESSAGE, `${where}${issue?.message ?? "invalid message"}`, id);
  }
  return { ok: true, msg: parsed.data };
}

function fail(code: ErrorCode, message: string, id?: RequestId): ParseResult {
  return id === undefined
    ? { ok: false, error: { code, message } }
    : { ok: false, id, error: { code, message } };
}
