/** @module Messages the server sends: replies to requests and pushes. Types only; the server builds them. */
import type { RequestId } from "./client-messages";
import type { ErrorBody } from "./error-codes";

export type BattleStatus = "scheduled" | "live" | "ended";

export interface QuestionView {
  readonly id: string;
  readonly text: string;
  readonly kind: "choice" | "exact";
  readonly choices?: readonly string[];
  readonly points: number;
}

export interface BattleView {
  readonly id: string;
  readonly title: string;
  readonly status: BattleStatus;
  readonly startsAt: number | null;
  readonly endsAt: number | null;
  readonly durationMs: number;
  readonly maxPlayers: number;
  readonly players: number;
  readonly rules: {
    readonly startingArrows: number;
    readonly startingShields: number;
    readonly arrowsPerCorrect: number;
    readonly shieldEveryCorrect: number;
    readonly maxArrows: number;
    readonly maxShields: number;
    readonly speedBonus: { readonly max: number; readonly windowMs: number } | null;
    readonly maxAttempts: number;
  };
  /** Empty until the battle is live: questions are revealed at the start. */
  readonly questions: readonly QuestionView[];
}

export interface PlayerView {
  readonly id: number;
  readonly username: string;
  readonly score: number;
  readonly arrows: number;
  readonly shields: number;
  readonly correct: number;
  readonly rank: number;
  /** Question ids this player may no longer answer (scored, or out of attempts). */
  readonly done: readonly string[];
}

export interface StandingView {
  readonly rank: number;
  readonly id: number;
  readonly username: string;
  readonly score: number;
}

export interface LeaderboardView {
  readonly total: number;
  readonly top: readonly StandingView[];
  readonly me: { readonly rank: number; readonly score: number } | null;
  readonly around: readonly StandingView[];
}

export interface AnswerResult {
  readonly questionId: string;
  readonly correct: boolean;
  /** Points awarded by this answer, speed bonus included. */
  readonly points: number;
  readonly bonus: number;
  readonly score: number;
  readonly arrows: number;
  readonly shields: number;
  readonly earned: { readonly arrows: number; readonly shields: number };
  readonly attemptsLeft: number;
}

export interface AttackResult {
  readonly target: number;
  readonly blocked: boolean;
  readonly pointsLost: number;
  readonly arrows: number;
}

export interface PageView {
  readonly total: number;
  readonly offset: number;
  readonly entries: readonly StandingView[];
}

export type ReplyData = AnswerResult | AttackResult | LeaderboardView | PageView | { readonly pong: true };

export type ServerMessage =
  | {
      readonly type: "welcome";
      readonly protocol: number;
      readonly serverTime: number;
      readonly you: PlayerView;
      readonly battle: BattleView;
      readonly leaderboard: LeaderboardView;
      readonly online: number;
    }
  | { readonly type: "reply"; readonly id: RequestId; readonly ok: true; readonly data: ReplyData }
  | { readonly type: "reply"; readonly id: RequestId; readonly ok: false; readonly error: ErrorBody }
  /** A frame that could not be tied to a request id (unparseable, too large). */
  | { readonly type: "error"; readonly error: ErrorBody }
  | ({ readonly type: "leaderboard"; readonly online: number } & LeaderboardView)
  | {
      readonly type: "attacked";
      readonly attacker: { readonly id: number; readonly username: string };
      readonly blocked: boolean;
      readonly pointsLost: number;
      readonly at: number;
      readonly score: number;
      readonly shields: number;
    }
  | {
      readonly type: "presence";
      readonly online: number;
      readonly players: readonly { readonly id: number; readonly username: string }[];
    }
  | {
      readonly type: "battle";
      readonly status: BattleStatus;
      readonly startsAt: number | null;
      readonly endsAt: number | null;
    }
  | { readonly type: "pong" }
  /**
   * The server is closing this socket with `code` (see close codes): the client should close it now with the same
   * code and act on it (reconnect or not). A client that does not is closed by the server a second later.
   */
  | { readonly type: "closing"; readonly code: number; readonly reason: string };
