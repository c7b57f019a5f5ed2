/**
 * @module Dead letters: messages the event queue gave up on, kept in D1 so an operator can list them and, once the
 * cause is fixed, replay each one (sent to the event queue again; the sinks' idempotent upserts make a replay of
 * something already applied harmless). A letter is replayed at most once.
 */

export interface DeadLetter {
  readonly id: string;
  readonly queue: string;
  readonly battleId: string | null;
  readonly fromSeq: number | null;
  readonly toSeq: number | null;
  readonly attempts: number;
  readonly failedAt: number;
  readonly replayedAt: number | null;
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
    const b = (typeof m.body === "object" && m.body !== null ? m.body : {}) as Record<string, unknown>;
    return [
      m.id,
      queue,
      typeof b.b === "string" ? b.b : null,
      typeof b.f === "number" ? b.f : null,
      typeof b.t === "number" ? b.t : null,
      JSON.stringify(m.body ?? null),
      m.attempts,
      now,
    ];
  });
  await db
    .prepare(
      `INSERT INTO dead_letters (id, queue, battle_id, from_seq, to_seq, body, attempts, failed_at)
       SELECT v->>'$[0]', v->>'$[1]', v->>'$[2]', v->>'$[3]', v->>'$[4]', v->>'$[5]', v->>'$[6]', v->>'$[7]'
       FROM (SELECT value AS v FROM json_each(?1)) WHERE true
       ON CONFLICT(id) DO NOTHING`,
    )
    .bind(JSON.stringify(rows))
    .run();
}

interface Row {
  id: string;
  queue: string;
  battle_id: string | null;
  from_seq: number | null;
  to_seq: number | null;
  body: string;
  attempts: number;
  failed_at: number;
  replayed_at: number | null;
}

function toLetter(r: Row): DeadLetter {
  return {
    id: r.id,
    queue: r.queue,
    battleId: r.battle_id,
    fromSeq: r.from_seq,
    toSeq: r.to_seq,
    attempts: r.attempts,
    failedAt: r.failed_at,
    replayedAt: r.replayed_at,
    body: JSON.parse(r.body) as unknown,
  };
}

/** Newest first; `open` only those not replayed yet. */
export async function listDeadLetters(
  db: D1Database,
  opts: { open: boolean; battleId?: string; limit: number; offset: number },
): Promise<DeadLetter[]> {
  const { results } = await db
    .prepare(
      `SELECT * FROM dead_letters
       WHERE (?1 = 0 OR replayed_at IS NULL) AND (?2 IS NULL OR battle_id = ?2)
       ORDER BY failed_at DESC, id LIMIT ?3 OFFSET ?4`,
    )
    .bind(opts.open ? 1 : 0, opts.battleId ?? null, opts.limit, opts.offset)
    .all<Row>();
  return results.map(toLetter);
}

export async function countOpenDeadLetters(db: D1Database, battleId: string): Promise<number> {
  const row = await db
    .prepare("SELECT COUNT(*) AS n FROM dead_letters WHERE battle_id = ?1 AND replayed_at IS NULL")
    .bind(battleId)
    .first<{ n: number }>();
  return row?.n ?? 0;
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
    await queue.send(JSON.parse(row.body));
  } catch (e) {
    await db.prepare("UPDATE dead_letters SET replayed_at = NULL WHERE id = ?1").bind(id).run();
    throw e;
  }
  return toLetter(row);
}
