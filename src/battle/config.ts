/** @module Battle configuration as the operator sends it: questions with their keys, scoring and arrow/shield rules. */
import { z } from "zod";
import { safeText } from "../protocol/text";
import { MAX_SHARDS } from "../sharding/shard-of";
import { autoShards, FRESH_PLAYERS_PER_OBJECT } from "./capacity";

/**
 * Every string is `safeText` (no NUL, other control characters or lone surrogates; see protocol/text.ts). Only the
 * question `text` and `choices` may span lines (TAB, LF, CR); ids, the title and answer keys are single-line.
 */

const QuestionInput = z.strictObject({
  id: safeText()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9_-]+$/, "question ids use letters, digits, _ and -"),
  text: safeText({ multiline: true }).min(1).max(4000),
  /** Present for multiple choice; the key is then the 0-based index of the right choice. */
  choices: z
    .array(safeText({ multiline: true }).min(1).max(500))
    .min(2)
    .max(16)
    .optional(),
  /** The key: a choice index, or the accepted exact answer(s) (compared trimmed, case- and space-insensitive). */
  answer: z.union([
    z.number().int().nonnegative(),
    safeText().min(1).max(1024),
    z.array(safeText().min(1).max(1024)).min(1).max(32),
  ]),
  /** Overrides the battle's points per correct answer. */
  points: z.number().int().min(0).max(100_000).optional(),
});

const RulesInput = z.strictObject({
  startingArrows: z.number().int().min(0).max(1000).default(3),
  startingShields: z.number().int().min(0).max(1000).default(1),
  /** Arrows granted for every correct answer. */
  arrowsPerCorrect: z.number().int().min(0).max(100).default(1),
  /** One shield for every N-th correct answer (0 = never). */
  shieldEveryCorrect: z.number().int().min(0).max(1000).default(3),
  maxArrows: z.number().int().min(0).max(10_000).default(10),
  maxShields: z.number().int().min(0).max(10_000).default(3),
  /** Answers a player may submit per question; the first correct one scores and closes it. */
  maxAttempts: z.number().int().min(1).max(100).default(1),
});

/**
 * Players one battle object holds: its measured JavaScript heap was 56 MB with 9,644 connected players (≈ 5.8 KB
 * each, see BENCHMARKS.md), so a 128 MB isolate holds about 20,000. Larger battles take `shards`. This is the hard
 * cap; how many one object keeps fresh (`FRESH_PLAYERS_PER_OBJECT`, battle/capacity.ts) is lower.
 */
export const PLAYERS_PER_OBJECT = 20_000;

/**
 * The shards a battle gets: the operator's `shards` when given (1 included); otherwise, for a `maxPlayers` above
 * what one object keeps fresh, `autoShards(maxPlayers)`; otherwise 1 (one object).
 */
function shardsOf(battle: { maxPlayers?: number | undefined; shards?: number | undefined }): number {
  if (battle.shards !== undefined) return battle.shards;
  return battle.maxPlayers !== undefined ? autoShards(battle.maxPlayers) : 1;
}

export const BattleInput = z
  .strictObject({
    /** Optional operator-chosen id (slug); generated when absent. */
    id: safeText()
      .min(3)
      .max(64)
      .regex(/^[a-z0-9][a-z0-9-]*$/, "battle ids are lowercase letters, digits and -")
      .optional(),
    title: safeText().min(1).max(200),
    questions: z.array(QuestionInput).min(1).max(1000),
    /** Points for a correct answer (questions may override). */
    points: z.number().int().min(0).max(100_000).default(10),
    /** Extra points for answering fast: `max` at the start of the battle, falling linearly to 0 over `windowMs`. */
    speedBonus: z
      .strictObject({
        max: z.number().int().min(1).max(100_000),
        windowMs: z.number().int().min(1000).max(86_400_000),
      })
      .optional(),
    durationMs: z
      .number()
      .int()
      .min(10_000)
      .max(7 * 86_400_000)
      .default(600_000),
    /** Schedule at creation (epoch ms); otherwise the operator starts it later. */
    startsAt: z.number().int().positive().optional(),
    /**
     * Default and cap: `PLAYERS_PER_OBJECT` per object (× `shards`). Above `FRESH_PLAYERS_PER_OBJECT` with `shards`
     * absent, the battle is sharded automatically (`autoShards`).
     */
    maxPlayers: z.number().int().min(1).max(1_000_000).optional(),
    /** How many entries the pushed top list holds. */
    leaderboardSize: z.number().int().min(1).max(100).default(10),
    rules: RulesInput.default(() => RulesInput.parse({})),
    /**
     * Who may join: `open` (anyone picks a free username; a player key proves a rejoin) or `operator` (only with an
     * identity token signed by the operator's `IDENTITY_SECRETS`; the username comes from the token).
     */
    identity: z.enum(["open", "operator"]).default("open"),
    /**
     * Joins per client address (IPv6: per /64) per minute in this battle; 0 = no per-battle limit. Default: the
     * deployment's `JOIN_LIMIT_PER_MINUTE`. For a venue behind one NAT, set it to the expected head count.
     */
    joinsPerAddressPerMinute: z.number().int().min(0).max(100_000).optional(),
    /**
     * Shard objects the battle's players are spread over. Above 1, the battle's object coordinates (config,
     * lifecycle, the global order) and each shard owns its players. Absent: `autoShards(maxPlayers)` when
     * `maxPlayers` exceeds what one object keeps fresh, else 1 (one object, no coordinator). Given (1 included), it
     * wins over the automatic count.
     */
    shards: z.number().int().min(1).max(MAX_SHARDS).optional(),
  })
  .superRefine((battle, ctx) => {
    // Only an operator's `shards` can be too few: the automatic count holds ≥ maxPlayers / FRESH_PLAYERS_PER_OBJECT.
    const shards = shardsOf(battle);
    const cap = PLAYERS_PER_OBJECT * shards;
    if (battle.maxPlayers !== undefined && battle.maxPlayers > cap)
      ctx.addIssue({
        code: "custom",
        path: ["maxPlayers"],
        message: `one object holds at most ${PLAYERS_PER_OBJECT} players (its measured heap); ${cap} with ${shards} shard(s): set shards to at least ${Math.ceil(battle.maxPlayers / PLAYERS_PER_OBJECT)}, or leave shards out to get ${autoShards(battle.maxPlayers)} (${FRESH_PLAYERS_PER_OBJECT} players per shard, what one object keeps fresh)`,
      });
    const seen = new Set<string>();
    battle.questions.forEach((q, i) => {
      if (seen.has(q.id))
        ctx.addIssue({ code: "custom", path: ["questions", i, "id"], message: "duplicate id" });
      seen.add(q.id);
      if (q.choices) {
        if (typeof q.answer !== "number" || q.answer >= q.choices.length) {
          ctx.addIssue({
            code: "custom",
            path: ["questions", i, "answer"],
            message: "a choice question's answer is the index of the right choice",
          });
        }
      } else if (typeof q.answer === "number") {
        ctx.addIssue({
          code: "custom",
          path: ["questions", i, "answer"],
          message: "an exact-answer question's answer is a string or a list of strings",
        });
      }
    });
  })

  .transform((battle) => {
    const shards = shardsOf(battle);
    return {
      ...battle,
      maxPlayers: battle.maxPlayers ?? PLAYERS_PER_OBJECT * shards,
      // Stored with the config, so the create response and the battle's views show the count it got (an operator's
      // `shards` is in `battle` already).
      ...(shards > 1 ? { shards } : {}),
    };
  });

export type BattleInput = z.input<typeof BattleInput>;
export type BattleConfig = z.output<typeof BattleInput> & {
  readonly id: string;
  readonly createdAt: number;
  /** Set by the coordinator on the config it gives shard `shardIndex` of a sharded battle. */
  readonly shardIndex?: number;
  /**
   * This creation of the battle (set when it is created; a sharded battle's shards share their coordinator's). The
   * sinks key its event streams by it, so a battle id created again after its object's state is gone is a new
   * stream whose rows never merge with the old ones. Absent in battles created before it existed.
   */
  readonly incarnation?: string;
};

/**
 * A new incarnation id: the creation time (base 36, fixed width, so ids order by creation) and 40 random bits.
 */
export function newIncarnation(createdAt: number): string {
  const random = crypto.getRandomValues(new Uint8Array(5));
  const hex = [...random].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${Math.max(0, Math.floor(createdAt)).toString(36).padStart(10, "0")}-${hex}`;
}
export type QuestionConfig = BattleConfig["questions"][number];
export type RulesConfig = BattleConfig["rules"];

/** Normalises exact answers so "  Foo  Bar" matches "foo bar". */
export function normaliseAnswer(s: string): string {
  return s.trim().replace(/\s+/g, " ").toLowerCase();
}

export function isCorrect(q: QuestionConfig, answer: string | number): boolean {
  if (q.choices) {
    if (typeof answer === "number") return answer === q.answer;
    return q.choices[q.answer as number] === answer;
  }
  const given = normaliseAnswer(String(answer));
  const keys = Array.isArray(q.answer) ? q.answer : [q.answer as string];
  return keys.some((k) => normaliseAnswer(k) === given);
}
