/**
 * @module BattleDO: the Durable Object host of one battle room. Glue only: it adapts the runtime's hooks (socket
 * upgrade, `webSocketMessage`/`Close`/`Error`, RPC, the alarm) to `BattleRoom`, which holds the logic, and wraps
 * hibernatable WebSockets as the room's `Connection`s.
 */
import { DurableObject } from "cloudflare:workers";
import { gauge } from "../metrics/registry";
import type { Source } from "../metrics/text-format";
import { eventSender } from "../persistence/events-relay";
import type { Confirmed } from "../persistence/outbox";
import type { OutboxStatus } from "../persistence/outbox-host";
import type { StoredRecord } from "../persistence/records";
import {
  type BattleView,
  type ClientRequest,
  CloseCode,
  ErrorCode,
  HEARTBEAT_REQUEST,
  HEARTBEAT_RESPONSE,
} from "../protocol";
import type { BattleResults } from "../protocol/http-messages";
import { closingJson } from "../room/frames";
import { BattleRoom } from "../room/room";
import { Coordinator, isSharded, type ShardedJoin } from "../sharding/coordinator";
import { doNetwork } from "../sharding/do-network";
import type {
  RemoteAttackRequest,
  RemoteAttackResult,
  ShardNetwork,
  ShardSnapshot,
  SyncReply,
  SyncRequest,
} from "../sharding/protocol";
import { BattleStore } from "./battle-store";
import type { BattleConfig } from "./config";
import type { Connection, ConnectionInfo } from "./connection";
import { fanoutSwitch } from "./fanout-budget";
import type { JoinAlloc, JoinProof } from "./game";
import { HistoryStore } from "./history-store";
import { err, type HttpOutcome, type Outcome } from "./outcome";
import { parseResume } from "./player-streams";
import type { BattleAdminView, JoinResult, PublicView, StandingsPage } from "./views";

/** How long a client asked to close (see `SocketConnection.close`) has before the server closes it itself. */
export const CLOSE_GRACE_MS = 1_000;

/** What a connection needs from its host. */
interface SocketHost {
  readonly ctx: DurableObjectState;
  /** The socket whose message event is running now, if any. */
  inEventOf: WebSocket | null;
}

/** A hibernatable WebSocket as the room sees it; its info lives in the socket's attachment. */
class SocketConnection implements Connection {
  lastSeen = 0;

  constructor(
    private readonly ws: WebSocket,
    readonly info: ConnectionInfo,
    private readonly host: SocketHost,
  ) {}

  /** A send failed: the socket is closed (1011) and every later send or close is a no-op. */
  private broken = false;

  send(frame: string): void {
    if (this.broken) return;
    try {
      this.ws.send(frame);
    } catch {
      // Close without a `closing` frame: that send would fail too, and calling `close` from here recursed
      // (send → close → send …) until the stack overflowed and the runtime reset the whole object, every
      // socket with it. Seen under load in the 10,000-player ramp ("Maximum call stack size exceeded").
      this.broken = true;
      closeQuietly(this.ws, 1011, "send failed");
    }
  }

  /**
   * Within this socket's own event the close frame goes out at once. Anywhere else (an RPC, the alarm, another
   * socket's upgrade) workerd keeps a socket the server closed open until the object goes idle (measured: ~10 s
   * locally, and never under load) because the close reply arrives after the close was pumped; a close the client
   * starts is released at once. So the client is asked to close (`closing`), and closed by the server after
   * `CLOSE_GRACE_MS` if it has not.
   */
  close(code: number, reason: string): void {
    if (this.broken) return;
    if (this.host.inEventOf === this.ws) {
      closeQuietly(this.ws, code, reason);
      return;
    }
    this.send(closingJson(code, reason));
    setTimeout(() => closeQuietly(this.ws, code, reason), CLOSE_GRACE_MS);
  }

  pingedAt(): number {
    return this.host.ctx.getWebSocketAutoResponseTimestamp(this.ws)?.getTime() ?? 0;
  }
}

export class BattleDO extends DurableObject<Env> {
  private readonly room: BattleRoom;
  private readonly host: SocketHost;
  /** One connection per socket, so the attachment is deserialised once per wake (it copies on every call). */
  private readonly connections = new WeakMap<WebSocket, SocketConnection>();
  /** Set when this object is the coordinator of a sharded battle (its shards are other objects). */
  private coordinator: Coordinator | null = null;
  private readonly network: ShardNetwork;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.host = { ctx, inEventOf: null };
    this.network = doNetwork(env);
    const fanout = fanoutSwitch(env.FANOUT as string | undefined);
    this.room = new BattleRoom({
      id: ctx.id.toString(),
      store: new BattleStore(ctx.storage.sql, (fn) => ctx.storage.transactionSync(fn), {
        persistence: (env.PERSISTENCE as string | undefined) !== "off",
      }),
      history: new HistoryStore(ctx.storage.sql),
      transaction: (run) => ctx.storage.transactionSync(run),
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (t) => clearTimeout(t as ReturnType<typeof setTimeout>),
      setAlarm: (at) => (at === null ? ctx.storage.deleteAlarm() : ctx.storage.setAlarm(at)),
      connections: () => this.openConnections(),
      sendEvents: eventSender(env),
      abort: (reason) => ctx.abort(reason),
      joinsPerAddressPerMinute: positiveOrUndefined(env.JOIN_LIMIT_PER_MINUTE),
      connectsPerSecond: positiveOrUndefined(env.CONNECT_RATE_PER_SECOND),
      network: this.network,
      ...(fanout ? { fanout } : {}),
    });
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(HEARTBEAT_REQUEST, HEARTBEAT_RESPONSE));
    void ctx.blockConcurrencyWhile(async () => {
      await this.room.load();
      const config = this.room.config;
      if (isSharded(config) && config!.shardIndex === undefined) {
        this.coordinator = new Coordinator(this.room, this.network);
        await this.coordinator.load();
      }
    });
  }

  /** The server clock; tests replace it (through `runInDurableObject`) to move past the end without sleeping. */
  get clock(): () => number {
    return this.room.clock;
  }

  set clock(clock: () => number) {
    this.room.clock = clock;
  }

  // ---- RPC for the Worker (operator and player HTTP API) ----

  async create(config: BattleConfig): Promise<Outcome<BattleAdminView>> {
    if (isSharded(config) && config.shardIndex === undefined && !this.room.config) {
      this.coordinator = new Coordinator(this.room, this.network);
      return this.coordinator.create(config);
    }
    return this.room.create(config);
  }

  async info(): Promise<Outcome<BattleAdminView>> {
    return this.coordinator ? this.coordinator.info() : this.room.info();
  }

  async view(): Promise<Outcome<BattleView>> {
    return this.room.view();
  }

  async publicView(): Promise<Outcome<PublicView>> {
    return this.room.publicView();
  }

  async start(at?: number, endsAt?: number): Promise<Outcome<BattleAdminView>> {
    return this.coordinator ? this.coordinator.start(at, endsAt) : this.room.start(at, endsAt);
  }

  async end(): Promise<Outcome<BattleAdminView>> {
    return this.coordinator ? this.coordinator.end() : this.room.end();
  }

  /** In a sharded battle the answer also names the player's shard (the Worker puts it into the token). */
  async join(
    username: string,
    session: string,
    proof: JoinProof,
    address?: string,
  ): Promise<Outcome<JoinResult | ShardedJoin>> {
    if (this.coordinator) return this.coordinator.join(username, session, proof, address);
    // A shard's players join through its coordinator (`joinShard`, with the id it allocates), never directly.
    if (this.room.config?.shardIndex !== undefined) return err(ErrorCode.NOT_FOUND, "no such battle");
    return this.room.join(username, session, proof, address);
  }

  // ---- RPC between the objects of a sharded battle (src/sharding) ----

  /** Coordinator → shard: create this shard (the config carries its index). */
  async createShard(config: BattleConfig): Promise<Outcome<BattleAdminView>> {
    return this.room.create(config);
  }

  /** Coordinator → shard: a join with the participant id the coordinator allocated. */
  async joinShard(
    username: string,
    session: string,
    proof: JoinProof,
    alloc: JoinAlloc,
  ): Promise<Outcome<JoinResult>> {
    return this.room.joinShard(username, session, proof, alloc);
  }

  /** Coordinator → shard: every player of this shard (rebuilding the global order, final standings). */
  async snapshot(): Promise<ShardSnapshot | null> {
    return this.room.snapshot();
  }

  /** Shard → shard: a cross-shard attack on one of this shard's players. */
  async remoteAttack(req: RemoteAttackRequest): Promise<Outcome<RemoteAttackResult>> {
    return this.room.remoteAttack(req);
  }

  /** Shard → coordinator: a shard's changes in, the other shards' changes out. */
  async sync(req: SyncRequest): Promise<SyncReply> {
    if (!this.coordinator) throw new Error("not the coordinator of a sharded battle");
    return this.coordinator.sync(req);
  }

  async request(
    participantId: number,
    session: string,
    msg: ClientRequest,
    keyed = false,
  ): Promise<HttpOutcome> {
    return this.room.request(participantId, session, msg, keyed);
  }

  async finalResults(page?: StandingsPage): Promise<Outcome<BattleResults>> {
    return this.coordinator ? this.coordinator.finalResults(page) : this.room.finalResults(page);
  }

  async results(page?: StandingsPage): Promise<Outcome<BattleResults>> {
    return this.coordinator ? this.coordinator.results(page) : this.room.results(page);
  }

  /**
   * The queue consumer reports what D1 and Postgres hold, so the outbox can drop those rows. Marks of another
   * incarnation of this battle id (an earlier creation whose state is gone) are not this stream's and are ignored.
   */
  async confirmPersisted(marks: Partial<Confirmed>, stream?: number, incarnation?: string): Promise<void> {
    const config = this.room.config;
    if (incarnation !== undefined && config && incarnation !== (config.incarnation ?? "")) return;
    if (stream === undefined || stream === this.room.stream) {
      this.room.confirmPersisted(marks);
      return;
    }
    // A sharded battle's coordinator passes a shard's watermarks on to that shard; any other stream is not ours.
    if (this.coordinator && config && stream < (config.shards ?? 1)) {
      await this.network.shard(config.id, stream).confirmPersisted(marks, stream, incarnation);
    }
  }

  /**
   * This object's metric families (null: no such battle). A sharded battle's coordinator gathers each shard's by RPC
   * and returns them labelled `shard="<k>"`, its own as `shard="coordinator"`, each with `arena_metrics_up` (0 and
   * nothing else for a shard that did not answer); the Worker adds `battle` and writes the text (`src/http/metrics.ts`).
   */
  async metrics(): Promise<Source[] | null> {
    const own = this.room.metrics();
    const config = this.room.config;
    if (!own || !config) return null;
    const up = (v: number) =>
      gauge("arena_metrics_up", "Whether this object's metrics were read (1) or not (0).", v);
    if (!this.coordinator) return [{ labels: [], families: [...own, up(1)] }];
    const shards = await Promise.allSettled(
      Array.from({ length: config.shards ?? 1 }, (_, k) =>
        (this.network.shard(config.id, k) as unknown as { metrics(): Promise<Source[] | null> }).metrics(),
      ),
    );
    const out: Source[] = [{ labels: [["shard", "coordinator"]], families: [...own, up(1)] }];
    shards.forEach((r, k) => {
      const got = r.status === "fulfilled" ? r.value?.[0]?.families : undefined;
      if (!got) this.room.log(`shard ${k} missed a metrics read`, r.status === "rejected" ? r.reason : "");
      out.push({ labels: [["shard", String(k)]], families: got ?? [up(0)] });
    });
    return out;
  }

  async persistence(): Promise<Outcome<OutboxStatus>> {
    return this.room.persistence();
  }

  /** A page of this object's stored answers or attacks (reconciliation; an operator call). */
  async records(
    kind: "answers" | "attacks",
    after: (string | number)[] | null,
    limit: number,
  ): Promise<StoredRecord[]> {
    return this.room.records(kind, after, Math.min(Math.max(1, limit), 5_000));
  }

  // ---- WebSockets ----

  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
      return jsonError(426, ErrorCode.BAD_MESSAGE, "expected a WebSocket upgrade");
    }
    const participantId = Number(request.headers.get("x-arena-participant"));
    const session = request.headers.get("x-arena-session") ?? "";
    const auth = this.room.authorise(participantId, session);
    if (!auth.ok) return refuseUpgrade(auth.error.code, auth.error.message);
    const wait = this.room.admitConnection(participantId);
    if (wait > 0) return tryAgainLater(wait);
    const url = new URL(request.url);
    const from = parseResume(url.searchParams.get("seq"), url.searchParams.get("epoch"));
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server, [`p:${participantId}`]);
    const info: ConnectionInfo = { p: participantId, s: session, t: this.room.clock() };
    if (new URL(request.url).searchParams.get("push") === "2") Object.assign(info, { v: 2 });
    server.serializeAttachment(info);
    const conn = new SocketConnection(server, info, this.host);
    this.connections.set(server, conn);
    await this.room.connect(conn, from);
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, frame: string | ArrayBuffer): Promise<void> {
    const conn = this.connection(ws);
    if (!conn) return closeQuietly(ws, CloseCode.UNAUTHORIZED, "no session");
    this.host.inEventOf = ws;
    try {
      this.room.message(conn, frame);
    } finally {
      this.host.inEventOf = null;
    }
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    // Echo the close, or the client waits ~10 s for it and sees 1006 (1005/1006 cannot be sent).
    closeQuietly(ws, code === 1005 || code === 1006 ? 1000 : code, reason);
    const conn = this.connection(ws);
    if (conn) this.room.closed(conn);
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    this.room.log("webSocketError", error);
    const conn = this.connection(ws);
    if (conn) this.room.closed(conn);
  }

  // ---- Lifecycle ----

  override async alarm(): Promise<void> {
    await this.room.alarm();
  }

  private connection(ws: WebSocket): SocketConnection | undefined {
    let conn = this.connections.get(ws);
    if (!conn) {
      const info = ws.deserializeAttachment() as ConnectionInfo | undefined;
      if (!info) return undefined;
      conn = new SocketConnection(ws, info, this.host);
      this.connections.set(ws, conn);
    }
    return conn;
  }

  private *openConnections(): Iterable<Connection> {
    for (const ws of this.ctx.getWebSockets()) {
      const conn = this.connection(ws);
      if (conn) yield conn;
    }
  }
}

function closeQuietly(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason.slice(0, 120));
  } catch {
    // already closed
  }
}

/**
 * A socket pair for a refusal, its server end accepted (not hibernatable) and closed by the caller. (Locally,
 * workerd logs an uncaught "Network connection lost" for each refused socket once its client goes away; listeners
 * on the server end do not silence it.)
 */
function refusalPair(): [WebSocket, WebSocket] {
  const pair = new WebSocketPair();
  const [client, server] = [pair[0], pair[1]];
  server.accept();
  return [client, server];
}

/**
 * Refuses an upgrade the way every client can read, browsers included (they never see an HTTP status): accept,
 * then close with a 45xx code (4501 session replaced, 4503 unauthorized, 4504 no such battle). The socket is not
 * hibernatable, so its close is released at once.
 */
function refuseUpgrade(code: string, message: string): Response {
  const [client, server] = refusalPair();
  const close =
    code === ErrorCode.SESSION_REPLACED
      ? CloseCode.SESSION_REPLACED
      : code === ErrorCode.NOT_FOUND
        ? CloseCode.NOT_FOUND
        : CloseCode.UNAUTHORIZED;
  server.close(close, message.slice(0, 120));
  return new Response(null, { status: 101, webSocket: client });
}

/**
 * Refuses a socket for now, readable by every client: accept, then close 1013 ("Try Again Later") with the wait
 * as JSON in the reason. Cheap next to a connect (no replay, no welcome, no hibernatable socket).
 */
function tryAgainLater(retryAfterMs: number): Response {
  const [client, server] = refusalPair();
  server.close(CloseCode.TRY_AGAIN_LATER, JSON.stringify({ code: ErrorCode.OVERLOADED, retryAfterMs }));
  return new Response(null, { status: 101, webSocket: client });
}

function jsonError(status: number, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, { status });
}

/** A numeric setting from a var (`""` or garbage: unset). */
function positiveOrUndefined(v: string | undefined): number | undefined {
  const n = Number(v);
  return v === undefined || v.trim() === "" || !Number.isInteger(n) || n < 0 ? undefined : n;
}
