/** @module The result of a rule check: a value, or a structured error for the caller. */
import type { ReplyData } from "../protocol";
import { type ErrorBody, ErrorCode } from "../protocol/error-codes";

export type Outcome<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: ErrorBody };

export function ok<T>(value: T): Outcome<T> {
  return { ok: true, value };
}

export function err<T = never>(code: ErrorCode, message: string, retryAfterMs?: number): Outcome<T> {
  return {
    ok: false,
    error: retryAfterMs === undefined ? { code, message } : { code, message, retryAfterMs },
  };
}

/** The reply to an HTTP request; `duplicate` when it is the earlier reply to the same `Idempotency-Key`. */
export type HttpOutcome = Outcome<ReplyData> & { readonly duplicate?: true };

/** The answer for a battle this object does not hold (not created, or not here). */
export function noSuchBattle<T>(): Outcome<T> {
  return err(ErrorCode.NOT_FOUND, "no such battle");
}
