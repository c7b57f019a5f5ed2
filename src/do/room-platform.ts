/** @module The battle room's platform on a Durable Object: its SQLite, timers, alarm, sockets and event queue. */
import { BattleStore } from "../battle/battle-store";
import type { Connection } from "../battle/connection";
import { fanoutSwitch } from "../battle/fanout-budget";
import { HistoryStore } from "../battle/history-store";
import { eventSender } from "../persistence/events-relay";
import type { RoomPlatform } from "../room/platform";
import type { ShardNetwork } from "../sharding/protocol";

export function roomPlatform(
  ctx: DurableObjectState,
  env: Env,
  network: ShardNetwork,
  connections: () => Iterable<Connection>,
): RoomPlatform {
  const fanout = fanoutSwitch(env.FANOUT as string | undefined);
  return {
    id: ctx.id.toString(),
    store: new BattleStore(ctx.storage.sql, (fn) => ctx.storage.transactionSync(fn), {
      persistence: (env.PERSISTENCE as string | undefined) !== "off",
    }),
    history: new HistoryStore(ctx.storage.sql),
    transaction: (run) => ctx.storage.transactionSync(run),
    setTimer: (fn, ms) => setTimeout(fn, ms),
    clearTimer: (t) => clearTimeout(t as ReturnType<typeof setTimeout>),
    setAlarm: (at) => (at === null ? ctx.storage.deleteAlarm() : ctx.storage.setAlarm(at)),
    connections,
    sendEvents: eventSender(env),
    abort: (reason) => ctx.abort(reason),
    joinsPerAddressPerMinute: positiveOrUndefined(env.JOIN_LIMIT_PER_MINUTE),
    connectsPerSecond: positiveOrUndefined(env.CONNECT_RATE_PER_SECOND),
    network,
    ...(fanout ? { fanout } : {}),
  };
}

/** A numeric setting from a var (`""` or garbage: unset). */
function positiveOrUndefined(v: string | undefined): number | undefined {
  const n = Number(v);
  return v === undefined || v.trim() === "" || !Number.isInteger(n) || n < 0 ? undefined : n;
}
