/**
 * @module Each player's private stream in the battle's SQLite: every frame that must not be missed (`attacked`,
 * `battle`, the reply to an accepted answer or attack) with its per-player sequence number, so a reconnecting
 * client gets exactly what it missed, also after a restart. Writes run inside the group commit's transaction.
 *
 * A frame is one INSERT: a player's sequence number is the highest `seq` of their rows in `history`. Only when
 * pruning drops a player's last rows does their number move to `streams` (it was an upsert per frame before: one
 * statement in three of an answer's commit, measured in the 10,000-player ramp).
 */
import type { SqlDatabase } from "./battle-store";

const SCHEMA = [
  // Row ids grow with time, so pruning by age is a range delete on the primary key.
  // No AUTOINCREMENT (it writes sqlite_sequence on every insert): pruning deletes from the oldest id up, so the
  // largest id is never reused while younger rows exist, and once all are gone any id order is fine.
  `CREATE TABLE IF NOT EXISTS history (
     id INTEGER PRIMARY KEY, player_id INTEGER NOT NULL, seq INTEGER NOT NULL,
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

  /** Every player's last sequence number: the highest kept frame, or what pruning left in `streams`. */
  seqs(): Map<number, number> {
    const out = new Map<number, number>();
    if (!this.exists()) return out;
    for (const r of this.sql.exec<{ player_id: number; seq: number }>("SELECT player_id, seq FROM streams")) {
      out.set(r.player_id, r.seq);
    }
    for (const r of this.sql.exec<{ player_id: number; seq: number }>(
      "SELECT player_id, MAX(seq) AS seq FROM history GROUP BY player_id",
    )) {
      out.set(r.player_id, Math.max(r.seq, out.get(r.player_id) ?? 0));
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
  }

  /**
   * The same frame appended to every participant's stream (a battle status change), in one statement: each
   * player's next number after their highest kept frame (an index seek) or what pruning left in `streams`.
   */
  appendToAll(at: number, frame: string): void {
    this.ensure();
    this.sql.exec(
      `INSERT INTO history (player_id, seq, at, request_id, frame)
       SELECT p.id, 1 + MAX(
           COALESCE((SELECT MAX(h.seq) FROM history h WHERE h.player_id = p.id), 0),
           COALESCE((SELECT s.seq FROM streams s WHERE s.player_id = p.id), 0)),
         ?, NULL, ?
       FROM participants p`,
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

  /**
   * Drops frames older than `before` (server ms). The sequence numbers of the dropped rows' players go to
   * `streams` first, so a player whose frames are all gone keeps counting from where they were.
   */
  prune(before: number): void {
    if (!this.exists()) return;
    // Scans only the rows it deletes: the first row young enough to keep bounds the range.
    const keep = this.sql
      .exec<{ id: number }>("SELECT id FROM history WHERE at >= ? ORDER BY id LIMIT 1", before)
      .toArray()[0];
    const bound = keep ? keep.id : Number.MAX_SAFE_INTEGER;
    this.sql.exec(
      `INSERT INTO streams (player_id, seq)
       SELECT player_id, MAX(seq) FROM history WHERE id < ? GROUP BY player_id
       ON CONFLICT(player_id) DO UPDATE SET seq = MAX(streams.seq, excluded.seq)`,
      bound,
    );
    this.sql.exec("DELETE FROM history WHERE id < ?", bound);
  }
}
