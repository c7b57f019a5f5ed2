/** @module Shapes the battle Durable Object returns to the Worker over RPC (results: see protocol/http-messages). */
import type { BattleView } from "../protocol/server-messages";
import type { BattleConfig } from "./config";
import type { PushStats } from "./push-scheduler";
import type { RequestCountsView } from "./request-counters";
import type { Schedule } from "./schedule";

/** The operator's view: the player view plus the full configuration (answer keys included) and row counts. */
export interface BattleAdminView extends BattleView {
  readonly config: BattleConfig;
  readonly schedule: Schedule;
  readonly stored: { readonly participants: number; readonly answers: number; readonly attacks: number };
  /** Open sockets (a socket the server closed is no longer counted, whatever the runtime still holds). */
  readonly online: number;
  /** Group commits since the object woke: batches, the writes they held, and the largest batch. */
  readonly commits: { readonly batches: number; readonly writes: number; readonly largest: number };
  /** Push fan-out since the object woke: slices, frames, and what the frames were measured to cost. */
  readonly pushes: PushStats;
  /** Player requests and rejections since the object woke. */
  readonly requests: RequestCountsView;
  /**
   * Sockets since the object woke: admitted, refused by the battle's rate (closed 1013 with a slot to come back
   * at), and refused because their participant opened more than 20 this minute (1013 until the minute ends).
   */
  readonly connects: { readonly admitted: number; readonly refused: number; readonly limited: number };
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
