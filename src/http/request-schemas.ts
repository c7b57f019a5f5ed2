/**
 * @module The zod schemas the HTTP routes validate their queries and bodies with. The routes parse with them and
 * `route-specs.ts` publishes them (`/api/openapi.json`), so the spec cannot drift from what is enforced. The
 * battle config (`BattleInput`) and the answer and attack bodies live with the battle and the protocol.
 */
import { z } from "zod";
import { RESULTS_PAGE_MAX } from "../protocol";
import { safeText } from "../protocol/text";

/** A battle id in a path (`battle-id.ts` refuses any other form with 404 before an object is reached). */
export const BATTLE_ID = /^[a-z0-9][a-z0-9-]{2,63}$/;
/** …or, on the quarantine routes, an archived incarnation's (`<battle>~<incarnation>`). */
export const ARCHIVED_ID = /^[a-z0-9][a-z0-9-]{2,63}(~[a-z0-9-]{1,64})?$/;

/** `POST /api/admin/battles/:id/start`. */
export const StartBody = z.strictObject({
  /** Epoch ms; default now. */
  at: z.number().int().positive().optional().describe("Epoch ms; default now."),
  /** Epoch ms; default `at + durationMs`. */
  endsAt: z.number().int().positive().optional().describe("Epoch ms; default at + durationMs."),
});

/** `GET /api/admin/battles/:id/standings`. */
export const StandingsQuery = z.object({
  /** Only `limit` rows from rank `offset + 1` (the console's live view: the top 10); all of them when absent. */
  limit: z.coerce.number().int().min(1).max(100_000).optional(),
  offset: z.coerce.number().int().min(0).max(1_000_000).optional(),
});

/** `GET /api/admin/battles`. */
export const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).default(0),
});

/**
 * `POST /api/battles/:id/join`: `username` (open battles) or `identityToken` (from the operator's site; it names the
 * player). Every string is single-line `safeText` first: a NUL, any other control character (TAB and newlines
 * included) or a lone surrogate is `bad_message` naming the field (`username: contains a control character
 * (U+0000)`). Past that, the username's rules are checked by `normaliseUsername`, so every other bad name gets
 * `invalid_username`.
 */
export const JoinBody = z.strictObject({
  username: safeText().optional(),
  /** The key the first join of this username returned; needed to rejoin as that player. */
  playerKey: safeText().min(1).max(256).optional(),
  identityToken: safeText().min(1).max(2048).optional(),
});

/** `GET /api/battles/:id/results`: one page of the final standings, at most `RESULTS_PAGE_MAX` rows a call. */
export const ResultsQuery = z.object({
  offset: z.coerce.number().int().min(0).max(1_000_000).optional(),
  limit: z.coerce.number().int().min(1).max(RESULTS_PAGE_MAX).optional(),
});

/** `GET /api/battles/:id/leaderboard`: the personal view, or a page when `offset` is given. */
export const LeaderboardQuery = z.object({
  offset: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
});

/** `GET /api/admin/dead-letters`. */
export const DeadLetterQuery = z.object({
  /** `all=1` lists replayed letters too. */
  all: z.enum(["0", "1"]).default("0"),
  battle: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).default(0),
});
