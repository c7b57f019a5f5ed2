/**
 * @module Test projects: `unit` (pure logic in Node), `workers` (the real Worker and Durable Object in workerd)
 * `e2e` (a real `wrangler dev` process, restarted mid-battle) and `browser` (the pages in Chromium against `wrangler dev`).
 */
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
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
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
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
