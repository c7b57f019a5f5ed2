/** @module The Arena wire protocol: messages, codec, close codes and error codes. */
export * from "./client-messages";
export * from "./close-codes";
export * from "./codec";
export * from "./error-codes";
export * from "./http-messages";
export * from "./server-messages";
export * from "./version";
