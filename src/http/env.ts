/** @module Hono typing for the Worker: bindings and per-request variables. */
import type { SessionClaims } from "./session-token";

export interface AppEnv {
  Bindings: Env;
  Variables: { session: SessionClaims };
}
