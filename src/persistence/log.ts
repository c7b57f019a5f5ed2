/**
 * @module Structured logs of the persistence pipeline: one JSON line per event with `level`, `event` and the fields
 * given (numbers stay numbers; an error `cause` becomes its name, code and message). They read well in
 * `wrangler tail` and Workers Logs. Callers never pass tokens or keys: events, seqs and sink errors only.
 */

type Fields = Record<string, unknown>;

function causeOf(e: unknown): unknown {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return { name: e.name, message: e.message, ...(code !== undefined ? { code } : {}) };
  }
  return e;
}

function line(level: "info" | "warn" | "error", event: string, fields: Fields): string {
  const out: Fields = { level, event };
  for (const [k, v] of Object.entries(fields)) out[k] = k === "cause" ? causeOf(v) : v;
  return JSON.stringify(out);
}

export const log = {
  info: (event: string, fields: Fields = {}) => console.log(line("info", event, fields)),
  warn: (event: string, fields: Fields = {}) => console.warn(line("warn", event, fields)),
  error: (event: string, fields: Fields = {}) => console.error(line("error", event, fields)),
};

/** A stable event name from a log message: lower case words joined by `_`, numbers and punctuation dropped. */
export function logEvent(message: string): string {
  return (
    message
      .toLowerCase()
      .replace(/[^a-z]+/g, "_")
      .replace(/^_+|_+$/g, "") || "battle_log"
  );
}
