/**
 * @module The battle's SQLite (the Durable Object's storage): schema, loading on wake, and one write per action.
 * The in-memory game is rebuilt from these tables; they are the source of truth for a live battle. Every change
 * also appends its persistence event to the outbox in the same transaction.
 */
import type { BattleEvent } from "../persistence/events";
import { Outbox } from "../persistence/outbox";
import type { StoredRecord } from "../persistence/records";
import type { SqlDatabase, SqlRows } from "../persistence/sql-database";
import type { TimerStore } from "./alarm-scheduler";
import type { BattleConfig } from "./config";
import { type AnswerPlan, type AttackPlan, BattleGame, type JoinPlan } from "./game";
import type { Player } from "./player";
import type { Schedule } from "./schedule";

export type { SqlDatabase, SqlRows };

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS participants (
     id INTEGER PRIMARY KEY, username TEXT NOT NULL, session TEXT NOT NULL,
     score INTEGER NOT NULL, reached_at INTEGER NOT NULL, arrows INTEGER NOT NULL,
     shields INTEGER NOT NULL, correct INTEGER NOT NULL, joined_at INTEGER NOT NULL, key_hash TEXT)`,
  `CREATE TABLE IF NOT EXISTS answers (
     participant_id INTEGER NOT NULL, question_id TEXT NOT NULL, attempt INTEGER NOT NULL,
     answer TEXT NOT NULL, correct INTEGER NOT NULL, points INTEGER NOT NULL, at INTEGER NOT NULL,
     PRIMARY KEY (participant_id, question_id, attempt)) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS attacks (
     id INTEGER PRIMARY KEY AUTOINCREMENT, attacker_id INTEGER NOT NULL, target_id INTEGER NOT NULL,
     blocked INTEGER NOT NULL, points_lost INTEGER NOT NULL, at INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS timers (name TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID`,
];

type MetaKey = "config" | "schedule" | "announced";

/** Characters of a meta value per row: at most 1.5 MB as UTF-8, under the platform's 2 MB a row. */
export const META_PART = 500_000;

/** The part count of a value stored in parts (`{"$parts": n}`), or null for a value stored whole. */
function metaParts(value: unknown): number | null {
  if (typeof value !== "object" || value === null) return null;
  const keys = Object.keys(value);
  const n = (value as { $parts?: unknown }).$parts;
  return keys.length === 1 && typeof n === "number" && Number.isInteger(n) && n > 0 ? n : null;
}

/** `s` in pieces of at most `max` UTF-16 units, never cutting a surrogate pair in two. */
export function cutParts(s: string, max: number): string[] {
  const out: string[] = [];
  let at = 0;
  while (at < s.length) {
    let end = Math.min(at + max, s.length);
    const last = s.charCodeAt(end - 1);
    if (end < s.length && last >= 0xd800 && last <= 0xdbff) end--;
    out.push(s.slice(at, end));
    at = end;
  }
  return out;
}

export class BattleStore implements TimerStore {
  /** Persistence events waiting for the sinks (written in the same transactions as the rows below). */
  readonly outbox: Outbox;

  constructor(
    readonly sql: SqlDatabase,
    private readonly runTransaction: <T>(fn: () => T) => T,
    opts: { persistence?: boolean } = {},
  ) {
    // Tables are created with the battle (or on the first wake of an older one), never for an unknown id.
    this.outbox = new Outbox(sql, { enabled: opts.persistence ?? true });
  }

  /**
   * Runs `fn` in one transaction. One that fails gives its outbox seqs back (the outbox re-reads its counter), so
   * a later event never leaves a gap that no sink's watermark could pass.
   */
  private transaction<T>(fn: () => T): T {
    try {
      return this.runTransaction(fn);
    } catch (e) {
      this.outbox.reload();
      throw e;
    }
  }

  /** Whether the schema is known to be current (checked once per wake). */
  private migrated = false;

  /**
   * Whether this object holds a battle. A read-only check when it does not, so asking about an unknown id writes
   * nothing; when it does, tables added since the battle was created are added now.
   */
  private exists(): boolean {
    if (this.migrated) return true;
    if (
      this.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").toArray().length ===
      0
    )
      return false;
    for (const stmt of SCHEMA) this.sql.exec(stmt);
    try {
      this.sql.exec("SELECT key_hash FROM participants LIMIT 0");
    } catch {
      // A battle from before player keys: its players have none, so their names cannot be taken over.
      this.sql.exec("ALTER TABLE participants ADD COLUMN key_hash TEXT");
    }
    this.migrated = true;
    return true;
  }

  private getMeta<T>(key: MetaKey): T | null {
    const row = this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0];
    if (!row) return null;
    const value = JSON.parse(row.value) as unknown;
    const parts = metaParts(value);
    if (parts === null) return value as T;
    let json = "";
    for (let i = 0; i < parts; i++) {
      json += this.sql
        .exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", `${key}#${i}`)
        .one().value;
    }
    return JSON.parse(json) as T;
  }

  /**
   * A value larger than META_PART characters (a battle with long questions in any script) is stored in parts, so
   * no row is over the platform's 2 MB (a part is at most 3 bytes a character as UTF-8, never a split pair).
   */
  private setMeta(key: MetaKey, value: unknown): void {
    const upsert = (k: string, v: string) =>
      this.sql.exec(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        k,
        v,
      );
    const json = JSON.stringify(value);
    this.sql.exec("DELETE FROM meta WHERE key >= ? AND key < ?", `${key}#`, `${key}$`);
    if (json.length <= META_PART) {
      upsert(key, json);
      return;
    }
    const parts = cutParts(json, META_PART);
    upsert(key, JSON.stringify({ $parts: parts.length }));
    for (const [i, part] of parts.entries()) upsert(`${key}#${i}`, part);
  }

  /** Loads the whole battle into memory, or null if this object holds no battle yet. */
  load(): BattleGame | null {
    if (!this.exists()) return null;
    const config = this.getMeta<BattleConfig>("config");
    const schedule = this.getMeta<Schedule>("schedule");
    if (!config || !schedule) return null;
    const game = new BattleGame(config, schedule);
    const players = new Map<number, Player>();
    for (const r of this.sql.exec<{
      id: number;
      username: string;
      session: string;
      score: number;
      reached_at: number;
      arrows: number;
      shields: number;
      correct: number;
      joined_at: number;
      key_hash: string | null;
    }>("SELECT * FROM participants ORDER BY score DESC, reached_at, id")) {
      players.set(r.id, {
        id: r.id,
        username: r.username,
        session: r.session,
        keyHash: r.key_hash,
        score: r.score,
        reachedAt: r.reached_at,
        arrows: r.arrows,
        shields: r.shields,
        correct: r.correct,
        joinedAt: r.joined_at,
        attempts: new Map(),
        scored: new Set(),
      });
    }
    for (const r of this.sql.exec<{
      participant_id: number;
      question_id: string;
      attempts: number;
      scored: number;
    }>(
      `SELECT participant_id, question_id, MAX(attempt) AS attempts, MAX(correct) AS scored
       FROM answers GROUP BY participant_id, question_id`,
    )) {
      const p = players.get(r.participant_id);
      if (!p) continue;
      p.attempts.set(r.question_id, r.attempts);
      if (r.scored) p.scored.add(r.question_id);
    }
    // Rank order, so the leaderboard takes its linear-time bulk build.
    for (const p of players.values()) game.restore(p);
    game.rebuildBoard();
    return game;
  }

  /** `event`: null for a shard of a sharded battle (its coordinator writes the battle's lifecycle events). */
  create(config: BattleConfig, schedule: Schedule, event: BattleEvent | null, at: number): void {
    this.transaction(() => {
      for (const stmt of SCHEMA) this.sql.exec(stmt);
      this.setMeta("config", config);
      this.setMeta("schedule", schedule);
      if (event) this.outbox.append(event, at);
    });
  }

  saveSchedule(schedule: Schedule, event: BattleEvent | null, at: number): void {
    this.transaction(() => {
      this.setMeta("schedule", schedule);
      if (event) this.outbox.append(event, at);
    });
  }

  announced(): string | null {
    return this.getMeta<string>("announced");
  }

  /** Records the announced status with its events (the status change; the final standings at the end). */
  saveAnnounced(status: string, events: readonly BattleEvent[], at: number): void {
    this.transaction(() => {
      this.setMeta("announced", status);
      for (const e of events) this.outbox.append(e, at);
    });
  }

  loadTimers(): Map<string, number> {
    const timers = new Map<string, number>();
    if (!this.exists()) return timers;
    for (const r of this.sql.exec<{ name: string; at: number }>("SELECT name, at FROM timers")) {
      timers.set(r.name, r.at);
    }
    return timers;
  }

  saveTimer(name: string, at: number | null): void {
    if (at === null) this.sql.exec("DELETE FROM timers WHERE name = ?", name);
    else
      this.sql.exec(
        "INSERT INTO timers (name, at) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET at = excluded.at",
        name,
        at,
      );
  }

  join(plan: JoinPlan, event: BattleEvent): void {
    this.transaction(() => this.joinRows(plan, event));
  }

  private joinRows(plan: JoinPlan, event: BattleEvent): void {
    this.outbox.append(event, plan.at);
    if (plan.isNew) {
      this.sql.exec(
        `INSERT INTO participants
           (id, username, session, score, reached_at, arrows, shields, correct, joined_at, key_hash)
         VALUES (?, ?, ?, 0, ?, ?, ?, 0, ?, ?)`,
        plan.id,
        plan.username,
        plan.session,
        plan.at,
        plan.arrows,
        plan.shields,
        plan.at,
        plan.keyHash,
      );
    } else {
      // A key-proven rejoin rotated the player key: the new hash is stored with the session, so the old key stays
      // refused after a restart.
      this.sql.exec(
        "UPDATE participants SET session = ?, key_hash = ? WHERE id = ?",
        plan.session,
        plan.keyHash,
        plan.id,
      );
    }
  }

  /** One answer's rows; the caller runs it inside a transaction (a group commit batch). */
  answer(plan: AnswerPlan, event: BattleEvent): void {
    this.outbox.append(event, plan.at);
    this.sql.exec(
      `INSERT INTO answers (participant_id, question_id, attempt, answer, correct, points, at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      plan.playerId,
      plan.questionId,
      plan.attempt,
      String(plan.answer),
      plan.correct ? 1 : 0,
      plan.points,
      plan.at,
    );
    this.sql.exec(
      "UPDATE participants SET score = ?, reached_at = ?, arrows = ?, shields = ?, correct = ? WHERE id = ?",
      plan.score,
      plan.reachedAt,
      plan.arrows,
      plan.shields,
      plan.correctCount,
      plan.playerId,
    );
  }

  /** One attack's rows; the caller runs it inside a transaction (a group commit batch). */
  attack(plan: AttackPlan, event: BattleEvent): void {
    this.outbox.append(event, plan.at);
    this.sql.exec(
      "INSERT INTO attacks (attacker_id, target_id, blocked, points_lost, at) VALUES (?, ?, ?, ?, ?)",
      plan.attackerId,
      plan.target,
      plan.blocked ? 1 : 0,
      plan.pointsLost,
      plan.at,
    );
    this.sql.exec("UPDATE participants SET arrows = ? WHERE id = ?", plan.arrows, plan.attackerId);
    this.sql.exec(
      "UPDATE participants SET score = ?, reached_at = ?, shields = ? WHERE id = ?",
      plan.targetScore,
      plan.targetReachedAt,
      plan.targetShields,
      plan.target,
    );
  }

  /**
   * A page of the stored answers (after the key `[participant, question, attempt]`) or attacks (after the id),
   * for reconciliation against the sinks.
   */
  records(
    kind: "answers" | "attacks",
    after: readonly (string | number)[] | null,
    limit: number,
  ): StoredRecord[] {
    if (kind === "answers") {
      const [p, q, n] = after ?? [-1, "", -1];
      return this.sql
        .exec<{ p: number; q: string; n: number; a: string; c: number; pts: number }>(
          `SELECT participant_id AS p, question_id AS q, attempt AS n, answer AS a, correct AS c, points AS pts
           FROM answers WHERE (participant_id, question_id, attempt) > (?, ?, ?)
           ORDER BY participant_id, question_id, attempt LIMIT ?`,
          p,
          q,
          n,
          limit,
        )
        .toArray()
        .map((r) => ({
          kind: "answer",
          key: [r.p, r.q, r.n],
          p: r.p,
          q: r.q,
          n: r.n,
          a: r.a,
          c: r.c === 1,
          pts: r.pts,
        }));
    }
    const [id] = after ?? [0];
    return this.sql
      .exec<{ id: number; p: number; x: number; bl: number; lost: number; at: number }>(
        `SELECT id, attacker_id AS p, target_id AS x, blocked AS bl, points_lost AS lost, at FROM attacks
         WHERE id > ? ORDER BY id LIMIT ?`,
        id,
        limit,
      )
      .toArray()
      .map((r) => ({ kind: "attack", key: [r.id], p: r.p, x: r.x, bl: r.bl === 1, lost: r.lost, at: r.at }));
  }

  /** Row counts, for operators and the consistency checks in tests. */
  counts(): { participants: number; answers: number; attacks: number } {
    const one = (table: string) => this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).one().n;
    return { participants: one("participants"), answers: one("answers"), attacks: one("attacks") };
  }
}
