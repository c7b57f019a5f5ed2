/**
 * @module Group commit: the writes of several actions go to storage in one transaction, and every reply waits for
 * the transaction that holds its write (replies without a write wait too while writes are pending, so replies keep
 * their order). Under load many messages arrive between two turns of the event loop, so one commit (one fsync on
 * a local disk, one storage round in production) serves all of them instead of one each.
 */

/** How a batch ended: `true` if its transaction committed. */
export type Settle = (committed: boolean) => void;

export interface GroupCommitHooks {
  /** Runs the writes inside one transaction; throws if it rolled back. */
  readonly transaction: (run: () => void) => void;
  /** Schedules `flush` for the next turn of the event loop. */
  readonly schedule: (flush: () => void) => void;
  /** The batch rolled back: whatever was applied in memory for it must be rebuilt from storage. */
  readonly rolledBack: (error: unknown) => void;
  /** A batch committed (e.g. the persistence outbox has new rows to send). */
  readonly committed?: () => void;
  /** Metrics: each committed batch's writes (> 0) and the time from its first write being queued (`now`). */
  readonly measured?: { readonly now: () => number; readonly batch: (writes: number, ms: number) => void };
}

export class GroupCommit {
  private writes: (() => void)[] = [];
  private waiting: Settle[] = [];
  private armed = false;
  /** When the pending batch's first write was queued (only with `measured`). */
  private firstAt = 0;
  /** Batches committed and writes they held, for operators and benchmarks. */
  readonly stats = { batches: 0, writes: 0, largest: 0 };

  constructor(private readonly hooks: GroupCommitHooks) {}

  get pending(): boolean {
    return this.writes.length > 0;
  }

  /** Queues a write for the next commit. */
  write(op: () => void): void {
    if (this.writes.length === 0 && this.hooks.measured) this.firstAt = this.hooks.measured.now();
    this.writes.push(op);
    if (!this.armed) {
      this.armed = true;
      this.hooks.schedule(() => this.flush());
    }
  }

  /** Calls `settle` once the writes queued so far are committed (at once, committed, if there are none). */
  after(settle: Settle): void {
    if (this.writes.length === 0) settle(true);
    else this.waiting.push(settle);
  }

  /** Commits what is queued now (also called early, e.g. before a push goes out). */
  flush(): void {
    this.armed = false;
    const writes = this.writes;
    const waiting = this.waiting;
    if (writes.length === 0 && waiting.length === 0) return;
    this.writes = [];
    this.waiting = [];
    const firstAt = this.firstAt;
    let committed = true;
    try {
      this.hooks.transaction(() => {
        for (const op of writes) op();
      });
      this.stats.batches++;
      this.stats.writes += writes.length;
      this.stats.largest = Math.max(this.stats.largest, writes.length);
      const m = this.hooks.measured;
      if (m && writes.length > 0) m.batch(writes.length, m.now() - firstAt);
    } catch (e) {
      committed = false;
      this.hooks.rolledBack(e);
    }
    if (committed && writes.length > 0) this.hooks.committed?.();
    for (const settle of waiting) settle(committed);
  }
}
