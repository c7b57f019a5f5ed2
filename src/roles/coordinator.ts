/**
 * @module The role of a sharded battle's coordinator (src/sharding/coordinator.ts holds the logic): it owns a room
 * without players of its own, and answers operator calls, joins and standings for the whole battle.
 */
import type { BattleConfig } from "../battle/config";
import type { JoinProof } from "../battle/game";
import type { Outcome } from "../battle/outcome";
import type { BattleAdminView, StandingsPage } from "../battle/views";
import type { Source } from "../metrics/text-format";
import type { Confirmed } from "../persistence/outbox";
import type { BattleResults } from "../protocol/http-messages";
import type { BattleRoom } from "../room/room";
import { Coordinator, type ShardedJoin } from "../sharding/coordinator";
import type { ShardNetwork, SyncReply, SyncRequest } from "../sharding/protocol";
import type { BattleRole } from "./battle-role";
import { metricsUp } from "./single";

export class CoordinatorRole implements BattleRole {
  private readonly coordinator: Coordinator;

  constructor(
    private readonly room: BattleRoom,
    private readonly network: ShardNetwork,
  ) {
    this.coordinator = new Coordinator(room, network);
  }

  load(): Promise<void> {
    return this.coordinator.load();
  }

  create(config: BattleConfig): Promise<Outcome<BattleAdminView>> {
    return this.coordinator.create(config);
  }

  info(): Promise<Outcome<BattleAdminView>> {
    return this.coordinator.info();
  }

  start(at?: number, endsAt?: number): Promise<Outcome<BattleAdminView>> {
    return this.coordinator.start(at, endsAt);
  }

  end(): Promise<Outcome<BattleAdminView>> {
    return this.coordinator.end();
  }

  join(username: string, session: string, proof: JoinProof, address?: string): Promise<Outcome<ShardedJoin>> {
    return this.coordinator.join(username, session, proof, address);
  }

  results(page?: StandingsPage): Promise<Outcome<BattleResults>> {
    return this.coordinator.results(page);
  }

  finalResults(page?: StandingsPage): Promise<Outcome<BattleResults>> {
    return this.coordinator.finalResults(page);
  }

  /** A shard's watermarks go on to that shard; any other stream is not ours. */
  async confirmOther(marks: Partial<Confirmed>, stream: number, incarnation?: string): Promise<void> {
    const config = this.room.config;
    if (config && stream < (config.shards ?? 1)) {
      await this.network.shard(config.id, stream).confirmPersisted(marks, stream, incarnation);
    }
  }

  /**
   * Every shard's metric families, gathered by RPC and labelled `shard="<k>"`, its own as `shard="coordinator"`, each
   * with `arena_metrics_up` (0 and nothing else for a shard that did not answer).
   */
  async metrics(): Promise<Source[] | null> {
    const own = this.room.metrics();
    const config = this.room.config;
    if (!own || !config) return null;
    const shards = await Promise.allSettled(
      Array.from({ length: config.shards ?? 1 }, (_, k) =>
        (this.network.shard(config.id, k) as unknown as { metrics(): Promise<Source[] | null> }).metrics(),
      ),
    );
    const out: Source[] = [{ labels: [["shard", "coordinator"]], families: [...own, metricsUp(1)] }];
    shards.forEach((r, k) => {
      const got = r.status === "fulfilled" ? r.value?.[0]?.families : undefined;
      if (!got) this.room.log(`shard ${k} missed a metrics read`, r.status === "rejected" ? r.reason : "");
      out.push({ labels: [["shard", String(k)]], families: got ?? [metricsUp(0)] });
    });
    return out;
  }

  /** Every shard's snapshot, pulled before the final standings are built, so they are exact. */
  beforeFinal(): Promise<void> {
    return this.coordinator.pullAll();
  }

  sync(req: SyncRequest): SyncReply {
    return this.coordinator.sync(req);
  }
}
