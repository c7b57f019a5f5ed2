/**
 * @module A shard's SQLite rows for cross-shard attacks: the answers it gave by attack id (so a retried call gets
 * the same answer and changes nothing), and on the attacker's shard the arrow it reserved for an attack whose answer
 * it has not settled yet (so a restart in between asks the target's shard again instead of forgetting the arrow).
 */
import type { SqlDatabase } from "../battle/battle-store";
import type { RemoteAttackRequest, RemoteAttackResult } from "./protocol";

/** An attack whose arrow is reserved (stored as spent) while the target's shard has not been heard from. */
export interface PendingAttack {
  readonly req: RemoteAttackRequest;
  readonly shard: number;
  /** The player's request id and idempotency key, so the settled reply can be remembered under the key. */
  readonly requestId: string | number | null;
  readonly key: string | null;
}

export class RemoteHits {
  private ready = false;

  constructor(private readonly sql: SqlDatabase) {}

  /** Both tables, made on first use (a shard's first cross-shard attack or wake; a one-object battle has neither). */
  private table(): void {
    if (this.ready) return;
    this.sql.exec(
      `CREATE TABLE IF NOT EXISTS remote_hits (
         id TEXT PRIMARY KEY, blocked INTEGER NOT NULL, points_lost INTEGER NOT NULL) WITHOUT ROWID`,
    );
    this.sql.exec(
      `CREATE TABLE IF NOT EXISTS pending_attacks (
         id TEXT PRIMARY KEY, shard INTEGER NOT NULL, body TEXT NOT NULL) WITHOUT ROWID`,
    );
    this.ready = true;
  }

  /** The answer already given to this attack id, if any. */
  answerOf(id: string): RemoteAttackResult | null {
    this.table();
    const row = this.sql
      .exec<{ blocked: number; points_lost: number }>(
        "SELECT blocked, points_lost FROM remote_hits WHERE id = ?",
        id,
      )
      .toArray()[0];
    return row ? { blocked: row.blocked === 1, pointsLost: row.points_lost } : null;
  }

  /** Inside the hit's write batch. */
  remember(id: string, answer: RemoteAttackResult): void {
    this.table();
    this.sql.exec(
      "INSERT OR IGNORE INTO remote_hits (id, blocked, points_lost) VALUES (?, ?, ?)",
      id,
      answer.blocked ? 1 : 0,
      answer.pointsLost,
    );
  }

  /** The attacker's side: the arrows the attacker has now (spent, reserved or refunded). */
  spendArrow(attackerId: number, arrows: number): void {
    this.sql.exec("UPDATE participants SET arrows = ? WHERE id = ?", arrows, attackerId);
  }

  /** Inside a write batch committed before the target's shard is called: the arrow is stored as spent. */
  reserve(p: PendingAttack): void {
    this.table();
    this.spendArrow(p.req.attacker.id, p.req.arrows);
    this.sql.exec(
      "INSERT INTO pending_attacks (id, shard, body) VALUES (?, ?, ?)",
      p.req.id,
      p.shard,
      JSON.stringify({ req: p.req, requestId: p.requestId, key: p.key }),
    );
  }

  /** Inside the batch that stores the attack's outcome. */
  settle(id: string): void {
    this.table();
    this.sql.exec("DELETE FROM pending_attacks WHERE id = ?", id);
  }

  /** Reservations a restart left unsettled. */
  pending(): PendingAttack[] {
    this.table();
    return this.sql
      .exec<{ shard: number; body: string }>("SELECT shard, body FROM pending_attacks ORDER BY id")
      .toArray()
      .map((r) => ({ shard: r.shard, ...(JSON.parse(r.body) as Omit<PendingAttack, "shard">) }));
  }
}
