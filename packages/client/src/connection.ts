/**
 * @module BattleConnection: one player's WebSocket to a battle — requests matched to replies by id (with a
 * timeout), typed push handlers, the heartbeat, and reconnect with backoff. No Node or DOM imports: the
 * caller supplies the WebSocket factory, so the same code runs in browsers and under Node `ws`.
 */

import { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF, shouldReconnect } from "./backoff.js";
import { carriesTop, compactPushUrl, withTop } from "./board-frames.js";
import { CloseCode } from "./protocol/close-codes.js";
import type { ErrorBody } from "./protocol/error-codes.js";
import type { RequestId } from "./protocol/request-id.js";
import type {
  AnswerResult,
  AttackResult,
  LeaderboardView,
  PageView,
  ReplyData,
  ServerMessage,
  StreamState,
} from "./protocol/server-messages.js";

/** The part of the WebSocket API the connection uses; DOM `WebSocket` and Node `ws` both provide it. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { readonly data: unknown }) => void) | null;
  onclose: ((ev: { readonly code: number; readonly reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export type WebSocketFactory = (url: string) => WebSocketLike;

const OPEN = 1;
const HEARTBEAT_FRAME = '{"type":"ping"}';

export type WelcomeMessage = Extract<ServerMessage, { type: "welcome" }>;
export type AttackedMessage = Extract<ServerMessage, { type: "attacked" }>;
export type BattleStatusMessage = Extract<ServerMessage, { type: "battle" }>;

/** Requests a player can send, without the id (the connection assigns it). */
export type OutgoingRequest =
  | { readonly type: "answer"; readonly questionId: string; readonly answer: string | number }
  | { readonly type: "attack"; readonly target: number }
  | { readonly type: "leaderboard"; readonly offset?: number; readonly limit?: number };

export type ReplyOf<T extends OutgoingRequest["type"]> = T extends "answer"
  ? AnswerResult
  : T extends "attack"
    ? AttackResult
    : LeaderboardView | PageView;

export type Reply<D = ReplyData> =
  | { readonly type: "reply"; readonly id: RequestId; readonly ok: true; readonly data: D }
  | { readonly type: "reply"; readonly id: RequestId; readonly ok: false; readonly error: ErrorBody };

/** No reply came: the timeout passed, the socket closed first, or it was not open. */
export interface RequestFailure {
  readonly type: "failure";
  readonly id: number;
  readonly code: "timeout" | "closed" | "not_open";
}

export type RequestOutcome<D = ReplyData> = Reply<D> | RequestFailure;

export class RequestError extends Error {
  constructor(readonly failure: RequestFailure) {
    super(`request ${failure.id} failed: ${failure.code}`);
    this.name = "RequestError";
  }
}

export interface PushHandlers {
  welcome?(m: WelcomeMessage): void;
  /** Parsed leaderboard push; leave unset (and use `leaderboardRaw`) to skip parsing on the hot path. */
  leaderboard?(m: LeaderboardView): void;
  /** The unparsed frame, cheap: no JSON.parse. */
  leaderboardRaw?(frame: string): void;
  attacked?(m: AttackedMessage): void;
  presence?(online: number): void;
  battle?(m: BattleStatusMessage): void;
  /** A frame the server could not tie to a request (bad JSON, too large). */
  error?(e: ErrorBody): void;
  /** A frame that is not valid JSON (a server bug); it is dropped, never thrown. */
  invalidFrame?(frame: string): void;
  /** Heartbeat round trip in ms. */
  pong?(rttMs: number): void;
  /** The socket closed; `reconnecting` says whether a reconnect is scheduled. */
  close?(code: number, reason: string, reconnecting: boolean): void;
  /** A reconnect got every frame it missed (`replayed` of them, already delivered to the handlers above). */
  resumed?(stream: StreamState): void;
  /** A reconnect could not get everything it missed: rebuild the view from this welcome (a full snapshot). */
  continuityLost?(welcome: WelcomeMessage): void;
  /**
   * This session is over and the connection will not come back: replaced by a newer login (4501), superseded by
   * a newer socket (4502), unauthorized or expired (4503, or an upgrade refused with HTTP 401/403), no such battle
   * (4504 or HTTP 404). Join again to play on.
   */
  sessionEnded?(code: number, reason: string): void;
}

export interface ConnectionOptions {
  readonly socketFactory: WebSocketFactory;
  /** Per request; default 10 s. */
  readonly requestTimeoutMs?: number;
  /** Heartbeat period; default 30 s, 0 disables. */
  readonly heartbeatMs?: number;
  /** Reconnect after an unexpected close (never after 4500–4999); default true. */
  readonly reconnect?: boolean;
  readonly maxReconnectAttempts?: number;
  readonly backoff?: BackoffOptions;
  readonly rng?: () => number;
  /** Monotonic ms clock for latencies; default `performance.now`. */
  readonly now?: () => number;
  /**
   * Re-send requests still unanswered after a reconnect, with their original ids (the server answers a retry of
   * an applied request with its original reply); default true. When false they fail with `closed`.
   */
  readonly resend?: boolean;
  /**
   * Used after an upgrade fails before any welcome (close 1006: browsers never see the HTTP status) to ask the
   * same URL without upgrading: 401/403/404 end the session instead of retrying forever. Default: global fetch.
   */
  readonly fetch?: (url: string) => Promise<{ readonly status: number }>;
}

/** Gets the reply to one request, or the reason none came. */
export type RequestCallback = (outcome: RequestOutcome) => void;

interface Pending {
  readonly cb: RequestCallback;
  readonly timer: ReturnType<typeof setTimeout>;
  /** The frame as sent, to send again after a reconnect. */
  readonly frame: string;
}

const defaultNow = () => performance.now();

export class BattleConnection {
  private ws: WebSocketLike | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private pingSentAt = -1;
  private attempt = 0;
  private closedByUser = false;
  private welcomeWaiters: Array<{ resolve: (w: WelcomeMessage) => void; reject: (e: Error) => void }> = [];
  private lastBoardRaw: string | null = null;
  /** The latest unparsed push that carried `top` (compact frames leave it out when it did not change). */
  private lastTopRaw: string | null = null;
  private lastBoard: LeaderboardView | null = null;
  /** Reconnects that reached a welcome again. */
  reconnects = 0;
  /** Stream frames replayed to this connection by resumes, and resumes that lost continuity. */
  replayed = 0;
  continuityLost = 0;
  /** Requests re-sent after a reconnect. */
  resent = 0;
  /** The last stream frame seen (`seq`) and the stream's epoch: where a reconnect resumes. */
  private lastSeq = 0;
  private epoch: string | null = null;
  /** Whether the current socket got its welcome (a close before it may be a refused upgrade). */
  private welcomed = false;
  handlers: PushHandlers = {};
  private readonly timeoutMs: number;
  private readonly heartbeatMs: number;
  private readonly now: () => number;

  constructor(
    readonly wsUrl: string,
    private readonly opts: ConnectionOptions,
  ) {
    this.timeoutMs = opts.requestTimeoutMs ?? 10_000;
    this.heartbeatMs = opts.heartbeatMs ?? 30_000;
    this.now = opts.now ?? defaultNow;
  }

  get isOpen(): boolean {
    return this.ws !== null && this.ws.readyState === OPEN;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** Opens the socket; resolves with the welcome (rejects if it closes first). */
  connect(): Promise<WelcomeMessage> {
    this.closedByUser = false;
    const p = new Promise<WelcomeMessage>((resolve, reject) => this.welcomeWaiters.push({ resolve, reject }));
    this.open();
    return p;
  }

  /** Sends a request; `cb` gets the reply with the same id, or a failure. The allocation-light form. */
  send(msg: OutgoingRequest, cb: RequestCallback): number {
    const id = this.nextId++;
    const ws = this.ws;
    if (ws === null || ws.readyState !== OPEN) {
      cb({ type: "failure", id, code: "not_open" });
      return id;
    }
    const timer = setTimeout(() => this.expire(id), this.timeoutMs);
    const frame = encodeRequest(msg, id);
    this.pending.set(id, { cb, timer, frame });
    ws.send(frame);
    return id;
  }

  /** Promise form of `send`: resolves with the reply (ok or not), rejects with `RequestError` if none came. */
  request<M extends OutgoingRequest>(msg: M): Promise<Reply<ReplyOf<M["type"]>>> {
    return new Promise((resolve, reject) => {
      this.send(msg, (o) => {
        if (o.type === "failure") reject(new RequestError(o));
        else resolve(o as Reply<ReplyOf<M["type"]>>);
      });
    });
  }

  /** The latest leaderboard this player saw (push or welcome), parsed on demand. */
  latestLeaderboard(): LeaderboardView | null {
    const raw = this.lastBoardRaw;
    if (raw !== null) {
      this.lastBoardRaw = null;
      const m = this.parse(raw) as LeaderboardView | null;
      if (m !== null) this.lastBoard = this.merge(m);
    }
    return this.lastBoard;
  }

  /** Fills in `top` from the latest frame that had it. */
  private merge(m: LeaderboardView): LeaderboardView {
    const topRaw = this.lastTopRaw;
    this.lastTopRaw = null;
    if (m.top !== undefined) return m;
    const earlier = topRaw !== null ? (this.parse(topRaw) as LeaderboardView | null)?.top : undefined;
    return withTop(m, earlier ?? this.lastBoard?.top);
  }

  private parse(frame: string): unknown {
    try {
      return JSON.parse(frame);
    } catch {
      this.handlers.invalidFrame?.(frame);
      return null;
    }
  }

  close(code = 1000, reason = "bye"): void {
    this.closedByUser = true;
    this.clearTimers();
    if (this.ws) {
      try {
        this.ws.close(code, reason);
      } catch {
        // already closing
      }
    }
  }

  /** Where the stream stands (for a page that reloads and wants to resume). */
  get stream(): { readonly seq: number; readonly epoch: string | null } {
    return { seq: this.lastSeq, epoch: this.epoch };
  }

  /** The URL of the next socket: after a first welcome, with where to resume the stream. */
  private url(): string {
    const base = compactPushUrl(this.wsUrl);
    if (this.epoch === null) return base;
    const sep = base.includes("?") ? "&" : "?";
    return `${base}${sep}seq=${this.lastSeq}&epoch=${encodeURIComponent(this.epoch)}`;
  }

  /** Whether a stream frame is new (and moves the stream on); a frame seen before is dropped. */
  private fresh(seq: unknown): boolean {
    if (typeof seq !== "number") return true;
    if (seq <= this.lastSeq) return false;
    this.lastSeq = seq;
    return true;
  }

  private open(): void {
    const ws = this.opts.socketFactory(this.url());
    this.ws = ws;
    this.welcomed = false;
    ws.onmessage = (ev) => {
      if (this.ws === ws) this.onFrame(ev.data);
    };
    ws.onclose = (ev) => {
      if (this.ws === ws) this.onClose(ev.code, ev.reason);
    };
    ws.onerror = () => {
      // A close event follows; that is where the connection reacts.
    };
  }

  private onFrame(data: unknown): void {
    const frame = typeof data === "string" ? data : String(data);
    // Every server frame starts `{"type":"<t>`: dispatch on the 10th character before deciding to parse.
    const c = frame.charCodeAt(9);
    if (c === 114 /* r: reply */) {
      const m = this.parse(frame) as (Reply & { seq?: number }) | null;
      if (m === null) return;
      this.fresh(m.seq);
      const id = typeof m.id === "number" ? m.id : Number(m.id);
      const p = this.pending.get(id);
      if (p) {
        this.pending.delete(id);
        clearTimeout(p.timer);
        p.cb(m);
      }
      return;
    }
    if (c === 108 /* l: leaderboard */) {
      this.lastBoardRaw = frame;
      if (carriesTop(frame)) this.lastTopRaw = frame;
      this.handlers.leaderboardRaw?.(frame);
      if (this.handlers.leaderboard) this.handlers.leaderboard(this.latestLeaderboard()!);
      return;
    }
    if (c === 112 && frame.charCodeAt(10) === 111 /* po: pong */) {
      if (this.pingSentAt >= 0) {
        const rtt = this.now() - this.pingSentAt;
        this.pingSentAt = -1;
        this.handlers.pong?.(rtt);
      }
      return;
    }
    const m = this.parse(frame) as { type: string } | null;
    if (m === null) return;
    switch (m.type) {
      case "welcome": {
        const w = m as WelcomeMessage;
        const resuming = this.epoch !== null;
        if (this.attempt > 0) this.reconnects++;
        this.attempt = 0;
        this.welcomed = true;
        if (w.stream) {
          this.epoch = w.stream.epoch;
          this.lastSeq = w.stream.seq;
        }
        this.lastBoard = w.leaderboard;
        this.lastBoardRaw = null;
        this.lastTopRaw = null;
        this.startHeartbeat();
        this.handlers.welcome?.(w);
        if (resuming && w.stream?.continuity === "kept") {
          this.replayed += w.stream.replayed;
          this.handlers.resumed?.(w.stream);
        } else if (resuming && w.stream?.continuity === "lost") {
          this.continuityLost++;
          this.handlers.continuityLost?.(w);
        }
        this.resendPending();
        const waiters = this.welcomeWaiters;
        this.welcomeWaiters = [];
        for (const x of waiters) x.resolve(w);
        return;
      }
      case "attacked":
        if (this.fresh((m as AttackedMessage).seq)) this.handlers.attacked?.(m as AttackedMessage);
        return;
      case "presence":
        this.handlers.presence?.((m as unknown as { online: number }).online);
        return;
      case "battle":
        if (this.fresh((m as BattleStatusMessage).seq)) this.handlers.battle?.(m as BattleStatusMessage);
        return;
      case "error":
        this.handlers.error?.((m as unknown as { error: ErrorBody }).error);
        return;
      case "closing": {
        // The server asks us to close: a close the client starts frees the server's socket at once.
        const { code, reason } = m as unknown as { code: number; reason: string };
        try {
          this.ws?.close(code, reason);
        } catch {
          // already closing
        }
        return;
      }
      case "leaderboard":
        this.lastBoard = this.merge(m as unknown as LeaderboardView);
        this.handlers.leaderboard?.(this.lastBoard);
        return;
      default:
        return;
    }
  }

  private onClose(code: number, reason: string): void {
    this.clearTimers();
    this.ws = null;
    const max = this.opts.maxReconnectAttempts ?? Number.POSITIVE_INFINITY;
    const ended = !this.closedByUser && !shouldReconnect(code) && code !== 1000;
    const reconnecting =
      !this.closedByUser && this.opts.reconnect !== false && shouldReconnect(code) && this.attempt < max;
    // Unanswered requests wait for the next socket (re-sent with their ids); otherwise they fail now.
    if (!reconnecting || this.opts.resend === false) this.failPending();
    if (!reconnecting) {
      const waiters = this.welcomeWaiters;
      this.welcomeWaiters = [];
      for (const x of waiters) x.reject(new Error(`socket closed (${code}) before welcome`));
    }
    this.handlers.close?.(code, reason, reconnecting);
    if (ended) this.handlers.sessionEnded?.(code, reason);
    if (!reconnecting) return;
    if (code === CloseCode.TRY_AGAIN_LATER) {
      // The object named this socket's slot: come back then (a little jitter), not on the backoff's schedule.
      const wait = retryAfterOf(reason);
      if (wait !== null) {
        this.scheduleReconnect(wait + Math.floor(this.rng() * Math.min(1_000, wait / 10)));
        return;
      }
    }
    if (!this.welcomed && (code === 1006 || code === 1002 || code === 1015)) {
      // The upgrade may have been refused over HTTP (browsers cannot see why): ask before retrying.
      void this.upgradeRefused().then((status) => {
        if (status === null) this.scheduleReconnect();
        else this.endSession(status === 404 ? 4504 : 4503, `upgrade refused with HTTP ${status}`);
      });
      return;
    }
    this.scheduleReconnect();
  }

  private rng(): number {
    return (this.opts.rng ?? Math.random)();
  }

  /** Reconnects after `delayMs`, or after the backoff's next delay (counting an attempt). */
  private scheduleReconnect(delayMs?: number): void {
    if (this.closedByUser) return;
    let delay = delayMs;
    if (delay === undefined) {
      delay = backoffDelay(this.attempt, this.opts.rng, this.opts.backoff ?? DEFAULT_BACKOFF);
      this.attempt++;
    }
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (!this.closedByUser) this.open();
    }, delay);
  }

  /** The HTTP status that refuses this session's upgrade (401, 403, 404), or null if it is not refused. */
  private async upgradeRefused(): Promise<number | null> {
    const get = this.opts.fetch ?? (globalThis as { fetch?: ConnectionOptions["fetch"] }).fetch;
    if (!get) return null;
    try {
      const { status } = await get(this.wsUrl.replace(/^ws/, "http"));
      return status === 401 || status === 403 || status === 404 ? status : null;
    } catch {
      return null;
    }
  }

  private endSession(code: number, reason: string): void {
    this.closedByUser = true;
    this.failPending();
    const waiters = this.welcomeWaiters;
    this.welcomeWaiters = [];
    for (const x of waiters) x.reject(new Error(`session ended (${code}): ${reason}`));
    this.handlers.sessionEnded?.(code, reason);
  }

  private failPending(): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.cb({ type: "failure", id, code: "closed" });
    }
    this.pending.clear();
  }

  /** After a welcome: requests still unanswered go out again with their ids, oldest first. */
  private resendPending(): void {
    const ws = this.ws;
    if (ws === null || this.pending.size === 0) return;
    for (const p of this.pending.values()) {
      ws.send(p.frame);
      this.resent++;
    }
  }

  private expire(id: number): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    p.cb({ type: "failure", id, code: "timeout" });
  }

  private startHeartbeat(): void {
    if (this.heartbeat !== null || this.heartbeatMs <= 0) return;
    this.heartbeat = setInterval(() => this.ping(), this.heartbeatMs);
  }

  /** Sends the exact heartbeat frame; the server's auto-response answers without waking the battle. */
  ping(): void {
    const ws = this.ws;
    if (ws === null || ws.readyState !== OPEN) return;
    this.pingSentAt = this.now();
    ws.send(HEARTBEAT_FRAME);
  }

  private clearTimers(): void {
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    this.heartbeat = null;
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
  }
}

/** Builds the request frame by hand: one string, no intermediate object. */
export function encodeRequest(msg: OutgoingRequest, id: number): string {
  switch (msg.type) {
    case "answer":
      return `{"type":"answer","id":${id},"questionId":${JSON.stringify(msg.questionId)},"answer":${JSON.stringify(msg.answer)}}`;
    case "attack":
      return `{"type":"attack","id":${id},"target":${msg.target}}`;
    case "leaderboard": {
      let s = `{"type":"leaderboard","id":${id}`;
      if (msg.offset !== undefined) s += `,"offset":${msg.offset}`;
      if (msg.limit !== undefined) s += `,"limit":${msg.limit}`;
      return `${s}}`;
    }
  }
}

/** The wait a 1013 close names (`{"code":"overloaded","retryAfterMs":N}`), capped at a minute; null if none. */
export function retryAfterOf(reason: string): number | null {
  try {
    const ms = (JSON.parse(reason) as { retryAfterMs?: unknown }).retryAfterMs;
    return typeof ms === "number" && Number.isFinite(ms) && ms >= 0 ? Math.min(ms, 60_000) : null;
  } catch {
    return null;
  }
}
