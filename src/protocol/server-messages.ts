/**
 * @module Messages the server sends: replies to requests and pushes. Types only, declared once in the client package
 * (`packages/client`), which the server and the SDK share.
 */
export * from "../../packages/client/src/protocol/server-messages";
