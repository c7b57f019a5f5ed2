/** @module Messages a player sends over the WebSocket (and the HTTP fallbacks), validated with zod. */
import { z } from "zod";
import { safeText } from "./text";

/**
 * Every request carries an id chosen by the client; the one reply to it carries the same id. Every string here is
 * single-line `safeText`: no control characters (TAB and newlines included) and no lone surrogates.
 */
export const RequestId = z.union([
  safeText().min(1).max(64),
  z
    .number()
    .int()
    .nonnegative()
    .max(2 ** 53),
]);
export type RequestId = z.infer<typeof RequestId>;

export const AnswerBody = z.strictObject({
  questionId: safeText().min(1).max(64),
  /** A choice index, or the typed answer (single-line: keys are compared with whitespace collapsed anyway). */
  answer: z.union([safeText().max(1024), z.number().int()]),
});
export const AttackBody = z.strictObject({ target: z.number().int().nonnegative() });
export const LeaderboardBody = z.strictObject({
  /** Page start (0-based). Without it the reply is the personal view: top N, your rank, ±5 around you. */
  offset: z.number().int().nonnegative().optional(),
  limit: z.number().int().min(1).max(100).optional(),
});

export const ClientMessage = z.discriminatedUnion("type", [
  AnswerBody.extend({ type: z.literal("answer"), id: RequestId }),
  AttackBody.extend({ type: z.literal("attack"), id: RequestId }),
  LeaderboardBody.extend({ type: z.literal("leaderboard"), id: RequestId }),
  z.strictObject({ type: z.literal("ping"), id: RequestId.optional() }),
]);
export type ClientMessage = z.infer<typeof ClientMessage>;
export type ClientRequest = Exclude<ClientMessage, { type: "ping" }>;
export type ClientRequestType = ClientRequest["type"];

export const CLIENT_TYPES: ReadonlySet<string> = new Set(["answer", "attack", "leaderboard", "ping"]);

/** The exact heartbeat frame; the Durable Object answers it without waking (auto-response). */
export const HEARTBEAT_REQUEST = '{"type":"ping"}';
export const HEARTBEAT_RESPONSE = '{"type":"pong"}';
