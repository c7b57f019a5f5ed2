/**
 * @module Queue messages of the persistence pipeline: a run of consecutive outbox events of one (battle, shard),
 * packed under the queue's limits (128 KB a message; `sendBatch` 100 messages / 256 KB) counted exactly in the unit
 * the queue enforces (the UTF-8 bytes of a text body), and their validation on the consumer side (anything
 * malformed is a poison message: retried, then dead-lettered).
 */
import { z } from "zod";
import { MAX_BATCH_BYTES, MAX_BATCH_MESSAGES, MAX_MESSAGE_BYTES, utf8Length } from "./event-size";
import type { BattleEvent } from "./events";

/** One outbox row: an event's seq and its stored JSON. */
export interface OutboxRow {
  readonly seq: number;
  readonly body: string;
}

/**
 * One queue message: the events of seqs `f..t` of one (battle, shard). `body` is what is sent, with
 * `contentType: "text"`: `{"v":2,"b":battle,"s":shard,"f":f,"t":t,"e":[[seq,event],…]}`, built from the stored
 * strings; `bytes` is its exact UTF-8 length, the unit the queue limits (src/persistence/event-size.ts).
 */
export interface EventMessage {
  readonly f: number;
  readonly t: number;
  readonly body: string;
  readonly bytes: number;
}

/** The content type every event message is sent with (the queue then counts exactly `bytes`). */
export const MESSAGE_CONTENT_TYPE = "text";

/**
 * Packs rows (consecutive seqs) into messages of at most MAX_MESSAGE_BYTES each, counted exactly. A row that could
 * never fit (the outbox refuses such events, so only a corrupted store) throws rather than loop on a refused send.
 */
export function packMessages(
  battle: string,
  shard: number,
  rows: readonly OutboxRow[],
  incarnation = "",
): EventMessage[] {
  const out: EventMessage[] = [];
  const inc = incarnation === "" ? "" : `"i":${JSON.stringify(incarnation)},`;
  const head = (f: number, t: number) =>
    `{"v":2,"b":${JSON.stringify(battle)},${inc}"s":${shard},"f":${f},"t":${t},"e":[`;
  // The envelope's length with the largest seqs this call can put in it.
  const last = rows.length > 0 ? rows[rows.length - 1]!.seq : 0;
  const envelope = utf8Length(head(last, last)) + 2;
  let parts: string[] = [];
  let bytes = envelope;
  let from = 0;
  let to = 0;
  const close = () => {
    if (parts.length === 0) return;
    const body = `${head(from, to)}${parts.join(",")}]}`;
    out.push({ f: from, t: to, body, bytes: utf8Length(body) });
    parts = [];
    bytes = envelope;
  };
  for (const r of rows) {
    const part = `[${r.seq},${r.body}]`;
    const size = utf8Length(part) + 1;
    if (envelope + size > MAX_MESSAGE_BYTES) {
      throw new Error(`outbox seq ${r.seq}: an event of ${size} bytes cannot fit one queue message`);
    }
    if (parts.length > 0 && (bytes + size > MAX_MESSAGE_BYTES || r.seq !== to + 1)) close();
    if (parts.length === 0) from = r.seq;
    parts.push(part);
    bytes += size;
    to = r.seq;
  }
  close();
  return out;
}

/** Groups messages into `sendBatch` calls under its count and size limits (exact bytes). */
export function sendBatches(messages: readonly EventMessage[]): EventMessage[][] {
  const out: EventMessage[][] = [];
  let batch: EventMessage[] = [];
  let bytes = 0;
  for (const m of messages) {
    if (batch.length > 0 && (batch.length >= MAX_BATCH_MESSAGES || bytes + m.bytes > MAX_BATCH_BYTES)) {
      out.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(m);
    bytes += m.bytes;
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
    qn: nonneg.optional(),
  }),
  z.object({ k: z.literal("questions"), i: nonneg, q: z.array(z.record(z.string(), z.unknown())) }),
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

/** Version 1 (objects sent with the V8 serializer, `e` a JSON string) is still read: messages in flight in a deploy. */
const Envelope = z.discriminatedUnion("v", [
  z.object({
    v: z.literal(1),
    b: z.string().min(1).max(200),
    s: nonneg,
    f: int.positive(),
    t: int.positive(),
    e: z.string(),
  }),
  z.object({
    v: z.literal(2),
    b: z.string().min(1).max(200),
    i: z.string().max(64).optional(),
    s: nonneg,
    f: int.positive(),
    t: int.positive(),
    e: z.array(z.unknown()),
  }),
]);

export interface SeqEvent {
  readonly seq: number;
  readonly ev: BattleEvent;
  /** The event as it arrived, before validation dropped anything (what a quarantine stores). */
  readonly raw?: unknown;
}

export interface ParsedMessage {
  readonly battle: string;
  /** The battle's incarnation ("" for messages of battles created before incarnations). */
  readonly incarnation: string;
  readonly shard: number;
  readonly from: number;
  readonly to: number;
  readonly events: readonly SeqEvent[];
}

/** Validates a message body (the text as received, or a version-1 object); an error string for anything malformed. */
export function parseMessage(body: unknown): ParsedMessage | string {
  if (typeof body === "string") {
    try {
      body = JSON.parse(body) as unknown;
    } catch {
      return "bad envelope: not JSON";
    }
  }
  const env = Envelope.safeParse(body);
  if (!env.success) return `bad envelope: ${env.error.issues[0]?.message ?? "invalid"}`;
  const { b, s, f, t } = env.data;
  let raw: unknown = env.data.e;
  if (typeof raw === "string") {
    try {
      raw = JSON.parse(raw);
    } catch {
      return "events are not JSON";
    }
  }
  if (!Array.isArray(raw) || raw.length !== t - f + 1) return "event count does not match the seq range";
  const events: SeqEvent[] = [];
  for (let i = 0; i < raw.length; i++) {
    const pair = raw[i] as unknown;
    if (!Array.isArray(pair) || pair[0] !== f + i) return `event ${i}: seq is not ${f + i}`;
    const ev = EventSchema.safeParse(pair[1]);
    if (!ev.success) return `event seq ${f + i}: ${ev.error.issues[0]?.message ?? "invalid"}`;
    events.push({ seq: f + i, ev: ev.data as BattleEvent, raw: pair[1] as unknown });
  }
  return {
    battle: b,
    incarnation: env.data.v === 2 ? (env.data.i ?? "") : "",
    shard: s,
    from: f,
    to: t,
    events,
  };
}
