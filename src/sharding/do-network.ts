/**
 * @module The objects of a sharded battle reaching each other over Durable Object RPC: the coordinator is the
 * battle's object (`idFromName(battle)`), shard k is `idFromName("<battle>#s<k>")`, all in the `BATTLE` namespace.
 * Locally, a namespace bound with `script_name` reaches objects in another `wrangler dev` process the same way.
 */
import { type CoordinatorPeer, type ShardNetwork, type ShardPeer, shardObjectName } from "./protocol";

export function doNetwork(ns: DurableObjectNamespace): ShardNetwork {
  const stub = (name: string) => ns.get(ns.idFromName(name));
  return {
    coordinator: (battle) => stub(battle) as unknown as CoordinatorPeer,
    shard: (battle, k) => stub(shardObjectName(battle, k)) as unknown as ShardPeer,
  };
}
