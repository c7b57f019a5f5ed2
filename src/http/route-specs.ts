/**
 * @module The HTTP API as data: every route's method, path, auth, the zod schemas its handler validates the query
 * and body with (the same objects, imported from `request-schemas.ts`, `battle/config.ts` and
 * `protocol/client-messages.ts`) and its responses by status. `openapi.ts` turns it into the OpenAPI document;
 * `test/workers/api-spec.test.ts` checks it lists exactly the routes the Hono app serves.
 */
import type { z } from "zod";
import { BattleInput } from "../battle/config";
import { AnswerBody, AttackBody } from "../protocol/client-messages";
import { BattleResultsSchema } from "../protocol/schemas";
import {
  ARCHIVED_ID,
  BATTLE_ID,
  DeadLetterQuery,
  JoinBody,
  LeaderboardQuery,
  ListQuery,
  ResultsQuery,
  StandingsQuery,
  StartBody,
} from "./request-schemas";
import {
  AnswerResponseSchema,
  AttackResponseSchema,
  BattleAdminResponseSchema,
  BattleListSchema,
  DeadLetterListSchema,
  HealthSchema,
  JoinResponseSchema,
  LeaderboardResponseSchema,
  PersistenceStatusSchema,
  PublicBattleSchema,
  QuarantineSchema,
  ReapplyReportSchema,
  ReconcileReportSchema,
  ReplayResponseSchema,
} from "./response-schemas";

/** `operator`: `Authorization: Bearer $OPERATOR_TOKEN`; `player`: the session token of a join. */
export type Auth = "operator" | "player" | "none";

export interface ResponseSpec {
  readonly description: string;
  /** A JSON body (a schema of `wireSchemas`); absent with `text` or for no body. */
  readonly schema?: z.ZodType;
  /** A non-JSON body's content type (`/metrics`: the Prometheus text format). */
  readonly text?: string;
  /** A JSON document described elsewhere (the specs themselves): any object. */
  readonly document?: true;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface RouteSpec {
  readonly method: "get" | "post";
  /** OpenAPI path template (`{id}`); the Hono route is the same with `:id`. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly auth: Auth;
  /** The `id` path parameter's form (a battle id, an archived one, or a dead letter's id). */
  readonly id?: RegExp | "any";
  readonly query?: z.ZodObject;
  /** Query strings the route reads without a zod object (the socket upgrade's: the object reads them). */
  readonly queryStrings?: Readonly<Record<string, string>>;
  /** The request body's schema and its name under `components.schemas`. */
  readonly body?: { readonly name: string; readonly schema: z.ZodType };
  /** Request headers the route reads besides `Authorization` (name → description). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly responses: Readonly<Record<number, ResponseSpec>>;
  /** Statuses answered with an `ErrorResponse` body (see the error codes' HTTP statuses). */
  readonly errors: readonly number[];
}

const json = (description: string, schema: z.ZodType, headers?: Record<string, string>): ResponseSpec =>
  headers ? { description, schema, headers } : { description, schema };
const metricsText: ResponseSpec = {
  description: "Prometheus text format 0.0.4 (docs/metrics.md)",
  text: "text/plain; version=0.0.4",
};
const IDEMPOTENCY =
  "Optional, 1-64 visible ASCII characters: a retry with the same key and body returns the first result " +
  "(`duplicate: true`, header `Idempotent-Replayed: true`) and changes nothing.";

/** Errors any operator route can give: no or a wrong token, the edge limit, an unexpected failure. */
const OPERATOR_ERRORS = [401, 429, 500];
/** …and one that names a battle: a malformed or unknown id, the object behind. */
const OPERATOR_BATTLE_ERRORS = [...OPERATOR_ERRORS, 404, 503];
/** A JSON body: bad JSON or shape (400), too large (413). */
const BODY_ERRORS = [400, 413];

const admin = "/api/admin/battles/{id}";
const player = "/api/battles/{id}";

export const ROUTES: readonly RouteSpec[] = [
  {
    method: "get",
    path: "/health",
    operationId: "health",
    summary: "Liveness and the socket protocol's version",
    auth: "none",
    responses: { 200: json("Alive", HealthSchema) },
    errors: [],
  },
  {
    method: "get",
    path: "/api/openapi.json",
    operationId: "openApi",
    summary: "This document (OpenAPI 3.1), generated from the schemas that validate requests",
    auth: "none",
    responses: { 200: { description: "OpenAPI 3.1 document", document: true } },
    errors: [429],
  },
  {
    method: "get",
    path: "/api/protocol.schema.json",
    operationId: "protocolSchema",
    summary: "The socket protocol's frames as JSON Schema (draft 2020-12), with the close codes",
    auth: "none",
    responses: { 200: { description: "JSON Schema document", document: true } },
    errors: [429],
  },
  {
    method: "post",
    path: "/api/admin/battles",
    operationId: "createBattle",
    summary: "Create a battle",
    auth: "operator",
    body: { name: "BattleInput", schema: BattleInput },
    responses: { 201: json("Created", BattleAdminResponseSchema) },
    errors: [...OPERATOR_ERRORS, ...BODY_ERRORS, 409, 503],
  },
  {
    method: "get",
    path: "/api/admin/battles",
    operationId: "listBattles",
    summary: "Battles from D1's index, newest first",
    auth: "operator",
    query: ListQuery,
    responses: { 200: json("A page of battles", BattleListSchema) },
    errors: [...OPERATOR_ERRORS, 400],
  },
  {
    method: "get",
    path: "/api/admin/metrics",
    operationId: "allMetrics",
    summary: "Every live battle's metrics (at most 100)",
    auth: "operator",
    responses: { 200: metricsText },
    errors: OPERATOR_ERRORS,
  },
  {
    method: "get",
    path: `${admin}/metrics`,
    operationId: "battleMetrics",
    summary: "One battle's metrics",
    auth: "operator",
    id: BATTLE_ID,
    responses: { 200: metricsText },
    errors: OPERATOR_BATTLE_ERRORS,
  },
  {
    method: "get",
    path: admin,
    operationId: "getBattle",
    summary: "Full state: config with keys, schedule, stored rows, counters",
    auth: "operator",
    id: BATTLE_ID,
    responses: { 200: json("The battle", BattleAdminResponseSchema) },
    errors: OPERATOR_BATTLE_ERRORS,
  },
  {
    method: "post",
    path: `${admin}/start`,
    operationId: "startBattle",
    summary: "Start now or schedule",
    auth: "operator",
    id: BATTLE_ID,
    body: { name: "StartBody", schema: StartBody },
    responses: { 200: json("Started or scheduled", BattleAdminResponseSchema) },
    errors: [...OPERATOR_BATTLE_ERRORS, ...BODY_ERRORS, 409],
  },
  {
    method: "post",
    path: `${admin}/end`,
    operationId: "endBattle",
    summary: "End now (idempotent)",
    auth: "operator",
    id: BATTLE_ID,
    responses: { 200: json("Ended", BattleAdminResponseSchema) },
    errors: OPERATOR_BATTLE_ERRORS,
  },
  {
    method: "get",
    path: `${admin}/standings`,
    operationId: "standings",
    summary: "Standings at any time (a page when limit or offset is given)",
    auth: "operator",
    id: BATTLE_ID,
    query: StandingsQuery,
    responses: { 200: json("Standings", BattleResultsSchema) },
    errors: [...OPERATOR_BATTLE_ERRORS, 400],
  },
  {
    method: "get",
    path: `${admin}/persistence`,
    operationId: "persistence",
    summary: "The persistence pipeline's state for this battle",
    auth: "operator",
    id: BATTLE_ID,
    responses: { 200: json("Pipeline state", PersistenceStatusSchema) },
    errors: OPERATOR_BATTLE_ERRORS,
  },
  {
    method: "get",
    path: `${admin}/quarantine`,
    operationId: "quarantine",
    summary: "Events D1 or Postgres refused",
    auth: "operator",
    id: ARCHIVED_ID,
    responses: { 200: json("Quarantined events per sink", QuarantineSchema) },
    errors: [...OPERATOR_ERRORS, 404],
  },
  {
    method: "post",
    path: `${admin}/quarantine/reapply`,
    operationId: "reapplyQuarantine",
    summary: "Write each quarantined event again",
    auth: "operator",
    id: ARCHIVED_ID,
    responses: { 200: json("What was re-applied", ReapplyReportSchema) },
    errors: [...OPERATOR_ERRORS, 404, 503],
  },
  {
    method: "get",
    path: `${admin}/reconcile`,
    operationId: "reconcile",
    summary: "Compare the objects with Postgres and D1",
    auth: "operator",
    id: BATTLE_ID,
    responses: { 200: json("Differences", ReconcileReportSchema) },
    errors: OPERATOR_BATTLE_ERRORS,
  },
  {
    method: "get",
    path: "/api/admin/dead-letters",
    operationId: "deadLetters",
    summary: "Dead-lettered persistence messages",
    auth: "operator",
    query: DeadLetterQuery,
    responses: { 200: json("A page of dead letters", DeadLetterListSchema) },
    errors: OPERATOR_ERRORS,
  },
  {
    method: "post",
    path: "/api/admin/dead-letters/{id}/replay",
    operationId: "replayDeadLetter",
    summary: "Send a dead letter to the event queue again (once)",
    auth: "operator",
    id: "any",
    responses: { 200: json("Replayed", ReplayResponseSchema) },
    errors: [...OPERATOR_ERRORS, 404, 409],
  },
  {
    method: "get",
    path: player,
    operationId: "publicBattle",
    summary: "Public battle view (never the keys; questions once live)",
    auth: "none",
    id: BATTLE_ID,
    headers: { "If-None-Match": "The ETag of a view already held: 304 until the view changes" },
    responses: {
      200: json("The view", PublicBattleSchema, { ETag: "Names this version of the view" }),
      304: { description: "Not modified since the If-None-Match ETag", headers: { ETag: "The same ETag" } },
    },
    errors: [404, 429, 500, 503],
  },
  {
    method: "post",
    path: `${player}/join`,
    operationId: "join",
    summary: "Join (201 new player, 200 proven rejoin)",
    auth: "none",
    id: BATTLE_ID,
    body: { name: "JoinBody", schema: JoinBody },
    responses: {
      200: json("A proven rejoin", JoinResponseSchema),
      201: json("A new player", JoinResponseSchema),
    },
    errors: [...BODY_ERRORS, 401, 403, 404, 409, 429, 500, 503],
  },
  {
    method: "get",
    path: `${player}/ws`,
    operationId: "socket",
    summary: "WebSocket upgrade (protocol: /api/protocol.schema.json); token in the query or the header",
    auth: "player",
    id: BATTLE_ID,
    headers: { Upgrade: "websocket" },
    queryStrings: {
      token: "The session token (here only; or Authorization: Bearer)",
      seq: "Resume: the last seq seen",
      epoch: "Resume: the stream epoch of the last welcome",
      push: "2: compact leaderboard pushes (top only when it changed)",
    },
    responses: { 101: { description: "Switching to the socket protocol" } },
    errors: [401, 404, 426, 429, 500, 503],
  },
  {
    method: "post",
    path: `${player}/answer`,
    operationId: "answer",
    summary: "Answer a question (same rules and budget as the socket)",
    auth: "player",
    id: BATTLE_ID,
    headers: { "Idempotency-Key": IDEMPOTENCY },
    body: { name: "AnswerBody", schema: AnswerBody },
    responses: {
      200: json("The result", AnswerResponseSchema, { "Idempotent-Replayed": "true on a retried key" }),
    },
    errors: [...BODY_ERRORS, 401, 404, 409, 429, 500, 503],
  },
  {
    method: "post",
    path: `${player}/attack`,
    operationId: "attack",
    summary: "Attack a participant",
    auth: "player",
    id: BATTLE_ID,
    headers: { "Idempotency-Key": IDEMPOTENCY },
    body: { name: "AttackBody", schema: AttackBody },
    responses: {
      200: json("The result", AttackResponseSchema, { "Idempotent-Replayed": "true on a retried key" }),
    },
    errors: [...BODY_ERRORS, 401, 404, 409, 429, 500, 503],
  },
  {
    method: "get",
    path: `${player}/leaderboard`,
    operationId: "leaderboard",
    summary: "The personal view, or a page when offset is given",
    auth: "player",
    id: BATTLE_ID,
    query: LeaderboardQuery,
    responses: { 200: json("The leaderboard", LeaderboardResponseSchema) },
    errors: [400, 401, 404, 429, 500, 503],
  },
  {
    method: "get",
    path: `${player}/results`,
    operationId: "results",
    summary: "Final standings once ended, one page",
    auth: "none",
    id: BATTLE_ID,
    query: ResultsQuery,
    responses: { 200: json("Final standings", BattleResultsSchema) },
    errors: [400, 404, 409, 429, 500, 503],
  },
];
