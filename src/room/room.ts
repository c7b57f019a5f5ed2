/**
 * @module The battle room: one battle's rules, connections, replies, pushes and timers, with no knowledge of the
 * platform. Sockets come in as `Connection`s, storage is the `BattleStore`, time and timers are injected; the
 * Durable Object (`battle-do.ts`) only adapts the runtime's hooks to these methods, and Node tests drive the same
 * room with in-memory connections. The room composes its jobs: sessions, requests (with actions), joins,
 * lifecycle and admin, over one core of shared parts, and reaches the rest of its battle only through the seam it
 * is built with (seam.ts).
 */
import type { BattleConfig } from "../battle/config";
import type { Connection } from "../battle/connection";
import type { BattleGame, JoinAlloc, JoinProof } from "../battle/game";
import type { HttpOutcome, Outcome } from "../battle/outcome";
import type { BattleAdminView, JoinResult, PublicView, StandingsPage } from "../battle/views";
import type { Family } from "../metrics/registry";
import type { Confirmed } from "../persistence/outbox";
import type { OutboxStatus } from "../persistence/outbox-host";
import type { StoredRecord } from "../persistence/records";
import type { BattleView, ClientRequest } from "../protocol";
import type { BattleResults } from "../protocol/http-messages";
import type { RemoteAttackRequest, RemoteAttackResult, ShardSnapshot, SyncEntry } from "../sharding/protocol";
import { Actions } from "./actions";
import { Admin } from "./admin";
import { RoomCore, Timer } from "./core";
import { Joins } from "./joins";
import { Lifecycle } from "./lifecycle";
import { roomParts } from "./parts";
import type { RoomPlatform } from "./platform";
import { Requests } from "./requests";
import type { RoomSeam, SeamOf } from "./seam";
import { type ResumeFrom, Sessions } from "./sessions";

export class BattleRoom {
  private readonly core: RoomCore;
  private readonly sessions: Sessions;
  private readonly requests: Requests;
  private readonly joins: Joins;
  private readonly lifecycle: Lifecycle;
  private readonly admin: Admin;
  /** The room's seam to the rest of its battle (seam.ts): built once, on the room's parts, by `seamOf`. */
  private readonly seam: RoomSeam;

  constructor(platform: RoomPlatform, seamOf: SeamOf) {
    const core = new RoomCore(platform);
    this.core = core;
    this.sessions = new Sessions(core);
    this.admin = new Admin(core, this.sessions);
    this.lifecycle = new Lifecycle(core, (game) => this.admin.adminView(game));
    this.joins = new Joins(core);
    const actions = new Actions(core);
    this.seam = core.seam = seamOf(roomParts(core, actions, (s) => this.lifecycle.adoptSchedule(s)));
    this.requests = new Requests(core, this.sessions, actions);
    core.timers.register(Timer.LIFECYCLE, () => this.lifecycle.sync());
    core.timers.register(Timer.SWEEP, (now) => this.sessions.sweep(now));
    core.timers.register(Timer.PERSIST, () => core.persist.flushDue());
    core.timers.register(Timer.HISTORY, (now) => this.lifecycle.pruneHistory(now));
  }

  /** Loads the battle from storage (on every wake) and re-arms its timers. */
  async load(): Promise<void> {
    const core = this.core;
    core.setGame(core.platform.store.load());
    await this.lifecycle.sync();
    // Events written before the restart and not confirmed yet are sent again.
    core.persist.kick();
    await core.timers.ensureArmed();
    this.seam.woke();
  }

  /** The server clock; tests replace it to move past the end without sleeping. */
  get clock(): () => number {
    return this.core.clock;
  }

  set clock(clock: () => number) {
    this.core.clock = clock;
  }

  get timers() {
    return this.core.timers;
  }

  /** Reports this object's changes to the rest of the battle now (`RoomSeam.report`). */
  report(): Promise<void> {
    return this.seam.report();
  }

  /** This object's persistence stream (see `RoomCore.stream`). */
  get stream(): number {
    return this.core.stream;
  }

  /** The battle's config, once created. */
  get config(): BattleGame["config"] | undefined {
    return this.core.game?.config;
  }

  get schedule(): BattleGame["schedule"] | undefined {
    return this.core.game?.schedule;
  }

  /** The in-memory game (the sharding layer reads its players). */
  get state(): BattleGame | null {
    return this.core.game;
  }

  get defaultJoinLimit(): number {
    return this.joins.defaultLimit;
  }

  log(msg: string, e?: unknown): void {
    this.core.log(msg, e);
  }

  // ---- Operator and player API (RPC from the Worker) ----

  create(input: BattleConfig): Promise<Outcome<BattleAdminView>> {
    return this.lifecycle.create(input);
  }

  info(): Outcome<BattleAdminView> {
    return this.admin.info();
  }

  view(): Outcome<BattleView> {
    return this.admin.view();
  }

  publicView(): Outcome<PublicView> {
    return this.admin.publicView();
  }

  start(at?: number, endsAt?: number): Promise<Outcome<BattleAdminView>> {
    return this.lifecycle.start(at, endsAt);
  }

  end(): Promise<Outcome<BattleAdminView>> {
    return this.lifecycle.end();
  }

  join(
    username: string,
    session: string,
    proof?: JoinProof,
    address?: string,
    alloc?: JoinAlloc,
  ): Outcome<JoinResult> {
    return this.joins.join(username, session, proof, address, alloc);
  }

  request(participantId: number, session: string, msg: ClientRequest, keyed = false): Promise<HttpOutcome> {
    return this.requests.request(participantId, session, msg, keyed);
  }

  finalResults(page?: StandingsPage): Outcome<BattleResults> {
    return this.lifecycle.finalResults(page);
  }

  results(page?: StandingsPage): Outcome<BattleResults> {
    return this.lifecycle.results(page);
  }

  confirmPersisted(marks: Partial<Confirmed>): void {
    this.admin.confirmPersisted(marks);
  }

  metrics(): Family[] | null {
    return this.admin.metrics();
  }

  persistence(): Outcome<OutboxStatus> {
    return this.admin.persistence();
  }

  records(
    kind: "answers" | "attacks",
    after: readonly (string | number)[] | null,
    limit: number,
  ): StoredRecord[] {
    return this.admin.records(kind, after, limit);
  }

  // ---- The battle's other objects (the seam holds the logic; these forward to it) ----

  /** Settles attacks on other objects that a restart left reserved (`RoomSeam.settlePending`); how many. */
  settlePendingAttacks(): Promise<number> {
    return this.seam.settlePending();
  }

  entryOf(id: number): SyncEntry | null {
    return this.seam.entryOf(id);
  }

  applyRemote(entries: readonly SyncEntry[]): void {
    this.seam.applyRemote(entries);
  }

  /** A join with the id and fullness the battle's own object decided; a new player's entry comes back with it. */
  joinShard(username: string, session: string, proof: JoinProof, alloc: JoinAlloc) {
    return this.joins.joinShard(username, session, proof, alloc, (id) => this.entryOf(id));
  }

  snapshot(): ShardSnapshot | null {
    return this.seam.snapshot();
  }

  remoteAttack(req: RemoteAttackRequest): Promise<Outcome<RemoteAttackResult>> {
    return this.seam.remoteAttack(req);
  }

  authorise(participantId: number, session: string): Outcome<BattleGame> {
    return this.sessions.authorise(participantId, session);
  }

  admitConnection(participantId: number): number {
    return this.sessions.admitConnection(participantId);
  }

  connect(conn: Connection, from?: ResumeFrom): Promise<void> {
    return this.sessions.connect(conn, from);
  }

  message(conn: Connection, frame: string | ArrayBuffer): void {
    this.requests.message(conn, frame);
  }

  /** The client closed, or the socket failed: forget it. */
  closed(conn: Connection): void {
    this.core.sockets.forget(conn);
  }

  /** Open connections (for operators and tests). */
  get online(): number {
    return this.core.sockets.set.size;
  }

  /** The platform's alarm fired: run every due timer. */
  alarm(): Promise<void> {
    return this.core.timers.fire(this.core.now());
  }
}
