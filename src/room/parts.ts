/**
 * @module The room's parts its seam is built on (`RoomParts`, see seam.ts): the game, storage, the group commit,
 * the players' streams and sockets, and the pipeline's `remember`, handed over once when the room is built.
 */
import { PRESENCE_LIST_MAX } from "../battle/push-scheduler";
import type { Schedule } from "../battle/schedule";
import type { Actions } from "./actions";
import type { RoomCore } from "./core";
import type { RoomParts } from "./seam";

/** The parts of the room on `core`; a remembered outcome goes through the pipeline's `actions.remember`. */
export function roomParts(
  core: RoomCore,
  actions: Actions,
  adoptSchedule: (schedule: Schedule) => Promise<void>,
): RoomParts {
  const platform = core.platform;
  return {
    game: () => core.game,
    store: platform.store,
    network: platform.network,
    commit: core.commit,
    streams: core.streams,
    now: () => core.now(),
    setTimer: (fn, ms) => platform.setTimer(fn, ms),
    socketsOf: (id) => core.sockets.set.ofPlayer(id),
    online: () => core.sockets.set.size,
    present: () => {
      const s = core.sockets.set;
      if (s.size > PRESENCE_LIST_MAX) return null;
      return [...new Set(s.targets.map((t) => t.playerId))].sort((a, b) => a - b);
    },
    presenceChanged: () => core.pushes.schedule(),
    adoptSchedule,
    remember: (playerId, id, key, result) => {
      actions.remember(playerId, id, key, result, true);
    },
    markChanged: (id, oldRank) => core.markChanged(id, oldRank),
    log: (msg, e) => core.log(msg, e),
  };
}
