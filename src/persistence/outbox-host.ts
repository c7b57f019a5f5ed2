/**
 * @module The battle object's side of the pipeline, with narrow hooks into its host: the outbox, the flusher, an
 * in-memory timer for prompt sends and the object's alarm as the backstop (an evicted object wakes to send again).
 * While every event is confirmed nothing is armed, so idle battles hibernate.
 */
import { FLUSHER_DEFAULTS, type FlusherOptions, OutboxFlusher } from "./flusher";
import type { EventMessage } from "./message";
import { type Confirmed, type Outbox, SHARD } from "./outbox";

export interface OutboxHostHooks {
  readonly now: () => number;
  readonly setTimer: (fn: () => void, ms: number) => unknown;
  readonly clearTimer: (timer: unknown) => void;
  readonly battle: () => string;
  /** The battle's incarnation ("" for a battle created before incarnations): every message carries it. */
  readonly incarnation?: () => string;
  readonly send: (batch: EventMessage[]) => Promise<void>;
  /** Arms the object's alarm at `at` unless it already fires sooner; null: no longer needed. */
  readonly armAlarm: (at: number | null) => void;
  readonly log: (msg: string, e?: unknown, fields?: Readonly<Record<string, number>>) => void;
  /** This object's shard number in its battle's event streams (default `SHARD`, 0). */
  readonly shard?: () => number;
}

/** What an operator sees of one battle's pipeline from the object. */
export interface OutboxStatus {
  readonly shard: number;
  readonly lastSeq: number;
  readonly sentThrough: number;
  /** Events that may be sent and unconfirmed now (small after a resend, doubling with each confirmation). */
  readonly windowEvents: number;
  readonly confirmed: Confirmed;
  readonly depth: number;
  readonly oldestUnconfirmedAgeMs: number | null;
  readonly flusher: OutboxFlusher["stats"];
}

export class OutboxHost {
  readonly flusher: OutboxFlusher;
  private timer: unknown = null;
  private timerAt = Number.POSITIVE_INFINITY;

  constructor(
    readonly outbox: Outbox,
    private readonly hooks: OutboxHostHooks,
    private readonly opts: FlusherOptions = FLUSHER_DEFAULTS,
  ) {
    this.flusher = new OutboxFlusher(
      {
        now: hooks.now,
        battle: hooks.battle,
        incarnation: () => hooks.incarnation?.() ?? "",
        get shard() {
          return hooks.shard?.() ?? SHARD;
        },
        read: (after, through, max) => this.outbox.read(after, through, max),
        lastSeq: () => this.outbox.lastSeq,
        settled: () => this.outbox.settled,
        send: hooks.send,
        log: hooks.log,
      },
      opts,
    );
  }

  /** When the object's alarm must fire for the pipeline (a backstop behind the timer), or null. */
  alarmDue(): number | null {
    const due = this.flusher.nextDue();
    return due === null ? null : Math.max(due, this.hooks.now() + this.opts.resendMs);
  }

  /** Events were appended (or confirmed): arms the timer for the next flush and the backstop alarm. */
  kick(): void {
    const due = this.flusher.nextDue();
    if (due === null) {
      this.hooks.armAlarm(null);
      return;
    }
    if (due < this.timerAt) {
      if (this.timer !== null) this.hooks.clearTimer(this.timer);
      this.timerAt = due;
      this.timer = this.hooks.setTimer(
        () => {
          this.timer = null;
          this.timerAt = Number.POSITIVE_INFINITY;
          void this.flushDue();
        },
        Math.max(0, due - this.hooks.now()),
      );
    }
    this.hooks.armAlarm(this.alarmDue());
  }

  /** Runs the flusher if it is due (the alarm and the timer call this), then re-arms. */
  async flushDue(): Promise<void> {
    const due = this.flusher.nextDue();
    if (due !== null && due <= this.hooks.now()) {
      try {
        await this.flusher.flush();
      } catch (e) {
        this.hooks.log("outbox flush failed", e);
      }
    }
    this.kick();
  }

  /** The consumer reports the sinks' watermarks; rows every sink has are deleted. */
  confirm(marks: Partial<Confirmed>): void {
    if (this.outbox.confirm(marks)) this.flusher.progress();
    this.kick();
  }

  /** A write batch rolled back: the seqs it took were never written. */
  rolledBack(): void {
    this.outbox.reload();
  }

  status(): OutboxStatus {
    const { rows, oldestAt } = this.outbox.depth();
    return {
      shard: this.hooks.shard?.() ?? SHARD,
      lastSeq: this.outbox.lastSeq,
      sentThrough: this.flusher.sent,
      windowEvents: this.flusher.windowEvents,
      confirmed: this.outbox.confirmed,
      depth: rows,
      oldestUnconfirmedAgeMs: oldestAt === null ? null : Math.max(0, this.hooks.now() - oldestAt),
      flusher: { ...this.flusher.stats },
    };
  }
}
