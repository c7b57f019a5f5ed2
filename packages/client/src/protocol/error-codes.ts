/** @module Error codes shared by the WebSocket replies and the HTTP API (`{error: {code, message}}`). */
export const ErrorCode = {
  BAD_JSON: "bad_json",
  BAD_MESSAGE: "bad_message",
  UNKNOWN_TYPE: "unknown_type",
  FRAME_TOO_LARGE: "frame_too_large",
  RATE_LIMITED: "rate_limited",
  UNAUTHORIZED: "unauthorized",
  SESSION_REPLACED: "session_replaced",
  NOT_FOUND: "not_found",
  BATTLE_EXISTS: "battle_exists",
  BATTLE_NOT_LIVE: "battle_not_live",
  BATTLE_ENDED: "battle_ended",
  BATTLE_NOT_ENDED: "battle_not_ended",
  BATTLE_FULL: "battle_full",
  INVALID_USERNAME: "invalid_username",
  USERNAME_TAKEN: "username_taken",
  IDENTITY_REQUIRED: "identity_required",
  IDENTITY_EXPIRED: "identity_expired",
  UNKNOWN_QUESTION: "unknown_question",
  ALREADY_ANSWERED: "already_answered",
  NO_ARROWS: "no_arrows",
  SELF_ATTACK: "self_attack",
  UNKNOWN_TARGET: "unknown_target",
  TARGET_HAS_NO_POINTS: "target_has_no_points",
  INVALID_SCHEDULE: "invalid_schedule",
  OVERLOADED: "overloaded",
  INTERNAL: "internal",
  ALREADY_REPLAYED: "already_replayed",
  SINK_UNAVAILABLE: "sink_unavailable",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface ErrorBody {
  readonly code: ErrorCode;
  readonly message: string;
  /** Present with `rate_limited` and `overloaded`: wait at least this long before retrying. */
  readonly retryAfterMs?: number;
}
