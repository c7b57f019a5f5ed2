/**
 * @module Test projects: `unit` (pure logic in Node), `workers` (the real Worker and Durable Object in workerd)
 * `e2e` (a real `wrangler dev` process, restarted mid-battle) and `browser` (the pages in Chromium against `wrangler dev`).
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

/**
 * The SDK by its package name, from its TypeScript source (tests need no build of packages/client/dist; the pack test
 * in test/e2e/sdk-package.test.ts checks the built package the way an outside project installs it).
 */
export const sdkSource = {
  alias: { "@arena/client": fileURLToPath(new URL("./packages/client/src/index.ts", import.meta.url)) },
};

export default defineConfig({
  test: {
    projects: [
      {
        resolve: sdkSource,
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          environment: "node",
          // Property tests and simulations are CPU-bound: on a shared 2-core machine they exceed the 5 s default.
          testTimeout: 60_000,
        },
      },
      "./vitest.workers.config.ts",
      {
        resolve: sdkSource,
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        resolve: sdkSource,
        test: {
          name: "browser",
          include: ["test/browser/**/*.test.ts"],
          environment: "node",
          testTimeout: 180_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
