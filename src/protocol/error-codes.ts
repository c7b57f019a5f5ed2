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

/** HTTP status for each error code when it crosses the HTTP API. */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  bad_json: 400,
  bad_message: 400,
  unknown_type: 400,
  frame_too_large: 413,
  rate_limited: 429,
  unauthorized: 401,
  session_replaced: 401,
  not_found: 404,
  battle_exists: 409,
  battle_not_live: 409,
  battle_ended: 409,
  battle_not_ended: 409,
  battle_full: 409,
  invalid_username: 400,
  username_taken: 409,
  identity_required: 403,
  identity_expired: 401,
  unknown_question: 404,
  already_answered: 409,
  no_arrows: 409,
  self_attack: 400,
  unknown_target: 404,
  target_has_no_points: 409,
  invalid_schedule: 400,
  overloaded: 503,
  internal: 500,
  already_replayed: 409,
  sink_unavailable: 503,
};
