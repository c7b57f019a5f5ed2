/**
 * @module A shard's link to its battle's coordinator: the shard's players whose state changed are reported in
 * batches (conflated per player: one entry however often they scored), and the reply carries the other shards'
 * changes, which the shard applies to its replica of the global order. Reports go every `SYNC_MS` while the battle
 * is live (every `IDLE_SYNC_MS` before the start), so a change on one shard is in every other shard's replica
 * within about two periods plus two RPCs.
 */
import type { Schedule } from "../battle/schedule";
import type { BattleStatus } from "../protocol/server-messages";
import type { ShardNetwork, SyncEntry } from "./protocol";

/** Report period while live. */
export const SYNC_MS = 40;
/** Report period before the start (joins in the lobby). */
export const IDLE_SYNC_MS = 1_000;

export interface ShardLinkHost {
  readonly battle: string;
  readonly shard: number;
  readonly network: ShardNetwork;
  setTimer(fn: () => void, ms: number): unknown;
  now(): number;
  /** A local player's current state, or null if unknown. */
  entryOf(id: number): SyncEntry | null;
  /** Every local player (the first report of an incarnation carries them all). */
  localIds(): Iterable<number>;
  /** The coordinator's schedule (the shard adopts it if it differs from its own). */
  adoptSchedule(schedule: Schedule): void;
  /** Other shards' players changed: update the replica. */
  applyRemote(entries: readonly SyncEntry[]): void;
  online(): number;
  /** This shard's players with an open socket, or null when there are too many to list. */
  present(): readonly number[] | null;
  /** The battle-wide list of who is online changed (the shard pushes a presence frame). */
  presenceChanged(): void;
  status(): BattleStatus;
  log(msg: string, e?: unknown): void;
}

export class ShardLink {
  private touched = new Set<number>();
  private epoch: string | null = null;
  private cursor = 0;
  private batchNo = 0;
  readonly incarnation = crypto.randomUUID();
  readonly since: number;
  private chain: Promise<void> = Promise.resolve();
  private armed = false;
  /**
   * A new incarnation reports every player once: the one before may have died with changes it had not reported.
   */
  private full = true;
  /** Open sockets across the battle, as of the last reply, and this shard's count in it. */
  globalOnline = 0;
  private reportedOnline = 0;
  /** Everyone online across the battle as of the last reply, or null when the battle has too many to list. */
  globalPresent: readonly number[] | null = null;
  /** Reports sent and failed (for operators). */
  readonly stats = { syncs: 0, failed: 0, sent: 0, received: 0 };

  constructor(private readonly host: ShardLinkHost) {
    this.since = host.now();
  }

  /** The last report batch number started (a snapshot taken now includes everything up to it). */
  get batch(): number {
    return this.batchNo;
  }

  /** The battle's online count with this shard's own sockets counted as they are now. */
  online(here: number): number {
    return Math.max(here, this.globalOnline - this.reportedOnline + here);
  }

  /** A local player's state changed (joined, scored, was attacked, spent an arrow). */
  touch(id: number): void {
    this.touched.add(id);
    this.arm(SYNC_MS);
  }

  /** Starts the periodic reports (on wake and when the battle starts). */
  start(): void {
    this.arm(this.host.status() === "live" ? SYNC_MS : IDLE_SYNC_MS);
  }

  private refreshing: Promise<void> | null = null;
  private queued: Promise<void> | null = null;

  /**
   * A report on demand (an attack on a player the replica does not know yet), coalesced: at most one is in flight
   * and one queued behind it, whoever asks. A caller gets a report that started after it asked (so a player who
   * joined before the attack is known after it), and a crowd of callers costs two reports, not one each.
   */
  refresh(): Promise<void> {
    if (!this.refreshing) {
      this.refreshing = this.sync().finally(() => {
        this.refreshing = this.queued;
        this.queued = null;
      });
      return this.refreshing;
    }
    this.queued ??= this.refreshing.then(() => this.sync());
    return this.queued;
  }

  /** Reports now (after any report in flight); resolves once the reply is applied. */
  sync(): Promise<void> {
    this.chain = this.chain.then(() => this.once());
    return this.chain;
  }

  private arm(ms: number): void {
    if (this.armed) return;
    const status = this.host.status();
    if (status === "ended" && this.touched.size === 0) return;
    this.armed = true;
    this.host.setTimer(() => {
      this.armed = false;
      void this.sync().then(() => {
        const now = this.host.status();
        if (now === "ended" && this.touched.size === 0) return;
        this.arm(now === "live" || this.touched.size > 0 ? SYNC_MS : IDLE_SYNC_MS);
      });
    }, ms);
  }

  private async once(): Promise<void> {
    const ids = this.touched;
    this.touched = new Set();
    if (this.full) {
      this.full = false;
      for (const id of this.host.localIds()) ids.add(id);
    }
    const entries: SyncEntry[] = [];
    for (const id of ids) {
      const e = this.host.entryOf(id);
      if (e) entries.push(e);
    }
    this.batchNo++;
    this.stats.syncs++;
    const online = this.host.online();
    const present = this.host.present();
    try {
      const reply = await this.host.network.coordinator(this.host.battle).sync({
        shard: this.host.shard,
        incarnation: this.incarnation,
        since: this.since,
        batch: this.batchNo,
        online,
        entries,
        epoch: this.epoch,
        cursor: this.cursor,
        ...(present ? { present } : {}),
      });
      this.stats.sent += entries.length;
      this.stats.received += reply.entries.length;
      if (reply.epoch !== this.epoch) {
        // A new coordinator incarnation rebuilt its log: the reply holds everyone, and we may have missed nothing.
        this.epoch = reply.epoch;
      }
      this.cursor = reply.cursor;
      this.host.adoptSchedule(reply.schedule);
      this.globalOnline = reply.online;
      this.reportedOnline = online;
      const listed = reply.present ?? null;
      if (listKey(listed) !== listKey(this.globalPresent)) {
        this.globalPresent = listed;
        this.host.presenceChanged();
      }
      if (reply.entries.length > 0) this.host.applyRemote(reply.entries);
    } catch (e) {
      // Report again next time: the entries are absolute states, so a repeat is harmless.
      this.stats.failed++;
      for (const id of ids) this.touched.add(id);
      this.host.log("sync with the coordinator failed", e);
    }
  }
}

/** A presence list as a comparable value (null stays null: "too many to list" differs from an empty list). */
function listKey(list: readonly number[] | null): string | null {
  return list === null ? null : list.join(",");
}
