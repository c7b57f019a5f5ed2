/**
 * @module WebSocket close codes.
 * 4000–4499: the client may reconnect (with backoff). 4500–4999: it must not reconnect with the same token.
 */
export const CloseCode = {
  /** The server is going away (deploy, restart); reconnect with backoff. */
  GOING_AWAY: 4000,
  /** The client kept sending after repeated protocol errors; reconnect and behave. */
  TOO_MANY_ERRORS: 4001,
  /** Same username joined from another device; this token is dead. */
  SESSION_REPLACED: 4501,
  /** The token is invalid, expired or for another battle. */
  UNAUTHORIZED: 4503,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Close codes a client may retry after. */
export function isReconnectable(code: number): boolean {
  return code < 4500 || code >= 5000;
}
