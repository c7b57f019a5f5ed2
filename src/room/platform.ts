/** @module What the battle room needs from the platform that hosts it (the Durable Object, or a Node test). */
import type { BattleStore } from "../battle/battle-store";
import type { Connection } from "../battle/connection";
import type { FanoutBudgetOptions } from "../battle/fanout-budget";
import type { HistoryStore } from "../battle/history-store";
import type { EventMessage } from "../persistence/message";
import type { ShardNetwork } from "../sharding/protocol";

export interface RoomPlatform {
  /** For logs: the object's id until a battle is loaded. */
  readonly id: string;
  readonly store: BattleStore;
  readonly history: HistoryStore;
  /** Runs `run` in one storage transaction; throws if it rolled back. */
  transaction(run: () => void): void;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(timer: unknown): void;
  /** Arms the platform's single alarm (replacing the armed one), or disarms it when null. */
  setAlarm(at: number | null): void | Promise<void>;
  /** The open connections, listed once after a wake (the platform keeps sockets through hibernation). */
  connections(): Iterable<Connection>;
  /** Sends persistence messages to the event queue (one `sendBatch`). */
  sendEvents(batch: EventMessage[]): Promise<void>;
  /** Joins per address per minute when the battle sets none (the deployment's `JOIN_LIMIT_PER_MINUTE`). */
  readonly joinsPerAddressPerMinute?: number;
  /** New sockets admitted per second (the deployment's `CONNECT_RATE_PER_SECOND`); default 2,000. */
  readonly connectsPerSecond?: number;
  /** Storage cannot be trusted any more: reset the object. */
  abort(reason: string): void;
  /** How the objects of a sharded battle reach each other (absent: the battle cannot be sharded here). */
  readonly network?: ShardNetwork;
  /** The push fan-out's budget tuning (default `FANOUT_BUDGET`). */
  readonly fanout?: FanoutBudgetOptions;
}
