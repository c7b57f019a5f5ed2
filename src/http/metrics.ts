/**
 * @module The Prometheus endpoints (operator token): one battle's metrics, and every live battle's. Each battle
 * object returns its families (`BattleDO.metrics`: a sharded battle's coordinator gathers its shards'); this adds the
 * `battle` label, the pipeline's D1-side counts (open dead letters, events quarantined by D1) and writes the text
 * format. Totals across shards or battles are left to PromQL (`sum by (battle) (…)`). See docs/metrics.md.
 */
import { gauge } from "../metrics/registry";
import { CONTENT_TYPE, type Source, writeExposition } from "../metrics/text-format";
import { ErrorCode } from "../protocol/error-codes";
import { readBattle } from "./battle-stub";
import { ApiError } from "./errors";

/** At most this many live battles per `/api/admin/metrics` scrape (newest first); more are counted, not read. */
export const METRICS_MAX_BATTLES = 100;

/** Open counts per battle from a D1 table (`where`: what is open), for one battle or all of them. */
async function openCounts(db: D1Database, table: string, where: string, battle?: string) {
  const sql = `SELECT battle_id AS b, count(*) AS n FROM ${table} WHERE ${where} AND battle_id ${
    battle === undefined ? "IS NOT NULL" : "= ?1"
  } GROUP BY battle_id`;
  const stmt = db.prepare(sql);
  const { results } = await (battle === undefined ? stmt : stmt.bind(battle)).all<{ b: string; n: number }>();
  return new Map(results.map((r) => [r.b, r.n]));
}

/** Dead letters and D1 quarantine per battle (null if D1 could not be read: those series are left out). */
async function pipelineCounts(env: Env, battle?: string) {
  try {
    const [dead, quarantined] = await Promise.all([
      openCounts(env.DB, "dead_letters", "replayed_at IS NULL AND superseded_at IS NULL", battle),
      openCounts(env.DB, "quarantine", "reapplied_at IS NULL", battle),
    ]);
    return { dead, quarantined };
  } catch (e) {
    console.error("metrics: reading dead letters and quarantine from D1 failed", e);
    return null;
  }
}

type Counts = Awaited<ReturnType<typeof pipelineCounts>>;

/** One battle's sources, labelled `battle` (and `shard`, from its objects); `up` 0 alone if it did not answer. */
async function battleSources(env: Env, id: string, counts: Counts): Promise<Source[] | null> {
  let objects: Source[] | null;
  try {
    // RPC's types widen the label tuples to arrays; the values are as the object built them.
    objects = (await readBattle(env, id, (b) => b.metrics())) as Source[] | null;
  } catch (e) {
    console.error(`metrics: battle ${id} did not answer`, e);
    return [
      {
        labels: [["battle", id]],
        families: [gauge("arena_metrics_up", "Whether this object's metrics were read (1) or not (0).", 0)],
      },
    ];
  }
  if (!objects) return null;
  const out: Source[] = objects.map((o) => ({ labels: [["battle", id], ...o.labels], families: o.families }));
  if (counts) {
    out.push({
      labels: [["battle", id]],
      families: [
        gauge(
          "arena_persist_dead_letters",
          "Open dead letters of this battle (neither replayed nor marked superseded; marking runs on /persistence reads).",
          counts.dead.get(id) ?? 0,
        ),
        gauge(
          "arena_persist_quarantined",
          "Events of this battle the D1 sink refused, not yet re-applied (Postgres's are on /persistence only).",
          [{ labels: ["d1"], value: counts.quarantined.get(id) ?? 0 }],
          ["sink"],
        ),
      ],
    });
  }
  return out;
}

function textResponse(body: string): Response {
  return new Response(body, { headers: { "Content-Type": CONTENT_TYPE, "Cache-Control": "no-store" } });
}

/** `GET /api/admin/battles/:id/metrics`. */
export async function battleMetrics(env: Env, id: string): Promise<Response> {
  const sources = await battleSources(env, id, await pipelineCounts(env, id));
  if (!sources) throw new ApiError(404, ErrorCode.NOT_FOUND, "no such battle");
  return textResponse(writeExposition(sources));
}

/** `GET /api/admin/metrics`: the battles D1's index lists as live, newest first, at most `METRICS_MAX_BATTLES`. */
export async function allMetrics(env: Env): Promise<Response> {
  const { results } = await env.DB.prepare(
    "SELECT id FROM battles WHERE status = 'live' ORDER BY created_at DESC, id LIMIT ?1",
  )
    .bind(METRICS_MAX_BATTLES + 1)
    .all<{ id: string }>();
  const ids = results.slice(0, METRICS_MAX_BATTLES).map((r) => r.id);
  const counts = await pipelineCounts(env);
  const per = await Promise.all(ids.map((id) => battleSources(env, id, counts)));
  const sources: Source[] = [
    {
      labels: [],
      families: [
        gauge("arena_metrics_battles", "Live battles (D1's index) read by this scrape.", ids.length),
        gauge(
          "arena_metrics_battles_truncated",
          `1 if more than ${METRICS_MAX_BATTLES} battles are live and the oldest were left out of this scrape.`,
          results.length > METRICS_MAX_BATTLES ? 1 : 0,
        ),
      ],
    },
  ];
  for (const s of per) if (s) sources.push(...s);
  return textResponse(writeExposition(sources));
}
