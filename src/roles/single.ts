/**
 * @module The role of a one-object battle (also an object whose battle does not exist yet), and of a shard of a
 * sharded battle, which differs only in refusing direct joins.
 */
import type { BattleConfig } from "../battle/config";
import type { JoinProof } from "../battle/game";
import { noSuchBattle, type Outcome } from "../battle/outcome";
import type { BattleAdminView, JoinResult, StandingsPage } from "../battle/views";
import { gauge } from "../metrics/registry";
import type { Source } from "../metrics/text-format";
import type { BattleResults } from "../protocol/http-messages";
import type { BattleRoom } from "../room/room";
import type { SyncReply } from "../sharding/protocol";
import type { BattleRole } from "./battle-role";

/** `arena_metrics_up`: whether an object's metrics were read (1) or not (0). */
export function metricsUp(v: number) {
  return gauge("arena_metrics_up", "Whether this object's metrics were read (1) or not (0).", v);
}

export class SingleRole implements BattleRole {
  constructor(protected readonly room: BattleRoom) {}

  async load(): Promise<void> {}

  create(config: BattleConfig): Promise<Outcome<BattleAdminView>> {
    return this.room.create(config);
  }

  async info(): Promise<Outcome<BattleAdminView>> {
    return this.room.info();
  }

  start(at?: number, endsAt?: number): Promise<Outcome<BattleAdminView>> {
    return this.room.start(at, endsAt);
  }

  end(): Promise<Outcome<BattleAdminView>> {
    return this.room.end();
  }

  async join(
    username: string,
    session: string,
    proof: JoinProof,
    address?: string,
  ): Promise<Outcome<JoinResult>> {
    return this.room.join(username, session, proof, address);
  }

  async results(page?: StandingsPage): Promise<Outcome<BattleResults>> {
    return this.room.results(page);
  }

  async finalResults(page?: StandingsPage): Promise<Outcome<BattleResults>> {
    return this.room.finalResults(page);
  }

  async confirmOther(): Promise<void> {}

  async metrics(): Promise<Source[] | null> {
    const own = this.room.metrics();
    if (!own || !this.room.config) return null;
    return [{ labels: [], families: [...own, metricsUp(1)] }];
  }

  beforeFinal(): Promise<void> | null {
    return null;
  }

  sync(): SyncReply {
    throw new Error("not the coordinator of a sharded battle");
  }
}

/** A shard: its players join through its coordinator (`joinShard`, with the id it allocates), never directly. */
export class ShardRole extends SingleRole {
  override async join(): Promise<Outcome<JoinResult>> {
    return noSuchBattle();
  }
}
