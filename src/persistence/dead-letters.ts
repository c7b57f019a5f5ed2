/**
 * @module Dead letters: messages the event queue gave up on, kept in D1 so an operator can list them and, once the
 * cause is fixed, replay each one (sent to the event queue again; the sinks' idempotent upserts make a replay of
 * something already applied harmless). A letter is replayed at most once. A letter whose seqs both sinks' watermarks
 * have reached (the object's resend from the watermark delivered them) is superseded: it needs no replay and is no
 * longer open. Supersession is decided when an operator reads (nothing is added to the consumer's path).
 */

export interface DeadLetter {
  readonly id: string;
  readonly queue: string;
  readonly battleId: string | null;
  readonly shard: number | null;
  readonly fromSeq: number | null;
  readonly toSeq: number | null;
  readonly attempts: number;
  readonly failedAt: number;
  readonly replayedAt: number | null;
  /** When a read found both sinks past `toSeq` (open letters only; null while it still matters). */
  readonly supersededAt: number | null;
  readonly body: unknown;
}

export async function storeDeadLetters(
  db: D1Database,
  queue: string,
  messages: readonly Message<unknown>[],
  now: number,
): Promise<void> {
  if (messages.length === 0) return;
  const rows = messages.map((m) => {
    const b = envelopeOf(m.body);
    return [
      m.id,
      queue,
      typeof b.b === "string" ? b.b : null,
      typeof b.s === "number" ? b.s : null,
      typeof b.f === "number" ? b.f : null,
      typeof b.t === "number" ? b.t : null,
      JSON.stringify(m.body ?? null),
      m.attempts,
      now,
    ];
  });
  await db
    .prepare(
      `INSERT INTO dead_letters (id, queue, battle_id, shard, from_seq, to_seq, body, attempts, failed_at)
       SELECT v->>'$[0]', v->>'$[1]', v->>'$[2]', v->>'$[3]', v->>'$[4]', v->>'$[5]', v->>'$[6]', v->>'$[7]',
         v->>'$[8]'
       FROM (SELECT value AS v FROM json_each(?1)) WHERE true
       ON CONFLICT(id) DO NOTHING`,
    )
    .bind(JSON.stringify(rows))
    .run();
}

/** The message's envelope fields (a text body is the JSON of one; anything unreadable gives none). */
function envelopeOf(body: unknown): Record<string, unknown> {
  if (typeof body === "string") {
    try {
      body = JSON.parse(body) as unknown;
    } catch {
      return {};
    }
  }
  return (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
}

interface Row {
  id: string;
  queue: string;
  battle_id: string | null;
  shard: number | null;
  from_seq: number | null;
  to_seq: number | null;
  body: string;
  attempts: number;
  failed_at: number;
  replayed_at: number | null;
  superseded_at: number | null;
}

function toLetter(r: Row): DeadLetter {
  return {
    id: r.id,
    queue: r.queue,
    battleId: r.battle_id,
    shard: r.shard,
    fromSeq: r.from_seq,
    toSeq: r.to_seq,
    attempts: r.attempts,
    failedAt: r.failed_at,
    replayedAt: r.replayed_at,
    supersededAt: r.superseded_at,
    body: JSON.parse(r.body) as unknown,
  };
}

/** Newest first; `open` only those neither replayed nor superseded. */
export async function listDeadLetters(
  db: D1Database,
  opts: { open: boolean; battleId?: string; limit: number; offset: number },
): Promise<DeadLetter[]> {
  const { results } = await db
    .prepare(
      `SELECT * FROM dead_letters
       WHERE (?1 = 0 OR (replayed_at IS NULL AND superseded_at IS NULL)) AND (?2 IS NULL OR battle_id = ?2)
       ORDER BY failed_at DESC, id LIMIT ?3 OFFSET ?4`,
    )
    .bind(opts.open ? 1 : 0, opts.battleId ?? null, opts.limit, opts.offset)
    .all<Row>();
  return results.map(toLetter);
}

/** Open letters of a battle, and those superseded (informational: a resend delivered what they held). */
export async function countDeadLetters(
  db: D1Database,
  battleId: string,
): Promise<{ open: number; superseded: number }> {
  const row = await db
    .prepare(
      `SELECT count(*) FILTER (WHERE superseded_at IS NULL) AS open,
              count(*) FILTER (WHERE superseded_at IS NOT NULL) AS superseded
       FROM dead_letters WHERE battle_id = ?1 AND replayed_at IS NULL`,
    )
    .bind(battleId)
    .first<{ open: number; superseded: number }>();
  return { open: row?.open ?? 0, superseded: row?.superseded ?? 0 };
}

/** The (battle, shard) pairs that have open letters (at most `limit`), to look their Postgres watermarks up. */
export async function openDeadLetterKeys(
  db: D1Database,
  battleId: string | undefined,
  limit: number,
): Promise<{ battle: string; shard: number }[]> {
  const { results } = await db
    .prepare(
      `SELECT DISTINCT battle_id AS battle, shard FROM dead_letters
       WHERE replayed_at IS NULL AND superseded_at IS NULL AND battle_id IS NOT NULL AND shard IS NOT NULL
         AND (?1 IS NULL OR battle_id = ?1)
       LIMIT ?2`,
    )
    .bind(battleId ?? null, limit)
    .all<{ battle: string; shard: number }>();
  return results;
}

/**
 * Marks superseded every open letter whose last seq both sinks hold: D1's watermark is read in the statement,
 * Postgres's come in `pgMarks` (`{battle, shard, seq}`; a pair missing there is left open). Returns how many.
 */
export async function supersedeDeadLetters(
  db: D1Database,
  pgMarks: readonly { battle: string; shard: number; seq: number }[],
  now: number,
): Promise<number> {
  if (pgMarks.length === 0) return 0;
  const res = await db
    .prepare(
      `UPDATE dead_letters AS d SET superseded_at = ?2
       WHERE replayed_at IS NULL AND superseded_at IS NULL AND to_seq IS NOT NULL
         AND to_seq <= (SELECT seq FROM watermarks w WHERE w.battle_id = d.battle_id AND w.shard = d.shard)
         AND to_seq <= (SELECT p.value->>'seq' FROM json_each(?1) AS p
                        WHERE p.value->>'battle' = d.battle_id AND p.value->>'shard' = d.shard)`,
    )
    .bind(JSON.stringify(pgMarks), now)
    .run();
  return res.meta.changes ?? 0;
}

/**
 * Marks the letter replayed and sends its body to the event queue again. Null if there is no such letter,
 * "replayed" if it was replayed before (the mark is taken first, so two concurrent replays send once).
 */
export async function replayDeadLetter(
  db: D1Database,
  queue: Queue,
  id: string,
  now: number,
): Promise<DeadLetter | "replayed" | null> {
  const row = await db
    .prepare("UPDATE dead_letters SET replayed_at = ?2 WHERE id = ?1 AND replayed_at IS NULL RETURNING *")
    .bind(id, now)
    .first<Row>();
  if (!row) {
    const exists = await db.prepare("SELECT 1 AS x FROM dead_letters WHERE id = ?1").bind(id).first();
    return exists ? "replayed" : null;
  }
  try {
    const body = JSON.parse(row.body) as unknown;
    // A text body (every message since version 2) goes back as text, so its size is what it was.
    await queue.send(body, typeof body === "string" ? { contentType: "text" } : {});
  } catch (e) {
    await db.prepare("UPDATE dead_letters SET replayed_at = NULL WHERE id = ?1").bind(id).run();
    throw e;
  }
  return toLetter(row);
}
