/**
 * @module Queue messages of the persistence pipeline: a run of consecutive outbox events of one (battle, shard),
 * packed under the queue's limits (128 KB a message; `sendBatch` 100 messages / 256 KB), and their validation on
 * the consumer side (anything malformed is a poison message: retried, then dead-lettered).
 */
import { z } from "zod";
import type { BattleEvent } from "./events";

/** One outbox row: an event's seq and its stored JSON. */
export interface OutboxRow {
  readonly seq: number;
  readonly body: string;
}

/** On the wire: `e` is the JSON array `[[seq, event], …]` for seqs `f..t`, built from the stored strings. */
export interface EventMessage {
  readonly v: 1;
  readonly b: string;
  readonly s: number;
  readonly f: number;
  readonly t: number;
  readonly e: string;
}

/** Headroom under the 128 KB message limit for the envelope. */
export const MAX_MESSAGE_BYTES = 100_000;
export const MAX_BATCH_BYTES = 240_000;
export const MAX_BATCH_MESSAGES = 100;

const encoder = new TextEncoder();

/** Packs rows (consecutive seqs) into messages of at most MAX_MESSAGE_BYTES of events each. */
export function packMessages(battle: string, shard: number, rows: readonly OutboxRow[]): EventMessage[] {
  const out: EventMessage[] = [];
  let parts: string[] = [];
  let bytes = 0;
  let from = 0;
  let to = 0;
  const close = () => {
    if (parts.length > 0) out.push({ v: 1, b: battle, s: shard, f: from, t: to, e: `[${parts.join(",")}]` });
    parts = [];
    bytes = 0;
  };
  for (const r of rows) {
    const part = `[${r.seq},${r.body}]`;
    const size = encoder.encode(part).length + 1;
    if (parts.length > 0 && (bytes + size > MAX_MESSAGE_BYTES || r.seq !== to + 1)) close();
    if (parts.length === 0) from = r.seq;
    parts.push(part);
    bytes += size;
    to = r.seq;
  }
  close();
  return out;
}

/** Groups messages into `sendBatch` calls under its count and size limits. */
export function sendBatches(messages: readonly EventMessage[]): EventMessage[][] {
  const out: EventMessage[][] = [];
  let batch: EventMessage[] = [];
  let bytes = 0;
  for (const m of messages) {
    const size = m.e.length + m.b.length + 64;
    if (batch.length > 0 && (batch.length >= MAX_BATCH_MESSAGES || bytes + size > MAX_BATCH_BYTES)) {
      out.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(m);
    bytes += size;
  }
  if (batch.length > 0) out.push(batch);
  return out;
}

const int = z.number().int();
const nonneg = int.nonnegative();
const state = z.tuple([int, nonneg, nonneg, nonneg, nonneg]);
const status = z.enum(["scheduled", "live", "ended"]);
const EventSchema = z.discriminatedUnion("k", [
  z.object({
    k: z.literal("battle"),
    why: z.enum(["created", "scheduled", "started", "ended"]),
    at: nonneg,
    b: z.object({
      id: z.string().min(1).max(200),
      title: z.string().max(1000),
      status,
      startsAt: nonneg.nullable(),
      endsAt: nonneg.nullable(),
      durationMs: nonneg,
      maxPlayers: nonneg,
      createdAt: nonneg,
    }),
    v: z.record(z.string(), z.unknown()).optional(),
  }),
  z.object({
    k: z.literal("join"),
    p: nonneg,
    u: z.string().min(1).max(200),
    s: z.string(),
    at: nonneg,
    st: state,
  }),
  z.object({ k: z.literal("session"), p: nonneg, s: z.string(), at: nonneg }),
  z.object({ k: z.literal("state"), p: nonneg, at: nonneg, st: state }),
  z.object({
    k: z.literal("answer"),
    p: nonneg,
    q: z.string().min(1).max(200),
    n: nonneg,
    a: z.string(),
    c: z.union([z.literal(0), z.literal(1)]),
    pts: int,
    bo: int,
    at: nonneg,
    st: state,
  }),
  z.object({
    k: z.literal("attack"),
    p: nonneg,
    x: nonneg,
    bl: z.union([z.literal(0), z.literal(1)]),
    lost: nonneg,
    at: nonneg,
    st: state,
    xs: state,
    /** A cross-shard attack written by the target's shard: `st` is not the attacker's to take (see events.ts). */
    r: z.literal(1).optional(),
  }),
  z.object({
    k: z.literal("final"),
    total: nonneg,
    rows: z.array(z.tuple([nonneg, nonneg, z.string(), int, nonneg, nonneg, nonneg])),
  }),
]);

const Envelope = z.object({
  v: z.literal(1),
  b: z.string().min(1).max(200),
  s: nonneg,
  f: int.positive(),
  t: int.positive(),
  e: z.string(),
});

export interface SeqEvent {
  readonly seq: number;
  readonly ev: BattleEvent;
}

export interface ParsedMessage {
  readonly battle: string;
  readonly shard: number;
  readonly from: number;
  readonly to: number;
  readonly events: readonly SeqEvent[];
}

/** Validates a message body; an error string for anything malformed (seqs must be exactly `f..t`). */
export function parseMessage(body: unknown): ParsedMessage | string {
  const env = Envelope.safeParse(body);
  if (!env.success) return `bad envelope: ${env.error.issues[0]?.message ?? "invalid"}`;
  const { b, s, f, t, e } = env.data;
  let raw: unknown;
  try {
    raw = JSON.parse(e);
  } catch {
    return "events are not JSON";
  }
  if (!Array.isArray(raw) || raw.length !== t - f + 1) return "event count does not match the seq range";
  const events: SeqEvent[] = [];
  for (let i = 0; i < raw.length; i++) {
    const pair = raw[i] as unknown;
    if (!Array.isArray(pair) || pair[0] !== f + i) return `event ${i}: seq is not ${f + i}`;
    const ev = EventSchema.safeParse(pair[1]);
    if (!ev.success) return `event seq ${f + i}: ${ev.error.issues[0]?.message ?? "invalid"}`;
    events.push({ seq: f + i, ev: ev.data as BattleEvent });
  }
  return { battle: b, shard: s, from: f, to: t, events };
}
