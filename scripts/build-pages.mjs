/**
 * @module Builds the player page and operator console bundles (src/pages → public/app/) with esbuild, the same
 * esbuild wrangler carries. Run by `npm start`, `npm test` and `npm run deploy:dry` before anything serves them.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

export async function buildPages() {
  await build({
    absWorkingDir: ROOT,
    entryPoints: { player: "src/pages/player.ts", console: "src/pages/console.ts" },
    outdir: "public/app",
    bundle: true,
    format: "esm",
    target: "es2022",
    minify: true,
    sourcemap: "linked",
    legalComments: "none",
    logLevel: "warning",
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildPages();
