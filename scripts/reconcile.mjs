/**
 * @module `npm run reconcile -- <battle> [--url http://127.0.0.1:8787]`: asks a running Arena to compare the
 * battle's standings in its object with D1 and Postgres row by row, prints the differences, exits 1 if any.
 * The operator token comes from OPERATOR_TOKEN or `.dev.vars`.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./arena-server.mjs";

const args = process.argv.slice(2);
const battle = args.find((a, i) => !a.startsWith("--") && args[i - 1] !== "--url");
const urlAt = args.indexOf("--url");
const base = urlAt >= 0 ? args[urlAt + 1] : (process.env.ARENA_URL ?? "http://127.0.0.1:8787");
if (!battle) {
  console.error("usage: npm run reconcile -- <battle> [--url http://127.0.0.1:8787]");
  process.exit(2);
}

function operatorToken() {
  if (process.env.OPERATOR_TOKEN) return process.env.OPERATOR_TOKEN;
  const vars = join(ROOT, ".dev.vars");
  const line = existsSync(vars) && readFileSync(vars, "utf8").match(/^OPERATOR_TOKEN\s*=\s*"?([^"\n]*)"?/m);
  return line ? line[1] : "dev-operator-token";
}

const res = await fetch(`${base}/api/admin/battles/${encodeURIComponent(battle)}/reconcile`, {
  headers: { Authorization: `Bearer ${operatorToken()}` },
});
const body = await res.json();
if (!res.ok) {
  console.error(`reconcile ${battle}: HTTP ${res.status}`, JSON.stringify(body));
  process.exit(2);
}
console.log(
  `reconcile ${battle}: ${body.participants} participants, last seq ${body.lastSeq}, confirmed d1 ${body.confirmed.d1} pg ${body.confirmed.pg}`,
);
if (body.inFlight ?? (body.confirmed.d1 < body.lastSeq || body.confirmed.pg < body.lastSeq)) {
  console.log("  (the sinks have not confirmed every event yet; differences may be in flight)");
}
for (const d of body.differences) console.log(`  ${d}`);
console.log(body.clean ? "clean" : `${body.differences.length} difference(s)`);
process.exit(body.clean ? 0 : 1);
