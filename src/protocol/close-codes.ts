/** @module WebSocket close codes: the client package's (`packages/client`), one copy for the server and the SDK. */
export * from "../../packages/client/src/protocol/close-codes";
