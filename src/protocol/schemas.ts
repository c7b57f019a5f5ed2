/**
 * @module zod schemas of what the server sends: the views, the socket frames (server → client) and the player API's
 * response bodies. They are the published specs' source (`/api/openapi.json`, `/api/protocol.schema.json`), never
 * checked on the request path: the server builds these shapes from the TypeScript types in `server-messages.ts` and
 * `http-messages.ts`, and `SchemaChecks` below fails the build when a type and its schema drift apart.
 */
import { z } from "zod";
import { RequestId } from "./client-messages";
// Through the index, which re-exports the codes and the response types wherever they live (the SDK shares them).
import {
  type AnswerResult,
  type AttackResult,
  type BattleResults,
  type BattleView,
  CloseCode,
  type ErrorBody,
  ErrorCode,
  type FinalStanding,
  type JoinResponse,
  type LeaderboardView,
  type PageView,
  type PlayerView,
  type QuestionView,
  type ReplyData,
  type ServerMessage,
  type StandingView,
  type StreamState,
} from "./index";

/** Schemas published under their own name (`#/components/schemas/<id>` or `#/$defs/<id>`). */
export const wireSchemas = z.registry<{ id: string }>();
function named<S extends z.ZodType>(id: string, schema: S): S {
  wireSchemas.add(schema, { id });
  return schema;
}

const int = () => z.number().int();
const epochMs = () => int().nullable();

export const ErrorCodeSchema = named(
  "ErrorCode",
  z.enum(ErrorCode).describe("One cause, one code (docs/protocol.md, Error codes)."),
);
export const ErrorBodySchema = named(
  "ErrorBody",
  z.object({
    code: ErrorCodeSchema,
    message: z.string(),
    retryAfterMs: z.number().optional().describe("With rate_limited and overloaded: wait this long first."),
  }),
);
/** Every HTTP error: `{error: {code, message, retryAfterMs?}}`. */
export const ErrorResponseSchema = named("ErrorResponse", z.object({ error: ErrorBodySchema }));

/** What each close code means to a client (a `Record`: a new code does not compile until it is described here). */
const CLOSE_CODE_MEANINGS: Record<CloseCode, string> = {
  1011: "A send to this socket failed: reconnect with backoff and resume.",
  1013: "Try again later: reconnect after the reason's retryAfterMs (JSON {code, retryAfterMs}) and resume.",
  4000: "Going away, or no heartbeat for 90 s: reconnect with backoff and resume.",
  4001: "Too many bad or excess frames: fix the client; reconnect with backoff (the budget is not reset).",
  4501: "Session replaced: the player joined again elsewhere; do not reconnect with this token.",
  4502: "Superseded by a newer socket of this session: do not reconnect this one.",
  4503: "Unauthorized (unknown participant, bad token): join again.",
  4504: "No such battle: stop.",
};
export const CloseCodeSchema = named(
  "CloseCode",
  z
    .union(
      Object.entries(CloseCode).map(([name, code]) =>
        z.literal(code).describe(`${name}: ${CLOSE_CODE_MEANINGS[code]}`),
      ) as [z.ZodLiteral<CloseCode>],
    )
    .describe("4500-4999: do not reconnect with that token; the others: reconnect with backoff."),
);

export const QuestionViewSchema = named(
  "QuestionView",
  z.object({
    id: z.string(),
    text: z.string(),
    kind: z.enum(["choice", "exact"]),
    choices: z.array(z.string()).optional(),
    points: int(),
  }),
);
export const BattleStatusSchema = named("BattleStatus", z.enum(["scheduled", "live", "ended"]));
export const BattleViewSchema = named(
  "BattleView",
  z.object({
    id: z.string(),
    title: z.string(),
    status: BattleStatusSchema,
    startsAt: epochMs(),
    endsAt: epochMs(),
    durationMs: int(),
    maxPlayers: int(),
    players: int(),
    rules: z.object({
      startingArrows: int(),
      startingShields: int(),
      arrowsPerCorrect: int(),
      shieldEveryCorrect: int(),
      maxArrows: int(),
      maxShields: int(),
      speedBonus: z.object({ max: int(), windowMs: int() }).nullable(),
      maxAttempts: int(),
    }),
    questions: z.array(QuestionViewSchema).describe("Empty until the battle is live."),
  }),
);
export const PlayerViewSchema = named(
  "PlayerView",
  z.object({
    id: int(),
    username: z.string(),
    score: int(),
    arrows: int(),
    shields: int(),
    correct: int(),
    rank: int(),
    done: z.array(z.string()).describe("Question ids this player may no longer answer."),
  }),
);
export const StandingViewSchema = named(
  "StandingView",
  z.object({ rank: int(), id: int(), username: z.string(), score: int() }),
);
const leaderboardShape = {
  total: int(),
  top: z.array(StandingViewSchema),
  me: z.object({ rank: int(), score: int() }).nullable(),
  around: z.array(StandingViewSchema),
};
export const LeaderboardViewSchema = named("LeaderboardView", z.object(leaderboardShape));
export const PageViewSchema = named(
  "PageView",
  z.object({ total: int(), offset: int(), entries: z.array(StandingViewSchema) }),
);
export const AnswerResultSchema = named(
  "AnswerResult",
  z.object({
    questionId: z.string(),
    correct: z.boolean(),
    points: int(),
    bonus: int(),
    score: int(),
    arrows: int(),
    shields: int(),
    earned: z.object({ arrows: int(), shields: int() }),
    attemptsLeft: int(),
  }),
);
export const AttackResultSchema = named(
  "AttackResult",
  z.object({ target: int(), blocked: z.boolean(), pointsLost: int(), arrows: int() }),
);
export const ReplyDataSchema = named(
  "ReplyData",
  z.union([
    AnswerResultSchema,
    AttackResultSchema,
    LeaderboardViewSchema,
    PageViewSchema,
    z.object({ pong: z.literal(true) }),
  ]),
);
export const StreamStateSchema = named(
  "StreamState",
  z.object({
    epoch: z.string(),
    seq: int(),
    continuity: z.enum(["new", "kept", "lost"]),
    replayed: int(),
  }),
);

/** `seq` on frames of the player's private stream; `duplicate` on the remembered reply to a retried id. */
const sequenced = { seq: int().optional(), duplicate: z.literal(true).optional() };
const player = z.object({ id: int(), username: z.string() });

/** One schema per frame the server sends, each under its own name (`WelcomeFrame`, …), then their union. */
export const ServerFrameSchemas = {
  welcome: named(
    "WelcomeFrame",
    z.object({
      type: z.literal("welcome"),
      protocol: int(),
      serverTime: int(),
      you: PlayerViewSchema,
      battle: BattleViewSchema,
      leaderboard: LeaderboardViewSchema,
      online: int(),
      stream: StreamStateSchema,
    }),
  ),
  replyOk: named(
    "ReplyOkFrame",
    z.object({
      type: z.literal("reply"),
      id: RequestId,
      ok: z.literal(true),
      data: ReplyDataSchema,
      ...sequenced,
    }),
  ),
  replyError: named(
    "ReplyErrorFrame",
    z.object({
      type: z.literal("reply"),
      id: RequestId,
      ok: z.literal(false),
      error: ErrorBodySchema,
      ...sequenced,
    }),
  ),
  error: named("ErrorFrame", z.object({ type: z.literal("error"), error: ErrorBodySchema })),
  leaderboard: named(
    "LeaderboardFrame",
    z
      .object({
        type: z.literal("leaderboard"),
        online: int(),
        ...leaderboardShape,
        top: leaderboardShape.top.optional(),
      })
      .describe("`top` is left out of a compact push (`?push=2`) when it equals the previous frame's."),
  ),
  attacked: named(
    "AttackedFrame",
    z.object({
      type: z.literal("attacked"),
      attacker: player,
      blocked: z.boolean(),
      pointsLost: int(),
      at: int(),
      score: int(),
      shields: int(),
      ...sequenced,
    }),
  ),
  presence: named(
    "PresenceFrame",
    z.object({ type: z.literal("presence"), online: int(), players: z.array(player) }),
  ),
  battle: named(
    "BattleFrame",
    z.object({
      type: z.literal("battle"),
      status: BattleStatusSchema,
      startsAt: epochMs(),
      endsAt: epochMs(),
      ...sequenced,
    }),
  ),
  pong: named("PongFrame", z.object({ type: z.literal("pong") })),
  closing: named(
    "ClosingFrame",
    z
      .object({ type: z.literal("closing"), code: CloseCodeSchema, reason: z.string() })
      .describe("Close the socket now with `code`, then act on it; the server closes it 1 s later."),
  ),
};
const F = ServerFrameSchemas;
/** Every frame the server sends, by `type` (a reply is `ok: true` or `ok: false`). */
export const ServerFrameSchema = named(
  "ServerFrame",
  z.discriminatedUnion("type", [
    F.welcome,
    z.discriminatedUnion("ok", [F.replyOk, F.replyError]),
    F.error,
    F.leaderboard,
    F.attacked,
    F.presence,
    F.battle,
    F.pong,
    F.closing,
  ]),
);

export const JoinResponseSchema = named(
  "JoinResponse",
  z.object({
    participantId: int(),
    username: z.string(),
    isNew: z.boolean(),
    token: z.string(),
    expiresAt: int(),
    wsUrl: z.string(),
    playerKey: z.string().optional().describe("On every join with a username: keep the latest to rejoin."),
  }),
);
export const FinalStandingSchema = named(
  "FinalStanding",
  z.object({
    rank: int(),
    id: int(),
    username: z.string(),
    score: int(),
    correct: int(),
    arrows: int(),
    shields: int(),
  }),
);
export const BattleResultsSchema = named(
  "BattleResults",
  z.object({
    battle: BattleViewSchema,
    final: z.boolean(),
    total: int(),
    standings: z.array(FinalStandingSchema),
  }),
);

/** Deeply mutable `T`, so `readonly` (which the schemas' outputs lack) does not count as a difference. */
type Writable<T> = T extends readonly (infer U)[]
  ? Writable<U>[]
  : T extends object
    ? { -readonly [K in keyof T]: Writable<T[K]> }
    : T;
type Same<A, B> = [Writable<A>] extends [Writable<B>]
  ? [Writable<B>] extends [Writable<A>]
    ? true
    : false
  : false;
/** Every value of `T` is valid under `S` (the frame schema also allows the compact leaderboard push). */
type Covers<S, T> = [Writable<T>] extends [Writable<S>] ? true : false;
type Assert<T extends true> = T;

/** Compile-time: the hand-written types and these schemas describe the same values (tsc fails otherwise). */
export type SchemaChecks = [
  Assert<Same<ErrorBody, z.output<typeof ErrorBodySchema>>>,
  Assert<Same<CloseCode, z.output<typeof CloseCodeSchema>>>,
  Assert<Same<QuestionView, z.output<typeof QuestionViewSchema>>>,
  Assert<Same<BattleView, z.output<typeof BattleViewSchema>>>,
  Assert<Same<PlayerView, z.output<typeof PlayerViewSchema>>>,
  Assert<Same<StandingView, z.output<typeof StandingViewSchema>>>,
  Assert<Same<LeaderboardView, z.output<typeof LeaderboardViewSchema>>>,
  Assert<Same<PageView, z.output<typeof PageViewSchema>>>,
  Assert<Same<AnswerResult, z.output<typeof AnswerResultSchema>>>,
  Assert<Same<AttackResult, z.output<typeof AttackResultSchema>>>,
  Assert<Same<ReplyData, z.output<typeof ReplyDataSchema>>>,
  Assert<Same<StreamState, z.output<typeof StreamStateSchema>>>,
  Assert<Covers<z.output<typeof ServerFrameSchema>, ServerMessage>>,
  Assert<Same<JoinResponse, z.output<typeof JoinResponseSchema>>>,
  Assert<Same<FinalStanding, z.output<typeof FinalStandingSchema>>>,
  Assert<Same<BattleResults, z.output<typeof BattleResultsSchema>>>,
];
