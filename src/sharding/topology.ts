/**
 * @module A room's place in its battle (`RoomSeam`, src/room/seam.ts), from its battle's config: a one-object battle
 * (nothing beyond the room: no link, no remote targets, its own events), a shard (its link to the coordinator,
 * cross-shard attacks through the shard side, the battle's online count and presence from the coordinator's
 * replies, the lifecycle events left to the coordinator) or a coordinator (the hook that pulls every shard before
 * the final standings, given by whoever builds it). The Durable Object and the Node tests build rooms with it.
 */
import type { BattleConfig } from "../battle/config";
import type { BattleGame } from "../battle/game";
import type { Outcome } from "../battle/outcome";
import type { RawFrame } from "../battle/reply";
import type { ReplyData, RequestId } from "../protocol";
import type { RoomParts, RoomSeam } from "../room/seam";
import type { RemoteAttackRequest, RemoteAttackResult, ShardSnapshot, SyncEntry } from "./protocol";
import { ShardLink } from "./shard-link";
import { ShardSide } from "./shard-side";

/** What the builder of a room adds to its topology. */
export interface TopologyHooks {
  /** A coordinator's pull of every shard, awaited before the final standings are built (null: nothing to wait for). */
  beforeFinal?(): Promise<void> | null;
}

export class BattleTopology implements RoomSeam {
  /** On a shard of a sharded battle, its link to the coordinator (attached when its game loads); else null. */
  link: ShardLink | null = null;
  /** The shard side: replica updates, snapshots, cross-shard attacks. */
  private readonly side: ShardSide;

  constructor(
    private readonly parts: RoomParts,
    private readonly hooks: TopologyHooks = {},
  ) {
    this.side = new ShardSide(parts, () => this.link);
  }

  /** The seam of a room built on `parts` (`SeamOf`), with `hooks`. */
  static of(hooks: TopologyHooks = {}): (parts: RoomParts) => BattleTopology {
    return (parts) => new BattleTopology(parts, hooks);
  }

  /**
   * A loaded game of a shard gets its link to the coordinator (once), and the link starts: after a reload the
   * replica holds our own players only, so the next report gets everyone else again.
   */
  loaded(game: BattleGame | null): void {
    const parts = this.parts;
    const index = game?.config.shardIndex;
    const network = parts.network;
    if (index !== undefined && network && !this.link) {
      const side = this.side;
      this.link = new ShardLink({
        battle: game!.config.id,
        shard: index,
        network,
        setTimer: (fn, ms) => parts.setTimer(fn, ms),
        now: () => parts.now(),
        entryOf: (id) => side.entryOf(id),
        localIds: () => parts.game()?.players.keys() ?? [],
        applyRemote: (entries) => side.applyRemote(entries),
        adoptSchedule: (schedule) => void parts.adoptSchedule(schedule),
        online: () => parts.online(),
        present: () => parts.present(),
        presenceChanged: () => parts.presenceChanged(),
        status: () => parts.game()?.status(parts.now()) ?? "ended",
        log: (msg, e) => parts.log(msg, e),
      });
    }
    if (this.link && game) this.link.start();
  }

  /** Cross-shard attacks a restart cut off are settled with their target's shard. */
  woke(): void {
    if (this.link) {
      this.side
        .settlePending()
        .catch((e) => this.parts.log("settling reserved cross-shard attacks failed", e));
    }
  }

  live(): void {
    this.link?.start();
  }

  touched(playerId: number): void {
    this.link?.touch(playerId);
  }

  /** Before the final standings: a coordinator's pull of every shard (`TopologyHooks.beforeFinal`), else nothing. */
  ending(): Promise<void> | null {
    return this.hooks.beforeFinal?.() ?? null;
  }

  report(): Promise<void> {
    return this.link ? this.link.sync() : Promise.resolve();
  }

  /** A shard leaves the battle's lifecycle events to its coordinator. */
  writesLifecycle(config: BattleConfig): boolean {
    return config.shardIndex === undefined;
  }

  /** 0 for a one-object battle; a shard writes its own index; a coordinator the one after its shards' (N of N). */
  stream(config: BattleConfig): number {
    return config.shardIndex ?? ((config.shards ?? 1) > 1 ? config.shards! : 0);
  }

  logLabel(config: BattleConfig): number | undefined {
    return config.shardIndex;
  }

  elsewhere(game: BattleGame, target: number): boolean {
    return this.link !== null && !game.players.has(target);
  }

  /** On a shard, the sum the coordinator reports with this shard's own sockets as they are now. */
  online(here: number): number | undefined {
    return this.link ? this.link.online(here) : undefined;
  }

  /** A shard lists the other shards' online players from its last report's reply (none while unknown). */
  present(): readonly number[] | null | undefined {
    if (!this.link) return undefined;
    const game = this.parts.game();
    return this.link.globalPresent?.filter((id) => !game?.players.has(id)) ?? null;
  }

  attack(
    playerId: number,
    id: RequestId,
    target: number,
    key: string | null,
    settled: (result: Outcome<ReplyData | RawFrame>) => void | Promise<void>,
  ): Promise<void> {
    return this.side.request(playerId, id, target, key, settled);
  }

  settlePending(): Promise<number> {
    return this.side.settlePending();
  }

  entryOf(id: number): SyncEntry | null {
    return this.side.entryOf(id);
  }

  applyRemote(entries: readonly SyncEntry[]): void {
    this.side.applyRemote(entries);
  }

  snapshot(): ShardSnapshot | null {
    return this.side.snapshot();
  }

  remoteAttack(req: RemoteAttackRequest): Promise<Outcome<RemoteAttackResult>> {
    return this.side.remoteAttack(req);
  }
}
