/**
 * @module Battle ids at the edge: every route that names a battle takes the id only in its documented form
 * (lowercase letters, digits and `-`, 3-64 characters, as a create accepts), checked before any object is
 * reached. A shard's object name (`<battle>#s<k>`, reachable with `%23`) or any other object name is therefore
 * never a battle id, and a shard is reached only through its battle's coordinator or a token that names it.
 * Archived incarnations (`<battle>~<incarnation>`, src/persistence/incarnations.ts) exist only in D1 and Postgres:
 * the operator's quarantine routes accept them, no route reaches an object with them.
 */
import type { MiddlewareHandler } from "hono";
import { ErrorCode } from "../protocol/error-codes";
import type { AppEnv } from "./env";
import { ApiError } from "./errors";
import { ARCHIVED_ID, BATTLE_ID } from "./request-schemas";

export { BATTLE_ID };

export function isBattleId(id: string): boolean {
  return BATTLE_ID.test(id);
}

/** Refuses the request (404 `not_found`, as for an unknown battle) unless `:id` is a battle id. */
export function battleIdParam(opts: { archived?: boolean } = {}): MiddlewareHandler<AppEnv> {
  const form = opts.archived ? ARCHIVED_ID : BATTLE_ID;
  return async (c, next) => {
    const id = c.req.param("id");
    if (id !== undefined && !form.test(id)) throw new ApiError(404, ErrorCode.NOT_FOUND, "no such battle");
    await next();
  };
}
