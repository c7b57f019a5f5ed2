/** @module drizzle-kit: generates the Postgres migrations in migrations/pg from the schema (`npm run pg:generate`). */
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./src/persistence/pg-schema.ts",
  out: "./migrations/pg",
});
