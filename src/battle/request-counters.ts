/** @module Counts of player requests since the object woke, for the operator's live view (rejections, limits). */
import { OUTCOMES, outcomeIndex, RequestKind, requestCounter } from "../metrics/battle-metrics";
import { type ErrorBody, ErrorCode } from "../protocol/error-codes";
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
  /** `arena_requests_total`: by action × outcome, indexed by small integers (see `metrics/battle-metrics.ts`). */
  readonly byOutcome = requestCounter();

  /** `kind`: the request's action; the shard side's cross-shard attacks pass none (they are attacks). */
  count(result: Outcome<unknown>, kind: RequestKind = RequestKind.ATTACK): void {
    if (result.ok) {
      this.byOutcome.inc(kind * OUTCOMES.length);
      this.handled++;
    } else this.refused(kind, result.error);
  }

  /**
   * A refused frame or request: an answer, attack or leaderboard read counts as `count` does; a ping or a frame that
   * did not parse (`RequestKind.INVALID`) only in `byOutcome`.
   */
  refused(kind: RequestKind, error: ErrorBody): void {
    this.byOutcome.inc(kind * OUTCOMES.length + outcomeIndex(error.code));
    if (kind === RequestKind.PING || kind === RequestKind.INVALID) return;
    this.handled++;
    this.rejected++;
    if (error.code === ErrorCode.RATE_LIMITED) this.rateLimited++;
  }

  /** A ping answered. */
  pinged(): void {
    this.byOutcome.inc(RequestKind.PING * OUTCOMES.length);
  }

  view(): RequestCountsView {
    return { handled: this.handled, rejected: this.rejected, rateLimited: this.rateLimited };
  }
}
