/**
 * @module When leaderboard and presence pushes go out: a slice every `PUSH_SLICE_MS` while anything is pending,
 * each with its share of the frame budget, shrunk by `FanoutBudget` when slices fire late. Platform-free: the
 * clock, the timers and the sockets come from the host (the battle Durable Object, or a test).
 */
import { FanoutBudget } from "./fanout-budget";
import type { LeaderboardJson } from "./leaderboard-json";
import { LeaderboardPush, type PushTarget } from "./push";

/** Conflation interval: a player gets a leaderboard (or presence) frame at most this often. */
export const PUSH_INTERVAL_MS = 500;
/**
 * Pushes go out in slices this far apart, each visiting the next 1/10 of the players in a rotation, so fan-out is
 * spread evenly over the interval instead of bursting: a burst of 2,000 frames every 500 ms held every request
 * and heartbeat behind it (and behind the clients' own reading of it): p90 ~70 ms at 2,000 players.
 */
export const PUSH_SLICE_MS = 50;
/**
 * Leaderboard frames per second at most, so fan-out cannot starve requests. With 2,000 or fewer players every
 * changed view goes out each 500 ms; with 10,000 at least every 2.5 s. Measured at 10,000 players and
 * 2,000 req/s: 8,000/s → 4,000/s cut workerd from 82% to 63% of a core and steady-state p99 from ~170 to 127 ms.
 * Under overload `FanoutBudget` lowers it further (down to 1/16) while the slice timers fire late.
 */
export const PUSH_FRAMES_PER_SEC = 4_000;
/** Battles up to this many online players also push who is online, not only how many. */
export const PRESENCE_LIST_MAX = 50;

export interface PushSockets {
  readonly size: number;
  readonly targets: readonly PushTarget[];
  ofPlayer(playerId: number): readonly PushTarget[];
}

export interface PushHost {
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(timer: unknown): void;
  /** Runs first in every slice (the battle commits its pending writes, so pushes show only committed state). */
  beforeSlice(): void;
  /** The battle's serialised views, or null while the object holds no battle. */
  views(): LeaderboardJson | null;
  sockets(): PushSockets;
  log(msg: string, e: unknown): void;
}

export class PushScheduler {
  private readonly push = new LeaderboardPush();
  private readonly fanout = new FanoutBudget();
  private timer: unknown = null;
  private lastSlice = Number.NEGATIVE_INFINITY;
  /** When the pending timer should fire, to measure how late it ran. */
  private due = 0;
  private boardChanged = true;

  constructor(private readonly host: PushHost) {}

  /** The board changed; `playerId`'s own score did, so their next frame comes first. */
  markChanged(playerId?: number): void {
    if (playerId !== undefined) this.push.touch(playerId);
    this.boardChanged = true;
    this.schedule();
  }

  /** A player's socket went away, or a new one needs a full frame. */
  forget(playerId: number): void {
    this.push.forget(playerId);
  }

  /** Arms the next slice, `PUSH_SLICE_MS` after the last one, unless one is armed already. */
  schedule(): void {
    if (this.timer !== null) return;
    const now = this.host.now();
    const delay = Math.max(0, this.lastSlice + PUSH_SLICE_MS - now);
    this.due = now + delay;
    this.timer = this.host.setTimer(() => this.slice(), delay);
  }

  /** Runs a slice now (battle started or ended). */
  sliceNow(): void {
    this.due = this.host.now();
    this.slice();
  }

  /** One slice: hot players first, then the next part of the rotation, within the frame budget. */
  private slice(): void {
    this.host.beforeSlice();
    if (this.timer !== null) this.host.clearTimer(this.timer);
    this.timer = null;
    const views = this.host.views();
    if (!views) return;
    const now = this.host.now();
    const late = Math.max(0, now - this.due);
    this.lastSlice = now;
    const sockets = this.host.sockets();
    const full = Math.min(
      Math.ceil(sockets.size / (PUSH_INTERVAL_MS / PUSH_SLICE_MS)),
      (PUSH_FRAMES_PER_SEC * PUSH_SLICE_MS) / 1000,
    );
    const changed = this.boardChanged;
    this.boardChanged = false;
    try {
      this.push.tick(views, sockets.targets, changed, {
        listMax: PRESENCE_LIST_MAX,
        byPlayer: (id) => sockets.ofPlayer(id),
        budget: this.fanout.frames(full, late),
        now,
        minGapMs: PUSH_INTERVAL_MS,
      });
    } catch (e) {
      this.host.log("push failed", e);
    }
    if (this.push.pending || this.boardChanged) this.schedule();
  }
}
