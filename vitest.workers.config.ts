/**
 * @module Workers-runtime integration tests: real Worker, Durable Objects, D1, Queues and Postgres (through local
 * Hyperdrive, a database of its own per run: test/setup/postgres.ts) in workerd.
 */
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineProject } from "vitest/config";
import { sdkSource } from "./vitest.config";

const migrations = await readD1Migrations("./migrations/d1");

export default defineProject({
  plugins: [
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          OPERATOR_TOKEN: "test-operator-token",
          TOKEN_SECRET: "test-token-secret",
          TOKEN_KID: "2",
          TOKEN_SECRETS_PREVIOUS: "1:test-old-token-secret",
          IDENTITY_SECRETS: "op1:test-identity-secret,op0:test-old-identity-secret",
          TEST_MIGRATIONS: migrations,
          // Failed persistence messages are redelivered at once (the backoff itself is unit-tested).
          PERSIST_RETRY_BASE_SECONDS: "0",
          // A Postgres write waits this long for a row lock a test holds before the batch is retried.
          PG_LOCK_TIMEOUT_MS: "300",
        },
        hyperdrives: { HYPERDRIVE: inject("pgUrl") },
        // These replace wrangler.toml's consumer settings, so every option is given again.
        queueConsumers: {
          "arena-events": {
            maxBatchSize: 100,
            maxBatchTimeout: 0.05,
            maxRetries: 3,
            deadLetterQueue: "arena-events-dlq",
          },
          "arena-events-dlq": { maxBatchSize: 10, maxBatchTimeout: 0.05, maxRetries: 10 },
        },
      },
    })),
  ],
  resolve: sdkSource,
  test: {
    name: "workers",
    include: ["test/workers/**/*.test.ts"],
    setupFiles: ["./test/workers/setup.ts"],
    globalSetup: ["./test/setup/postgres.ts"],
    testTimeout: 30_000,
  },
});
