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
   * On every join with a username (absent for identity-token joins): the secret that proves this player on the
   * next join (another device, a lost token). A rejoin's key is a new one and the key it presented stops working,
   * so keep the key of every reply; without it the username is `username_taken`.
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
  /** Ranked players in the whole battle (the standings may be one page of them). */
  readonly total: number;
  readonly standings: readonly FinalStanding[];
}

/** A page of standings: ranks `offset + 1` to `offset + limit`. */
export interface StandingsPage {
  readonly offset: number;
  readonly limit: number;
}

/** The most standings one public `/results` call returns (the SDK pages through the rest). */
export const RESULTS_PAGE_MAX = 1_000;
