/**
 * @module Bodies of the HTTP API's responses, declared once in the client package (`packages/client`), which the
 * Worker and the SDK share.
 */
export * from "../../packages/client/src/protocol/http-messages";
