/**
 * @module Calling a battle object from the Worker: errors the platform marks `retryable` are retried with a fresh
 * stub and a short jittered backoff (only for calls that are safe to repeat); `overloaded` ones never are, they
 * become an `overloaded` answer with a retry delay for the client.
 */
import { ErrorCode } from "../protocol/error-codes";
import { ApiError } from "./errors";

/** What the runtime sets on Durable Object exceptions (see the Durable Objects error-handling guide). */
interface PlatformError {
  readonly retryable?: boolean;
  readonly overloaded?: boolean;
}

export const BATTLE_CALL_ATTEMPTS = 3;
/** What a client is told to wait when the platform says the object is overloaded. */
export const PLATFORM_OVERLOAD_RETRY_MS = 1_000;

/**
 * Runs `call` on a stub from `stub()`, up to `attempts` times while the failure is retryable and not an overload.
 * `repeatable`: false for calls that change state (a join, an answer), which run once.
 */
export async function callBattle<S, R>(
  stub: () => S,
  call: (s: S) => R,
  opts: { repeatable: boolean; attempts?: number; sleep?: (ms: number) => Promise<void> },
): Promise<Awaited<R>> {
  const attempts = opts.repeatable ? (opts.attempts ?? BATTLE_CALL_ATTEMPTS) : 1;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let attempt = 1; ; attempt++) {
    try {
      // A fresh stub per attempt: after an exception the old one may be broken.
      return await call(stub());
    } catch (e) {
      const pe = (typeof e === "object" && e !== null ? e : {}) as PlatformError;
      if (pe.overloaded) {
        throw new ApiError(
          503,
          ErrorCode.OVERLOADED,
          "the battle is busy; retry shortly",
          PLATFORM_OVERLOAD_RETRY_MS,
        );
      }
      if (!pe.retryable || attempt >= attempts) throw e;
      await sleep(25 * 2 ** attempt * (0.5 + Math.random()));
    }
  }
}
