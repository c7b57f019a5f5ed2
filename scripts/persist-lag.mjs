/**
 * @module `npm run persist:lag -- <battle> [--pg URL] [--url http://127.0.0.1:8787]`: the persistence pipeline's
 * figures for one battle, from Postgres and the operator API: lag from an answer's or attack's commit in the
 * battle object (`at`, object clock ≈ the ack) to its row in Postgres (`applied_at`) as p50/p99/max, events per
 * second Postgres received, and the queue messages the object sent (with their rate over the same span).
 * Object and Postgres share the machine's clock locally; in production compare on one host's clock.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { ROOT } from "./arena-server.mjs";

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
const base = opt("url") ?? process.env.ARENA_URL ?? "http://127.0.0.1:8787";

function operatorToken() {
  if (process.env.OPERATOR_TOKEN) return process.env.OPERATOR_TOKEN;
  const vars = join(ROOT, ".dev.vars");
  const line = existsSync(vars) && readFileSync(vars, "utf8").match(/^OPERATOR_TOKEN\s*=\s*"?([^"\n]*)"?/m);
  return line ? line[1] : "dev-operator-token";
}

const sql = postgres(pgUrl, { max: 1, onnotice: () => {} });
try {
  const [r] = await sql`
    WITH e AS (
      SELECT at, extract(epoch FROM applied_at) * 1000 AS applied FROM answers WHERE battle_id = ${battle}
      UNION ALL
      SELECT at, extract(epoch FROM applied_at) * 1000 FROM attacks WHERE battle_id = ${battle})
    SELECT count(*)::int AS events,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY applied - at) AS p50,
           percentile_cont(0.99) WITHIN GROUP (ORDER BY applied - at) AS p99,
           max(applied - at) AS max,
           (max(applied) - min(applied)) / 1000 AS span_s
    FROM e`;
  const events = r.events;
  const span = Number(r.span_s ?? 0);
  let messages = null;
  try {
    const res = await fetch(`${base}/api/admin/battles/${encodeURIComponent(battle)}/persistence`, {
      headers: { Authorization: `Bearer ${operatorToken()}` },
    });
    if (res.ok) messages = (await res.json()).object.flusher;
  } catch {
    // the server is gone: Postgres figures only
  }
  const ms = (v) => (v === null ? "n/a" : `${Number(v).toFixed(0)} ms`);
  console.log(`persistence of ${battle}: ${events} answers+attacks in Postgres over ${span.toFixed(1)} s`);
  console.log(`  ack → Postgres lag: p50 ${ms(r.p50)}, p99 ${ms(r.p99)}, max ${ms(r.max)}`);
  console.log(`  events/s into Postgres: ${span > 0 ? (events / span).toFixed(0) : "n/a"}`);
  if (messages) {
    console.log(
      `  queue: ${messages.messages} messages (${span > 0 ? (messages.messages / span).toFixed(1) : "n/a"}/s), ` +
        `${messages.events} events sent, ${messages.resends} resends, ${messages.sendErrors} send errors` +
        " (counters since the object last woke)",
    );
  }
} finally {
  await sql.end();
}
