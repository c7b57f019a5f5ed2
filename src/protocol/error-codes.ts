/**
 * @module Error codes shared by the WebSocket replies and the HTTP API (`{error: {code, message}}`). The codes and the
 * error body are the client package's (`packages/client`, one copy for the server and the SDK); the HTTP status of
 * each is the server's.
 */
import type { ErrorCode } from "../../packages/client/src/protocol/error-codes";

export * from "../../packages/client/src/protocol/error-codes";

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
