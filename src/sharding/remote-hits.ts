/**
 * @module A shard's SQLite rows for cross-shard attacks: the answers it gave by attack id (so a retried call gets
 * the same answer and changes nothing), and the attacker's spent arrow on the attacker's shard.
 */
import type { SqlDatabase } from "../battle/battle-store";
import type { RemoteAttackResult } from "./protocol";

export class RemoteHits {
  private ready = false;

  constructor(private readonly sql: SqlDatabase) {}

  private table(): void {
    if (this.ready) return;
    this.sql.exec(
      `CREATE TABLE IF NOT EXISTS remote_hits (
         id TEXT PRIMARY KEY, blocked INTEGER NOT NULL, points_lost INTEGER NOT NULL) WITHOUT ROWID`,
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

  /** The attacker's side: the arrow is spent once the target's shard applied the hit. */
  spendArrow(attackerId: number, arrows: number): void {
    this.sql.exec("UPDATE participants SET arrows = ? WHERE id = ?", arrows, attackerId);
  }
}
