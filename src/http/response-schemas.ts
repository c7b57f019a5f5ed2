/**
 * @module zod schemas of the operator API's responses (the player API's are in `protocol/schemas.ts`), for the
 * published OpenAPI document and the contract tests only: the routes never check their responses. Operator views
 * are open objects (`additionalProperties` allowed): they name what a client may rely on, and gain counters over
 * time without a breaking change. `OperatorSchemaChecks` keeps the battle's admin view and its schema in step.
 */
import { z } from "zod";
import type { BattleAdminView } from "../battle/views";
import {
  AnswerResultSchema,
  AttackResultSchema,
  BattleResultsSchema,
  BattleViewSchema,
  JoinResponseSchema,
  LeaderboardViewSchema,
  PageViewSchema,
  wireSchemas,
} from "../protocol/schemas";

function named<S extends z.ZodType>(id: string, schema: S): S {
  wireSchemas.add(schema, { id });
  return schema;
}

const int = () => z.number().int();
const counts = <K extends string>(...keys: K[]) =>
  z.looseObject(Object.fromEntries(keys.map((k) => [k, z.number()])) as Record<K, z.ZodNumber>);

export const BattleAdminViewSchema = named(
  "BattleAdminView",
  z
    .looseObject({
      ...BattleViewSchema.shape,
      config: z
        .looseObject({
          id: z.string(),
          title: z.string(),
          questions: z.array(z.looseObject({ id: z.string() })),
          maxPlayers: int(),
          shards: int()
            .min(1)
            .optional()
            .describe(
              "Shard objects the battle spreads its players over: the operator's `shards`, or, when absent and " +
                "`maxPlayers` exceeds what one object keeps fresh, the automatic count. Absent or 1: one object.",
            ),
        })
        .describe("The battle's configuration as created, answer keys included (POST /api/admin/battles)."),
      schedule: z.object({ startsAt: int().nullable(), endsAt: int().nullable(), endedAt: int().nullable() }),
      stored: counts("participants", "answers", "attacks"),
      online: int(),
      commits: counts("batches", "writes", "largest"),
      pushes: counts("slices", "frames"),
      requests: counts("handled", "rejected", "rateLimited"),
      connects: counts("admitted", "refused", "limited"),
    })
    .describe("The operator's view: the public view plus config (with keys), schedule and counters."),
);
export const BattleAdminResponseSchema = named(
  "BattleAdminResponse",
  z.object({ battle: BattleAdminViewSchema }),
);

export const BattleListSchema = named(
  "BattleList",
  z.object({
    battles: z.array(
      z.object({
        id: z.string(),
        title: z.string(),
        status: z.string(),
        startsAt: int().nullable(),
        endsAt: int().nullable(),
        durationMs: int(),
        maxPlayers: int(),
        createdAt: int(),
      }),
    ),
    limit: int(),
    offset: int(),
  }),
);

/** A sink's value, or why it could not be read (Postgres unreachable). */
const orError = <S extends z.ZodType>(s: S) => z.union([s, z.object({ error: z.string() })]);
const confirmed = z.object({ d1: int(), pg: int() });
const outboxStatus = z.looseObject({
  shard: int(),
  lastSeq: int(),
  sentThrough: int(),
  confirmed,
  depth: int(),
  oldestUnconfirmedAgeMs: int().nullable(),
});
const sinks = z.object({ d1: int(), pg: orError(int()) });

export const PersistenceStatusSchema = named(
  "PersistenceStatus",
  z.object({
    battle: z.string(),
    object: outboxStatus,
    sinks,
    streams: z.array(z.object({ object: outboxStatus, sinks })),
    deadLetters: int(),
    deadLettersSuperseded: int(),
    quarantined: z.object({ d1: int(), pg: orError(int()) }),
  }),
);

const quarantined = z.object({
  sink: z.enum(["d1", "pg"]),
  shard: int(),
  seq: int(),
  event: z.string().describe("The event's JSON as the object wrote it."),
  error: z.string(),
});
export const QuarantineSchema = named(
  "Quarantine",
  z.object({ battle: z.string(), d1: z.array(quarantined), pg: orError(z.array(quarantined)) }),
);
export const ReapplyReportSchema = named(
  "ReapplyReport",
  z.object({
    battle: z.string(),
    reapplied: confirmed,
    failed: z.array(z.object({ sink: z.enum(["d1", "pg"]), shard: int(), seq: int(), error: z.string() })),
  }),
);

export const ReconcileReportSchema = named(
  "ReconcileReport",
  z.object({
    battle: z.string(),
    clean: z.boolean(),
    participants: int(),
    differences: z.array(z.string()).describe("At most 100, each `where: what`."),
    lastSeq: int(),
    confirmed,
    inFlight: z.boolean(),
    streams: z.array(z.object({ shard: int(), lastSeq: int(), confirmed })),
  }),
);

export const DeadLetterSchema = named(
  "DeadLetter",
  z.object({
    id: z.string(),
    queue: z.string(),
    battleId: z.string().nullable(),
    shard: int().nullable(),
    fromSeq: int().nullable(),
    toSeq: int().nullable(),
    attempts: int(),
    failedAt: int(),
    replayedAt: int().nullable(),
    supersededAt: int().nullable(),
    body: z.unknown(),
  }),
);
export const DeadLetterListSchema = named(
  "DeadLetterList",
  z.object({ deadLetters: z.array(DeadLetterSchema), limit: int(), offset: int() }),
);
export const ReplayResponseSchema = named("ReplayResponse", z.object({ replayed: DeadLetterSchema }));

/** `GET /health`. */
export const HealthSchema = named("Health", z.object({ ok: z.literal(true), protocol: int() }));
/** The public battle view (`GET /api/battles/:id`). */
export const PublicBattleSchema = named("PublicBattle", z.object({ battle: BattleViewSchema }));
/** An answer or attack over HTTP: the socket reply's data; `duplicate` on a retried `Idempotency-Key`. */
const duplicate = z.literal(true).optional().describe("The remembered result of a retried Idempotency-Key.");
export const AnswerResponseSchema = named(
  "AnswerResponse",
  z.object({ result: AnswerResultSchema, duplicate }),
);
export const AttackResponseSchema = named(
  "AttackResponse",
  z.object({ result: AttackResultSchema, duplicate }),
);
/** The personal view, or a page when `offset` was given. */
export const LeaderboardResponseSchema = named(
  "LeaderboardResponse",
  z.object({ result: z.union([LeaderboardViewSchema, PageViewSchema]) }),
);
export { BattleResultsSchema, JoinResponseSchema };

type Writable<T> = T extends readonly (infer U)[]
  ? Writable<U>[]
  : T extends object
    ? { -readonly [K in keyof T]: Writable<T[K]> }
    : T;
type Covers<S, T> = [Writable<T>] extends [Writable<S>] ? true : false;
type Assert<T extends true> = T;
/** Compile-time: every admin view the battle object returns is valid under its schema. */
export type OperatorSchemaChecks = [Assert<Covers<z.output<typeof BattleAdminViewSchema>, BattleAdminView>>];
