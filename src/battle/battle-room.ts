/**
 * @module The battle room: one battle's rules, connections, replies, pushes and timers, with no knowledge of the
 * platform. Sockets come in as `Connection`s, storage is the `BattleStore`, time and timers are injected; the
 * Durable Object (`battle-do.ts`) only adapts the runtime's hooks to these methods, and Node tests drive the same
 * room with in-memory connections.
 */

import {
  BattleMetrics,
  collectBattle,
  JOIN_NEW,
  JOIN_REFUSED,
  JOIN_REJOIN,
  kindOf,
  RequestKind,
} from "../metrics/battle-metrics";
import type { Family } from "../metrics/registry";
import { finalEvents } from "../persistence/event-size";
import type { BattleChange, BattleEvent } from "../persistence/events";
import { log, logEvent } from "../persistence/log";
import type { EventMessage } from "../persistence/message";
import type { Confirmed } from "../persistence/outbox";
import { OutboxHost, type OutboxStatus } from "../persistence/outbox-host";
import type { StoredRecord } from "../persistence/records";
import {
  type BattleView,
  type ClientRequest,
  CloseCode,
  type ErrorBody,
  ErrorCode,
  HEARTBEAT_RESPONSE,
  parseClientFrame,
  type ReplyData,
} from "../protocol";
import type { BattleResults } from "../protocol/http-messages";
import {
  attackedJson,
  battleJson,
  duplicateOutcome,
  internalErrorJson,
  rawReplyJson,
  refusalJson,
  replyJson,
  welcomeJson,
  withSeq,
} from "../room/frames";
import type {
  RemoteAttackRequest,
  RemoteAttackResult,
  ShardNetwork,
  ShardSnapshot,
  SyncEntry,
} from "../sharding/protocol";
import { ShardLink } from "../sharding/shard-link";
import { ShardSide } from "../sharding/shard-side";
import { AlarmScheduler } from "./alarm-scheduler";
import type { BattleStore } from "./battle-store";
import { type BattleConfig, newIncarnation } from "./config";
import { ConnectAdmission, connectAdmissionOptions } from "./connect-admission";
import type { Connection } from "./connection";
import type { FanoutBudgetOptions } from "./fanout-budget";
import { FixedWindow } from "./fixed-window";
import { FrameMeter } from "./frame-meter";
import { type BattleGame, type JoinAlloc, type JoinProof, NO_PROOF } from "./game";
import { answerEvent, attackEvent, joinEvent } from "./game-events";
import { GroupCommit } from "./group-commit";
import type { HistoryStore } from "./history-store";
import { LeaderboardJson } from "./leaderboard-json";
import { err, type HttpOutcome, type Outcome, ok } from "./outcome";
import { playerView } from "./player";
import { HISTORY_WINDOW_MS, PlayerStreams, PRUNE_INTERVAL_MS, requestKey } from "./player-streams";
import { PRESENCE_LIST_MAX, PushScheduler } from "./push-scheduler";
import { RawFrame, RawJson, wrote } from "./reply";
import { RequestCounters } from "./request-counters";
import { endedAt, nextTransition, type Schedule, statusAt } from "./schedule";
import { SocketSet } from "./socket-set";
import type { BattleAdminView, JoinResult, PublicView, StandingsPage } from "./views";

/** A socket with no heartbeat or message for this long is closed (4000) so presence stays honest. */
export const HEARTBEAT_TIMEOUT_MS = 90_000;
/** How often a battle with sockets checks for silent ones (a named timer; heartbeats never wake the object). */
export const SWEEP_INTERVAL_MS = 60_000;
/** At most this many sockets per participant; a new one closes the oldest (4502). */
export const MAX_SOCKETS_PER_PLAYER = 3;

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

/** Where a reconnecting client left its stream (from the upgrade request). */
export interface ResumeFrom {
  readonly seq: number;
  readonly epoch: string;
}

export const DEFAULT_JOINS_PER_ADDRESS_PER_MINUTE = 30;

/** A group-commit turn running later than this means the object is behind: requests get `overloaded`. */
export const OVERLOAD_LAG_MS = 1_000;
/** Sockets one participant may open per minute (a player reconnects a few times; a script reusing a token more). */
export const CONNECTS_PER_PLAYER_PER_MINUTE = 20;
/** A lag measurement counts for this long (a quiet object takes no new measurements). */
const LAG_MEMORY_MS = 1_000;
const MAX_OVERLOAD_RETRY_MS = 5_000;

export type { HttpOutcome } from "./outcome";

/** What the room needs from the platform that hosts it. */
export interface RoomPlatform {
  /** For logs: the object's id until a battle is loaded. */
  readonly id: string;
  readonly store: BattleStore;
  readonly history: HistoryStore;
  /** Runs `run` in one storage transaction; throws if it rolled back. */
  transaction(run: () => void): void;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(timer: unknown): void;
  /** Arms the platform's single alarm (replacing the armed one), or disarms it when null. */
  setAlarm(at: number | null): void | Promise<void>;
  /** The open connections, listed once after a wake (the platform keeps sockets through hibernation). */
  connections(): Iterable<Connection>;
  /** Sends persistence messages to the event queue (one `sendBatch`). */
  sendEvents(batch: EventMessage[]): Promise<void>;
  /** Joins per address per minute when the battle sets none (the deployment's `JOIN_LIMIT_PER_MINUTE`). */
  readonly joinsPerAddressPerMinute?: number;
  /** New sockets admitted per second (the deployment's `CONNECT_RATE_PER_SECOND`); default 2,000. */
  readonly connectsPerSecond?: number;
  /** Storage cannot be trusted any more: reset the object. */
  abort(reason: string): void;
  /** How the objects of a sharded battle reach each other (absent: the battle cannot be sharded here). */
  readonly network?: ShardNetwork;
  /** The push fan-out's budget tuning (default `FANOUT_BUDGET`). */
  readonly fanout?: FanoutBudgetOptions;
}

export class BattleRoom {
  private game: BattleGame | null = null;
  /** Serialised leaderboard views of `game`, shared by reads and pushes. */
  private views: LeaderboardJson | null = null;
  private readonly pushes: PushScheduler;
  /** Joins per address in the current minute. */
  private readonly joinWindow = new FixedWindow(60_000);
  /** Per-player frame budget and strikes; never reset by a reconnect. */
  private readonly meter = new FrameMeter();
  /** How late the last group-commit turn ran (ms) and when that was measured: the object's backlog. */
  private lag = { ms: 0, at: 0 };
  /** Connections already accounted as closed (a server close is followed by the runtime's close event). */
  private readonly gone = new WeakSet<Connection>();
  /** Answers and attacks are written in batches; their replies go out once their batch has committed. */
  private readonly commit: GroupCommit;
  /** Requests and rejections since the object woke (the operator console's live view). */
  private readonly counters = new RequestCounters();
  /** Handling times, group-commit batches and joins (`metrics()`; counted by integer codes, see docs/metrics.md). */
  private readonly instruments = new BattleMetrics();
  /** New sockets are admitted at a steady rate; refused ones are told their own later slot. */
  private readonly admission: ConnectAdmission;
  /** Sockets each participant opened this minute: one token cannot spend the battle's admission budget. */
  private readonly connectWindow = new FixedWindow(60_000);
  private connectsLimited = 0;
  readonly timers: AlarmScheduler;
  /** Each player's private stream: sequence numbers, recent request ids, replay on resume. */
  private readonly streams: PlayerStreams;
  /** Open connections, listed from the platform once per wake and kept in memory after that. */
  private openSockets: SocketSet<Connection> | null = null;
  /** The persistence outbox's flusher (events to D1 and Postgres through the queue). */
  private readonly persist: OutboxHost;

  /** The server clock; tests replace it to move past the end without sleeping. */
  clock: () => number = Date.now;
  /**
   * Sharded battles (see src/sharding): on a shard, its link to the coordinator (null otherwise, and the room runs
   * exactly as before); on the coordinator, `beforeFinal` pulls every shard before the final standings are built.
   */
  link: ShardLink | null = null;
  beforeFinal: (() => Promise<void>) | null = null;
  /** The shard side of a sharded battle: replica updates, snapshots, cross-shard attacks. */
  private readonly shard: ShardSide;

  constructor(private readonly platform: RoomPlatform) {
    const store = platform.store;
    this.admission = new ConnectAdmission(connectAdmissionOptions(platform.connectsPerSecond));
    this.pushes = new PushScheduler({
      now: () => this.now(),
      setTimer: (fn, ms) => platform.setTimer(fn, ms),
      clearTimer: (t) => platform.clearTimer(t),
      // Pushes show only what is committed: the pending batch goes first, in the same event.
      beforeSlice: () => this.commit.flush(),
      views: () => this.views,
      sockets: () => this.sockets(),
      online: () => (this.link ? this.onlineCount() : undefined),
      // A shard lists the other shards' online players from its last report's reply (none while unknown).
      present: () =>
        this.link
          ? (this.link.globalPresent?.filter((id) => !this.game?.players.has(id)) ?? null)
          : undefined,
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
    this.timers.register(Timer.LIFECYCLE, () => this.syncLifecycle());
    this.timers.register(Timer.SWEEP, (now) => this.sweep(now));
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
      log: (msg, e) => this.log(msg, e),
      shard: () => this.stream,
    });
    this.timers.register(Timer.PERSIST, () => this.persist.flushDue());
    this.timers.register(Timer.HISTORY, (now) => this.pruneHistory(now));
    this.shard = new ShardSide({
      game: () => this.game,
      link: () => this.link,
      store,
      network: platform.network,
      commit: this.commit,
      streams: this.streams,
      counters: this.counters,
      now: () => this.now(),
      socketsOf: (id) => this.sockets().ofPlayer(id),
      online: () => this.sockets().size,
      reply: (conn, frame, writeId) => this.reply(conn, frame, writeId),
      strike: (conn, playerId) => this.strike(conn, playerId),
      markChanged: (id, oldRank) => this.markChanged(id, oldRank),
      log: (msg, e) => this.log(msg, e),
    });
  }

  /** Loads the battle from storage (on every wake) and re-arms its timers. */
  async load(): Promise<void> {
    this.setGame(this.platform.store.load());
    await this.syncLifecycle();
    // Events written before the restart and not confirmed yet are sent again.
    this.persist.kick();
    await this.timers.ensureArmed();
    // Cross-shard attacks a restart cut off are settled with their target's shard, off the wake's critical path.
    if (this.link) {
      this.settlePendingAttacks().catch((e) => this.log("settling reserved cross-shard attacks failed", e));
    }
  }

  /** Settles cross-shard attacks left reserved by a restart (see `ShardSide.settlePending`); how many. */
  settlePendingAttacks(): Promise<number> {
    return this.shard.settlePending();
  }

  private setGame(game: BattleGame | null): void {
    this.game = game;
    this.views = game ? new LeaderboardJson(game) : null;
    const shard = game?.config.shardIndex;
    if (shard !== undefined && this.platform.network && !this.link) {
      this.link = new ShardLink({
        battle: game!.config.id,
        shard,
        network: this.platform.network,
        setTimer: (fn, ms) => this.platform.setTimer(fn, ms),
        now: () => this.now(),
        entryOf: (id) => this.entryOf(id),
        localIds: () => this.game?.players.keys() ?? [],
        applyRemote: (entries) => this.applyRemote(entries),
        adoptSchedule: (schedule) => void this.adoptSchedule(schedule),
        online: () => this.sockets().size,
        present: () => {
          const s = this.sockets();
          if (s.size > PRESENCE_LIST_MAX) return null;
          return [...new Set(s.targets.map((t) => t.playerId))].sort((a, b) => a - b);
        },
        presenceChanged: () => this.pushes.schedule(),
        status: () => this.game?.status(this.now()) ?? "ended",
        log: (msg, e) => this.log(msg, e),
      });
    }
    if (this.link && game) {
      // After a reload the replica holds our own players only: the next report gets everyone else again.
      this.link.start();
    }
  }

  /**
   * This object's persistence stream (the outbox's shard number): 0 for a one-object battle; a shard writes its
   * own index; a coordinator the one after its shards' (a battle of N shards: N).
   */
  get stream(): number {
    const c = this.game?.config;
    if (!c) return 0;
    return c.shardIndex ?? ((c.shards ?? 1) > 1 ? c.shards! : 0);
  }

  /** The battle's config, once created. */
  get config(): BattleGame["config"] | undefined {
    return this.game?.config;
  }

  get schedule(): BattleGame["schedule"] | undefined {
    return this.game?.schedule;
  }

  /** The in-memory game (the sharding layer reads its players). */
  get state(): BattleGame | null {
    return this.game;
  }

  get defaultJoinLimit(): number {
    return this.platform.joinsPerAddressPerMinute ?? DEFAULT_JOINS_PER_ADDRESS_PER_MINUTE;
  }

  /** Whether this room is a shard of a sharded battle: the coordinator writes the battle's lifecycle events. */
  private get isShard(): boolean {
    return this.game?.config.shardIndex !== undefined;
  }

  private now(): number {
    return this.clock();
  }

  /**
   * One structured JSON line (`src/persistence/log.ts`): `event` is the message without its numbers (stable to query
   * by), with the battle, the shard of a sharded battle's shard object, the message and the error's cause.
   */
  log(msg: string, e?: unknown): void {
    const config = this.game?.config;
    log.error(logEvent(msg), {
      battle: config?.id ?? this.platform.id,
      ...(config?.shardIndex !== undefined ? { shard: config.shardIndex } : {}),
      message: msg,
      ...(e !== undefined ? { cause: e } : {}),
    });
  }

  // ---- Operator and player API (RPC from the Worker) ----

  async create(input: BattleConfig): Promise<Outcome<BattleAdminView>> {
    if (this.game) return err(ErrorCode.BATTLE_EXISTS, `battle ${input.id} already exists`);
    const config = input.incarnation ? input : { ...input, incarnation: newIncarnation(input.createdAt) };
    const schedule: Schedule = { startsAt: null, endsAt: null, endedAt: null };
    if (config.startsAt !== undefined) {
      schedule.startsAt = Math.max(config.startsAt, this.now());
      schedule.endsAt = schedule.startsAt + config.durationMs;
    }
    const now = this.now();
    const created = config.shardIndex === undefined ? battleEvent("created", config, schedule, now) : null;
    this.platform.store.create(config, schedule, created, now);
    this.persist.kick();
    this.setGame(this.platform.store.load());
    await this.syncLifecycle();
    return ok(this.adminView(this.game!));
  }

  info(): Outcome<BattleAdminView> {
    const game = this.game;
    return game ? ok(this.adminView(game)) : notFound();
  }

  view(): Outcome<BattleView> {
    const game = this.game;
    return game ? ok(game.battleView(this.now())) : notFound();
  }

  private viewCache: PublicView | null = null;

  /**
   * The public view as a prebuilt `{"battle":…}` body with its ETag, rebuilt only when what it shows changed
   * (status, schedule, player count; the config of one creation never changes): an anonymous reader costs a
   * string, not the whole question list each call.
   */
  publicView(): Outcome<PublicView> {
    const game = this.game;
    if (!game) return notFound();
    const now = this.now();
    const s = game.schedule;
    const tag = `"${game.config.incarnation ?? game.config.createdAt}.${game.status(now)}.${s.startsAt}.${s.endedAt ?? s.endsAt}.${game.board.size}"`;
    if (this.viewCache?.etag !== tag)
      this.viewCache = { etag: tag, body: JSON.stringify({ battle: game.battleView(now) }) };
    return ok(this.viewCache);
  }

  /** Starts the battle at `at` (default now); ends `durationMs` later unless `endsAt` is given. */
  async start(at?: number, endsAt?: number): Promise<Outcome<BattleAdminView>> {
    const game = this.game;
    if (!game) return notFound();
    const now = this.now();
    const status = game.status(now);
    if (status === "ended") return err(ErrorCode.BATTLE_ENDED, "the battle has ended");
    if (status === "live") return err(ErrorCode.INVALID_SCHEDULE, "the battle is already live");
    const startsAt = Math.max(at ?? now, now);
    const end = endsAt ?? startsAt + game.config.durationMs;
    if (end <= startsAt) return err(ErrorCode.INVALID_SCHEDULE, "endsAt must be after the start");
    game.schedule.startsAt = startsAt;
    game.schedule.endsAt = end;
    const why = game.status(now) === "live" ? "started" : "scheduled";
    const event = this.isShard ? null : battleEvent(why, game.config, game.schedule, now);
    this.platform.store.saveSchedule(game.schedule, event, now);
    this.persist.kick();
    await this.syncLifecycle();
    return ok(this.adminView(game));
  }

  async end(): Promise<Outcome<BattleAdminView>> {
    const game = this.game;
    if (!game) return notFound();
    const now = this.now();
    if (game.status(now) !== "ended") {
      game.schedule.endedAt = now;
      // Pending writes first, so every answer precedes the end in seq order.
      this.commit.flush();
      const event = this.isShard ? null : battleEvent("ended", game.config, game.schedule, now, game);
      this.platform.store.saveSchedule(game.schedule, event, now);
      this.persist.kick();
      await this.syncLifecycle();
    }
    return ok(this.adminView(game));
  }

  /** `address`: the client's rate-limit key (undefined for exempt callers), counted against the join limit. */
  join(
    username: string,
    session: string,
    proof: JoinProof = NO_PROOF,
    address?: string,
    alloc?: JoinAlloc,
  ): Outcome<JoinResult> {
    const game = this.game;
    if (!game) return notFound();
    if (address !== undefined) {
      const limit =
        game.config.joinsPerAddressPerMinute ??
        this.platform.joinsPerAddressPerMinute ??
        DEFAULT_JOINS_PER_ADDRESS_PER_MINUTE;
      const wait = this.joinWindow.take(address, limit, this.now());
      if (wait > 0) {
        this.instruments.joins.inc(JOIN_REFUSED);
        return err(ErrorCode.RATE_LIMITED, "too many joins from this address", wait);
      }
    }
    const plan = game.planJoin(username, session, this.now(), proof, alloc);
    if (!plan.ok) {
      this.instruments.joins.inc(JOIN_REFUSED);
      return plan;
    }
    this.instruments.joins.inc(plan.value.isNew ? JOIN_NEW : JOIN_REJOIN);
    this.platform.store.join(plan.value, joinEvent(plan.value));
    const player = game.applyJoin(plan.value);
    this.persist.kick();
    if (plan.value.replaces !== null) {
      for (const conn of this.sockets().socketsOf(player.id)) {
        this.closeConnection(conn, CloseCode.SESSION_REPLACED, "session replaced by a newer login");
      }
    }
    if (plan.value.isNew) {
      this.markChanged();
      this.link?.touch(player.id);
    }
    return ok({ participantId: player.id, username: player.username, isNew: plan.value.isNew });
  }

  /**
   * A player request over HTTP (the fallback for clients without a socket): same rules, same limits. `keyed`: the
   * client gave the request an id (`Idempotency-Key`, in `msg.id`), so it is deduplicated through the same
   * per-player window as socket requests, and an accepted one joins the player's stream.
   */
  async request(
    participantId: number,
    session: string,
    msg: ClientRequest,
    keyed = false,
  ): Promise<HttpOutcome> {
    const auth = this.authorise(participantId, session);
    if (!auth.ok) return auth;
    const now = this.now();
    const wait = this.meter.admit(participantId, now);
    const refusal =
      wait > 0
        ? { code: ErrorCode.RATE_LIMITED, message: "too many messages; slow down", retryAfterMs: wait }
        : this.overloaded(now);
    const kind = kindOf(msg.type);
    if (refusal) {
      this.counters.refused(kind, refusal);
      this.instruments.handled(kind, this.now() - now);
      return { ok: false, error: refusal };
    }
    const key = keyed ? requestKey(msg) : null;
    if (msg.type === "attack" && this.link && !this.game!.players.has(msg.target)) {
      const remote = await this.shard.requestRemoteAttack(participantId, msg, key);
      this.instruments.handled(kind, this.now() - now);
      return remote;
    }
    const result = this.handle(participantId, msg, key);
    this.counters.count(result, kind);
    if (key !== null && wrote(msg, result) && !(result.ok && result.value instanceof RawFrame)) {
      this.streams.record(participantId, replyJson(msg.id, result as Outcome<ReplyData>), now, key, (op) =>
        this.commit.write(op),
      );
    }
    const committed = await new Promise<boolean>((resolve) => this.commit.after(resolve));
    this.instruments.handled(kind, this.now() - now);
    if (!committed && wrote(msg, result)) return err(ErrorCode.INTERNAL, "the write failed; try again");
    if (result.ok && result.value instanceof RawJson) return ok(JSON.parse(result.value.json) as ReplyData);
    // The earlier reply to the same key: returned as it was, marked.
    if (result.ok && result.value instanceof RawFrame) return duplicateOutcome(result.value.frame);
    return result as Outcome<ReplyData>;
  }

  /** The public results: refused while the battle runs, before any standings are built. */
  finalResults(page?: StandingsPage): Outcome<BattleResults> {
    const game = this.game;
    if (!game) return notFound();
    if (game.status(this.now()) !== "ended")
      return err(ErrorCode.BATTLE_NOT_ENDED, "results are published when the battle ends");
    return this.results(page);
  }

  /** The standings now (all of them, or one page: the work is the page's, not the battle's). */
  results(page?: StandingsPage): Outcome<BattleResults> {
    this.commit.flush();
    const game = this.game;
    if (!game) return notFound();
    const now = this.now();
    const offset = page?.offset ?? 0;
    const rows = page ? game.board.page(page.offset, page.limit) : game.board.toRows();
    const standings = rows.map((s, i) => {
      const p = game.players.get(s.id) ?? game.remote.get(s.id)!;
      return {
        rank: offset + i + 1,
        id: p.id,
        username: p.username,
        score: p.score,
        correct: p.correct,
        arrows: p.arrows,
        shields: p.shields,
      };
    });
    return ok({
      battle: game.battleView(now),
      final: game.status(now) === "ended",
      total: game.board.size,
      standings,
    });
  }

  /** The sinks' watermarks, reported by the queue consumer after it applied a batch. */
  confirmPersisted(marks: Partial<Confirmed>): void {
    this.persist.confirm(marks);
  }

  /**
   * This object's metric families (requests, handling times, commits, fan-out, sockets, joins, admissions, the
   * outbox), read now; null before the battle exists. The Worker labels and writes them (`src/http/metrics.ts`).
   */
  metrics(): Family[] | null {
    const game = this.game;
    if (!game) return null;
    return collectBattle(this.instruments, this.counters.byOutcome, {
      online: this.sockets().size,
      players: game.players.size,
      pushes: this.pushes.stats,
      connects: { ...this.admission.stats, limited: this.connectsLimited },
      persistence: this.persist.status(),
    });
  }

  /** The pipeline's state as this object sees it (for operators). */
  persistence(): Outcome<OutboxStatus> {
    return this.game ? ok(this.persist.status()) : notFound();
  }

  /** A page of stored answers or attacks (what reconciliation compares with the sinks). */
  records(
    kind: "answers" | "attacks",
    after: readonly (string | number)[] | null,
    limit: number,
  ): StoredRecord[] {
    if (!this.game) return [];
    this.commit.flush();
    return this.platform.store.records(kind, after, limit);
  }

  // ---- Sharded battles (src/sharding/shard-side.ts holds the logic; these are its seams) ----

  /** A local player's state for the coordinator, or null if unknown here. */
  entryOf(id: number): SyncEntry | null {
    return this.shard.entryOf(id);
  }

  /** Participants of other shards changed: the replica of the global order follows (our own players win). */
  applyRemote(entries: readonly SyncEntry[]): void {
    this.shard.applyRemote(entries);
  }

  /** A shard's join, with the id and fullness the coordinator decided; a new player's entry comes back with it. */
  joinShard(
    username: string,
    session: string,
    proof: JoinProof,
    alloc: JoinAlloc,
  ): Outcome<JoinResult & { entry?: SyncEntry }> {
    const joined = this.join(username, session, proof, undefined, alloc);
    if (!joined.ok || !joined.value.isNew) return joined;
    return ok({ ...joined.value, entry: this.entryOf(joined.value.participantId)! });
  }

  /** A shard that missed a start or end call takes the coordinator's schedule (as the call would have set it). */
  private async adoptSchedule(schedule: Schedule): Promise<void> {
    const game = this.game;
    if (!game) return;
    const mine = game.schedule;
    if (
      mine.startsAt === schedule.startsAt &&
      mine.endsAt === schedule.endsAt &&
      (mine.endedAt === null) === (schedule.endedAt === null)
    )
      return;
    mine.startsAt = schedule.startsAt;
    mine.endsAt = schedule.endsAt;
    if (schedule.endedAt !== null && mine.endedAt === null) {
      mine.endedAt = this.now();
      this.commit.flush();
    }
    this.platform.store.saveSchedule(mine, null, this.now());
    await this.syncLifecycle();
  }

  /** Everything this shard holds of its own players (committed first). */
  snapshot(): ShardSnapshot | null {
    return this.shard.snapshot();
  }

  /** The target's side of a cross-shard attack (see `ShardSide.remoteAttack`). */
  remoteAttack(req: RemoteAttackRequest): Promise<Outcome<RemoteAttackResult>> {
    return this.shard.remoteAttack(req);
  }

  // ---- Connections ----

  /** Whether this participant and session may open a socket (checked before the upgrade is accepted). */
  authorise(participantId: number, session: string): Outcome<BattleGame> {
    const game = this.game;
    if (!game) return notFound();
    const p = game.players.get(participantId);
    if (!p) return err(ErrorCode.UNAUTHORIZED, "unknown participant");
    if (p.session !== session)
      return err(ErrorCode.SESSION_REPLACED, "this session was replaced by a newer login");
    return ok(game);
  }

  /**
   * Whether a new socket may be accepted now (after `authorise`): 0, or how long (ms) this one should wait before
   * it comes back (each refused socket gets its own slot, so a crowd that reconnects at once returns evenly).
   */
  admitConnection(participantId: number): number {
    const now = this.now();
    const own = this.connectWindow.take(String(participantId), CONNECTS_PER_PLAYER_PER_MINUTE, now);
    if (own > 0) {
      this.connectsLimited++;
      return own;
    }
    return this.admission.admit(now);
  }

  /**
   * A socket the host accepted after `authorise`: the frames it missed (if it resumes), then the welcome (a fresh
   * snapshot with where its stream stands), and the heartbeat sweep armed. A player's oldest socket beyond
   * `MAX_SOCKETS_PER_PLAYER` is closed.
   */
  async connect(conn: Connection, from?: ResumeFrom): Promise<void> {
    const game = this.game!;
    const participantId = conn.info.p;
    // Everything owed is committed (so it is in the history) before the replay is read: the socket waits for the
    // pending batch's commit (the next turn) instead of forcing one, so the connects of a join ramp or a reconnect
    // storm share the requests' commits (each connect forced its own before). It joins the sockets only then, so
    // a frame of that batch reaches it once, by the replay, not also live.
    if (this.commit.pending) await new Promise<boolean>((resolve) => this.commit.after(resolve));
    if (this.gone.has(conn)) return; // it closed while waiting
    this.commit.flush();
    const sockets = this.sockets();
    const mine = sockets.socketsOf(participantId);
    for (let i = 0; i <= mine.length - MAX_SOCKETS_PER_PLAYER; i++) {
      this.closeConnection(mine[i]!, CloseCode.SUPERSEDED, "superseded by a newer connection");
    }
    const plan = this.streams.resume(participantId, from?.seq ?? null, from?.epoch ?? null);
    sockets.add(conn, participantId, conn.info.v === 2);
    const now = this.now();
    conn.lastSeen = now;
    for (const frame of plan.frames) conn.send(frame);
    const leaderboard = game.leaderboardView(participantId);
    const you = playerView(
      game.players.get(participantId)!,
      leaderboard.me?.rank ?? 0,
      game.config.rules.maxAttempts,
    );
    const stream = {
      epoch: this.streams.epoch,
      seq: this.streams.seqOf(participantId),
      continuity: plan.continuity,
      replayed: plan.frames.length,
    };
    conn.send(welcomeJson(now, you, game.battleView(now), leaderboard, this.onlineCount(), stream));
    this.pushes.schedule();
    if (this.timers.dueAt(Timer.SWEEP) === null) {
      await this.timers.set(Timer.SWEEP, now + SWEEP_INTERVAL_MS);
    }
  }

  message(conn: Connection, frame: string | ArrayBuffer): void {
    try {
      const att = conn.info;
      const now = this.now();
      conn.lastSeen = now;
      const auth = this.authorise(att.p, att.s);
      if (!auth.ok) {
        const code =
          auth.error.code === ErrorCode.SESSION_REPLACED
            ? CloseCode.SESSION_REPLACED
            : CloseCode.UNAUTHORIZED;
        this.closeConnection(conn, code, auth.error.message);
        return;
      }
      // Every frame is metered before it is looked at, bad ones too; a bad or refused frame is also a strike.
      const wait = this.meter.admit(att.p, now);
      const parsed = parseClientFrame(frame);
      if ((wait > 0 || !parsed.ok) && this.meter.strike(att.p, now)) {
        this.closeConnection(conn, CloseCode.TOO_MANY_ERRORS, "too many bad or excess frames");
        return;
      }
      const refusal: ErrorBody | null = !parsed.ok
        ? parsed.error
        : wait > 0
          ? { code: ErrorCode.RATE_LIMITED, message: "too many messages; slow down", retryAfterMs: wait }
          : parsed.msg.type === "ping"
            ? null
            : this.overloaded(now);
      if (refusal) {
        const kind = parsed.ok ? kindOf(parsed.msg.type) : RequestKind.INVALID;
        this.counters.refused(kind, refusal);
        const id = parsed.ok ? parsed.msg.id : parsed.id;
        this.reply(conn, refusalJson(id, refusal), undefined, kind, now);
        return;
      }
      if (!parsed.ok) return;
      const msg = parsed.msg;
      if (msg.type === "ping") {
        this.counters.pinged();
        this.reply(
          conn,
          msg.id === undefined ? HEARTBEAT_RESPONSE : replyJson(msg.id, ok({ pong: true })),
          undefined,
          RequestKind.PING,
          now,
        );
        return;
      }
      const kind = kindOf(msg.type);
      const requestId = JSON.stringify(msg.id);
      const key = requestKey(msg);
      if (msg.type === "attack" && this.link && !this.game!.players.has(msg.target)) {
        // Its reply goes out from the shard side (after an RPC, then its commit): timed once that commit is done.
        void this.shard
          .replyRemoteAttack(conn, att.p, msg.id, msg.target, key)
          .then(() => this.commit.after(() => this.instruments.handled(kind, this.now() - now)));
        return;
      }
      const result = this.handle(att.p, msg, key);
      this.counters.count(result, kind);
      // A refused attack is a strike like a refused frame: attacks are the requests that cost others something.
      if (msg.type === "attack" && !result.ok && result.error.code !== ErrorCode.INTERNAL) {
        this.reply(conn, replyJson(msg.id, result), undefined, kind, now);
        this.strike(conn, att.p);
        return;
      }
      if (result.ok && result.value instanceof RawFrame) {
        this.reply(conn, result.value.frame, undefined, kind, now);
      } else if (result.ok && result.value instanceof RawJson) {
        this.reply(conn, rawReplyJson(requestId, result.value.json), undefined, kind, now);
      } else if (wrote(msg, result)) {
        // An accepted write: its reply joins the player's stream (replayed on resume, returned to a retry).
        const frame = this.streams.record(
          att.p,
          replyJson(msg.id, result as Outcome<ReplyData>),
          this.now(),
          key,
          (op) => this.commit.write(op),
        );
        this.reply(conn, frame, msg.id, kind, now);
      } else {
        this.reply(conn, replyJson(msg.id, result as Outcome<ReplyData>), undefined, kind, now);
      }
    } catch (e) {
      this.log("message failed", e);
      conn.send(internalErrorJson());
    }
  }

  /**
   * Sends `frame` once the writes queued so far have committed (at once if there are none), so no reply overtakes
   * an earlier one. `writeId`: the id of a request whose own write is in the batch; if the batch rolls back, that
   * request is answered `internal` instead. `kind` and `at`: the request's action and receipt time, for its handling
   * time (`arena_request_duration_seconds`); -1 for a frame that is no request's reply.
   */
  private reply(
    conn: Connection,
    frame: string,
    writeId?: string | number,
    kind: RequestKind | -1 = -1,
    at = 0,
  ): void {
    if (!this.commit.pending) {
      conn.send(frame);
      if (kind !== -1) this.instruments.handled(kind, this.now() - at);
      return;
    }
    this.commit.after((committed) => {
      conn.send(
        committed || writeId === undefined
          ? frame
          : replyJson(writeId, err(ErrorCode.INTERNAL, "the write failed; try again")),
      );
      if (kind !== -1) this.instruments.handled(kind, this.now() - at);
    });
  }

  /** A strike against the player for a refused request; out of strikes, this socket is closed with 4001. */
  private strike(conn: Connection, playerId: number): void {
    if (this.meter.strike(playerId, this.now()))
      this.closeConnection(conn, CloseCode.TOO_MANY_ERRORS, "too many bad or excess frames");
  }

  /** The client closed, or the socket failed: forget it. */
  closed(conn: Connection): void {
    this.onGone(conn);
  }

  /** Closes a connection from the server side and forgets it at once. */
  private closeConnection(conn: Connection, code: number, reason: string): void {
    conn.close(code, reason);
    this.onGone(conn);
  }

  /** The open connections; after a wake they are listed from the platform once. */
  private sockets(): SocketSet<Connection> {
    if (!this.openSockets) {
      this.openSockets = new SocketSet<Connection>((conn, frame) => conn.send(frame));
      for (const conn of this.platform.connections()) {
        if (!this.gone.has(conn)) this.openSockets.add(conn, conn.info.p, conn.info.v === 2);
      }
    }
    return this.openSockets;
  }

  private onGone(conn: Connection): void {
    if (this.gone.has(conn)) return;
    this.gone.add(conn);
    this.sockets().remove(conn);
    this.pushes.schedule();
  }

  /** What players see as online: this object's sockets, or in a sharded battle the sum the coordinator reports. */
  private onlineCount(): number {
    const here = this.sockets().size;
    return this.link ? this.link.online(here) : here;
  }

  /** Open connections (for operators and tests). */
  get online(): number {
    return this.sockets().size;
  }

  // ---- Timers (the platform's alarm) ----

  /** The platform's alarm fired: run every due timer. */
  alarm(): Promise<void> {
    return this.timers.fire(this.now());
  }

  /**
   * Closes sockets silent past the heartbeat timeout; runs every `SWEEP_INTERVAL_MS` while anyone is online, after
   * the end too (tokens still connect to read the final standings, and a silent socket holds a descriptor).
   */
  private async sweep(now: number): Promise<void> {
    if (!this.game) return;
    for (const conn of this.sockets().sockets()) {
      const last = Math.max(conn.pingedAt(), conn.lastSeen, conn.info.t);
      if (now - last > HEARTBEAT_TIMEOUT_MS) this.closeConnection(conn, CloseCode.GOING_AWAY, "no heartbeat");
    }
    if (this.sockets().size > 0) await this.timers.set(Timer.SWEEP, now + SWEEP_INTERVAL_MS);
  }

  /** Announces a status change to every socket, then sets the lifecycle timer for the next transition. */
  private async syncLifecycle(): Promise<void> {
    const game = this.game;
    if (!game) return;
    const store = this.platform.store;
    const now = this.now();
    const status = game.status(now);
    if (store.announced() !== status) {
      // A coordinator pulls every shard first, so the final standings are exact.
      if (status === "ended" && this.beforeFinal) await this.beforeFinal();
      // Pending writes first, so the final standings follow every answer in seq order.
      this.commit.flush();
      const why: BattleChange = status === "live" ? "started" : status;
      const events = this.isShard ? [] : [battleEvent(why, game.config, game.schedule, now, game)];
      if (status === "ended" && !this.isShard) events.push(...finalEvents(finalRows(game)));
      store.saveAnnounced(status, events, now);
      this.persist.kick();
      const frame = battleJson(status, game.schedule);
      // Every participant's stream gets it (one batch, committed now), so a player away at the start learns it.
      this.streams.recordForAll(game.players.keys(), frame, now, (op) => this.commit.write(op));
      this.commit.after((committed) => {
        if (!committed) return;
        for (const t of this.sockets().targets) t.send(withSeq(frame, this.streams.seqOf(t.playerId)));
      });
      this.commit.flush();
      if (status !== "scheduled") {
        // Questions are revealed at the start; the final standings go out at the end.
        this.markChanged();
        this.pushes.sliceNow();
      }
      if (status === "live") this.link?.start();
    }
    const next = nextTransition(game.schedule, now);
    if (next === null) this.timers.clear(Timer.LIFECYCLE);
    else await this.timers.set(Timer.LIFECYCLE, next);
    if (status !== "ended" && this.timers.dueAt(Timer.HISTORY) === null) {
      await this.timers.set(Timer.HISTORY, now + PRUNE_INTERVAL_MS);
    }
    if (this.sockets().size > 0 && this.timers.dueAt(Timer.SWEEP) === null) {
      await this.timers.set(Timer.SWEEP, now + SWEEP_INTERVAL_MS);
    }
  }

  /** Drops stream frames past the replay window; runs every `PRUNE_INTERVAL_MS` until the window after the end. */
  private async pruneHistory(now: number): Promise<void> {
    this.commit.flush();
    this.streams.prune(now);
    const game = this.game;
    const ended = game ? endedAt(game.schedule) : null;
    if (game && (ended === null || now < ended + HISTORY_WINDOW_MS + PRUNE_INTERVAL_MS)) {
      await this.timers.set(Timer.HISTORY, now + PRUNE_INTERVAL_MS);
    }
  }

  // ---- Requests ----

  /**
   * Applies one request. `key` (`requestKey`: the client's id and what it asks; null for reads and un-keyed HTTP):
   * a retried answer or attack whose reply is still remembered (accepted, or refused for a final reason) gets that
   * reply again (`RawFrame`) and changes nothing.
   */
  private handle(
    playerId: number,
    msg: ClientRequest,
    key: string | null,
  ): Outcome<ReplyData | RawJson | RawFrame> {
    if (key === null) return this.apply(playerId, msg);
    const earlier = this.streams.earlier(playerId, key, msg.id);
    if (earlier !== null) return ok(new RawFrame(earlier));
    const result = this.apply(playerId, msg);
    if (!result.ok) this.streams.refused(playerId, key, result.error);
    return result;
  }

  private apply(playerId: number, msg: ClientRequest): Outcome<ReplyData | RawJson | RawFrame> {
    const game = this.game!;
    const now = this.now();
    switch (msg.type) {
      case "answer": {
        const plan = game.planAnswer(playerId, msg.questionId, msg.answer, now);
        if (!plan.ok) return plan;
        const answer = plan.value;
        const answerEv = answerEvent(answer);
        this.commit.write(() => this.platform.store.answer(answer, answerEv));
        const oldRank = answer.points !== 0 ? game.rankOf(playerId) : undefined;
        game.applyAnswer(plan.value);
        if (plan.value.points !== 0) this.markChanged(playerId, oldRank);
        this.link?.touch(playerId);
        const {
          playerId: _p,
          answer: _a,
          at: _t,
          attempt: _n,
          reachedAt: _r,
          correctCount: _c,
          ...result
        } = plan.value;
        return ok(result);
      }
      case "attack": {
        const plan = game.planAttack(playerId, msg.target, now);
        if (!plan.ok) return plan;
        const attack = plan.value;
        const oldRank = attack.pointsLost !== 0 ? game.rankOf(attack.target) : undefined;
        game.applyAttack(plan.value);
        const { target, blocked, pointsLost, arrows } = plan.value;
        const attacker = game.players.get(playerId)!;
        const attackEv = attackEvent(attack, attacker, game.players.get(target)!);
        this.commit.write(() => this.platform.store.attack(attack, attackEv));
        const event = this.streams.record(
          target,
          attackedJson(attacker.id, attacker.username, attack),
          now,
          null,
          (op) => this.commit.write(op),
        );
        this.commit.after((committed) => {
          if (committed) for (const t of this.sockets().ofPlayer(target)) t.send(event);
        });
        if (pointsLost !== 0) this.markChanged(target, oldRank);
        this.link?.touch(playerId);
        this.link?.touch(target);
        return ok({ target, blocked, pointsLost, arrows });
      }
      case "leaderboard":
        return ok(
          msg.offset === undefined
            ? new RawJson(this.views!.view(playerId, msg.limit))
            : game.page(msg.offset, msg.limit ?? 50),
        );
    }
  }

  /**
   * `overloaded` with a retry delay while the object's event loop runs behind (its last group-commit turn ran more
   * than `OVERLOAD_LAG_MS` late, measured within the last second), so clients back off instead of timing out.
   */
  private overloaded(now: number): ErrorBody | null {
    if (this.lag.ms <= OVERLOAD_LAG_MS || now - this.lag.at > LAG_MEMORY_MS) return null;
    return {
      code: ErrorCode.OVERLOADED,
      message: "the battle is busy; retry shortly",
      retryAfterMs: Math.min(MAX_OVERLOAD_RETRY_MS, Math.max(500, this.lag.ms)),
    };
  }

  /** The board changed; `playerId`'s own score did (from `oldRank`), so they and those around them go first. */
  private markChanged(playerId?: number, oldRank?: number): void {
    this.pushes.markChanged(playerId, oldRank);
  }

  private adminView(game: BattleGame): BattleAdminView {
    this.commit.flush();
    const now = this.now();
    return {
      ...game.battleView(now),
      config: game.config,
      schedule: { ...game.schedule },
      stored: this.platform.store.counts(),
      online: this.sockets().size,
      commits: { ...this.commit.stats },
      pushes: this.pushes.stats,
      requests: this.counters.view(),
      connects: { ...this.admission.stats, limited: this.connectsLimited },
    };
  }
}

function notFound<T>(): Outcome<T> {
  return err(ErrorCode.NOT_FOUND, "no such battle");
}

/** A lifecycle event for the outbox: the battle's indexed fields after the change (its full view at the end). */
function battleEvent(
  why: BattleChange,
  config: BattleConfig,
  schedule: Schedule,
  now: number,
  game?: BattleGame,
): BattleEvent {
  const b = {
    id: config.id,
    title: config.title,
    status: statusAt(schedule, now),
    startsAt: schedule.startsAt,
    endsAt: schedule.endedAt ?? schedule.endsAt,
    durationMs: config.durationMs,
    maxPlayers: config.maxPlayers,
    createdAt: config.createdAt,
  };
  return why === "ended" && game
    ? { k: "battle", why, at: now, b, v: game.battleView(now) }
    : { k: "battle", why, at: now, b };
}

function finalRows(game: BattleGame) {
  return game.board.toRows().map((s, i) => {
    const p = game.players.get(s.id) ?? game.remote.get(s.id)!;
    return [i + 1, p.id, p.username, p.score, p.correct, p.arrows, p.shields] as const;
  });
}
