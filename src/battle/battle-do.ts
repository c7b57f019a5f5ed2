/**
 * @module BattleDO: the Durable Object that owns one battle — its sockets (hibernation API), its SQLite
 * and its in-memory leaderboard. Glue only: rules live in `game.ts`, storage in `battle-store.ts`.
 */
import { DurableObject } from "cloudflare:workers";
import { indexBattle } from "../persistence/battle-index";
import {
  type BattleView,
  type ClientRequest,
  CloseCode,
  ErrorCode,
  HEARTBEAT_REQUEST,
  HEARTBEAT_RESPONSE,
  PROTOCOL_VERSION,
  parseClientFrame,
  type ReplyData,
  type ServerMessage,
} from "../protocol";
import type { BattleResults } from "../protocol/http-messages";
import { BattleStore } from "./battle-store";
import type { BattleConfig } from "./config";
import type { BattleGame } from "./game";
import { GroupCommit } from "./group-commit";
import { LeaderboardJson } from "./leaderboard-json";
import { err, type Outcome, ok } from "./outcome";
import { playerView } from "./player";
import { PushScheduler } from "./push-scheduler";
import { nextTransition, type Schedule } from "./schedule";
import { SocketSet } from "./socket-set";
import { PLAYER_RATE, TokenBucket } from "./token-bucket";
import type { BattleAdminView, JoinResult } from "./views";

interface Attachment {
  /** Participant id. */
  readonly p: number;
  /** Session id. */
  readonly s: string;
  /** Connected at (server ms). */
  readonly t: number;
}

/** A socket with no heartbeat or message for this long is closed (4000) so presence stays honest. */
const HEARTBEAT_TIMEOUT_MS = 90_000;
/** How often a battle with sockets checks for silent ones (an alarm; heartbeats never wake the object). */
const SWEEP_INTERVAL_MS = 60_000;
/** Retry delay for the D1 index row after a failed write. */
const INDEX_RETRY_MS = 10_000;

export class BattleDO extends DurableObject<Env> {
  private readonly store: BattleStore;
  private game: BattleGame | null = null;
  /** Serialised leaderboard views of `game`, shared by reads and pushes. */
  private views: LeaderboardJson | null = null;
  private readonly pushes: PushScheduler;
  private readonly buckets = new Map<number, TokenBucket>();
  private readonly attachments = new WeakMap<WebSocket, Attachment>();
  /** Last message from each socket (heartbeats are answered by the runtime and tracked there). */
  private readonly lastSeen = new WeakMap<WebSocket, number>();
  /** Sockets already accounted as closed (a sweep close is followed by the runtime's close event). */
  private readonly gone = new WeakSet<WebSocket>();
  /** Answers and attacks are written in batches; their replies go out once their batch has committed. */
  private readonly commit: GroupCommit;
  /** Open sockets, listed from the runtime once per wake and kept in memory after that. */
  private openSockets: SocketSet<WebSocket> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new BattleStore(ctx.storage.sql, (fn) => ctx.storage.transactionSync(fn));
    this.pushes = new PushScheduler({
      now: () => this.now(),
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (t) => clearTimeout(t as ReturnType<typeof setTimeout>),
      // Pushes show only what is committed: the pending batch goes first, in the same event.
      beforeSlice: () => this.commit.flush(),
      views: () => this.views,
      sockets: () => this.sockets(),
      log: (msg, e) => this.log(msg, e),
    });
    this.commit = new GroupCommit({
      transaction: (run) => ctx.storage.transactionSync(run),
      schedule: (flush) => setTimeout(flush, 0),
      rolledBack: (e) => {
        // Memory ran ahead of storage for this batch; SQLite is the truth, so rebuild from it.
        this.log("a write batch rolled back; reloading the battle from SQLite", e);
        try {
          this.setGame(this.store.load());
          this.markChanged();
        } catch (reload) {
          this.log("reload after a rollback failed; resetting the object", reload);
          this.ctx.abort("storage failure");
        }
      },
    });
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(HEARTBEAT_REQUEST, HEARTBEAT_RESPONSE));
    void ctx.blockConcurrencyWhile(async () => {
      this.setGame(this.store.load());
      await this.syncLifecycle();
    });
  }

  private setGame(game: BattleGame | null): void {
    this.game = game;
    this.views = game ? new LeaderboardJson(game) : null;
  }

  /** The server clock; tests replace it (through `runInDurableObject`) to move past the end without sleeping. */
  clock: () => number = Date.now;

  private now(): number {
    return this.clock();
  }

  private log(msg: string, e?: unknown): void {
    console.error(`BattleDO:${this.game?.config.id ?? this.ctx.id.toString()} ${msg}`, e ?? "");
  }

  // ---- RPC for the Worker (operator and player HTTP API) ----

  async create(config: BattleConfig): Promise<Outcome<BattleAdminView>> {
    if (this.game) return err(ErrorCode.BATTLE_EXISTS, `battle ${config.id} already exists`);
    const schedule: Schedule = { startsAt: null, endsAt: null, endedAt: null };
    if (config.startsAt !== undefined) {
      schedule.startsAt = Math.max(config.startsAt, this.now());
      schedule.endsAt = schedule.startsAt + config.durationMs;
    }
    this.store.create(config, schedule);
    this.setGame(this.store.load());
    await this.syncLifecycle();
    return ok(this.adminView(this.game!));
  }

  async info(): Promise<Outcome<BattleAdminView>> {
    const game = this.game;
    return game ? ok(this.adminView(game)) : notFound();
  }

  async view(): Promise<Outcome<BattleView>> {
    const game = this.game;
    return game ? ok(game.battleView(this.now())) : notFound();
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
    this.store.saveSchedule(game.schedule);
    await this.syncLifecycle();
    return ok(this.adminView(game));
  }

  async end(): Promise<Outcome<BattleAdminView>> {
    const game = this.game;
    if (!game) return notFound();
    const now = this.now();
    if (game.status(now) !== "ended") {
      game.schedule.endedAt = now;
      this.store.saveSchedule(game.schedule);
      await this.syncLifecycle();
    }
    return ok(this.adminView(game));
  }

  async join(username: string, session: string): Promise<Outcome<JoinResult>> {
    const game = this.game;
    if (!game) return notFound();
    const plan = game.planJoin(username, session, this.now());
    if (!plan.ok) return plan;
    this.store.join(plan.value);
    const player = game.applyJoin(plan.value);
    if (plan.value.replaces !== null) {
      for (const ws of this.sockets().socketsOf(player.id)) {
        closeQuietly(ws, CloseCode.SESSION_REPLACED, "session replaced by a newer login");
        this.onSocketGone(ws);
      }
    }
    if (plan.value.isNew) this.markChanged();
    return ok({ participantId: player.id, username: player.username, isNew: plan.value.isNew });
  }

  /** A player request over HTTP (the fallback for clients without a socket): same rules, same limits. */
  async request(participantId: number, session: string, msg: ClientRequest): Promise<Outcome<ReplyData>> {
    const auth = this.authorise(participantId, session);
    if (!auth.ok) return auth;
    const result = this.handle(participantId, msg);
    const committed = await new Promise<boolean>((resolve) => this.commit.after(resolve));
    if (!committed && wrote(msg, result)) return err(ErrorCode.INTERNAL, "the write failed; try again");
    if (result.ok && result.value instanceof RawJson) return ok(JSON.parse(result.value.json) as ReplyData);
    return result as Outcome<ReplyData>;
  }

  async results(): Promise<Outcome<BattleResults>> {
    this.commit.flush();
    const game = this.game;
    if (!game) return notFound();
    const now = this.now();
    const standings = game.board.toRows().map((s, i) => {
      const p = game.players.get(s.id)!;
      return {
        rank: i + 1,
        id: p.id,
        username: p.username,
        score: p.score,
        correct: p.correct,
        arrows: p.arrows,
        shields: p.shields,
      };
    });
    return ok({ battle: game.battleView(now), final: game.status(now) === "ended", standings });
  }

  // ---- WebSockets ----

  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
      return jsonError(426, ErrorCode.BAD_MESSAGE, "expected a WebSocket upgrade");
    }
    const participantId = Number(request.headers.get("x-arena-participant"));
    const session = request.headers.get("x-arena-session") ?? "";
    const auth = this.authorise(participantId, session);
    if (!auth.ok)
      return jsonError(
        auth.error.code === ErrorCode.NOT_FOUND ? 404 : 401,
        auth.error.code,
        auth.error.message,
      );
    const game = auth.value;
    const sockets = this.sockets();
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server, [`p:${participantId}`]);
    const attachment: Attachment = { p: participantId, s: session, t: this.now() };
    server.serializeAttachment(attachment);
    this.attachments.set(server, attachment);
    sockets.add(server, participantId);
    const now = this.now();
    const leaderboard = game.leaderboardView(participantId);
    const welcome: ServerMessage = {
      type: "welcome",
      protocol: PROTOCOL_VERSION,
      serverTime: now,
      you: playerView(
        game.players.get(participantId)!,
        leaderboard.me?.rank ?? 0,
        game.config.rules.maxAttempts,
      ),
      battle: game.battleView(now),
      leaderboard,
      online: sockets.size,
    };
    server.send(JSON.stringify(welcome));
    this.pushes.forget(participantId);
    this.pushes.schedule();
    if ((await this.ctx.storage.getAlarm()) === null) await this.syncLifecycle();
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, frame: string | ArrayBuffer): Promise<void> {
    try {
      const att = this.attachment(ws);
      if (!att) return closeQuietly(ws, CloseCode.UNAUTHORIZED, "no session");
      this.lastSeen.set(ws, this.now());
      const auth = this.authorise(att.p, att.s);
      if (!auth.ok) {
        const code =
          auth.error.code === ErrorCode.SESSION_REPLACED
            ? CloseCode.SESSION_REPLACED
            : CloseCode.UNAUTHORIZED;
        return closeQuietly(ws, code, auth.error.message);
      }
      const parsed = parseClientFrame(frame);
      if (!parsed.ok) {
        const reply =
          parsed.id === undefined ? { type: "error", error: parsed.error } : replyFrame(parsed.id, parsed);
        return this.reply(ws, JSON.stringify(reply));
      }
      const msg = parsed.msg;
      if (msg.type === "ping") {
        return this.reply(
          ws,
          msg.id === undefined ? HEARTBEAT_RESPONSE : JSON.stringify(replyFrame(msg.id, ok({ pong: true }))),
        );
      }
      const result = this.handle(att.p, msg);
      this.reply(
        ws,
        result.ok && result.value instanceof RawJson
          ? `{"type":"reply","id":${JSON.stringify(msg.id)},"ok":true,"data":${result.value.json}}`
          : JSON.stringify(replyFrame(msg.id, result)),
        wrote(msg, result) ? msg.id : undefined,
      );
    } catch (e) {
      this.log("webSocketMessage failed", e);
      sendOrClose(
        ws,
        JSON.stringify({ type: "error", error: { code: ErrorCode.INTERNAL, message: "internal error" } }),
      );
    }
  }

  /**
   * Sends `frame` once the writes queued so far have committed (at once if there are none), so no reply overtakes
   * an earlier one. `writeId`: the id of a request whose own write is in the batch; if the batch rolls back, that
   * request is answered `internal` instead.
   */
  private reply(ws: WebSocket, frame: string, writeId?: string | number): void {
    if (!this.commit.pending) {
      sendOrClose(ws, frame);
      return;
    }
    this.commit.after((committed) =>
      sendOrClose(
        ws,
        committed || writeId === undefined
          ? frame
          : JSON.stringify(replyFrame(writeId, err(ErrorCode.INTERNAL, "the write failed; try again"))),
      ),
    );
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    closeQuietly(ws, code === 1005 || code === 1006 ? 1000 : code, reason);
    this.onSocketGone(ws);
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    this.log("webSocketError", error);
    this.onSocketGone(ws);
  }

  /** The open sockets; after a wake they are listed from the runtime once (attachments say whose they are). */
  private sockets(): SocketSet<WebSocket> {
    if (!this.openSockets) {
      this.openSockets = new SocketSet<WebSocket>(sendOrClose);
      for (const ws of this.ctx.getWebSockets()) {
        const att = this.attachment(ws);
        if (att && !this.gone.has(ws)) this.openSockets.add(ws, att.p);
      }
    }
    return this.openSockets;
  }

  private onSocketGone(ws: WebSocket): void {
    if (this.gone.has(ws)) return;
    this.gone.add(ws);
    const att = this.attachment(ws);
    if (this.sockets().remove(ws) && att) {
      this.pushes.forget(att.p);
      this.buckets.delete(att.p);
    }
    this.pushes.schedule();
  }

  // ---- Lifecycle (alarms) ----

  override async alarm(): Promise<void> {
    await this.syncLifecycle();
    if (this.game && this.game.status(this.now()) !== "ended") this.closeSilentSockets();
  }

  private closeSilentSockets(): void {
    const now = this.now();
    for (const ws of this.sockets().sockets()) {
      const att = this.attachment(ws);
      const pinged = this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0;
      const last = Math.max(pinged, this.lastSeen.get(ws) ?? 0, att?.t ?? 0);
      if (now - last > HEARTBEAT_TIMEOUT_MS) {
        closeQuietly(ws, CloseCode.GOING_AWAY, "no heartbeat");
        this.onSocketGone(ws);
      }
    }
  }

  /** Announces a status change to every socket, then arms the alarm for the next transition or sweep. */
  private async syncLifecycle(): Promise<void> {
    const game = this.game;
    if (!game) return;
    const now = this.now();
    const status = game.status(now);
    if (this.store.announced() !== status) {
      this.store.saveAnnounced(status);
      const { startsAt, endsAt, endedAt } = game.schedule;
      const frame = JSON.stringify({ type: "battle", status, startsAt, endsAt: endedAt ?? endsAt });
      for (const t of this.sockets().targets) t.send(frame);
      if (status !== "scheduled") {
        // Questions are revealed at the start; the final standings go out at the end.
        this.markChanged();
        this.pushes.sliceNow();
      }
    }
    let next = nextTransition(game.schedule, now);
    if (!(await this.syncIndex(now))) next = Math.min(next ?? Number.POSITIVE_INFINITY, now + INDEX_RETRY_MS);
    if (status !== "ended" && this.sockets().size > 0) {
      next = Math.min(next ?? Number.POSITIVE_INFINITY, now + SWEEP_INTERVAL_MS);
    }
    if (next === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(next);
  }

  /** Writes the battle's row in D1 when its schedule or status changed; false if D1 failed (retried). */
  private async syncIndex(now: number): Promise<boolean> {
    const game = this.game!;
    const view = game.battleView(now);
    const state = `${view.status}|${view.startsAt}|${view.endsAt}`;
    if (this.store.indexed() === state) return true;
    try {
      await indexBattle(this.env.DB, view, game.config.createdAt);
      this.store.saveIndexed(state);
      return true;
    } catch (e) {
      this.log("D1 index write failed; retrying", e);
      return false;
    }
  }

  // ---- Requests ----

  private authorise(participantId: number, session: string): Outcome<BattleGame> {
    const game = this.game;
    if (!game) return notFound();
    const p = game.players.get(participantId);
    if (!p) return err(ErrorCode.UNAUTHORIZED, "unknown participant");
    if (p.session !== session)
      return err(ErrorCode.SESSION_REPLACED, "this session was replaced by a newer login");
    return ok(game);
  }

  private handle(playerId: number, msg: ClientRequest): Outcome<ReplyData | RawJson> {
    const game = this.game!;
    const now = this.now();
    const wait = this.bucket(playerId, now).take(now);
    if (wait > 0) return err(ErrorCode.RATE_LIMITED, "too many messages; slow down", wait);
    switch (msg.type) {
      case "answer": {
        const plan = game.planAnswer(playerId, msg.questionId, msg.answer, now);
        if (!plan.ok) return plan;
        const answer = plan.value;
        this.commit.write(() => this.store.answer(answer));
        game.applyAnswer(plan.value);
        if (plan.value.points !== 0) this.markChanged(playerId);
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
        this.commit.write(() => this.store.attack(attack));
        game.applyAttack(plan.value);
        const { target, blocked, pointsLost, arrows, targetScore, targetShields } = plan.value;
        const attacker = game.players.get(playerId)!;
        const event = JSON.stringify({
          type: "attacked",
          attacker: { id: attacker.id, username: attacker.username },
          blocked,
          pointsLost,
          at: now,
          score: targetScore,
          shields: targetShields,
        });
        this.commit.after((committed) => {
          if (committed) for (const t of this.sockets().ofPlayer(target)) t.send(event);
        });
        if (pointsLost !== 0) this.markChanged(target);
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

  private bucket(playerId: number, now: number): TokenBucket {
    let b = this.buckets.get(playerId);
    if (!b) {
      b = new TokenBucket(PLAYER_RATE.capacity, PLAYER_RATE.ratePerSec, now);
      this.buckets.set(playerId, b);
    }
    return b;
  }

  /** The board changed; `playerId`'s own score did, so their next frame comes first. */
  private markChanged(playerId?: number): void {
    this.pushes.markChanged(playerId);
  }

  private attachment(ws: WebSocket): Attachment | undefined {
    let att = this.attachments.get(ws);
    if (!att) {
      att = ws.deserializeAttachment() as Attachment | undefined;
      if (att) this.attachments.set(ws, att);
    }
    return att;
  }

  private adminView(game: BattleGame): BattleAdminView {
    this.commit.flush();
    const now = this.now();
    return {
      ...game.battleView(now),
      config: game.config,
      schedule: { ...game.schedule },
      stored: this.store.counts(),
      commits: { ...this.commit.stats },
    };
  }
}

function notFound<T>(): Outcome<T> {
  return err(ErrorCode.NOT_FOUND, "no such battle");
}

/** Whether handling `msg` queued a write (an accepted answer or attack). */
function wrote(msg: ClientRequest, result: Outcome<unknown>): boolean {
  return result.ok && (msg.type === "answer" || msg.type === "attack");
}

/** A reply body that is already JSON (leaderboard views, built from cached strings). */
class RawJson {
  constructor(readonly json: string) {}
}

function replyFrame(id: string | number, result: Outcome<unknown>) {
  return result.ok
    ? { type: "reply", id, ok: true, data: result.value }
    : { type: "reply", id, ok: false, error: result.error };
}

/** A send that fails closes that socket with 1011; others are unaffected. */
function sendOrClose(ws: WebSocket, frame: string): void {
  try {
    ws.send(frame);
  } catch {
    closeQuietly(ws, 1011, "send failed");
  }
}

function closeQuietly(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason.slice(0, 120));
  } catch {
    // already closed
  }
}

function jsonError(status: number, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, { status });
}
