/**
 * @module The Workers tests' stand-in for what Hyperdrive's pool does when a client goes away mid-transaction.
 * vitest-pool-workers drops each test file's isolate when the file ends; a queue consumer cut off between a
 * statement's Execute and its Sync leaves its backend `active` in `ClientRead`, holding its locks (the watermark
 * rows, `answers`), because the local Hyperdrive proxy keeps the socket open. Postgres 15 has no timeout for that
 * state (`idle_in_transaction_session_timeout` starts only after the Sync), so every later writer of those rows
 * waited behind it until the test time-out. This child process ends such backends of the test database once they
 * have waited 5 s for their client. `node test/setup/pg-janitor.mjs <url>`; stops when its parent goes.
 */
import postgres from "postgres";

const url = process.argv[2];
const db = decodeURIComponent(new URL(url).pathname.slice(1));
const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 5 });
const parent = process.ppid;

async function sweep() {
  const ended = await sql`
    SELECT pid, pg_terminate_backend(pid) AS ok FROM pg_stat_activity
    WHERE datname = ${db} AND pid <> pg_backend_pid() AND state = 'active' AND wait_event = 'ClientRead'
      AND xact_start IS NOT NULL AND now() - state_change > interval '5 seconds'`;
  for (const r of ended)
    console.error(`pg-janitor: ended backend ${r.pid}, abandoned mid-statement by its client`);
}

for (;;) {
  try {
    process.kill(parent, 0);
  } catch {
    break;
  }
  try {
    await sweep();
  } catch {
    // The database may be gone already (the run ended) or busy: try again.
  }
  await new Promise((r) => setTimeout(r, 1_000));
}
await sql.end({ timeout: 1 });
