/**
 * @module What differs between the objects of a battle, as one interface: a one-object battle, a shard of a sharded
 * battle and its coordinator. The Durable Object builds the role when it wakes (or when the battle is created) and
 * forwards the calls that differ to it; everything else goes to the room.
 */
import type { BattleConfig } from "../battle/config";
import type { JoinProof } from "../battle/game";
import type { Outcome } from "../battle/outcome";
import type { BattleAdminView, JoinResult, StandingsPage } from "../battle/views";
import type { Source } from "../metrics/text-format";
import type { Confirmed } from "../persistence/outbox";
import type { BattleResults } from "../protocol/http-messages";
import type { ShardedJoin } from "../sharding/coordinator";
import type { SyncReply, SyncRequest } from "../sharding/protocol";

export interface BattleRole {
  /** After the room loaded on a wake: a coordinator rebuilds the global order from its shards. */
  load(): Promise<void>;
  create(config: BattleConfig): Promise<Outcome<BattleAdminView>>;
  info(): Promise<Outcome<BattleAdminView>>;
  start(at?: number, endsAt?: number): Promise<Outcome<BattleAdminView>>;
  end(): Promise<Outcome<BattleAdminView>>;
  /** In a sharded battle the answer also names the player's shard (the Worker puts it into the token). */
  join(
    username: string,
    session: string,
    proof: JoinProof,
    address?: string,
  ): Promise<Outcome<JoinResult | ShardedJoin>>;
  results(page?: StandingsPage): Promise<Outcome<BattleResults>>;
  finalResults(page?: StandingsPage): Promise<Outcome<BattleResults>>;
  /** Watermarks of another object's stream (a coordinator passes a shard's on to it; others ignore them). */
  confirmOther(marks: Partial<Confirmed>, stream: number, incarnation?: string): Promise<void>;
  /** This object's metric families, labelled (a coordinator adds every shard's); null: no such battle. */
  metrics(): Promise<Source[] | null>;
  /**
   * The room's hook before its final standings (`TopologyHooks.beforeFinal`): a coordinator pulls every shard; the
   * others have nothing to wait for (null).
   */
  beforeFinal(): Promise<void> | null;
  /** Shard → coordinator: a shard's changes in, the other shards' changes out (only a coordinator answers). */
  sync(req: SyncRequest): SyncReply;
}
