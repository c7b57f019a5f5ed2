/**
 * @module Sizes in the unit the queue enforces, and events cut to fit them (pure). Outbox messages travel with
 * `contentType: "text"`: the body is our own JSON text, so its size is exactly its UTF-8 length (no V8 serializer
 * whose string width depends on the characters, no JSON-in-JSON escaping). Every event an object appends is at
 * most `MAX_EVENT_BYTES` of JSON, so one event always fits one message with its envelope: the two events that grow
 * with the battle (the ended battle's view with every question, the final standings) are cut into parts here.
 */
import { utf8Length } from "../protocol/text";
import type { BattleEvent, FinalRow } from "./events";

export { utf8Length };

/** Cloudflare Queues' limits: 128 KB a message, 256 KB and 100 messages a `sendBatch` (Miniflare: 128,000 B). */
export const QUEUE_MESSAGE_LIMIT = 128_000;
export const QUEUE_BATCH_LIMIT = 256_000;
/** What we allow ourselves, with a margin for the platform's per-message metadata. */
export const MAX_MESSAGE_BYTES = 120_000;
export const MAX_BATCH_BYTES = 240_000;
export const MAX_BATCH_MESSAGES = 100;
/** Room left in a message for its envelope (`{"v":2,"b":…,"s":…,"f":…,"t":…,"e":[…]}` and one `[seq,…]`). */
export const ENVELOPE_BYTES = 1_000;
/** Hard ceiling of one event's JSON: above it `Outbox.append` refuses (a bug, caught by the tests). */
export const MAX_EVENT_BYTES = MAX_MESSAGE_BYTES - ENVELOPE_BYTES;
/** The parts of a split event aim at this (several fit one message; a single question is always below it). */
export const EVENT_PART_BYTES = 48_000;
/** Final standings rows per event, at most (whatever their size). */
export const FINAL_CHUNK = 500;

/** Bytes of `s` as UTF-8, counting only when it could matter (ASCII-length × 3 bounds it). */
export function fits(s: string, max: number): boolean {
  return s.length * 3 <= max || utf8Length(s) <= max;
}

/** Cuts `items` into runs whose JSON (each item's size from `size`) stays under `max` bytes, `maxCount` items. */
function runs<T>(items: readonly T[], size: (t: T) => number, max: number, maxCount: number): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  let bytes = 0;
  for (const it of items) {
    const n = size(it) + 1;
    if (cur.length > 0 && (bytes + n > max || cur.length >= maxCount)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(it);
    bytes += n;
  }
  if (cur.length > 0 || out.length === 0) out.push(cur);
  return out;
}

/** The final standings as `final` events of at most FINAL_CHUNK rows and EVENT_PART_BYTES each (one if empty). */
export function finalEvents(rows: readonly FinalRow[]): BattleEvent[] {
  return runs(rows, (r) => utf8Length(JSON.stringify(r)), EVENT_PART_BYTES, FINAL_CHUNK).map((part) => ({
    k: "final",
    total: rows.length,
    rows: part,
  }));
}

/**
 * The events to append for `event`: itself when it fits, else its parts. The ended battle's view always goes without
 * its questions (`qn` says how many), followed by `questions` events carrying them in order from index `i`, so the
 * sinks have one way to store them whatever their size.
 */
export function sizedEvents(event: BattleEvent): BattleEvent[] {
  if (event.k === "battle" && event.v && event.v.questions.length > 0) {
    const questions = event.v.questions;
    const out: BattleEvent[] = [{ ...event, v: { ...event.v, questions: [] }, qn: questions.length }];
    let i = 0;
    for (const part of runs(questions, (q) => utf8Length(JSON.stringify(q)), EVENT_PART_BYTES, 1_000)) {
      out.push({ k: "questions", i, q: part });
      i += part.length;
    }
    return out;
  }
  if (event.k === "final" && !fits(JSON.stringify(event), EVENT_PART_BYTES)) {
    return runs(event.rows, (r) => utf8Length(JSON.stringify(r)), EVENT_PART_BYTES, FINAL_CHUNK).map(
      (rows) => ({ k: "final", total: event.total, rows }),
    );
  }
  return [event];
}
