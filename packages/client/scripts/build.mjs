#!/usr/bin/env node
/**
 * @module Builds `@arena/client` into dist/: one ES module per source file (esbuild, no bundling, so a bundler keeps
 * only what an app imports) and their `.d.ts` (tsc). Then bundles the whole public API the way an app would
 * (minified) and prints its gzip size, failing when it is over the budget stated in the package README.
 * Run by the root scripts that need dist/ (`build:pages`, `loadtest`, `npm test`) and by `npm pack` (prepack).
 */
import { spawnSync } from "node:child_process";
import { readdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

/** The gzip size the whole SDK, minified, may reach (README "Size"); today's is printed by every build. */
export const GZIP_BUDGET_BYTES = 6 * 1024;

const PKG = join(dirname(fileURLToPath(import.meta.url)), "..");
const SRC = join(PKG, "src");
const DIST = join(PKG, "dist");

function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

/** Minified and gzipped size of everything the package exports, as one app bundle would hold it. */
export async function gzipSize() {
  const out = await build({
    entryPoints: [join(DIST, "index.js")],
    bundle: true,
    format: "esm",
    target: "es2022",
    minify: true,
    write: false,
    legalComments: "none",
    logLevel: "warning",
  });
  const code = out.outputFiles[0].contents;
  return { minified: code.byteLength, gzip: gzipSync(code, { level: 9 }).byteLength };
}

export async function buildClient() {
  rmSync(DIST, { recursive: true, force: true });
  await build({
    entryPoints: sources(SRC),
    outbase: SRC,
    outdir: DIST,
    bundle: false,
    format: "esm",
    target: "es2022",
    platform: "neutral",
    logLevel: "warning",
  });
  // The repository's TypeScript (the root devDependency): the package itself has no dependencies at all.
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const r = spawnSync(process.execPath, [tsc, "-p", join(PKG, "tsconfig.json")], { stdio: "inherit" });
  if (r.status !== 0) throw new Error(`tsc failed (${r.status ?? r.signal})`);
  const size = await gzipSize();
  const kib = (n) => `${(n / 1024).toFixed(2)} KiB`;
  console.log(
    `@arena/client: ${kib(size.minified)} minified, ${kib(size.gzip)} gzip (budget ${kib(GZIP_BUDGET_BYTES)} gzip)`,
  );
  if (size.gzip > GZIP_BUDGET_BYTES) {
    throw new Error(`@arena/client is ${size.gzip} B gzip, over its ${GZIP_BUDGET_BYTES} B budget`);
  }
  return size;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    await buildClient();
  } catch (e) {
    console.error(String(e instanceof Error ? e.message : e));
    process.exit(1);
  }
}
