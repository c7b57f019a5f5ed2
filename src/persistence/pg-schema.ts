/**
 * @module Postgres schema of the persistence pipeline (drizzle-orm; `npm run pg:generate` writes the SQL
 * migrations in migrations/pg with drizzle-kit). Postgres is the system of record for history: every answer and
 * attack keyed by (battle, shard, seq), participants with their running totals, final results, and the applied-seq
 * watermark per (battle, shard). Times are epoch ms from the battle object's clock.
 */
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";

const ms = (name: string) => bigint(name, { mode: "number" });

export const battles = pgTable("battles", {
  id: text("id").primaryKey(),
  title: text("title").notNull(),
  status: text("status").notNull(),
  startsAt: ms("starts_at"),
  endsAt: ms("ends_at"),
  durationMs: integer("duration_ms").notNull(),
  maxPlayers: integer("max_players").notNull(),
  createdAt: ms("created_at").notNull(),
  /** Outbox seq of the lifecycle event that last wrote this row. */
  seq: ms("seq").notNull(),
});

export const participants = pgTable(
  "participants",
  {
    battleId: text("battle_id").notNull(),
    participantId: integer("participant_id").notNull(),
    /** Null only until the join event arrives (an answer's event may be applied first). */
    username: text("username"),
    session: text("session"),
    score: integer("score").notNull(),
    arrows: integer("arrows").notNull(),
    shields: integer("shields").notNull(),
    correct: integer("correct").notNull(),
    reachedAt: ms("reached_at").notNull(),
    joinedAt: ms("joined_at"),
    active: boolean("active").notNull().default(true),
    lastActivity: ms("last_activity").notNull(),
    /** Seq of the event whose snapshot the totals hold (only a higher seq replaces it). */
    stateSeq: ms("state_seq").notNull(),
    sessionSeq: ms("session_seq").notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.battleId, t.participantId] }),
    uniqueIndex("participants_battle_username").on(t.battleId, t.username),
  ],
);

export const answers = pgTable(
  "answers",
  {
    battleId: text("battle_id").notNull(),
    shard: smallint("shard").notNull(),
    seq: ms("seq").notNull(),
    participantId: integer("participant_id").notNull(),
    questionId: text("question_id").notNull(),
    attempt: integer("attempt").notNull(),
    answer: text("answer").notNull(),
    correct: boolean("correct").notNull(),
    points: integer("points").notNull(),
    bonus: integer("bonus").notNull(),
    at: ms("at").notNull(),
    /** When the consumer applied it (ack → Postgres lag = applied_at − at). */
    appliedAt: timestamp("applied_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.battleId, t.shard, t.seq] }),
    index("answers_participant").on(t.battleId, t.participantId),
  ],
);

export const attacks = pgTable(
  "attacks",
  {
    battleId: text("battle_id").notNull(),
    shard: smallint("shard").notNull(),
    seq: ms("seq").notNull(),
    attackerId: integer("attacker_id").notNull(),
    targetId: integer("target_id").notNull(),
    blocked: boolean("blocked").notNull(),
    pointsLost: integer("points_lost").notNull(),
    at: ms("at").notNull(),
    appliedAt: timestamp("applied_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.battleId, t.shard, t.seq] })],
);

export const finalResults = pgTable(
  "final_results",
  {
    battleId: text("battle_id").notNull(),
    participantId: integer("participant_id").notNull(),
    rank: integer("rank").notNull(),
    username: text("username").notNull(),
    score: integer("score").notNull(),
    correct: integer("correct").notNull(),
    arrows: integer("arrows").notNull(),
    shields: integer("shields").notNull(),
    /** Outbox seq of the `final` event that last wrote this row (an older one never overwrites it). */
    seq: ms("seq").notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.battleId, t.participantId] }),
    index("final_results_rank").on(t.battleId, t.rank),
  ],
);

/** Applied seq ranges not yet contiguous with the watermark (messages arrive in any order). */
export const appliedRanges = pgTable(
  "applied_ranges",
  {
    battleId: text("battle_id").notNull(),
    shard: smallint("shard").notNull(),
    fromSeq: ms("from_seq").notNull(),
    toSeq: ms("to_seq").notNull(),
  },
  (t) => [primaryKey({ columns: [t.battleId, t.shard, t.fromSeq, t.toSeq] })],
);

/** Every seq at or below `seq` of this (battle, shard) is applied. */
export const watermarks = pgTable(
  "watermarks",
  {
    battleId: text("battle_id").notNull(),
    shard: smallint("shard").notNull(),
    seq: ms("seq").notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.battleId, t.shard] })],
);

/** The questions of an ended battle's public view, one row each (as the view carries them, answer keys never). */
export const battleQuestions = pgTable(
  "battle_questions",
  {
    battleId: text("battle_id").notNull(),
    idx: integer("idx").notNull(),
    question: jsonb("question").notNull(),
  },
  (t) => [primaryKey({ columns: [t.battleId, t.idx] })],
);

/**
 * Events this sink refused (a constraint or data error, not an outage), kept verbatim with the error so the stream
 * goes on past them: `event` is the event's JSON text as the object wrote it (escapes kept, so even a character
 * Postgres refuses in `jsonb` is stored). An operator re-applies them once the cause is fixed (`reapplied_at`).
 */
export const quarantine = pgTable(
  "quarantine",
  {
    battleId: text("battle_id").notNull(),
    shard: smallint("shard").notNull(),
    seq: ms("seq").notNull(),
    event: text("event").notNull(),
    error: text("error").notNull(),
    quarantinedAt: timestamp("quarantined_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    reappliedAt: timestamp("reapplied_at", { withTimezone: true, precision: 3 }),
  },
  (t) => [primaryKey({ columns: [t.battleId, t.shard, t.seq] })],
);

/**
 * Which creation of a battle id its rows belong to. A battle id created again after its object's state is gone
 * has a newer incarnation: the earlier battle's rows are renamed to `<id>~<incarnation>` (`~legacy` for one created
 * before incarnations) and the new one starts clean under `<id>` (src/persistence/incarnations.ts).
 */
export const battleIncarnations = pgTable("battle_incarnations", {
  battleId: text("battle_id").primaryKey(),
  incarnation: text("incarnation").notNull(),
  since: timestamp("since", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
});
