/**
 * @module D1's index of battles (what the operator's list reads). The battle's Durable Object writes it on
 * every lifecycle change; the event outbox will take this over with the persistence issue.
 */
import type { BattleView } from "../protocol/server-messages";

export async function indexBattle(db: D1Database, b: BattleView, createdAt: number): Promise<void> {
  await db
    .prepare(
      `INSERT INTO battles (id, title, status, starts_at, ends_at, duration_ms, max_players, created_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
       ON CONFLICT(id) DO UPDATE SET status = ?3, starts_at = ?4, ends_at = ?5`,
    )
    .bind(b.id, b.title, b.status, b.startsAt, b.endsAt, b.durationMs, b.maxPlayers, createdAt)
    .run();
}
