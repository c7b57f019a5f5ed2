/** @module Bodies of the player HTTP API's responses, shared by the Worker and the client SDK. */
import type { BattleView } from "./server-messages";

/** What `POST /api/battles/:id/join` returns. */
export interface JoinResponse {
  readonly participantId: number;
  readonly username: string;
  /** False on a proven rejoin (player key or identity token): a new session for that participant. */
  readonly isNew: boolean;
  readonly token: string;
  /** Epoch ms. */
  readonly expiresAt: number;
  readonly wsUrl: string;
  /**
   * Only on the first join of a username in an open battle: the secret that proves this player on a later join
   * (another device, a lost token). Keep it; without it the username is `username_taken`.
   */
  readonly playerKey?: string;
}

export interface FinalStanding {
  readonly rank: number;
  readonly id: number;
  readonly username: string;
  readonly score: number;
  readonly correct: number;
  readonly arrows: number;
  readonly shields: number;
}

/** What `GET /api/battles/:id/results` (and the operator's standings) return. */
export interface BattleResults {
  readonly battle: BattleView;
  /** True once the battle has ended and the standings are frozen. */
  readonly final: boolean;
  readonly standings: readonly FinalStanding[];
}
