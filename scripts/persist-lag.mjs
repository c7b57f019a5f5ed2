/**
 * @module `npm run persist:lag -- <battle> [--pg URL] [--url http://127.0.0.1:8787]`: the persistence pipeline's
 * figures for one battle, from Postgres and the operator API: lag from an answer's or attack's commit in the
 * battle object (`at`, object clock ≈ the ack) to its row in Postgres (`applied_at`) as p50/p99/max, events per
 * second end to end (first commit → last row in Postgres), and the queue messages the object sent (with their rate
 * over the same span). Object and Postgres share the machine's clock locally; in production compare on one host's
 * clock. The load tester's `--persist-lag` calls `persistLag` before it stops the server.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import postgres from "postgres";
import { ROOT } from "./arena-server.mjs";

export function operatorToken() {
  if (process.env.OPERATOR_TOKEN) return process.env.OPERATOR_TOKEN;
  const vars = join(ROOT, ".dev.vars");
  const line = existsSync(vars) && readFileSync(vars, "utf8").match(/^OPERATOR_TOKEN\s*=\s*"?([^"\n]*)"?/m);
  return line ? line[1] : "dev-operator-token";
}

/**
 * The figures of one battle: `{ events, lagMs: {p50, p99, max}, spanSec, eventsPerSec, queue }` where `queue` is
 * the object's flusher counters (`{messages, events, resends, sendErrors}`, since it last woke, null if the server
 * is gone) and `messagesPerSec` their rate over the span.
 */
export async function persistLag({ pgUrl, battle, baseUrl, token = operatorToken() }) {
  const sql = postgres(pgUrl, { max: 1, onnotice: () => {} });
  let r;
  try {
    [r] = await sql`
      WITH e AS (
        SELECT at, extract(epoch FROM applied_at) * 1000 AS applied FROM answers WHERE battle_id = ${battle}
        UNION ALL
        SELECT at, extract(epoch FROM applied_at) * 1000 FROM attacks WHERE battle_id = ${battle})
      SELECT count(*)::int AS events,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY applied - at) AS p50,
             percentile_cont(0.99) WITHIN GROUP (ORDER BY applied - at) AS p99,
             max(applied - at) AS max,
             (max(applied) - min(at)) / 1000 AS span_s
      FROM e`;
  } finally {
    await sql.end();
  }
  let queue = null;
  try {
    const res = await fetch(`${baseUrl}/api/admin/battles/${encodeURIComponent(battle)}/persistence`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    if (res.ok) queue = (await res.json()).object.flusher;
  } catch {
    // the server is gone: Postgres figures only
  }
  const num = (v) => (v === null || v === undefined ? null : Number(v));
  const spanSec = Number(r.span_s ?? 0);
  return {
    battle,
    events: r.events,
    lagMs: { p50: num(r.p50), p99: num(r.p99), max: num(r.max) },
    spanSec,
    eventsPerSec: spanSec > 0 ? r.events / spanSec : null,
    queue,
    messagesPerSec: queue && spanSec > 0 ? queue.messages / spanSec : null,
  };
}

export function formatLag(f) {
  const ms = (v) => (v === null ? "n/a" : `${v.toFixed(0)} ms`);
  const lines = [
    `persistence of ${f.battle}: ${f.events} answers+attacks in Postgres, first commit → last row ${f.spanSec.toFixed(1)} s`,
    `  ack → Postgres lag: p50 ${ms(f.lagMs.p50)}, p99 ${ms(f.lagMs.p99)}, max ${ms(f.lagMs.max)}`,
    `  events/s end to end: ${f.eventsPerSec === null ? "n/a" : f.eventsPerSec.toFixed(0)}`,
  ];
  if (f.queue) {
    lines.push(
      `  queue: ${f.queue.messages} messages (${f.messagesPerSec === null ? "n/a" : f.messagesPerSec.toFixed(1)}/s), ` +
        `${f.queue.events} events sent, ${f.queue.resends} resends, ${f.queue.sendErrors} send errors` +
        " (counters since the object last woke)",
    );
  }
  return lines;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const args = process.argv.slice(2);
  const opt = (name) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const battle = args.find((a, i) => !a.startsWith("--") && !args[i - 1]?.startsWith("--"));
  if (!battle) {
    console.error("usage: npm run persist:lag -- <battle> [--pg URL] [--url http://127.0.0.1:8787]");
    process.exit(2);
  }
  const pgUrl = opt("pg") ?? process.env.ARENA_PG_URL ?? "postgres://postgres:postgres@127.0.0.1:5432/test";
  const baseUrl = opt("url") ?? process.env.ARENA_URL ?? "http://127.0.0.1:8787";
  for (const line of formatLag(await persistLag({ pgUrl, battle, baseUrl }))) console.log(line);
}
