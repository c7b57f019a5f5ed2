/** @module `npm start`: run Arena locally on http://127.0.0.1:8787 (PORT overrides) until Ctrl-C. */
import { startArena } from "./arena-server.mjs";

const arena = await startArena({ port: Number(process.env.PORT ?? 8787) });
console.log(`\nArena is up on ${arena.url}  (operator token: see .dev.vars)\n`);
const shutdown = async () => {
  await arena.stop();
  process.exit(0);
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
arena.child.on("exit", (code) => process.exit(code ?? 0));
