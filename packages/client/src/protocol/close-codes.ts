/**
 * @module WebSocket close codes.
 * 4000–4499: the client may reconnect (with backoff). 4500–4999: it must not reconnect with the same token.
 */
export const CloseCode = {
  /**
   * The object is taking sockets as fast as it can: come back after the reason's `retryAfterMs` (the reason is
   * JSON `{"code":"overloaded","retryAfterMs":N}`), keeping the session and the stream's place. RFC 6455 "Try
   * Again Later".
   */
  TRY_AGAIN_LATER: 1013,
  /** A send to this socket failed; the server closed it (RFC 6455 "Internal Error"). Reconnect with backoff. */
  SEND_FAILED: 1011,
  /** The server is going away (deploy, restart); reconnect with backoff. */
  GOING_AWAY: 4000,
  /** The client kept sending after repeated protocol errors; reconnect and behave. */
  TOO_MANY_ERRORS: 4001,
  /** Same username joined from another device; this token is dead. */
  SESSION_REPLACED: 4501,
  /**
   * The same session opened more sockets than allowed; the oldest is closed. Do not reconnect this socket: the
   * newer one carries the session (and resumes its stream).
   */
  SUPERSEDED: 4502,
  /** The token is invalid, expired or for another battle. */
  UNAUTHORIZED: 4503,
  /** The battle does not exist (any more) in this deployment. */
  NOT_FOUND: 4504,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Close codes a client may retry after. */
export function isReconnectable(code: number): boolean {
  return code < 4500 || code >= 5000;
}
