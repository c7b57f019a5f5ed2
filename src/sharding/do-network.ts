/**
 * @module The objects of a sharded battle reaching each other over Durable Object RPC: the coordinator is the
 * battle's object (`idFromName(battle)`), shard k is `idFromName("<battle>#s<k>")`, all in the `BATTLE` namespace.
 * In the local multi-process mode an object in another runtime process is reached through that process's
 * namespace, bound with `script_name` (`BATTLE_P<j>`); see `placement.ts`.
 */
import { namespaceBinding, type Placement, placementOf, processOfObject } from "./placement";
import { type CoordinatorPeer, type ShardNetwork, type ShardPeer, shardObjectName } from "./protocol";

/** The environment's local topology (`LOCAL_PROCESSES`, `LOCAL_PROCESS_INDEX`; absent in production). */
export function placementOfEnv(env: Env): Placement {
  const vars = env as unknown as Record<string, unknown>;
  return placementOf(vars.LOCAL_PROCESSES, vars.LOCAL_PROCESS_INDEX);
}

/** The namespace that holds the object named `name`: `BATTLE`, or another local process's. */
export function namespaceFor(
  env: Env,
  name: string,
  placement = placementOfEnv(env),
): DurableObjectNamespace {
  const binding = namespaceBinding(processOfObject(name, placement), placement);
  const ns = (env as unknown as Record<string, unknown>)[binding];
  if (ns === undefined)
    throw new Error(`no ${binding} binding: start the multi-process mode with its script`);
  return ns as DurableObjectNamespace;
}

/** A stub of the battle object named `name` (`<battle>` or `<battle>#s<k>`), wherever it runs. */
export function objectStub(env: Env, name: string, placement = placementOfEnv(env)) {
  const ns = namespaceFor(env, name, placement) as unknown as Env["BATTLE"];
  return ns.get(ns.idFromName(name));
}

export function doNetwork(env: Env): ShardNetwork {
  const placement = placementOfEnv(env);
  return {
    coordinator: (battle) => objectStub(env, battle, placement) as unknown as CoordinatorPeer,
    shard: (battle, k) => objectStub(env, shardObjectName(battle, k), placement) as unknown as ShardPeer,
  };
}
