/**
 * @module Each player's private stream in the battle's SQLite: every frame that must not be missed (`attacked`,
 * `battle`, the reply to an accepted answer or attack) with its per-player sequence number, so a reconnecting
 * client gets exactly what it missed, also after a restart. Writes run inside the group commit's transaction.
 */
import type { SqlDatabase } from "./battle-store";

const SCHEMA = [
  // Row ids grow with time, so pruning by age is a range delete on the primary key.
  `CREATE TABLE IF NOT EXISTS history (
     id INTEGER PRIMARY KEY AUTOINCREMENT, player_id INTEGER NOT NULL, seq INTEGER NOT NULL,
     at INTEGER NOT NULL, request_id TEXT, frame TEXT NOT NULL)`,
  `CREATE UNIQUE INDEX IF NOT EXISTS history_player_seq ON history (player_id, seq)`,
  `CREATE TABLE IF NOT EXISTS streams (player_id INTEGER PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS stream_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID`,
];

export interface HistoryRow {
  readonly seq: number;
  /** The frame as sent, without its `seq` (see `withSeq`). */
  readonly frame: string;
}

export class HistoryStore {
  /** Whether the tables exist; they are created by the first write, so an unknown battle id stores nothing. */
  private ready = false;
  /** An epoch handed out before the tables existed; written with them. */
  private pendingEpoch: string | null = null;

  constructor(private readonly sql: SqlDatabase) {}

  private exists(): boolean {
    if (!this.ready) {
      this.ready =
        this.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'stream_meta'").toArray()
          .length > 0;
    }
    return this.ready;
  }

  private ensure(): void {
    if (this.exists()) return;
    for (const stmt of SCHEMA) this.sql.exec(stmt);
    this.ready = true;
    if (this.pendingEpoch !== null) {
      this.sql.exec(
        "INSERT INTO stream_meta (key, value) VALUES ('epoch', ?) ON CONFLICT(key) DO NOTHING",
        this.pendingEpoch,
      );
    }
  }

  /** The stream's epoch: a new one means earlier sequence numbers mean nothing here (history lost or reset). */
  epoch(create: () => string): string {
    if (!this.exists()) {
      this.pendingEpoch ??= create();
      return this.pendingEpoch;
    }
    const row = this.sql
      .exec<{ value: string }>("SELECT value FROM stream_meta WHERE key = 'epoch'")
      .toArray()[0];
    if (row) return row.value;
    const epoch = create();
    this.sql.exec("INSERT INTO stream_meta (key, value) VALUES ('epoch', ?)", epoch);
    return epoch;
  }

  /** Every player's last sequence number. */
  seqs(): Map<number, number> {
    const out = new Map<number, number>();
    if (!this.exists()) return out;
    for (const r of this.sql.exec<{ player_id: number; seq: number }>("SELECT player_id, seq FROM streams")) {
      out.set(r.player_id, r.seq);
    }
    return out;
  }

  /** One frame of one player's stream; the caller runs it inside a transaction (a group commit batch). */
  append(playerId: number, seq: number, at: number, frame: string, requestId: string | null): void {
    this.ensure();
    this.sql.exec(
      "INSERT INTO history (player_id, seq, at, request_id, frame) VALUES (?, ?, ?, ?, ?)",
      playerId,
      seq,
      at,
      requestId,
      frame,
    );
    this.sql.exec(
      "INSERT INTO streams (player_id, seq) VALUES (?, ?) ON CONFLICT(player_id) DO UPDATE SET seq = excluded.seq",
      playerId,
      seq,
    );
  }

  /** The same frame appended to every participant's stream (a battle status change), in three statements. */
  appendToAll(at: number, frame: string): void {
    this.ensure();
    this.sql.exec(
      "INSERT INTO streams (player_id, seq) SELECT id, 0 FROM participants WHERE true ON CONFLICT(player_id) DO NOTHING",
    );
    this.sql.exec("UPDATE streams SET seq = seq + 1");
    this.sql.exec(
      "INSERT INTO history (player_id, seq, at, request_id, frame) SELECT player_id, seq, ?, NULL, ? FROM streams",
      at,
      frame,
    );
  }

  /** Frames after `afterSeq`, oldest first, at most `limit`; and the oldest sequence number still kept. */
  since(playerId: number, afterSeq: number, limit: number): { rows: HistoryRow[]; oldest: number | null } {
    if (!this.exists()) return { rows: [], oldest: null };
    const rows = this.sql
      .exec<{ seq: number; frame: string }>(
        "SELECT seq, frame FROM history WHERE player_id = ? AND seq > ? ORDER BY seq LIMIT ?",
        playerId,
        afterSeq,
        limit,
      )
      .toArray();
    const oldest = this.sql
      .exec<{ seq: number | null }>("SELECT MIN(seq) AS seq FROM history WHERE player_id = ?", playerId)
      .one().seq;
    return { rows, oldest };
  }

  /** One frame by its sequence number (the original reply to a retried request). */
  frame(playerId: number, seq: number): string | null {
    if (!this.exists()) return null;
    const row = this.sql
      .exec<{ frame: string }>("SELECT frame FROM history WHERE player_id = ? AND seq = ?", playerId, seq)
      .toArray()[0];
    return row?.frame ?? null;
  }

  /** A player's most recent request ids with the sequence number of their reply, newest first. */
  recentRequests(playerId: number, limit: number): { requestId: string; seq: number }[] {
    if (!this.exists()) return [];
    return this.sql
      .exec<{ request_id: string; seq: number }>(
        `SELECT request_id, seq FROM history WHERE player_id = ? AND request_id IS NOT NULL
         ORDER BY seq DESC LIMIT ?`,
        playerId,
        limit,
      )
      .toArray()
      .map((r) => ({ requestId: r.request_id, seq: r.seq }));
  }

  /** Drops frames older than `before` (server ms); each player's sequence number stays in `streams`. */
  prune(before: number): void {
    if (!this.exists()) return;
    // Scans only the rows it deletes: the first row young enough to keep bounds the range.
    const keep = this.sql
      .exec<{ id: number }>("SELECT id FROM history WHERE at >= ? ORDER BY id LIMIT 1", before)
      .toArray()[0];
    if (keep) this.sql.exec("DELETE FROM history WHERE id < ?", keep.id);
    else this.sql.exec("DELETE FROM history");
  }
}
