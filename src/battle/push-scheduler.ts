/**
 * @module When leaderboard and presence pushes go out: a slice every `PUSH_SLICE_MS` while anything is pending,
 * each visiting its share of the players within a frame budget that `FanoutBudget` derives from measured time
 * (and shrinks when slices fire late). Platform-free: the clock, the timers and the sockets come from the host
 * (the battle Durable Object, or a test).
 */
import type { Leaderboard } from "../leaderboard";
import type { PushStats } from "../protocol/http-messages";
import { FanoutBudget, type FanoutBudgetOptions } from "./fanout-budget";
import { AROUND } from "./game";
import type { LeaderboardJson } from "./leaderboard-json";
import { LeaderboardPush, type PushTarget } from "./push";

/**
 * Conflation interval: a player gets a leaderboard (or presence) frame at most this often, and a sweep of the
 * rotation takes this long, so a changed view waits at most this plus one slice (`FRESHNESS_BOUND_MS`).
 */
export const PUSH_INTERVAL_MS = 450;
/**
 * Pushes go out in slices this far apart, each visiting the next 1/45 of the players in a rotation, so fan-out is
 * spread over the interval in short synchronous runs: a request that arrives during a slice waits behind a few
 * milliseconds of frames, not tens (measured against 50 ms slices in BENCHMARKS.md).
 */
export const PUSH_SLICE_MS = 10;
/**
 * A slice that fires late stands for the time that passed, up to this long: its rotation pace covers it, so a
 * busy object's sweep does not fall behind by the lateness.
 */
export const PUSH_CATCH_UP_MS = 200;
/**
 * A slice's frames are sized to at most this many slices' worth of time, however late it fired, so one slice's
 * synchronous run stays short (at the busy share, 0.6 × 40 ms) and a request waits behind little fan-out.
 */
export const PUSH_RUN_SLICES = 4;
/**
 * How stale a player's view may get (their view changed → they get a frame), while the measured budget covers the
 * frames: the rotation reaches everyone once per interval, a player whose last frame was too recent is served by
 * the first slice after their gap, and slices fire `PUSH_SLICE_MS` apart.
 */
export const FRESHNESS_BOUND_MS = PUSH_INTERVAL_MS + PUSH_SLICE_MS;
/**
 * A view whose only change is rank numbers (players elsewhere passed each other) waits until its last frame is this
 * old. In a busy battle nearly every rank moves within a push interval: at 10,000 players and 2,000 req/s an ideal
 * scheduler sends 21,900 frames/s to show every change within 450 ms and 13,200 with this (`npm run bench:churn`),
 * and the frames it spares are those nobody watches a score change in.
 */
export const RANK_DRIFT_MS = 2_000;
/** How stale rank numbers alone may get: their wait, then the sweep that finds them, then a slice. */
export const RANK_FRESHNESS_BOUND_MS = RANK_DRIFT_MS + PUSH_INTERVAL_MS + PUSH_SLICE_MS;
/** Battles up to this many online players also push who is online, not only how many. */
export const PRESENCE_LIST_MAX = 50;

/** Fan-out counters since the object woke (declared with the operator view it is part of). */
export type { PushStats };

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
  /** The battle's online count when it is more than this object's sockets (a shard of a sharded battle). */
  online?(): number | undefined;
  /**
   * A shard's list of the players online on the other shards, for presence frames; null while the battle has too
   * many to list (or none is known yet), undefined for a one-object battle.
   */
  present?(): readonly number[] | null | undefined;
  log(msg: string, e: unknown): void;
  /** The fan-out budget's tuning (default `FANOUT_BUDGET`; tests simulate other costs). */
  readonly budget?: FanoutBudgetOptions;
}

/** Ranks either side of a place whose players are told first: `AROUND`, plus one for the shift the move causes. */
const WATCH = AROUND + 1;

/** Players whose `around` showed `playerId` at `oldRank` or shows them now (the board already has the change). */
export function watchers(board: Leaderboard, playerId: number, oldRank?: number): number[] {
  const out: number[] = [];
  const rank = board.rankOf(playerId);
  if (rank === undefined) return out;
  const add = (center: number) => {
    const start = Math.max(0, center - 1 - WATCH);
    for (const s of board.page(start, center + WATCH - start)) if (s.id !== playerId) out.push(s.id);
  };
  add(rank);
  if (oldRank !== undefined && oldRank > 0 && oldRank !== rank) add(oldRank);
  return out;
}

export class PushScheduler {
  private readonly push = new LeaderboardPush();
  private readonly fanout: FanoutBudget;
  private timer: unknown = null;
  private lastSlice = Number.NEGATIVE_INFINITY;
  /** When the pending timer should fire, to measure how late it ran. */
  private due = 0;
  private boardChanged = true;
  /** The last slice that sent enough frames to be measured: when it started and how many it sent. */
  private probe: { readonly at: number; readonly frames: number } | null = null;
  private readonly counts = { slices: 0, frames: 0, measuredFrames: 0, measuredMs: 0 };

  constructor(private readonly host: PushHost) {
    this.fanout = new FanoutBudget(host.budget);
  }

  /**
   * The board changed; `playerId`'s own score did, so their next frame comes first, and the players around their
   * old place (`oldRank`, their rank before the change) and their new one see it next.
   */
  markChanged(playerId?: number, oldRank?: number): void {
    if (playerId !== undefined) {
      this.push.touch(playerId);
      const board = this.host.views()?.game.board;
      if (board) this.push.warm(watchers(board, playerId, oldRank));
    }
    this.boardChanged = true;
    this.schedule();
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
    // The time this slice stands for: slices that fire late cover more of it (up to `PUSH_CATCH_UP_MS`).
    const elapsed = Math.min(PUSH_CATCH_UP_MS, PUSH_SLICE_MS + late);
    this.lastSlice = now;
    const sockets = this.host.sockets();
    // The rotation's pace: every player once per interval, however far apart slices fire. Hot and deferred
    // players come on top of it.
    const pace = Math.ceil((sockets.size * elapsed) / PUSH_INTERVAL_MS);
    const changed = this.boardChanged;
    this.boardChanged = false;
    let sent = 0;
    try {
      sent = this.push.tick(views, sockets.targets, changed, {
        listMax: PRESENCE_LIST_MAX,
        byPlayer: (id) => sockets.ofPlayer(id),
        budget: this.fanout.frames(
          pace + this.push.queued,
          Math.min(elapsed, PUSH_RUN_SLICES * PUSH_SLICE_MS),
          late,
        ),
        pace,
        now,
        minGapMs: PUSH_INTERVAL_MS,
        rankDriftMs: RANK_DRIFT_MS,
        online: this.host.online?.(),
        remotePresent: this.host.present?.(),
      });
    } catch (e) {
      this.host.log("push failed", e);
    }
    this.counts.slices++;
    this.counts.frames += sent;
    this.measure(now, sent);
    if (this.push.pending || this.boardChanged) this.schedule();
  }

  get stats(): PushStats {
    return { ...this.counts, perFrameMs: this.fanout.perFrameMs, share: this.fanout.current };
  }

  /**
   * Measures what the slice's frames cost: a zero-delay timer fires once the event loop is free again, so the
   * time from the slice's start to it covers building and sending the frames and the runtime's writes (plus any
   * request that arrived meanwhile, which only makes the estimate cautious). The runtime's clock does not move
   * within one event, so the time cannot be taken at the end of the slice itself.
   */
  private measure(at: number, frames: number): void {
    if (frames < 1 || this.probe !== null) return;
    this.probe = { at, frames };
    this.host.setTimer(() => {
      const p = this.probe;
      this.probe = null;
      if (!p) return;
      const busy = this.host.now() - p.at;
      this.fanout.measured(p.frames, busy);
      this.counts.measuredFrames += p.frames;
      this.counts.measuredMs += busy;
    }, 0);
  }
}
