#!/usr/bin/env node
/**
 * `npm test`: every step in order (the SDK's build with its size budget and the pages' build, typecheck, lint, the SDK
 * reference, then the vitest projects), stopping at the first failure, and a table of each step's wall time at the end
 * (CI prints it, so a project that grows is seen).
 */
import { spawnSync } from "node:child_process";

const steps = [
  ["build sdk+pages", "npm", ["run", "build:pages"]],
  ["typecheck", "npm", ["run", "typecheck"]],
  ["lint", "npm", ["run", "lint"]],
  ["sdk reference", "npm", ["run", "docs:sdk"]],
  ["unit + workers", "npx", ["vitest", "run", "--project", "unit", "--project", "workers"]],
  ["e2e", "npx", ["vitest", "run", "--project", "e2e"]],
  ["browser", "npx", ["vitest", "run", "--project", "browser"]],
];

const times = [];
let failed = null;
for (const [name, cmd, args] of steps) {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, {
    stdio: "inherit",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  times.push([
    name,
    (performance.now() - t0) / 1000,
    r.status === 0 ? "ok" : `failed (${r.status ?? r.signal})`,
  ]);
  if (r.status !== 0) {
    failed = name;
    break;
  }
}
console.log("\nnpm test, wall time per step:");
for (const [name, s, result] of times)
  console.log(`  ${name.padEnd(16)} ${s.toFixed(1).padStart(7)} s  ${result}`);
console.log(
  `  ${"total".padEnd(16)} ${times
    .reduce((a, [, s]) => a + s, 0)
    .toFixed(1)
    .padStart(7)} s`,
);
process.exit(failed === null ? 0 : 1);
