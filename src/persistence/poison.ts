/**
 * @module Poison isolation: a sink that refuses an event (a constraint or a data error) must not stop the stream.
 * The batch is applied whole; if the sink refuses it, message by message; a refused message event by event. The
 * events the sink refuses are written verbatim with its error to that sink's quarantine, in the same transaction
 * as the rest of their message, whose seq range then counts as applied: the watermark moves past them and the
 * stream goes on. An outage (connection refused, a timeout, a lock wait cut short) is not a refusal: it is thrown,
 * and the consumer retries the whole batch later. Platform-free: each sink comes as a `SinkWriter`.
 */
import { type ApplyPlan, planApply, type QuarantineRow } from "./apply-plan";
import { type IncarnationStore, routeIncarnations } from "./incarnations";
import type { ParsedMessage, SeqEvent } from "./message";
import { type Watermarks, watermarkKey } from "./watermarks";

export interface SinkWriter {
  readonly name: "d1" | "pg";
  /** Where the sink keeps each battle's current incarnation (messages are routed by it first). */
  readonly incarnations?: IncarnationStore;
  apply(plan: ApplyPlan): Promise<Watermarks>;
  /** True when the error says this data is refused (it would fail again), false for an outage. */
  refuses(error: unknown): boolean;
}

export interface Applied {
  readonly marks: Watermarks;
  readonly quarantined: readonly QuarantineRow[];
  /** The incarnation of each (battle, shard) stream whose marks these are (archived ones are left out). */
  readonly incarnations: Map<string, string>;
}

/** Applies `messages` to one sink, quarantining what it refuses; throws only when the sink is unavailable. */
export async function applyIsolating(sink: SinkWriter, original: readonly ParsedMessage[]): Promise<Applied> {
  const messages = sink.incarnations ? await routeIncarnations(sink.incarnations, original) : original;
  const incarnations = new Map<string, string>();
  messages.forEach((m, i) => {
    // Messages routed to an archived id keep no stream of a live object.
    if (m.battle === original[i]!.battle) incarnations.set(watermarkKey(m.battle, m.shard), m.incarnation);
  });
  try {
    return { marks: await sink.apply(planApply(messages)), quarantined: [], incarnations };
  } catch (e) {
    if (!sink.refuses(e) || messages.length === 0) throw e;
  }
  const marks: Watermarks = new Map();
  const quarantined: QuarantineRow[] = [];
  for (const m of messages) {
    try {
      mergeMarks(marks, await sink.apply(planApply([m])));
      continue;
    } catch (e) {
      if (!sink.refuses(e)) throw e;
    }
    const kept: SeqEvent[] = [];
    const refused: QuarantineRow[] = [];
    for (const one of m.events) {
      try {
        // Alone, without its range: the watermark moves only with the whole message below.
        await sink.apply({
          ...planApply([{ ...m, from: one.seq, to: one.seq, events: [one] }]),
          ranges: [],
          keys: [],
        });
        kept.push(one);
      } catch (e) {
        if (!sink.refuses(e)) throw e;
        refused.push({
          battle: m.battle,
          shard: m.shard,
          seq: one.seq,
          event: JSON.stringify(one.raw ?? one.ev),
          error: errorText(e),
        });
      }
    }
    mergeMarks(marks, await sink.apply({ ...planApply([{ ...m, events: kept }]), quarantine: refused }));
    quarantined.push(...refused);
  }
  return { marks, quarantined, incarnations };
}

function mergeMarks(into: Watermarks, from: Watermarks): void {
  for (const [k, v] of from) into.set(k, Math.max(into.get(k) ?? 0, v));
}

/** The error as storable text: its code and message, with NUL and lone surrogates replaced (no sink refuses it). */
export function errorText(e: unknown): string {
  const err = e as { code?: unknown; message?: unknown; detail?: unknown } | null;
  const parts = [
    typeof err?.code === "string" ? err.code : null,
    typeof err?.message === "string" ? err.message : String(e),
    typeof err?.detail === "string" ? err.detail : null,
  ].filter((p): p is string => p !== null);
  return cleanText(parts.join(": ")).slice(0, 2_000);
}

/** Replaces NUL and unpaired surrogates with U+FFFD. */
export function cleanText(s: string): string {
  return s.replace(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is what Postgres refuses
    /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
    "\uFFFD",
  );
}

/**
 * Postgres: SQLSTATE classes 22 (data exception: an invalid character, a value out of range) and 23 (integrity:
 * a CHECK, a unique index) refuse the data; everything else (08 connection, 53 resources, 55P03 lock wait, 57014
 * statement timeout, 40 rollback, a socket error without a SQLSTATE) is the sink being unavailable.
 */
export function pgRefuses(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^(22|23)[0-9A-Z]{3}$/.test(code);
}

/** D1 (SQLite): a constraint, a value too big or of the wrong type refuses the data; anything else is an outage. */
export function d1Refuses(e: unknown): boolean {
  const msg = String((e as { message?: unknown } | null)?.message ?? e);
  return /SQLITE_(CONSTRAINT|TOOBIG|MISMATCH|RANGE)|constraint failed|too big|datatype mismatch/i.test(msg);
}
