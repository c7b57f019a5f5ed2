/** @module Workers-runtime integration tests: real Worker, Durable Objects, D1 and Queues in workerd. */
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineProject } from "vitest/config";

const migrations = await readD1Migrations("./migrations/d1");

export default defineProject({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          OPERATOR_TOKEN: "test-operator-token",
          TOKEN_SECRET: "test-token-secret",
          TEST_MIGRATIONS: migrations,
        },
        queueConsumers: { "arena-events": { maxBatchTimeout: 0.05 } },
      },
    }),
  ],
  test: {
    name: "workers",
    include: ["test/workers/**/*.test.ts"],
    setupFiles: ["./test/workers/setup.ts"],
    testTimeout: 30_000,
  },
});
