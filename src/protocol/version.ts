/**
 * @module Wire protocol version, sent in every `welcome`; bumped on any incompatible change.
 * 2: the `closing` frame. 3: compact leaderboard pushes for clients that connect with `?push=2` (`top` only
 * when it changed).
 */
export const PROTOCOL_VERSION = 4;

/** Largest client frame the battle accepts, in bytes (UTF-8). Larger frames get `frame_too_large`. */
export const MAX_FRAME_BYTES = 8 * 1024;
