/**
 * @module One Durable Object alarm, several named timers (lifecycle transition, heartbeat sweep, index retry, and
 * whatever registers later). Each timer's due time is stored, the single alarm is armed for the soonest one ("if
 * sooner"), and when it fires every due timer runs, so a heartbeat sweep and a battle end never displace each
 * other. Platform-free: storage of the timers and the alarm itself come from the host.
 */

export interface TimerStore {
  /** Every stored timer (name → due time, server ms). */
  loadTimers(): Map<string, number>;
  /** Stores a timer's due time, or deletes it when `at` is null. */
  saveTimer(name: string, at: number | null): void;
}

export interface AlarmHost {
  /** Arms the platform's single alarm at `at` (replacing any armed one), or disarms it when null. */
  setAlarm(at: number | null): void | Promise<void>;
  log(msg: string, e: unknown): void;
}

export type TimerHandler = (now: number) => void | Promise<void>;

export class AlarmScheduler {
  private readonly timers: Map<string, number>;
  private readonly handlers = new Map<string, TimerHandler>();
  /** When the platform alarm is armed, as far as this object knows (null: not armed, or unknown after a wake). */
  private armed: number | null = null;

  constructor(
    private readonly store: TimerStore,
    private readonly host: AlarmHost,
  ) {
    this.timers = store.loadTimers();
  }

  /** Registers what runs when the timer `name` is due (timers stored before a restart run once registered). */
  register(name: string, handler: TimerHandler): void {
    this.handlers.set(name, handler);
  }

  /** When `name` is due, or null if it is not set. */
  dueAt(name: string): number | null {
    return this.timers.get(name) ?? null;
  }

  /** Sets (or moves) a timer and arms the alarm for it if it is sooner than the armed one. */
  async set(name: string, at: number): Promise<void> {
    if (this.timers.get(name) === at) return this.ensureArmed();
    this.timers.set(name, at);
    this.store.saveTimer(name, at);
    if (this.armed === null || at < this.armed) {
      this.armed = at;
      await this.host.setAlarm(at);
    }
  }

  /** Clears a timer (the armed alarm may still fire; it then runs nothing and re-arms for the next). */
  clear(name: string): void {
    if (!this.timers.delete(name)) return;
    this.store.saveTimer(name, null);
  }

  /** Arms the alarm for the soonest stored timer (after a wake the armed time is unknown, so it is set again). */
  async ensureArmed(): Promise<void> {
    const next = this.soonest();
    if (next === this.armed) return;
    this.armed = next;
    await this.host.setAlarm(next);
  }

  /** The alarm fired: runs every due timer (each may set itself again), then arms for the soonest left. */
  async fire(now: number): Promise<void> {
    this.armed = null;
    const due = [...this.timers].filter(([, at]) => at <= now).sort((a, b) => a[1] - b[1]);
    for (const [name] of due) {
      this.timers.delete(name);
      this.store.saveTimer(name, null);
    }
    for (const [name] of due) {
      const handler = this.handlers.get(name);
      if (!handler) {
        this.host.log(`timer ${name} is due but nothing handles it`, "");
        continue;
      }
      try {
        await handler(now);
      } catch (e) {
        this.host.log(`timer ${name} failed`, e);
      }
    }
    await this.ensureArmed();
  }

  private soonest(): number | null {
    let next: number | null = null;
    for (const at of this.timers.values()) if (next === null || at < next) next = at;
    return next;
  }
}
