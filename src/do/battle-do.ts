/**
 * @module BattleDO: the Durable Object host of one battle. Glue only: it builds the room (on this object's storage,
 * timers and sockets) and the battle's role when it wakes, forwards RPC to the role (what differs between a
 * one-object battle, a shard and a coordinator) or the room, and adapts the runtime's socket and alarm hooks.
 */
import { DurableObject } from "cloudflare:workers";
import type { BattleConfig } from "../battle/config";
import type { JoinAlloc, JoinProof } from "../battle/game";
import type { HttpOutcome, Outcome } from "../battle/outcome";
import type { BattleAdminView, JoinResult, PublicView, StandingsPage } from "../battle/views";
import type { Source } from "../metrics/text-format";
import type { Confirmed } from "../persistence/outbox";
import type { OutboxStatus } from "../persistence/outbox-host";
import type { StoredRecord } from "../persistence/records";
import { type BattleView, type ClientRequest, HEARTBEAT_REQUEST, HEARTBEAT_RESPONSE } from "../protocol";
import type { BattleResults } from "../protocol/http-messages";
import type { BattleRole } from "../roles/battle-role";
import { roleOf } from "../roles/role-of";
import { BattleRoom } from "../room/room";
import type { ShardedJoin } from "../sharding/coordinator";
import { doNetwork } from "../sharding/do-network";
import type * as P from "../sharding/protocol";
import { BattleTopology } from "../sharding/topology";
import { roomPlatform } from "./room-platform";
import { SocketGate } from "./socket-gate";

export class BattleDO extends DurableObject<Env> {
  private readonly room: BattleRoom;
  private role: BattleRole;
  private readonly sockets: SocketGate;
  private readonly network: P.ShardNetwork;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.network = doNetwork(env);
    this.sockets = new SocketGate(ctx, () => this.room);
    // The room's seam; a coordinator's role pulls every shard before the final standings.
    this.room = new BattleRoom(
      roomPlatform(ctx, env, this.network, () => this.sockets.open()),
      BattleTopology.of({ beforeFinal: () => this.role.beforeFinal() }),
    );
    this.role = roleOf(this.room, this.network, undefined);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(HEARTBEAT_REQUEST, HEARTBEAT_RESPONSE));
    void ctx.blockConcurrencyWhile(async () => {
      await this.room.load();
      this.role = roleOf(this.room, this.network, this.room.config);
      await this.role.load();
    });
  }

  /** The server clock; tests replace it (through `runInDurableObject`) to move past the end without sleeping. */
  get clock(): () => number {
    return this.room.clock;
  }

  set clock(clock: () => number) {
    this.room.clock = clock;
  }

  // ---- RPC: what differs by role goes to the role, the rest to the room ----

  async create(config: BattleConfig): Promise<Outcome<BattleAdminView>> {
    if (!this.room.config) this.role = roleOf(this.room, this.network, config);
    return this.role.create(config);
  }
  async info(): Promise<Outcome<BattleAdminView>> {
    return this.role.info();
  }
  async view(): Promise<Outcome<BattleView>> {
    return this.room.view();
  }
  async publicView(): Promise<Outcome<PublicView>> {
    return this.room.publicView();
  }
  async start(at?: number, endsAt?: number): Promise<Outcome<BattleAdminView>> {
    return this.role.start(at, endsAt);
  }
  async end(): Promise<Outcome<BattleAdminView>> {
    return this.role.end();
  }
  async join(
    n: string,
    s: string,
    proof: JoinProof,
    address?: string,
  ): Promise<Outcome<JoinResult | ShardedJoin>> {
    return this.role.join(n, s, proof, address);
  }
  /** Coordinator → shard: create this shard (the config carries its index). */
  async createShard(config: BattleConfig): Promise<Outcome<BattleAdminView>> {
    return this.create(config);
  }
  /** Coordinator → shard: a join with the participant id the coordinator allocated. */
  async joinShard(n: string, s: string, proof: JoinProof, alloc: JoinAlloc): Promise<Outcome<JoinResult>> {
    return this.room.joinShard(n, s, proof, alloc);
  }
  async snapshot(): Promise<P.ShardSnapshot | null> {
    return this.room.snapshot();
  }
  async remoteAttack(req: P.RemoteAttackRequest): Promise<Outcome<P.RemoteAttackResult>> {
    return this.room.remoteAttack(req);
  }
  async sync(req: P.SyncRequest): Promise<P.SyncReply> {
    return this.role.sync(req);
  }
  async request(id: number, session: string, msg: ClientRequest, keyed = false): Promise<HttpOutcome> {
    return this.room.request(id, session, msg, keyed);
  }
  async finalResults(page?: StandingsPage): Promise<Outcome<BattleResults>> {
    return this.role.finalResults(page);
  }
  async results(page?: StandingsPage): Promise<Outcome<BattleResults>> {
    return this.role.results(page);
  }
  /** The sinks' watermarks; marks of another incarnation of this battle id (state gone since) are ignored. */
  async confirmPersisted(marks: Partial<Confirmed>, stream?: number, incarnation?: string): Promise<void> {
    const config = this.room.config;
    if (incarnation !== undefined && config && incarnation !== (config.incarnation ?? "")) return;
    if (stream === undefined || stream === this.room.stream) this.room.confirmPersisted(marks);
    else await this.role.confirmOther(marks, stream, incarnation);
  }
  async metrics(): Promise<Source[] | null> {
    return this.role.metrics();
  }
  async persistence(): Promise<Outcome<OutboxStatus>> {
    return this.room.persistence();
  }
  async records(
    kind: "answers" | "attacks",
    after: (string | number)[] | null,
    limit: number,
  ): Promise<StoredRecord[]> {
    return this.room.records(kind, after, Math.min(Math.max(1, limit), 5_000));
  }

  // ---- The runtime's hooks: sockets (`SocketGate`) and the alarm ----

  override async fetch(request: Request): Promise<Response> {
    return this.sockets.upgrade(request);
  }
  override async webSocketMessage(ws: WebSocket, frame: string | ArrayBuffer): Promise<void> {
    this.sockets.message(ws, frame);
  }
  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    this.sockets.closed(ws, code, reason);
  }
  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    this.sockets.failed(ws, error);
  }
  override async alarm(): Promise<void> {
    await this.room.alarm();
  }
  /** The room's connection for a socket (tests reach sockets through it). */
  private connection(ws: WebSocket) {
    return this.sockets.connection(ws);
  }
}
