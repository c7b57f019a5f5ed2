/**
 * @module The outbox flusher: sends unconfirmed outbox events to the queue in packed messages, and sends again
 * from the confirmed watermark when confirmation stalls (a lost, expired or dead-lettered message, or a local
 * queue that lost its memory in a restart). Platform-free: the object drives it with `nextDue()` / `flush()`
 * from a timer and its alarm, and tells it when the sinks confirmed (`progress()`).
 *
 * Flow control, as TCP does it: at most a window of events is sent and unconfirmed at any time (a sink that is
 * down leaves the rest in the outbox, not in the queue to be dead-lettered), and a resend after a stall starts
 * from a small window that doubles with every confirmation (a sink that comes back after an outage gets the
 * backlog at the pace it confirms it, not tens of thousands of events at once).
 */
import { type EventMessage, type OutboxRow, packMessages, sendBatches } from "./message";

export interface FlusherHooks {
  readonly now: () => number;
  readonly battle: () => string;
  readonly incarnation?: () => string;
  readonly shard: number;
  /** Outbox rows after `afterSeq` up to `throughSeq` in seq order, stopping after about `maxBytes`. */
  readonly read: (afterSeq: number, throughSeq: number, maxBytes: number) => OutboxRow[];
  readonly lastSeq: () => number;
  /** Seq every sink has confirmed. */
  readonly settled: () => number;
  readonly send: (batch: EventMessage[]) => Promise<void>;
  /** `fields`: the numbers of the message as numbers (a structured log line's fields). */
  readonly log: (msg: string, e?: unknown, fields?: Readonly<Record<string, number>>) => void;
}

export interface FlusherOptions {
  /** Events are gathered this long before a send (one message carries many events). */
  readonly flushDelayMs: number;
  /** Unconfirmed for this long since the last progress: send again from the watermark (doubling up to max). */
  readonly resendMs: number;
  readonly maxResendMs: number;
  /** Bytes of events read per flush; more are sent by the next flush, due at once. */
  readonly maxBytesPerFlush: number;
  /** Events sent and not yet confirmed, at most (the window's ceiling). */
  readonly maxInFlightEvents: number;
  /** The window a resend starts from; each confirmation doubles it up to the ceiling. */
  readonly resendWindowEvents: number;
}

export const FLUSHER_DEFAULTS: FlusherOptions = {
  flushDelayMs: 100,
  resendMs: 5_000,
  maxResendMs: 60_000,
  maxBytesPerFlush: 1_000_000,
  maxInFlightEvents: 20_000,
  resendWindowEvents: 1_000,
};

export class OutboxFlusher {
  /** Highest seq sent in the current round (reset to the watermark for a resend). */
  private sentThrough: number;
  private lastFlushAt = Number.NEGATIVE_INFINITY;
  /** Since when sent events have waited for confirmation (null when nothing is in flight). */
  private waitingSince: number | null = null;
  private resendAfter: number;
  private failures = 0;
  /** Events that may be in flight past the settled seq (shrinks on a resend, doubles on progress). */
  private window: number;
  private running: Promise<void> | null = null;
  readonly stats = { messages: 0, events: 0, resends: 0, sendErrors: 0 };

  constructor(
    private readonly hooks: FlusherHooks,
    private readonly opts: FlusherOptions = FLUSHER_DEFAULTS,
  ) {
    this.sentThrough = hooks.settled();
    this.resendAfter = opts.resendMs;
    this.window = opts.maxInFlightEvents;
  }

  get sent(): number {
    return this.sentThrough;
  }

  /** Events that may be sent and unconfirmed right now. */
  get windowEvents(): number {
    return this.window;
  }

  /** The highest seq the window allows to be sent now. */
  private limit(settled: number): number {
    return Math.min(this.hooks.lastSeq(), settled + this.window);
  }

  /** When `flush` should run next, or null when every event is confirmed (the object may hibernate). */
  nextDue(): number | null {
    const settled = this.hooks.settled();
    if (this.hooks.lastSeq() <= settled) return null;
    if (this.sentThrough < this.limit(settled)) {
      const delay = this.failures > 0 ? Math.min(this.opts.flushDelayMs * 2 ** this.failures, 5_000) : 0;
      return this.lastFlushAt + Math.max(this.opts.flushDelayMs, delay);
    }
    return (this.waitingSince ?? this.hooks.now()) + this.resendAfter;
  }

  /** The sinks confirmed more: the resend clock restarts. */
  progress(): void {
    const settled = this.hooks.settled();
    if (this.sentThrough < settled) this.sentThrough = settled;
    this.window = Math.min(this.window * 2, this.opts.maxInFlightEvents);
    this.resendAfter = this.opts.resendMs;
    this.waitingSince = this.sentThrough > settled ? this.hooks.now() : null;
  }

  /** Sends what is due; concurrent calls share one run. */
  flush(): Promise<void> {
    this.running ??= this.run().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async run(): Promise<void> {
    const now = this.hooks.now();
    const settled = this.hooks.settled();
    if (this.sentThrough < settled) this.sentThrough = settled;
    if (
      this.sentThrough > settled &&
      this.waitingSince !== null &&
      now >= this.waitingSince + this.resendAfter
    ) {
      const waitedMs = now - this.waitingSince;
      this.hooks.log(`no confirmation past seq ${settled} for ${waitedMs} ms; sending again`, undefined, {
        seq: settled,
        waitedMs,
        lastSeq: this.hooks.lastSeq(),
      });
      this.sentThrough = settled;
      this.window = Math.min(this.opts.resendWindowEvents, this.opts.maxInFlightEvents);
      this.resendAfter = Math.min(this.resendAfter * 2, this.opts.maxResendMs);
      this.waitingSince = now;
      this.stats.resends++;
    }
    this.lastFlushAt = now;
    const rows = this.hooks.read(this.sentThrough, this.limit(settled), this.opts.maxBytesPerFlush);
    if (rows.length === 0) return;
    const messages = packMessages(
      this.hooks.battle(),
      this.hooks.shard,
      rows,
      this.hooks.incarnation?.() ?? "",
    );
    for (const batch of sendBatches(messages)) {
      try {
        await this.hooks.send(batch);
      } catch (e) {
        this.failures++;
        this.stats.sendErrors++;
        this.hooks.log("queue send failed; retrying", e);
        return;
      }
      this.failures = 0;
      if (this.sentThrough <= this.hooks.settled()) this.waitingSince ??= now;
      const last = batch[batch.length - 1]!;
      this.sentThrough = Math.max(this.sentThrough, last.t);
      this.stats.messages += batch.length;
      this.stats.events += last.t - batch[0]!.f + 1;
    }
    if (this.sentThrough < this.limit(this.hooks.settled())) this.lastFlushAt = Number.NEGATIVE_INFINITY;
  }
}
