/**
 * @module The room's seams to a sharded battle (src/sharding): the shard side (replica, snapshots, cross-shard
 * attacks) built on the room's parts, and a shard's link to its coordinator, attached when its game loads.
 */
import type { BattleGame } from "../battle/game";
import { PRESENCE_LIST_MAX } from "../battle/push-scheduler";
import type { Schedule } from "../battle/schedule";
import { ShardLink } from "../sharding/shard-link";
import { ShardSide } from "../sharding/shard-side";
import type { Actions } from "./actions";
import type { RoomCore } from "./core";

/** The shard side on the room's parts; it remembers keyed outcomes as the room's pipeline does (`actions`). */
export function shardSideOf(core: RoomCore, actions: Actions): ShardSide {
  return new ShardSide({
    game: () => core.game,
    link: () => core.link,
    store: core.platform.store,
    network: core.platform.network,
    commit: core.commit,
    streams: core.streams,
    now: () => core.now(),
    socketsOf: (id) => core.sockets.set.ofPlayer(id),
    online: () => core.sockets.set.size,
    remember: (playerId, id, key, result) => {
      actions.remember(playerId, id, key, result, true);
    },
    markChanged: (id, oldRank) => core.markChanged(id, oldRank),
    log: (msg, e) => core.log(msg, e),
  });
}

/**
 * A loaded game of a shard gets its link to the coordinator (once), and the link starts: after a reload the replica
 * holds our own players only, so the next report gets everyone else again.
 */
export function attachLink(
  core: RoomCore,
  game: BattleGame | null,
  shard: ShardSide,
  adoptSchedule: (schedule: Schedule) => Promise<void>,
): void {
  const index = game?.config.shardIndex;
  const network = core.platform.network;
  if (index !== undefined && network && !core.link) {
    core.link = new ShardLink({
      battle: game!.config.id,
      shard: index,
      network,
      setTimer: (fn, ms) => core.platform.setTimer(fn, ms),
      now: () => core.now(),
      entryOf: (id) => shard.entryOf(id),
      localIds: () => core.game?.players.keys() ?? [],
      applyRemote: (entries) => shard.applyRemote(entries),
      adoptSchedule: (schedule) => void adoptSchedule(schedule),
      online: () => core.sockets.set.size,
      present: () => {
        const s = core.sockets.set;
        if (s.size > PRESENCE_LIST_MAX) return null;
        return [...new Set(s.targets.map((t) => t.playerId))].sort((a, b) => a - b);
      },
      presenceChanged: () => core.pushes.schedule(),
      status: () => core.game?.status(core.now()) ?? "ended",
      log: (msg, e) => core.log(msg, e),
    });
  }
  if (core.link && game) core.link.start();
}
