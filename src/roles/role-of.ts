/** @module Which role an object plays, from its battle's config. */
import type { BattleConfig } from "../battle/config";
import type { BattleRoom } from "../room/room";
import { isSharded } from "../sharding/coordinator";
import type { ShardNetwork } from "../sharding/protocol";
import type { BattleRole } from "./battle-role";
import { CoordinatorRole } from "./coordinator";
import { ShardRole, SingleRole } from "./single";

/** The role for a battle with `config` (undefined: none yet, a one-object room until a creation says otherwise). */
export function roleOf(
  room: BattleRoom,
  network: ShardNetwork,
  config: BattleConfig | undefined,
): BattleRole {
  if (config?.shardIndex !== undefined) return new ShardRole(room);
  if (isSharded(config)) return new CoordinatorRole(room, network);
  return new SingleRole(room);
}
