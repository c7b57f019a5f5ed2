/**
 * @module `@arena/client`: the Arena SDK. Join a battle over HTTP, play over a typed WebSocket connection (heartbeat,
 * reconnect with backoff, resume, idempotent re-sends), read results, and drive battles with the operator client.
 * The wire types (frames, HTTP bodies, close and error codes) are exported too; the server shares them.
 */
export * from "./arena-client.js";
export * from "./backoff.js";
export * from "./board-frames.js";
export * from "./connection.js";
export * from "./http.js";
export * from "./operator.js";
export * from "./protocol/close-codes.js";
export * from "./protocol/error-codes.js";
export * from "./protocol/http-messages.js";
export type * from "./protocol/request-id.js";
export type * from "./protocol/server-messages.js";
