/**
 * @module Vitest config for mutation testing (stryker.config.json): only the `unit` project of vitest.config.ts,
 * taken from there so the two cannot drift. Stryker's vitest runner has no project filter of its own.
 */
import { defineConfig } from "vitest/config";
import base from "./vitest.config";

const unit = base.test?.projects?.find(
  (p) => typeof p === "object" && !(p instanceof Promise) && "test" in p && p.test?.name === "unit",
);
if (unit === undefined || typeof unit !== "object" || !("test" in unit)) {
  throw new Error("vitest.config.ts has no inline project named unit");
}

export default defineConfig({ resolve: unit.resolve, test: unit.test });
