/** @module Operator API (bearer token): create, list, inspect, start and end battles; read live standings. */
import { Hono } from "hono";
import { BattleInput } from "../battle/config";
import { ErrorCode } from "../protocol/error-codes";
import { requireOperator } from "./auth";
import { battleIdParam } from "./battle-id";
import { newBattleId, readBattle, writeBattle } from "./battle-stub";
import type { AppEnv } from "./env";
import { ApiError, readJson, unwrap } from "./errors";
import { allMetrics, battleMetrics } from "./metrics";
import { ListQuery, StandingsQuery, StartBody } from "./request-schemas";

export const operatorRoutes = new Hono<AppEnv>()
  .use(requireOperator)
  .post("/battles", async (c) => {
    // Every string of the config is `safeText` (battle/config.ts): a control character or lone surrogate is
    // `bad_message` naming its path, e.g. `questions.0.text: contains a control character (U+0000)`.
    const input = await readJson(c, BattleInput);
    const id = input.id ?? newBattleId();
    const battle = unwrap(
      await writeBattle(c.env, id, (b) => b.create({ ...input, id, createdAt: Date.now() })),
    );
    return c.json({ battle }, 201);
  })
  .get("/battles", async (c) => {
    const parsed = ListQuery.safeParse(c.req.query());
    if (!parsed.success)
      throw new ApiError(400, ErrorCode.BAD_MESSAGE, "limit is 1-100 and offset a non-negative integer");
    const q = parsed.data;
    const { results } = await c.env.DB.prepare(
      `SELECT id, title, status, starts_at AS startsAt, ends_at AS endsAt, duration_ms AS durationMs,
              max_players AS maxPlayers, created_at AS createdAt
       FROM battles ORDER BY created_at DESC, id LIMIT ?1 OFFSET ?2`,
    )
      .bind(q.limit, q.offset)
      .all();
    return c.json({ battles: results, limit: q.limit, offset: q.offset });
  })
  // Prometheus text format (docs/metrics.md): one battle (shards labelled), or every live battle (at most 100).
  .get("/metrics", (c) => allMetrics(c.env))
  .get("/battles/:id/metrics", battleIdParam(), (c) => battleMetrics(c.env, c.req.param("id")))
  .get("/battles/:id", battleIdParam(), async (c) => {
    return c.json({ battle: unwrap(await readBattle(c.env, c.req.param("id"), (b) => b.info())) });
  })
  .post("/battles/:id/start", battleIdParam(), async (c) => {
    const body = await readJson(c, StartBody);
    const battle = unwrap(await writeBattle(c.env, c.req.param("id"), (b) => b.start(body.at, body.endsAt)));
    return c.json({ battle });
  })
  .post("/battles/:id/end", battleIdParam(), async (c) => {
    const battle = unwrap(await writeBattle(c.env, c.req.param("id"), (b) => b.end()));
    return c.json({ battle });
  })
  .get("/battles/:id/standings", battleIdParam(), async (c) => {
    const q = StandingsQuery.safeParse(c.req.query());
    if (!q.success)
      throw new ApiError(
        400,
        ErrorCode.BAD_MESSAGE,
        "limit is a positive integer, offset a non-negative one",
      );
    const { limit, offset } = q.data;
    // A page is built as a page: the console's top 10 never costs the whole battle's standings.
    const page =
      limit === undefined && offset === undefined
        ? undefined
        : { offset: offset ?? 0, limit: limit ?? 100_000 };
    return c.json(unwrap(await readBattle(c.env, c.req.param("id"), (b) => b.results(page))));
  });
