/**
 * @module A sharded battle in Node: a coordinator room and N shard rooms, each on its own SQLite (`RoomWorld`),
 * wired by direct calls instead of Durable Object RPC, on one manual clock. Also a one-object battle with the same
 * surface, so the differential tests drive both alike.
 */

import type { BattleConfig } from "../../src/battle/config";
import type { JoinProof } from "../../src/battle/game";
import type { Outcome } from "../../src/battle/outcome";
import type { JoinResult } from "../../src/battle/views";
import type { ClientRequest, ReplyData } from "../../src/protocol";
import type { BattleResults } from "../../src/protocol/http-messages";
import type { BattleRoom } from "../../src/room/room";
import { Coordinator } from "../../src/sharding/coordinator";
import type { ShardNetwork, ShardPeer } from "../../src/sharding/protocol";
import { RoomWorld } from "./room-harness";

/** What a test drives: the same for a one-object battle and a sharded one. */
export interface TestBattle {
  now: number;
  join(username: string, session: string, proof?: JoinProof): Promise<Outcome<JoinResult>>;
  request(participantId: number, session: string, msg: ClientRequest): Promise<Outcome<ReplyData>>;
  start(): Promise<Outcome<unknown>>;
  end(): Promise<Outcome<unknown>>;
  results(): Promise<Outcome<BattleResults>>;
  /** Brings every replica up to date (no-op with one object). */
  settle(): Promise<void>;
  advance(ms: number): void;
}

/** Node's `setImmediate` (this file is also type-checked with the Workers types, which lack it). */
const nextTurn = (globalThis as unknown as { setImmediate: (f: () => void) => void }).setImmediate;

/** Runs every world's due timers and lets promises move until `p` settles. */
export async function pump<T>(worlds: readonly RoomWorld[], p: Promise<T>): Promise<T> {
  let done = false;
  p.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  for (let i = 0; i < 10_000 && !done; i++) {
    for (const w of worlds) w.runTimers();
    await new Promise<void>((r) => nextTurn(r));
  }
  if (!done) throw new Error("pump: the call never settled");
  return p;
}

export class SingleBattle implements TestBattle {
  readonly world = new RoomWorld();
  room!: BattleRoom;

  static async create(config: BattleConfig, now: number): Promise<SingleBattle> {
    const b = new SingleBattle();
    b.world.now = now;
    b.room = await b.world.room();
    const made = await b.room.create(config);
    if (!made.ok) throw new Error(made.error.message);
    return b;
  }

  get now(): number {
    return this.world.now;
  }

  set now(t: number) {
    this.world.now = t;
  }

  async join(username: string, session: string, proof?: JoinProof) {
    return this.room.join(username, session, proof);
  }

  request(participantId: number, session: string, msg: ClientRequest) {
    return pump([this.world], this.room.request(participantId, session, msg));
  }

  start() {
    return this.room.start();
  }

  end() {
    return this.room.end();
  }

  async results() {
    return this.room.results();
  }

  async settle(): Promise<void> {
    this.world.runTimers();
  }

  advance(ms: number): void {
    this.world.advance(ms);
  }
}

export class ShardedBattle implements TestBattle {
  readonly coordWorld = new RoomWorld();
  readonly shardWorlds: RoomWorld[];
  coordRoom!: BattleRoom;
  coordinator!: Coordinator;
  readonly rooms: BattleRoom[] = [];
  /** Shards whose `remoteAttack` throws (unreachable), and how many calls each got. */
  readonly unreachable = new Set<number>();
  readonly attackCalls: number[];
  /** Shards whose start and end calls fail (they must catch up from the coordinator's reports). */
  readonly missLifecycle = new Set<number>();
  /** Calls to `remoteAttack` that fail after the hit was applied (the answer is lost on the way back). */
  loseAnswers = 0;
  /** Calls to `remoteAttack` whose answer never comes back after the hit was applied (the caller is left waiting,
   * as a caller that died would be). */
  hangAfterHit = 0;
  /** Calls to `remoteAttack` that never arrive and never come back. */
  hangBeforeHit = 0;
  readonly network: ShardNetwork;

  constructor(readonly shards: number) {
    this.shardWorlds = Array.from({ length: shards }, () => new RoomWorld());
    this.attackCalls = new Array(shards).fill(0);
    this.network = {
      coordinator: () => ({ sync: async (req) => this.coordinator.sync(req) }),
      shard: (_battle, k): ShardPeer => {
        const room = () => this.rooms[k]!;
        return {
          createShard: async (config) => room().create(config),
          start: async (at, endsAt) => {
            if (this.missLifecycle.has(k)) throw new Error(`shard ${k} missed the start`);
            return room().start(at, endsAt);
          },
          end: async () => {
            if (this.missLifecycle.has(k)) throw new Error(`shard ${k} missed the end`);
            return room().end();
          },
          joinShard: async (u, s, proof, alloc) => room().joinShard(u, s, proof, alloc),
          snapshot: async () => room().snapshot(),
          info: async () => room().info(),
          confirmPersisted: async (marks) => room().confirmPersisted(marks),
          remoteAttack: async (req) => {
            this.attackCalls[k]!++;
            if (this.hangBeforeHit > 0) {
              this.hangBeforeHit--;
              return new Promise(() => {});
            }
            if (this.unreachable.has(k)) throw new Error(`shard ${k} unreachable`);
            const answer = await room().remoteAttack(req);
            if (this.hangAfterHit > 0) {
              this.hangAfterHit--;
              return new Promise(() => {});
            }
            if (this.loseAnswers > 0) {
              this.loseAnswers--;
              throw new Error("the answer was lost");
            }
            return answer;
          },
        };
      },
    };
    for (const w of [this.coordWorld, ...this.shardWorlds]) w.network = this.network;
  }

  static async create(config: BattleConfig, shards: number, now: number): Promise<ShardedBattle> {
    const b = new ShardedBattle(shards);
    b.now = now;
    for (const w of b.shardWorlds) b.rooms.push(await w.room());
    await b.buildCoordinator(b.network);
    const made = await b.coordinator.create({ ...config, shards });
    if (!made.ok) throw new Error(made.error.message);
    return b;
  }

  get worlds(): RoomWorld[] {
    return [this.coordWorld, ...this.shardWorlds];
  }

  get now(): number {
    return this.coordWorld.now;
  }

  set now(t: number) {
    for (const w of this.worlds) w.now = t;
  }

  /** The room of the shard that holds this participant. */
  roomOf(participantId: number): BattleRoom {
    const room = this.rooms.find((r) => r.state?.players.has(participantId));
    if (!room) throw new Error(`no shard holds participant ${participantId}`);
    return room;
  }

  /** The join as the player sees it (the shard goes into the token, never into the answer). */
  async join(username: string, session: string, proof?: JoinProof): Promise<Outcome<JoinResult>> {
    const r = await pump(
      this.worlds,
      this.coordinator.join(username, session, proof ?? { issue: null, present: null, identified: false }),
    );
    if (!r.ok) return r;
    const { shard: _shard, ...joined } = r.value;
    return { ok: true, value: joined };
  }

  request(participantId: number, session: string, msg: ClientRequest) {
    return pump(this.worlds, this.roomOf(participantId).request(participantId, session, msg));
  }

  start() {
    return pump(this.worlds, this.coordinator.start());
  }

  end() {
    return pump(this.worlds, this.coordinator.end());
  }

  results() {
    return pump(this.worlds, this.coordinator.results());
  }

  /** Lets the worlds run until `p` settles (calls straight into a room). */
  run<T>(p: Promise<T>): Promise<T> {
    return pump(this.worlds, p);
  }

  /** Two rounds of reports: every change goes up in the first, and every shard hears of all of them in the second. */
  async settle(): Promise<void> {
    for (let round = 0; round < 2; round++) {
      for (const r of this.rooms) await pump(this.worlds, r.report());
    }
  }

  /** A shard restarts: a new room over the same storage (and the same open sockets). */
  async restartShard(k: number): Promise<void> {
    this.rooms[k] = await this.shardWorlds[k]!.room();
  }

  /** A shard's process dies (its queued writes and timers with it) and the shard comes back over its storage. */
  async crashShard(k: number): Promise<void> {
    this.shardWorlds[k]!.crash();
    this.rooms[k] = await this.shardWorlds[k]!.room();
  }

  /** The coordinator restarts: it rebuilds the global order from the shards. */
  async restartCoordinator(): Promise<void> {
    await this.buildCoordinator(this.network);
    await pump(this.worlds, this.coordinator.load());
  }

  /**
   * The coordinator's room and the coordinator on it, reaching the shards through `network`: the room's hook pulls
   * every shard before the final standings, as the Durable Object's coordinator role does (from once it is built).
   */
  async buildCoordinator(
    network: ShardNetwork,
    epoch: () => string = () => `epoch-${++epochs}`,
  ): Promise<void> {
    let built: Coordinator | null = null;
    this.coordRoom = await this.coordWorld.room({ beforeFinal: () => built?.pullAll() ?? null });
    built = this.coordinator = new Coordinator(this.coordRoom, network, epoch);
  }

  advance(ms: number): void {
    const end = this.now + ms;
    for (const w of this.worlds) w.advance(ms);
    this.now = end;
  }
}

let epochs = 0;
