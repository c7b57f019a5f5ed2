/** @module Arena client SDK: join, a typed battle connection, heartbeat and reconnect policy. */
export * from "./arena-client";
export * from "./backoff";
export * from "./board-frames";
export * from "./connection";
export * from "./http";
export * from "./operator";
