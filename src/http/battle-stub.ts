/** @module Finding a battle's Durable Object by battle id, and keeping D1's battle index in step. */
import type { BattleView } from "../protocol/server-messages";

export function battleStub(env: Env, battleId: string) {
  return env.BATTLE.get(env.BATTLE.idFromName(battleId));
}

/** Upserts the battle's row in D1 (the index the operator's list reads). */
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

const ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789";

export function newBattleId(): string {
  const bytes = new Uint8Array(10);
  crypto.getRandomValues(bytes);
  let id = "b-";
  for (const b of bytes) id += ALPHABET[b % ALPHABET.length];
  return id;
}
