/** @module API errors: thrown where found, turned into `{error: {code, message}}` in one place. */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";
import type { Outcome } from "../battle/outcome";
import { type ErrorBody, ErrorCode, HTTP_STATUS } from "../protocol/error-codes";

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: ErrorCode,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }

  static from(body: ErrorBody): ApiError {
    return new ApiError(
      HTTP_STATUS[body.code] as ContentfulStatusCode,
      body.code,
      body.message,
      body.retryAfterMs,
    );
  }
}

/** Returns the value of an Outcome from the battle object, or throws it as an ApiError. */
export function unwrap<T>(outcome: Outcome<T>): T {
  if (!outcome.ok) throw ApiError.from(outcome.error);
  return outcome.value;
}

export function errorResponse(c: Context, e: unknown): Response {
  if (e instanceof ApiError) {
    const error: ErrorBody =
      e.retryAfterMs === undefined
        ? { code: e.code, message: e.message }
        : { code: e.code, message: e.message, retryAfterMs: e.retryAfterMs };
    if (e.retryAfterMs !== undefined)
      c.header("Retry-After", String(Math.max(1, Math.ceil(e.retryAfterMs / 1000))));
    return c.json({ error }, e.status);
  }
  console.error("Worker: unhandled error", e);
  return c.json({ error: { code: ErrorCode.INTERNAL, message: "internal error" } }, 500);
}

/** A body is at most this many characters (a battle of 1,000 questions in any script fits)… */
export const MAX_BODY_CHARS = 1_000_000;
/** …and this many bytes, counted from `Content-Length` and while reading (never read whole first). */
export const MAX_BODY_BYTES = 4_000_000;

const tooLarge = () =>
  new ApiError(413, ErrorCode.FRAME_TOO_LARGE, `bodies are limited to ${MAX_BODY_CHARS} characters`);

/** The body as text, refused with 413 as soon as it is known to be over the limits. */
async function readText(c: Context): Promise<string> {
  const declared = Number(c.req.header("Content-Length") ?? "");
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  const body = c.req.raw.body;
  if (body === null) return "";
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let bytes = 0;
  let text = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    if (bytes > MAX_BODY_BYTES) {
      await reader.cancel();
      throw tooLarge();
    }
    text += decoder.decode(value, { stream: true });
  }
  text += decoder.decode();
  if (text.length > MAX_BODY_CHARS) throw tooLarge();
  return text;
}

/** Reads and validates a JSON body; malformed JSON and schema failures become 400s with the reason. */
export async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  let raw: unknown;
  const text = await readText(c);
  try {
    raw = text === "" ? {} : JSON.parse(text);
  } catch {
    throw new ApiError(400, ErrorCode.BAD_JSON, "body is not valid JSON");
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
    throw new ApiError(400, ErrorCode.BAD_MESSAGE, `${where}${issue?.message ?? "invalid body"}`);
  }
  return parsed.data;
}
