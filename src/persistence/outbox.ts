/**
 * @module The outbox in the battle object's SQLite: every persistence event gets the next seq of this (battle,
 * shard) and is inserted in the same transaction as the state change it describes (one INSERT per write). Rows
 * stay until both sinks (D1, Postgres) have confirmed a contiguous watermark at or past them.
 */

import { fits, MAX_EVENT_BYTES, sizedEvents } from "./event-size";
import type { BattleEvent } from "./events";
import type { OutboxRow } from "./message";
import type { SqlDatabase } from "./sql-database";

/** This object's shard of its battle; a sharded battle (a later issue) gives each object its own. */
export const SHARD = 0;

export const SINKS = ["d1", "pg"] as const;
export type Sink = (typeof SINKS)[number];
export type Confirmed = Record<Sink, number>;

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, body TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS outbox_confirmed (sink TEXT PRIMARY KEY, seq INTEGER NOT NULL)`,
];

export class Outbox {
  private next = 1;
  /** `PERSISTENCE=off` (a before/after benchmark only): `append` writes nothing, so nothing is ever sent. */
  readonly enabled: boolean;
  private marks: Confirmed = { d1: 0, pg: 0 };
  /** Whether the tables exist: they are created by the first append, so an object without a battle stores nothing. */
  private ready: boolean;

  constructor(
    private readonly sql: SqlDatabase,
    opts: { enabled?: boolean } = {},
  ) {
    this.enabled = opts.enabled ?? true;
    this.ready =
      sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'outbox'").toArray().length > 0;
    this.reload();
  }

  /** Re-reads the counters from SQLite (on wake, and after a rolled-back batch took seqs it never wrote). */
  reload(): void {
    if (!this.ready) return;
    for (const r of this.sql.exec<{ sink: Sink; seq: number }>("SELECT sink, seq FROM outbox_confirmed")) {
      if (r.sink in this.marks) this.marks[r.sink] = r.seq;
    }
    const max = this.sql.exec<{ m: number | null }>("SELECT MAX(seq) AS m FROM outbox").one().m ?? 0;
    this.next = Math.max(max, ...Object.values(this.marks)) + 1;
  }

  /**
   * Inserts one event (or its parts, when it is one that grows with the battle: src/persistence/event-size.ts); the
   * caller runs it inside the transaction of the change it describes. The last seq taken; 0 when disabled. An event
   * that cannot fit one queue message even so is refused with an error (a bug: no message may be too big to send).
   */
  append(event: BattleEvent, at: number): number {
    if (!this.enabled) return 0;
    if (!this.ready) {
      for (const stmt of SCHEMA) this.sql.exec(stmt);
      this.ready = true;
    }
    let body = JSON.stringify(event);
    if (fits(body, MAX_EVENT_BYTES) && (event.k !== "battle" || !event.v) && event.k !== "final") {
      return this.insert(body, at);
    }
    let seq = 0;
    for (const part of sizedEvents(event)) {
      body = JSON.stringify(part);
      if (!fits(body, MAX_EVENT_BYTES))
        throw new Error(`outbox: a ${part.k} event of ${body.length} characters`);
      seq = this.insert(body, at);
    }
    return seq;
  }

  private insert(body: string, at: number): number {
    const seq = this.next;
    this.sql.exec("INSERT INTO outbox (seq, at, body) VALUES (?, ?, ?)", seq, at, body);
    this.next = seq + 1;
    return seq;
  }

  /** The last seq written (0 if none). */
  get lastSeq(): number {
    return this.next - 1;
  }

  get confirmed(): Confirmed {
    return { ...this.marks };
  }

  /** Seq confirmed by every sink: rows at or below it are gone. */
  get settled(): number {
    return Math.min(...SINKS.map((s) => this.marks[s]));
  }

  /** Records what the sinks confirmed (never moving back) and deletes rows every sink has; true if anything moved. */
  confirm(marks: Partial<Confirmed>): boolean {
    if (!this.ready) return false;
    let moved = false;
    for (const sink of SINKS) {
      const seq = Math.min(marks[sink] ?? 0, this.lastSeq);
      if (seq > this.marks[sink]) {
        this.marks[sink] = seq;
        moved = true;
        this.sql.exec(
          "INSERT INTO outbox_confirmed (sink, seq) VALUES (?, ?) ON CONFLICT(sink) DO UPDATE SET seq = excluded.seq",
          sink,
          seq,
        );
      }
    }
    if (moved) this.sql.exec("DELETE FROM outbox WHERE seq <= ?", this.settled);
    return moved;
  }

  /** Rows after `afterSeq` up to `throughSeq` in seq order, stopping once `maxBytes` of bodies are read. */
  read(afterSeq: number, throughSeq: number, maxBytes: number): OutboxRow[] {
    const rows: OutboxRow[] = [];
    if (!this.ready) return rows;
    let bytes = 0;
    for (const r of this.sql.exec<{ seq: number; body: string }>(
      "SELECT seq, body FROM outbox WHERE seq > ? AND seq <= ? ORDER BY seq",
      afterSeq,
      throughSeq,
    )) {
      rows.push({ seq: r.seq, body: r.body });
      bytes += r.body.length;
      if (bytes >= maxBytes) break;
    }
    return rows;
  }

  /** Rows held and the append time of the oldest, for operators. */
  depth(): { rows: number; oldestAt: number | null } {
    if (!this.ready) return { rows: 0, oldestAt: null };
    const r = this.sql
      .exec<{ n: number; t: number | null }>("SELECT COUNT(*) AS n, MIN(at) AS t FROM outbox")
      .one();
    return { rows: r.n, oldestAt: r.t };
  }
}
