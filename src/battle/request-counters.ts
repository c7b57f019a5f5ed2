/** @module Counts of player requests since the object woke, for the operator's live view (rejections, limits). */
import { ErrorCode } from "../protocol/error-codes";
import type { Outcome } from "./outcome";

export interface RequestCountsView {
  /** Answer, attack and leaderboard requests handled (socket and HTTP). */
  readonly handled: number;
  /** Requests answered with an error (wrong state, no arrows, rate limited…). */
  readonly rejected: number;
  /** Of the rejected, those refused by the per-player rate limit. */
  readonly rateLimited: number;
}

export class RequestCounters {
  private handled = 0;
  private rejected = 0;
  private rateLimited = 0;

  count(result: Outcome<unknown>): void {
    this.handled++;
    if (result.ok) return;
    this.rejected++;
    if (result.error.code === ErrorCode.RATE_LIMITED) this.rateLimited++;
  }

  view(): RequestCountsView {
    return { handled: this.handled, rejected: this.rejected, rateLimited: this.rateLimited };
  }
}
