/**
 * @module The coordinator of a sharded battle: the battle's own object, holding the config, the lifecycle and the
 * global order. Joins pass through it (it picks the shard from the username's look-alike key and allocates
 * participant ids in join order, so ids, and with them the tie-break, are the same whatever the shard count);
 * start and end reach every shard; shards report their players' changes and get everyone else's back
 * (`sync`); final standings and operator reads pull every shard's snapshot first, so they are exact.
 *
 * It wraps a `BattleRoom` (which keeps the config, schedule, persistence events and final standings) whose game has
 * no players of its own: everyone is a remote player.
 */

import type { BattleConfig } from "../battle/config";
import { FixedWindow } from "../battle/fixed-window";
import type { JoinProof, RemotePlayer } from "../battle/game";
import { err, type Outcome, ok } from "../battle/outcome";
import { PRESENCE_LIST_MAX } from "../battle/push-scheduler";
import { normaliseUsername, usernameKey } from "../battle/username";
import type { BattleAdminView, JoinResult, StandingsPage } from "../battle/views";
import type { BattleView } from "../protocol";
import { ErrorCode } from "../protocol/error-codes";
import type { BattleResults } from "../protocol/http-messages";
import type { BattleRoom } from "../room/room";
import { sumAdminViews } from "./admin-sum";
import { ChangeLog } from "./change-log";
import {
  type ShardNetwork,
  type ShardSnapshot,
  type SyncEntry,
  type SyncReply,
  type SyncRequest,
  syncEntry,
} from "./protocol";
import { shardOf } from "./shard-of";

/** Calls that create one shard before the battle's creation fails (100 ms, then doubling: ~6 s in all). */
const CREATE_ATTEMPTS = 6;

/** How often operator and public reads may pull every shard's snapshot (the console polls every second). */
export const SNAPSHOT_MS = 1_000;

/** Whether a remote player's known state equals a reported entry (nothing for the other shards to learn). */
function sameState(p: RemotePlayer | undefined, e: SyncEntry): boolean {
  return (
    p !== undefined &&
    p.score === e[1] &&
    p.reachedAt === e[2] &&
    p.arrows === e[3] &&
    p.shields === e[4] &&
    p.correct === e[5]
  );
}

/** The join answer of a sharded battle: the player's shard goes into their token (players never see it). */
export interface ShardedJoin extends JoinResult {
  readonly shard: number;
}

export function isSharded(config: BattleConfig | undefined): boolean {
  return (config?.shards ?? 1) > 1;
}

export class Coordinator {
  /** Participants in the order their state last changed; a shard's cursor is a version in it. */
  private readonly log = new ChangeLog();
  private readonly owner = new Map<number, number>();
  /** Per shard: the last report batch applied (older reports, overtaken by a pulled snapshot, are ignored). */
  private applied: { inc: string; since: number; batch: number }[] = [];
  private online: number[] = [];
  /** Each shard's last list of players online (null: not sent, or too many to list). */
  private present: (readonly number[] | null)[] = [];
  private epoch: string;
  private nextId = 1;
  /** Ids reserved by a new-player join that then did not create a player, handed out again first (ids stay dense). */
  private freeIds: number[] = [];
  /** Look-alike key → participant id of everyone the coordinator knows (its joins and the shards' reports). */
  private readonly idOfKey = new Map<string, number>();
  /** The last join of each look-alike key: one name joins in order, different names concurrently. */
  private readonly joinsByKey = new Map<string, Promise<unknown>>();
  /** New-player joins in flight (each holds a reserved id); near capacity a join waits for them, so `full` is exact. */
  private readonly newJoins = new Set<Promise<unknown>>();
  private readonly joinWindow = new FixedWindow(60_000);

  constructor(
    private readonly room: BattleRoom,
    private readonly network: ShardNetwork,
    private readonly newEpoch: () => string = () => crypto.randomUUID(),
  ) {
    this.epoch = newEpoch();
  }

  /** Entries in the change log (bounded by about twice the players, whatever the battle's length). */
  get logSize(): number {
    return this.log.size;
  }

  private get config(): BattleConfig {
    return this.room.config!;
  }

  private get shards(): number {
    return this.config.shards ?? 1;
  }

  /** On wake: the global order is rebuilt from every shard's snapshot (the coordinator stores none of it). */
  async load(): Promise<void> {
    if (!this.room.config) return;
    this.epoch = this.newEpoch();
    this.log.clear();
    this.applied = [];
    this.online = new Array(this.shards).fill(0);
    this.present = new Array(this.shards).fill(null);
    await this.pullAll();
  }

  /** Pulls every shard's snapshot into the global order (on wake and before the final standings). */
  async pullAll(): Promise<void> {
    const started = this.room.clock();
    const ended = this.ended();
    const snaps = await Promise.all(
      Array.from({ length: this.shards }, (_, k) => this.network.shard(this.config.id, k).snapshot()),
    );
    for (const s of snaps) if (s) this.applySnapshot(s);
    this.pulledAt = started;
    // Taken after the end: the shards accept nothing more, so this snapshot is final.
    if (ended) this.finalPulled = true;
  }

  /**
   * Operator and public reads: the shards' snapshots at most once per `SNAPSHOT_MS` (concurrent readers share one
   * pull), and never again once a pull after the end has made the standings final. Between pulls the global order
   * is the shards' reports (at most a report period old).
   */
  private pullForRead(): Promise<void> {
    if (this.finalPulled) return Promise.resolve();
    if (this.pulling) return this.pulling;
    if (this.pulledAt !== null && this.room.clock() - this.pulledAt < SNAPSHOT_MS) return Promise.resolve();
    this.pulling = this.pullAll().finally(() => {
      this.pulling = null;
    });
    return this.pulling;
  }

  /** Whether the battle has ended (its status only: no view is built for it). */
  private ended(): boolean {
    return this.room.state?.status(this.room.clock()) === "ended";
  }

  private pulledAt: number | null = null;
  private pulling: Promise<void> | null = null;
  private finalPulled = false;

  private applySnapshot(s: ShardSnapshot): void {
    if (this.newer(s.shard, s.incarnation, s.since, s.batch))
      this.applied[s.shard] = { inc: s.incarnation, since: s.since, batch: s.batch };
    this.online[s.shard] = s.online;
    this.apply(s.shard, s.entries);
  }

  private apply(shard: number, entries: readonly SyncEntry[]): void {
    if (entries.length === 0) return;
    const remote = this.room.state!.remote;
    for (const e of entries) {
      if (!this.owner.has(e[0])) {
        const name = normaliseUsername(e[6]);
        if (name !== null) this.idOfKey.set(usernameKey(name), e[0]);
      }
      // Only a change is news for the other shards (a pulled snapshot repeats mostly what they have).
      if (this.owner.get(e[0]) !== shard || !sameState(remote.get(e[0]), e)) this.log.push(e[0]);
      this.owner.set(e[0], shard);
      if (e[0] >= this.nextId) this.nextId = e[0] + 1;
    }
    this.room.applyRemote(entries);
  }

  // ---- Operator API ----

  /** Creates the battle here, then its shards (each with the config and its index). */
  async create(config: BattleConfig): Promise<Outcome<BattleAdminView>> {
    const made = await this.room.create(config);
    if (!made.ok) return made;
    this.applied = [];
    this.online = new Array(this.shards).fill(0);
    this.present = new Array(this.shards).fill(null);
    // The stored config: it carries the battle's incarnation, which its shards' streams share.
    const shardConfig = { ...this.room.config!, startsAt: this.room.schedule!.startsAt ?? undefined };
    await Promise.all(
      Array.from({ length: this.shards }, (_, k) => this.createShard(k, { ...shardConfig, shardIndex: k })),
    );
    return this.info();
  }

  /**
   * Creates shard `k`, calling again while its object cannot be reached (a process that is still starting, a
   * transient failure): up to `CREATE_ATTEMPTS` calls over about 6 s. A shard that already holds this creation
   * (an earlier call landed but its answer was lost) counts as created.
   */
  private async createShard(k: number, config: BattleConfig): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const made = await this.network.shard(config.id, k).createShard(config);
        if (made.ok || made.error.code === ErrorCode.BATTLE_EXISTS) return;
        throw new Error(`shard ${k} refused the battle: ${made.error.message}`);
      } catch (e) {
        if (attempt >= CREATE_ATTEMPTS) throw e;
        this.room.log(`creating shard ${k} failed (attempt ${attempt}); calling again`, e);
        await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
      }
    }
  }

  async start(at?: number, endsAt?: number): Promise<Outcome<BattleAdminView>> {
    const started = await this.room.start(at, endsAt);
    if (!started.ok) return started;
    const s = this.room.schedule!;
    await this.eachShard((p) => p.start(s.startsAt!, s.endsAt!));
    return this.info();
  }

  /** Ends every shard first (they stop accepting), then the battle here with the exact final standings. */
  async end(): Promise<Outcome<BattleAdminView>> {
    if (!this.room.config) return this.room.end();
    await this.eachShard((p) => p.end());
    const ended = await this.room.end();
    if (!ended.ok) return ended;
    return this.info();
  }

  /**
   * The operator's view: the coordinator's own, with the shards' counters added in (stored rows, sockets, commits,
   * fan-out, requests, admissions). A shard that does not answer is left out of the sums and logged; the online
   * count then falls back to the shards' last reports.
   */
  async info(): Promise<Outcome<BattleAdminView>> {
    const info = this.room.info();
    if (!info.ok) return info;
    const views = await Promise.allSettled(
      Array.from({ length: this.shards }, (_, k) => this.network.shard(this.config.id, k).info()),
    );
    const shards: BattleAdminView[] = [];
    for (const v of views) {
      if (v.status === "fulfilled" && v.value.ok) shards.push(v.value.value);
      else this.room.log("a shard missed an operator read", v.status === "rejected" ? v.reason : v.value);
    }
    const summed = sumAdminViews(info.value, shards);
    return ok(shards.length === this.shards ? summed : { ...summed, online: this.onlineTotal() });
  }

  view(): Outcome<BattleView> {
    return this.room.view();
  }

  async results(page?: StandingsPage): Promise<Outcome<BattleResults>> {
    if (!this.room.config) return this.room.results(page);
    await this.pullForRead();
    return this.room.results(page);
  }

  async finalResults(page?: StandingsPage): Promise<Outcome<BattleResults>> {
    if (!this.room.config) return this.room.finalResults(page);
    if (this.ended()) await this.pullForRead();
    return this.room.finalResults(page);
  }

  // ---- Joins ----

  /**
   * Routes a join to the player's shard (by look-alike key, so a rejoin lands on the same one). Joins of different
   * names run concurrently (each is an RPC to a shard that may be busy: one at a time, a battle took ~40 joins/s
   * under load); joins of one name run in order. Ids are reserved in arrival order, as one object allocates them.
   */
  join(username: string, session: string, proof: JoinProof, address?: string): Promise<Outcome<ShardedJoin>> {
    const name = normaliseUsername(username);
    if (name === null) return this.joinNow(username, session, proof, address, null);
    const key = usernameKey(name);
    const run = (this.joinsByKey.get(key) ?? Promise.resolve()).then(() =>
      this.joinNow(username, session, proof, address, key),
    );
    const tail = run.catch(() => undefined);
    this.joinsByKey.set(key, tail);
    void tail.then(() => {
      if (this.joinsByKey.get(key) === tail) this.joinsByKey.delete(key);
    });
    return run;
  }

  private async joinNow(
    username: string,
    session: string,
    proof: JoinProof,
    address: string | undefined,
    key: string | null,
  ): Promise<Outcome<ShardedJoin>> {
    const config = this.room.config;
    if (!config) return err(ErrorCode.NOT_FOUND, "no such battle");
    if (key === null) return this.room.join(username, session, proof) as Outcome<never>;
    if (address !== undefined) {
      const limit = config.joinsPerAddressPerMinute ?? this.room.defaultJoinLimit;
      const wait = this.joinWindow.take(address, limit, this.room.clock());
      if (wait > 0) return err(ErrorCode.RATE_LIMITED, "too many joins from this address", wait);
    }
    const shard = shardOf(key, this.shards);
    const known = this.idOfKey.get(key);
    // A known name is a rejoin (its shard checks the player key): nothing to reserve.
    if (known !== undefined) return this.joinOn(shard, username, session, proof, { id: known, full: false });
    while (this.owner.size + this.newJoins.size >= config.maxPlayers && this.newJoins.size > 0) {
      await Promise.allSettled([...this.newJoins]);
    }
    const full = this.owner.size + this.newJoins.size >= config.maxPlayers;
    if (full) return this.joinOn(shard, username, session, proof, { id: this.nextId, full });
    for (let attempt = 0; ; attempt++) {
      const id = this.reserveId();
      const call = this.joinOn(shard, username, session, proof, { id, full });
      this.newJoins.add(call);
      let joined: Outcome<ShardedJoin>;
      try {
        // A call that throws lost its answer, not necessarily its join: the shard may have committed it, so that
        // id is never handed out again (the shard's next report brings the player here if it exists).
        joined = await call;
      } finally {
        this.newJoins.delete(call);
      }
      // The shard holds that id already (a player whose join's answer was lost before this coordinator restarted):
      // keep it burnt and reserve another, once.
      if (!joined.ok && joined.error.code === ErrorCode.INTERNAL && attempt === 0) continue;
      if (!joined.ok || !joined.value.isNew) this.releaseId(id);
      return joined;
    }
  }

  private async joinOn(
    shard: number,
    username: string,
    session: string,
    proof: JoinProof,
    alloc: { id: number; full: boolean },
  ): Promise<Outcome<ShardedJoin>> {
    const joined = await this.network.shard(this.config.id, shard).joinShard(username, session, proof, alloc);
    if (!joined.ok) return joined;
    const { entry, ...result } = joined.value as JoinResult & { entry?: SyncEntry };
    if (result.isNew && entry) this.apply(shard, [entry]);
    return ok({ ...result, shard });
  }

  private reserveId(): number {
    if (this.freeIds.length > 0) return this.freeIds.shift()!;
    return this.nextId++;
  }

  /** An id a join reserved but did not use: the next join gets it (the newest one simply un-reserves). */
  private releaseId(id: number): void {
    if (this.owner.has(id)) return;
    this.freeIds.push(id);
    this.freeIds.sort((a, b) => a - b);
    while (this.freeIds.length > 0 && this.freeIds.at(-1) === this.nextId - 1) {
      this.freeIds.pop();
      this.nextId--;
    }
  }

  // ---- Shards ----

  /** A shard's report: its changes go into the global order; it gets the other shards' changes since its cursor. */
  sync(req: SyncRequest): SyncReply {
    if (this.newer(req.shard, req.incarnation, req.since, req.batch)) {
      this.applied[req.shard] = { inc: req.incarnation, since: req.since, batch: req.batch };
      this.apply(req.shard, req.entries);
    }
    this.online[req.shard] = req.online;
    this.present[req.shard] = req.present ?? null;
    const from = req.epoch === this.epoch ? Math.min(req.cursor, this.log.version) : 0;
    const entries: SyncEntry[] = [];
    const remote = this.room.state!.remote;
    for (const id of this.log.since(from, (id) => this.owner.get(id) === req.shard)) {
      const p = remote.get(id);
      if (p) entries.push(syncEntry(p, p.shard));
    }
    return {
      schedule: this.room.schedule!,
      epoch: this.epoch,
      cursor: this.log.version,
      entries,
      online: this.onlineTotal(),
      ...this.presentAll(),
    };
  }

  /** Who is online across the battle, if every shard listed its players and they are few enough to list. */
  private presentAll(): { present?: readonly number[] } {
    const all: number[] = [];
    for (let k = 0; k < this.shards; k++) {
      const list = this.present[k];
      if (!list) return {};
      all.push(...list);
      if (all.length > PRESENCE_LIST_MAX) return {};
    }
    return { present: all };
  }

  /** Whether a report (or snapshot) is newer than what was last applied from that shard. */
  private newer(shard: number, inc: string, since: number, batch: number): boolean {
    const last = this.applied[shard];
    if (!last) return true;
    if (inc === last.inc) return batch > last.batch;
    // Another incarnation: a later wake wins; a report of an earlier one is a leftover of a dead object.
    return since >= last.since;
  }

  private onlineTotal(): number {
    let n = 0;
    for (const o of this.online) n += o ?? 0;
    return n;
  }

  private async eachShard(call: (p: ReturnType<ShardNetwork["shard"]>) => Promise<unknown>): Promise<void> {
    // A shard that misses the call adopts the schedule from its next report's reply (within ~1 s).
    const done = await Promise.allSettled(
      Array.from({ length: this.shards }, (_, k) => call(this.network.shard(this.config.id, k))),
    );
    for (const r of done)
      if (r.status === "rejected") this.room.log("a shard missed a lifecycle call", r.reason);
  }
}
