/** @module Wire protocol version, sent in every `welcome`; bumped on any incompatible change. */
export const PROTOCOL_VERSION = 2;

/** Largest client frame the battle accepts, in bytes (UTF-8). Larger frames get `frame_too_large`. */
export const MAX_FRAME_BYTES = 8 * 1024;
