/**
 * @module The room's seam to the rest of its battle, as types only: what the room tells (a game loaded, a player's
 * state changed, the battle went live or is about to announce its end) and asks (is this target held by another
 * object, the battle's online count and presence list, which events and stream this object writes), and the
 * calls of the battle's other objects that the room forwards. The room calls it unconditionally; whoever builds the
 * room supplies it (src/sharding/topology.ts, which does nothing beyond this object for a one-object battle), built
 * once on the room's parts (`RoomParts`).
 */
import type { BattleStore } from "../battle/battle-store";
import type { BattleConfig } from "../battle/config";
import type { BattleGame } from "../battle/game";
import type { GroupCommit } from "../battle/group-commit";
import type { Outcome } from "../battle/outcome";
import type { PlayerStreams } from "../battle/player-streams";
import type { RawFrame } from "../battle/reply";
import type { Schedule } from "../battle/schedule";
import type { ReplyData, RequestId } from "../protocol";
import type {
  RemoteAttackRequest,
  RemoteAttackResult,
  ShardNetwork,
  ShardSnapshot,
  SyncEntry,
} from "../sharding/protocol";

export interface RoomSeam {
  // ---- Told ----
  /** A game was (re)loaded from storage (a wake, a creation, a rollback). */
  loaded(game: BattleGame | null): void;
  /** The room loaded on a wake and armed its timers: work a restart cut off resumes, off the wake's path. */
  woke(): void;
  /** The battle went live. */
  live(): void;
  /** One of this object's players changed state (joined, scored, was attacked, spent an arrow). */
  touched(playerId: number): void;
  /** The battle is about to announce its end: what to wait for before the final standings are built, or null. */
  ending(): Promise<void> | null;
  /** Reports this object's changes to the rest of the battle now (resolves at once when there is none). */
  report(): Promise<void>;

  // ---- Asked ----
  /** Whether this object writes the battle's lifecycle events (creation, schedule, start, end, final standings). */
  writesLifecycle(config: BattleConfig): boolean;
  /** This object's persistence stream (the outbox's shard number). */
  stream(config: BattleConfig): number;
  /** The number log lines carry as `shard`, or undefined. */
  logLabel(config: BattleConfig): number | undefined;
  /** Whether `target` is a participant held by another object (the attack goes through `attack`). */
  elsewhere(game: BattleGame, target: number): boolean;
  /** The battle's online count with `here` sockets on this object, or undefined when they are the whole battle. */
  online(here: number): number | undefined;
  /** Players online on the other objects, for presence frames (null: too many or unknown; undefined: none). */
  present(): readonly number[] | null | undefined;

  // ---- The other objects' side ----
  /** An attack on a participant held elsewhere; `settled` is the room's pipeline after the action. */
  attack(
    playerId: number,
    id: RequestId,
    target: number,
    key: string | null,
    settled: (result: Outcome<ReplyData | RawFrame>) => void | Promise<void>,
  ): Promise<void>;
  /** Settles attacks on other objects that a restart left reserved; how many. */
  settlePending(): Promise<number>;
  entryOf(id: number): SyncEntry | null;
  applyRemote(entries: readonly SyncEntry[]): void;
  snapshot(): ShardSnapshot | null;
  remoteAttack(req: RemoteAttackRequest): Promise<Outcome<RemoteAttackResult>>;
}

/** The room's parts a seam is built on (once, with the room). */
export interface RoomParts {
  game(): BattleGame | null;
  readonly store: BattleStore;
  readonly network: ShardNetwork | undefined;
  readonly commit: GroupCommit;
  readonly streams: PlayerStreams;
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  socketsOf(playerId: number): Iterable<{ send(frame: string): void }>;
  /** This object's open sockets. */
  online(): number;
  /** This object's players with an open socket, or null when there are too many to list. */
  present(): readonly number[] | null;
  /** The battle-wide presence changed: a presence frame goes out. */
  presenceChanged(): void;
  /** The battle's schedule as another object holds it (the room takes it if it differs). */
  adoptSchedule(schedule: Schedule): Promise<void>;
  /** Remembers a keyed request's outcome as the room's pipeline does (a refusal, or the reply in the stream). */
  remember(playerId: number, id: RequestId, key: string, result: Outcome<ReplyData>): void;
  markChanged(playerId?: number, oldRank?: number): void;
  log(msg: string, e?: unknown): void;
}

/** Builds a room's seam on its parts (given to the room's constructor). */
export type SeamOf = (parts: RoomParts) => RoomSeam;
