/**
 * @module Test projects: `unit` (pure logic in Node), `workers` (the real Worker and Durable Object in workerd)
 * and `e2e` (a real `wrangler dev` process, restarted mid-battle).
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
    ],
  },
});
