/** @module Player API: battle info, join, the WebSocket upgrade, HTTP fallbacks and final results. */
import { type Context, Hono } from "hono";
import type { z } from "zod";
import type { JoinProof } from "../battle/game";
import { normaliseUsername, USERNAME_RULES } from "../battle/username";
import type { JoinResult } from "../battle/views";
import { finalResultsFromD1 } from "../persistence/sink-reads";
import { AnswerBody, AttackBody, type ClientRequest } from "../protocol/client-messages";
import { ErrorCode } from "../protocol/error-codes";
import { type JoinResponse, RESULTS_PAGE_MAX } from "../protocol/http-messages";
import { placementOfEnv } from "../sharding/do-network";
import { originOfProcess, processOfObject } from "../sharding/placement";
import { shardObjectName } from "../sharding/protocol";
import { requirePlayer } from "./auth";
import { battleIdParam } from "./battle-id";
import { playerStub, readBattle, readPlayer, writeBattle, writePlayer } from "./battle-stub";
import type { AppEnv } from "./env";
import { ApiError, readJson, unwrap } from "./errors";
import { identityKeyring, identityMaxLifetime, verifyIdentity } from "./identity-token";
import { limitedAddress, rateLimit } from "./rate-limit";
import { JoinBody, LeaderboardQuery, ResultsQuery } from "./request-schemas";
import { newSessionId, sessionKeyring, signSession } from "./session-token";
import { randomToken, sha256 } from "./signed-token";

export const playerRoutes = new Hono<AppEnv>()
  .use("/:id", battleIdParam())
  .use("/:id/*", battleIdParam())
  .get("/:id", rateLimit("API_LIMITER", 10), async (c) => {
    // A prebuilt body with an ETag: a client polling with If-None-Match gets 304 until the view changes.
    const view = unwrap(await readBattle(c.env, c.req.param("id"), (b) => b.publicView()));
    const headers = { ETag: view.etag, "Cache-Control": "no-cache" };
    if (c.req.header("If-None-Match") === view.etag) return c.body(null, 304, headers);
    return c.body(view.body, 200, { ...headers, "Content-Type": "application/json; charset=UTF-8" });
  })
  .post("/:id/join", rateLimit("JOIN_LIMITER", 60), async (c) => {
    const body = await readJson(c, JoinBody);
    const battleId = c.req.param("id");
    const { username, proof, playerKey } = await joinCredentials(c.env, battleId, body);
    if (normaliseUsername(username) === null)
      throw new ApiError(400, ErrorCode.INVALID_USERNAME, USERNAME_RULES);
    const session = newSessionId();
    // A sharded battle's object routes the join to the player's shard and says which; players never see it.
    const { shard, ...joined } = unwrap(
      await writeBattle(c.env, battleId, (b) =>
        b.join(username, session, proof, limitedAddress(c.env, c.req.raw)),
      ),
    ) as JoinResult & { shard?: number };
    const ttl = Number(c.env.TOKEN_TTL_SECONDS) || 86_400;
    const expiresAt = Math.floor(Date.now() / 1000) + ttl;
    const token = await signSession(
      shard === undefined
        ? { b: battleId, p: joined.participantId, s: session, e: expiresAt }
        : { b: battleId, p: joined.participantId, s: session, e: expiresAt, sh: shard },
      sessionKeyring(c.env),
    );
    // The socket goes to the process that holds the player's object (the local multi-process mode; else here).
    const owner = shard === undefined ? battleId : shardObjectName(battleId, shard);
    const origin = originOfProcess(
      processOfObject(owner, placementOfEnv(c.env)),
      (c.env as unknown as { LOCAL_ORIGINS?: string }).LOCAL_ORIGINS,
    );
    const url = new URL(origin ?? c.req.url);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.pathname = `/api/battles/${battleId}/ws`;
    url.search = `?token=${encodeURIComponent(token)}`;
    const response: JoinResponse = {
      ...joined,
      token,
      expiresAt: expiresAt * 1000,
      wsUrl: url.toString(),
      // Every join with a username gets a fresh key: a new player's first, or a proven rejoin's replacement (the
      // key it presented no longer works). Only identity-token joins have none.
      ...(playerKey !== null ? { playerKey } : {}),
    };
    return c.json(response, joined.isNew ? 201 : 200);
  })
  .get("/:id/ws", rateLimit("API_LIMITER", 10), requirePlayer, async (c) => {
    if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") {
      throw new ApiError(426, ErrorCode.BAD_MESSAGE, "this endpoint needs a WebSocket upgrade");
    }
    const claims = c.get("session");
    const headers = new Headers(c.req.raw.headers);
    headers.set("x-arena-participant", String(claims.p));
    headers.set("x-arena-session", claims.s);
    return playerStub(c.env, claims).fetch(new Request(c.req.raw, { headers }));
  })
  .post("/:id/answer", rateLimit("API_LIMITER", 10), requirePlayer, async (c) => {
    const key = idempotencyKey(c.req.header("Idempotency-Key"));
    const body = await readJson(c, AnswerBody);
    return keyedAct(c, { type: "answer", id: key ?? "http", ...body }, key !== null);
  })
  .post("/:id/attack", rateLimit("API_LIMITER", 10), requirePlayer, async (c) => {
    const key = idempotencyKey(c.req.header("Idempotency-Key"));
    const body = await readJson(c, AttackBody);
    return keyedAct(c, { type: "attack", id: key ?? "http", ...body }, key !== null);
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
    const q = ResultsQuery.safeParse(c.req.query());
    if (!q.success)
      throw new ApiError(400, ErrorCode.BAD_MESSAGE, `offset >= 0 and 1 <= limit <= ${RESULTS_PAGE_MAX}`);
    const page = { offset: q.data.offset ?? 0, limit: q.data.limit ?? RESULTS_PAGE_MAX };
    const stored = await finalResultsFromD1(c.env.DB, c.req.param("id"), page);
    if (stored) return c.json(stored);
    return c.json(unwrap(await readBattle(c.env, c.req.param("id"), (b) => b.finalResults(page))));
  });

/**
 * The optional `Idempotency-Key` of an answer or attack: 1–64 visible ASCII characters. It is the request's id in
 * the player's window of remembered requests (the same one socket ids use), so a retry with the same key and body
 * gets the first reply (`duplicate: true`, header `Idempotent-Replayed: true`) and changes nothing.
 */
function idempotencyKey(header: string | undefined): string | null {
  if (header === undefined) return null;
  if (!/^[\x21-\x7e]{1,64}$/.test(header))
    throw new ApiError(400, ErrorCode.BAD_MESSAGE, "Idempotency-Key: 1-64 visible ASCII characters");
  return header;
}

async function keyedAct(c: Context<AppEnv>, msg: ClientRequest, keyed: boolean) {
  const s = c.get("session");
  const out = await writePlayer(c.env, s, (b) => b.request(s.p, s.s, msg, keyed));
  if (out.duplicate) c.header("Idempotent-Replayed", "true");
  const result = unwrap(out);
  return c.json(out.duplicate ? { result, duplicate: true } : { result });
}

async function act(env: Env, s: { b: string; p: number; s: string; sh?: number }, msg: ClientRequest) {
  // A leaderboard read may be repeated; an answer or attack may not (it could be applied twice).
  const call = msg.type === "leaderboard" ? readPlayer : writePlayer;
  return unwrap(await call(env, s, (b) => b.request(s.p, s.s, msg)));
}

/**
 * Who is joining. With an identity token: the operator's site vouches for the username, and its account id is the
 * proof (no player key). Otherwise a fresh player key is issued and a presented one is hashed to prove a rejoin:
 * the fresh key's hash becomes the player's key hash either way (a new player's, or a rejoin's replacement of the
 * presented one, which stops working), and the key goes back in the reply. The battle object only ever sees hashes.
 */
async function joinCredentials(
  env: Env,
  battleId: string,
  body: z.output<typeof JoinBody>,
): Promise<{ username: string; proof: JoinProof; playerKey: string | null }> {
  if (body.identityToken !== undefined) {
    const ring = identityKeyring((env as { IDENTITY_SECRETS?: string }).IDENTITY_SECRETS);
    if (!ring) throw new ApiError(401, ErrorCode.UNAUTHORIZED, "this deployment accepts no identity tokens");
    const maxLifetimeS = identityMaxLifetime(env.IDENTITY_MAX_LIFETIME_S);
    const claims = unwrap(await verifyIdentity(body.identityToken, ring, battleId, Date.now(), maxLifetimeS));
    const id = await sha256(`identity:${claims.sub}`);
    return { username: claims.u, proof: { issue: id, present: id, identified: true }, playerKey: null };
  }
  if (body.username === undefined)
    throw new ApiError(400, ErrorCode.BAD_MESSAGE, "username: required (or an identityToken)");
  const playerKey = randomToken(32);
  const proof: JoinProof = {
    issue: await sha256(`key:${playerKey}`),
    present: body.playerKey === undefined ? null : await sha256(`key:${body.playerKey}`),
    identified: false,
  };
  return { username: body.username, proof, playerKey };
}
