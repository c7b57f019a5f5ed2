/** @module Shapes the battle Durable Object returns to the Worker over RPC (results: see protocol/http-messages). */
import type { RequestDurations } from "../metrics/request-durations";
import type { BattleAdminView as WireAdminView } from "../protocol/http-messages";
import type { BattleConfig } from "./config";
import type { PushStats } from "./push-scheduler";
import type { RequestCountsView } from "./request-counters";
import type { Schedule } from "./schedule";

/**
 * The operator's view as the server types it: the wire type of the client package (`BattleAdminView` in
 * packages/client/src/protocol/http-messages.ts, where every field is declared and described) with the server's own
 * types for the parts it builds from its state; `extends` makes the compiler check that they fit the wire type.
 */
export interface BattleAdminView extends WireAdminView {
  readonly config: BattleConfig;
  readonly schedule: Schedule;
  readonly pushes: PushStats;
  readonly requests: RequestCountsView;
  readonly durations: RequestDurations;
}

export interface JoinResult {
  readonly participantId: number;
  readonly username: string;
  readonly isNew: boolean;
}

export type { StandingsPage } from "../protocol/http-messages";

/** The public battle view, serialised once per change, and the ETag that names that version. */
export interface PublicView {
  readonly etag: string;
  readonly body: string;
}
