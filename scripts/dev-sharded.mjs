/**
 * @module `npm run start:sharded -- --processes P`: Arena as P local runtime processes (see arena-sharded.mjs), on
 * http://127.0.0.1:8900 … (BASE_PORT overrides) until Ctrl-C. Create battles with `"shards": N` (N ≥ P to use
 * every process). `--hub` adds a process (port base + P) for the queue consumer and the HTTP front door, so the
 * consumer never shares a battle object's thread (then `--processes 1` is allowed: one battle process + the hub).
 */
import { parseArgs } from "node:util";
import { startShardedArena } from "./arena-sharded.mjs";

const { values } = parseArgs({
  options: { processes: { type: "string", default: "2" }, hub: { type: "boolean", default: false } },
});
const processes = Number(values.processes);
const least = values.hub ? 1 : 2;
if (!Number.isInteger(processes) || processes < least || processes > 16) {
  console.error(`--processes: an integer from ${least} to 16`);
  process.exit(2);
}
const arena = await startShardedArena({
  processes,
  hub: values.hub,
  basePort: Number(process.env.BASE_PORT ?? 8900),
});
console.log(
  `\nArena is up as ${arena.urls.length} processes: ${arena.urls.join(" ")}  (operator API and joins on ${arena.url})\n`,
);
const shutdown = async () => {
  await arena.stop();
  process.exit(0);
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
