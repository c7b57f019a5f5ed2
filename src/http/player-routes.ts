/** @module Player API: battle info, join, the WebSocket upgrade, HTTP fallbacks and final results. */
import { Hono } from "hono";
import { z } from "zod";
import { normaliseUsername, USERNAME_RULES } from "../battle/username";
import { finalResultsFromD1 } from "../persistence/sink-reads";
import { AnswerBody, AttackBody, type ClientRequest } from "../protocol/client-messages";
import { ErrorCode } from "../protocol/error-codes";
import { requirePlayer } from "./auth";
import { battleStub } from "./battle-stub";
import type { AppEnv } from "./env";
import { ApiError, readJson, unwrap } from "./errors";
import { rateLimit } from "./rate-limit";
import { newSessionId, signSession } from "./session-token";

/** The username's rules are checked by `normaliseUsername` so that every bad name gets `invalid_username`. */
const JoinBody = z.strictObject({ username: z.string() });
const LeaderboardQuery = z.object({
  offset: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
});

export const playerRoutes = new Hono<AppEnv>()
  .get("/:id", rateLimit("API_LIMITER", 10), async (c) => {
    return c.json({ battle: unwrap(await battleStub(c.env, c.req.param("id")).view()) });
  })
  .post("/:id/join", rateLimit("JOIN_LIMITER", 60), async (c) => {
    const { username } = await readJson(c, JoinBody);
    if (normaliseUsername(username) === null)
      throw new ApiError(400, ErrorCode.INVALID_USERNAME, USERNAME_RULES);
    const battleId = c.req.param("id");
    const session = newSessionId();
    const joined = unwrap(await battleStub(c.env, battleId).join(username, session));
    const ttl = Number(c.env.TOKEN_TTL_SECONDS) || 86_400;
    const expiresAt = Math.floor(Date.now() / 1000) + ttl;
    const token = await signSession(
      { b: battleId, p: joined.participantId, s: session, e: expiresAt },
      c.env.TOKEN_SECRET,
    );
    const url = new URL(c.req.url);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.pathname = `/api/battles/${battleId}/ws`;
    url.search = `?token=${encodeURIComponent(token)}`;
    return c.json(
      { ...joined, token, expiresAt: expiresAt * 1000, wsUrl: url.toString() },
      joined.isNew ? 201 : 200,
    );
  })
  .get("/:id/ws", rateLimit("API_LIMITER", 10), requirePlayer, async (c) => {
    if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") {
      throw new ApiError(426, ErrorCode.BAD_MESSAGE, "this endpoint needs a WebSocket upgrade");
    }
    const claims = c.get("session");
    const headers = new Headers(c.req.raw.headers);
    headers.set("x-arena-participant", String(claims.p));
    headers.set("x-arena-session", claims.s);
    return battleStub(c.env, claims.b).fetch(new Request(c.req.raw, { headers }));
  })
  .post("/:id/answer", rateLimit("API_LIMITER", 10), requirePlayer, async (c) => {
    const body = await readJson(c, AnswerBody);
    return c.json({ result: await act(c.env, c.get("session"), { type: "answer", id: "http", ...body }) });
  })
  .post("/:id/attack", rateLimit("API_LIMITER", 10), requirePlayer, async (c) => {
    const body = await readJson(c, AttackBody);
    return c.json({ result: await act(c.env, c.get("session"), { type: "attack", id: "http", ...body }) });
  })
  .get("/:id/leaderboard", rateLimit("API_LIMITER", 10), requirePlayer, async (c) => {
    const q = LeaderboardQuery.safeParse(c.req.query());
    if (!q.success)
      throw new ApiError(400, ErrorCode.BAD_MESSAGE, "offset and limit are non-negative integers");
    const msg: ClientRequest = { type: "leaderboard", id: "http", ...q.data };
    return c.json({ result: await act(c.env, c.get("session"), msg) });
  })
  .get("/:id/results", rateLimit("API_LIMITER", 10), async (c) => {
    // An ended battle's results are in D1 once the pipeline delivered them; the object answers until then, and
    // refuses a live battle before building any standings.
    const stored = await finalResultsFromD1(c.env.DB, c.req.param("id"));
    if (stored) return c.json(stored);
    return c.json(unwrap(await battleStub(c.env, c.req.param("id")).finalResults()));
  });

async function act(env: Env, s: { b: string; p: number; s: string }, msg: ClientRequest) {
  return unwrap(await battleStub(env, s.b).request(s.p, s.s, msg));
}
