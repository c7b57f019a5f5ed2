/** @module Bodies of the player HTTP API's responses, shared by the Worker and the client SDK. */
import type { BattleView } from "./server-messages.js";

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

/** A question as the operator created it, answer key included (operator views only). */
export interface QuestionConfigView {
  readonly id: string;
  readonly text: string;
  /** Present for multiple choice; `answer` is then the index of the right choice. */
  readonly choices?: readonly string[];
  /** The key: a choice index, or the accepted exact answer(s). */
  readonly answer: number | string | readonly string[];
  readonly points?: number;
}

/** A battle's configuration as created (docs/api.md, `POST /api/admin/battles`), with its defaults filled in. */
export interface BattleConfigView {
  readonly id: string;
  readonly title: string;
  readonly createdAt: number;
  readonly questions: readonly QuestionConfigView[];
  readonly points: number;
  readonly speedBonus?: { readonly max: number; readonly windowMs: number };
  readonly durationMs: number;
  readonly startsAt?: number;
  readonly maxPlayers: number;
  readonly leaderboardSize: number;
  readonly rules: {
    readonly startingArrows: number;
    readonly startingShields: number;
    readonly arrowsPerCorrect: number;
    readonly shieldEveryCorrect: number;
    readonly maxArrows: number;
    readonly maxShields: number;
    readonly maxAttempts: number;
  };
  readonly identity: "open" | "operator";
  readonly joinsPerAddressPerMinute?: number;
  readonly shards?: number;
}

/**
 * What the operator routes return for one battle (`GET /api/admin/battles/:id`, create, start, end): the public view
 * plus the configuration (answer keys included), the schedule, stored row counts and the object's counters since it
 * woke. The server's own type (`src/battle/views.ts`) extends this one, so the two cannot drift apart.
 */
export interface BattleAdminView extends BattleView {
  readonly config: BattleConfigView;
  /** `endedAt` is set when an operator ended the battle early. */
  readonly schedule: {
    readonly startsAt: number | null;
    readonly endsAt: number | null;
    readonly endedAt: number | null;
  };
  readonly stored: { readonly participants: number; readonly answers: number; readonly attacks: number };
  /** Open sockets (a socket the server closed is no longer counted, whatever the runtime still holds). */
  readonly online: number;
  /** Group commits since the object woke: batches, the writes they held, and the largest batch. */
  readonly commits: { readonly batches: number; readonly writes: number; readonly largest: number };
  /** Push fan-out since the object woke: slices, frames, and what the frames were measured to cost. */
  readonly pushes: PushStats;
  /** Player requests since the object woke: handled, answered with an error, and of those rate-limited. */
  readonly requests: { readonly handled: number; readonly rejected: number; readonly rateLimited: number };
  /**
   * Sockets since the object woke: admitted, refused by the battle's rate (closed 1013 with a slot to come back
   * at), and refused because their participant opened more than 20 this minute (1013 until the minute ends).
   */
  readonly connects: { readonly admitted: number; readonly refused: number; readonly limited: number };
  /**
   * Request handling times per action since the object woke (the `arena_request_duration_seconds` buckets): bucket
   * upper bounds in seconds, and per action (`answer`, `attack`, …) the observations per bucket (not cumulative, one
   * more than `bounds`).
   */
  readonly durations: {
    readonly bounds: readonly number[];
    readonly byAction: Readonly<Record<string, readonly number[]>>;
  };
  /**
   * The push freshness bound: the target (`FRESHNESS_BOUND_MS`) and what the fan-out budget can keep now if every
   * open socket's view changed at once (null when fan-out has no time share).
   */
  readonly freshness: { readonly targetMs: number; readonly boundMs: number | null };
}

/** Fan-out counters since the object woke, for the operator's view and the load tester. */
export interface PushStats {
  readonly slices: number;
  readonly frames: number;
  /** Frames of the slices that were timed, and the time from those slices' start until the loop was free. */
  readonly measuredFrames: number;
  readonly measuredMs: number;
  /** The budget's current per-frame cost estimate (ms) and AIMD share. */
  readonly perFrameMs: number;
  readonly share: number;
}
