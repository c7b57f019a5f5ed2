/**
 * @module `npm run start:sharded -- --processes P`: Arena as P local runtime processes (see arena-sharded.mjs), on
 * http://127.0.0.1:8900 … (BASE_PORT overrides) until Ctrl-C. Create battles with `"shards": N` (N ≥ P to use
 * every process).
 */
import { parseArgs } from "node:util";
import { startShardedArena } from "./arena-sharded.mjs";

const { values } = parseArgs({ options: { processes: { type: "string", default: "2" } } });
const processes = Number(values.processes);
if (!Number.isInteger(processes) || processes < 2 || processes > 16) {
  console.error("--processes: an integer from 2 to 16");
  process.exit(2);
}
const arena = await startShardedArena({ processes, basePort: Number(process.env.BASE_PORT ?? 8900) });
console.log(
  `\nArena is up as ${processes} processes: ${arena.urls.join(" ")}  (operator API on the first)\n`,
);
const shutdown = async () => {
  await arena.stop();
  process.exit(0);
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
