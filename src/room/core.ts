/**
 * @module The room's shared parts: the game and its views, the group commit, the players' streams, pushes, timers,
 * the outbox, the sockets and the counters, wired once. The room's jobs (sessions, requests, lifecycle, admin)
 * each take this core.
 */
import { AlarmScheduler } from "../battle/alarm-scheduler";
import type { BattleGame } from "../battle/game";
import { GroupCommit } from "../battle/group-commit";
import { LeaderboardJson } from "../battle/leaderboard-json";
import { PlayerStreams } from "../battle/player-streams";
import { PushScheduler } from "../battle/push-scheduler";
import { RequestCounters } from "../battle/request-counters";
import { BattleMetrics } from "../metrics/battle-metrics";
import { log, logEvent } from "../persistence/log";
import { OutboxHost } from "../persistence/outbox-host";
import { type ErrorBody, ErrorCode } from "../protocol";
import type { RoomPlatform } from "./platform";
import type { RoomSeam } from "./seam";
import { RoomSockets } from "./sockets";

/**
 * Names of the room's timers on the object's single alarm (`persist`: the outbox flusher's backstop; `history`:
 * pruning the players' streams).
 */
export const Timer = {
  LIFECYCLE: "lifecycle",
  SWEEP: "sweep",
  PERSIST: "persist",
  HISTORY: "history",
} as const;

/** A group-commit turn running later than this means the object is behind: requests get `overloaded`. */
export const OVERLOAD_LAG_MS = 1_000;
/** A lag measurement counts for this long (a quiet object takes no new measurements). */
const LAG_MEMORY_MS = 1_000;
const MAX_OVERLOAD_RETRY_MS = 5_000;

export class RoomCore {
  game: BattleGame | null = null;
  /** Serialised leaderboard views of `game`, shared by reads and pushes. */
  views: LeaderboardJson | null = null;
  readonly pushes: PushScheduler;
  /** How late the last group-commit turn ran (ms) and when that was measured: the object's backlog. */
  lag = { ms: 0, at: 0 };
  /** Answers and attacks are written in batches; their replies go out once their batch has committed. */
  readonly commit: GroupCommit;
  /** Requests and rejections since the object woke (the operator console's live view). */
  readonly counters = new RequestCounters();
  /** Handling times, group-commit batches and joins (`metrics()`; counted by integer codes, see docs/metrics.md). */
  readonly instruments = new BattleMetrics();
  readonly timers: AlarmScheduler;
  /** Each player's private stream: sequence numbers, recent request ids, replay on resume. */
  readonly streams: PlayerStreams;
  readonly sockets: RoomSockets;
  /** The persistence outbox's flusher (events to D1 and Postgres through the queue). */
  readonly persist: OutboxHost;
  /** The server clock; tests replace it to move past the end without sleeping. */
  clock: () => number = Date.now;
  /** The room's seam to the rest of its battle (seam.ts), set once by the room as it is built. */
  seam!: RoomSeam;

  constructor(readonly platform: RoomPlatform) {
    const store = platform.store;
    this.sockets = new RoomSockets(
      () => platform.connections(),
      () => this.pushes.schedule(),
    );
    this.pushes = new PushScheduler({
      now: () => this.now(),
      setTimer: (fn, ms) => platform.setTimer(fn, ms),
      clearTimer: (t) => platform.clearTimer(t),
      // Pushes show only what is committed: the pending batch goes first, in the same event.
      beforeSlice: () => this.commit.flush(),
      views: () => this.views,
      sockets: () => this.sockets.set,
      online: () => this.seam.online(this.sockets.set.size),
      present: () => this.seam.present(),
      log: (msg, e) => this.log(msg, e),
      ...(platform.fanout ? { budget: platform.fanout } : {}),
    });
    this.commit = new GroupCommit({
      transaction: (run) => platform.transaction(run),
      schedule: (flush) => {
        const at = this.now();
        platform.setTimer(() => {
          const now = this.now();
          this.lag = { ms: now - at, at: now };
          flush();
        }, 0);
      },
      rolledBack: (e) => {
        // Memory ran ahead of storage for this batch; SQLite is the truth, so rebuild from it.
        this.log("a write batch rolled back; reloading the battle from SQLite", e);
        try {
          this.persist.rolledBack();
          this.setGame(store.load());
          this.streams.reload();
          this.markChanged();
        } catch (reload) {
          this.log("reload after a rollback failed; resetting the object", reload);
          platform.abort("storage failure");
        }
      },
      committed: () => this.persist.kick(),
      measured: { now: () => this.now(), batch: (writes, ms) => this.instruments.committed(writes, ms) },
    });
    this.streams = new PlayerStreams(platform.history, () => crypto.randomUUID());
    this.timers = new AlarmScheduler(store, {
      setAlarm: (at) => platform.setAlarm(at),
      log: (msg, e) => this.log(msg, e),
    });
    this.persist = new OutboxHost(store.outbox, {
      now: () => this.now(),
      setTimer: (fn, ms) => platform.setTimer(fn, ms),
      clearTimer: (t) => platform.clearTimer(t),
      battle: () => this.game?.config.id ?? "",
      incarnation: () => this.game?.config.incarnation ?? "",
      send: (batch) => platform.sendEvents(batch),
      armAlarm: (at) => {
        const due = this.timers.dueAt(Timer.PERSIST);
        if (at === null) {
          if (due === null) return;
          // Everything is confirmed: no wake-up for the pipeline (an idle battle hibernates).
          this.timers.clear(Timer.PERSIST);
          void this.timers.ensureArmed();
        } else if (due === null || at < due) void this.timers.set(Timer.PERSIST, at);
      },
      log: (msg, e, fields) => this.log(msg, e, fields),
      shard: () => this.stream,
    });
  }

  /** The game as stored now (on a wake, after a rollback, after a creation), with fresh views. */
  setGame(game: BattleGame | null): void {
    this.game = game;
    this.views = game ? new LeaderboardJson(game) : null;
    this.seam.loaded(game);
  }

  now(): number {
    return this.clock();
  }

  /** This object's persistence stream (the outbox's shard number, `RoomSeam.stream`; 0 before a battle exists). */
  get stream(): number {
    const c = this.game?.config;
    return c ? this.seam.stream(c) : 0;
  }

  /** What players see as online: this object's sockets, or the battle's count when the seam knows more. */
  onlineCount(): number {
    const here = this.sockets.set.size;
    return this.seam.online(here) ?? here;
  }

  /**
   * `overloaded` with a retry delay while the object's event loop runs behind (its last group-commit turn ran more
   * than `OVERLOAD_LAG_MS` late, measured within the last second), so clients back off instead of timing out.
   */
  overloaded(now: number): ErrorBody | null {
    if (this.lag.ms <= OVERLOAD_LAG_MS || now - this.lag.at > LAG_MEMORY_MS) return null;
    return {
      code: ErrorCode.OVERLOADED,
      message: "the battle is busy; retry shortly",
      retryAfterMs: Math.min(MAX_OVERLOAD_RETRY_MS, Math.max(500, this.lag.ms)),
    };
  }

  /** The board changed; `playerId`'s own score did (from `oldRank`), so they and those around them go first. */
  markChanged(playerId?: number, oldRank?: number): void {
    this.pushes.markChanged(playerId, oldRank);
  }

  /**
   * One structured JSON line (`src/persistence/log.ts`): `event` is the message without its numbers (stable to query
   * by), with the battle, the seam's label of this object (`shard`), the message and the error's cause.
   */
  log(msg: string, e?: unknown, fields?: Readonly<Record<string, number>>): void {
    const config = this.game?.config;
    const label = config ? this.seam.logLabel(config) : undefined;
    log.error(logEvent(msg), {
      battle: config?.id ?? this.platform.id,
      ...(label !== undefined ? { shard: label } : {}),
      message: msg,
      ...fields,
      ...(e !== undefined ? { cause: e } : {}),
    });
  }

  /** A frame that did not parse, logged by its length (characters of text, bytes of binary), never its content. */
  badFrame(participant: number, code: string, frame: string | ArrayBuffer): void {
    const length = typeof frame === "string" ? frame.length : frame.byteLength;
    this.note("warn", "bad_frame", { participant, code, length });
  }

  /**
   * A named event as one structured line with its fields (ids, codes and numbers only, never a token or key), the
   * battle and the shard added as in `log`. For what an operator looks for (a refused join, a bad frame), not for
   * errors.
   */
  note(level: "info" | "warn", event: string, fields: Readonly<Record<string, string | number>>): void {
    const config = this.game?.config;
    const label = config ? this.seam.logLabel(config) : undefined;
    log[level](event, {
      battle: config?.id ?? this.platform.id,
      ...(label !== undefined ? { shard: label } : {}),
      ...fields,
    });
  }
}
