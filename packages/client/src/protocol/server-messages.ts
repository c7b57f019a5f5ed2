/** @module Messages the server sends: replies to requests and pushes. Types only; the server builds them. */
import type { CloseCode } from "./close-codes.js";
import type { ErrorBody } from "./error-codes.js";
import type { RequestId } from "./request-id.js";

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

/**
 * Frames of a player's private stream (`attacked`, `battle`, the reply to an accepted answer or attack) carry
 * `seq`, 1, 2, 3… per player. A reconnect that sends the last `seq` it saw and the stream's `epoch` gets the
 * frames it missed, in order, before its `welcome`. The original reply to a retried request id comes back with
 * `duplicate: true` and no `seq`.
 */
export interface Sequenced {
  readonly seq?: number;
  readonly duplicate?: true;
}

/**
 * `continuity`: `new` (no resume asked), `kept` (every missed frame was replayed: `replayed` of them), `lost` (they
 * could not all be: the gap is too old or too long, or the epoch changed; rebuild from this snapshot).
 */
export interface StreamState {
  readonly epoch: string;
  readonly seq: number;
  readonly continuity: "new" | "kept" | "lost";
  readonly replayed: number;
}

export type ServerMessage =
  | {
      readonly type: "welcome";
      readonly protocol: number;
      readonly serverTime: number;
      readonly you: PlayerView;
      readonly battle: BattleView;
      readonly leaderboard: LeaderboardView;
      readonly online: number;
      /** Where this player's private stream stands after this welcome (see `Sequenced`). */
      readonly stream: StreamState;
    }
  | ({
      readonly type: "reply";
      readonly id: RequestId;
      readonly ok: true;
      readonly data: ReplyData;
    } & Sequenced)
  | ({
      readonly type: "reply";
      readonly id: RequestId;
      readonly ok: false;
      readonly error: ErrorBody;
    } & Sequenced)
  /** A frame that could not be tied to a request id (unparseable, too large). */
  | { readonly type: "error"; readonly error: ErrorBody }
  | ({ readonly type: "leaderboard"; readonly online: number } & LeaderboardView)
  | ({
      readonly type: "attacked";
      readonly attacker: { readonly id: number; readonly username: string };
      readonly blocked: boolean;
      readonly pointsLost: number;
      readonly at: number;
      readonly score: number;
      readonly shields: number;
    } & Sequenced)
  | {
      readonly type: "presence";
      readonly online: number;
      readonly players: readonly { readonly id: number; readonly username: string }[];
    }
  | ({
      readonly type: "battle";
      readonly status: BattleStatus;
      readonly startsAt: number | null;
      readonly endsAt: number | null;
    } & Sequenced)
  | { readonly type: "pong" }
  /**
   * The server is closing this socket with `code` (see close codes): the client should close it now with the same
   * code and act on it (reconnect or not). A client that does not is closed by the server a second later.
   */
  | { readonly type: "closing"; readonly code: CloseCode; readonly reason: string };
