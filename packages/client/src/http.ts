/** @module The player's HTTP calls over `fetch`: join a battle, read its public view and final results. */
import type { BattleResults, JoinResponse } from "./protocol/http-messages.js";
import type { BattleView } from "./protocol/server-messages.js";

export type {
  BattleResults as ResultsResponse,
  FinalStanding,
  JoinResponse,
} from "./protocol/http-messages.js";

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** A non-2xx answer from the API, with the server's error code when it sent one. */
export class ArenaHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ArenaHttpError";
  }
}

function trimBase(baseUrl: string): string {
  return baseUrl.endsWith("/") ? baseUrl.slice(0, -1) : baseUrl;
}

export async function requestJson<T>(fetchImpl: FetchLike, url: string, init: RequestInit = {}): Promise<T> {
  const res = await fetchImpl(url, init);
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!res.ok) {
    const error = (body as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ArenaHttpError(
      res.status,
      error?.code ?? `http_${res.status}`,
      error?.message ?? text.slice(0, 200),
    );
  }
  return body as T;
}

/** How a join proves who it is: the player key of an earlier join, or an identity token from the organiser. */
export interface JoinCredentials {
  readonly playerKey?: string;
  readonly identityToken?: string;
}

/**
 * Joins `battleId` as `username`. Rejoining an existing name takes over that player's session only with its
 * `playerKey` (returned by its latest join: each rejoin returns a new one and retires the one presented); an
 * `identityToken` replaces the username in operator-identity battles.
 */
export function join(
  baseUrl: string,
  battleId: string,
  username: string | undefined,
  fetchImpl: FetchLike = (u, i) => fetch(u, i),
  credentials: JoinCredentials = {},
): Promise<JoinResponse> {
  return requestJson<JoinResponse>(
    fetchImpl,
    `${trimBase(baseUrl)}/api/battles/${encodeURIComponent(battleId)}/join`,
    {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username, ...credentials }),
    },
  );
}

export async function battleView(
  baseUrl: string,
  battleId: string,
  fetchImpl: FetchLike = (u, i) => fetch(u, i),
): Promise<BattleView> {
  const r = await requestJson<{ battle: BattleView }>(
    fetchImpl,
    `${trimBase(baseUrl)}/api/battles/${encodeURIComponent(battleId)}`,
  );
  return r.battle;
}

/**
 * Final standings, every page of them (the server returns at most 1,000 rows a call); the server answers 409
 * `battle_not_ended` until the battle is over. `page` reads one page only.
 */
export async function results(
  baseUrl: string,
  battleId: string,
  fetchImpl: FetchLike = (u, i) => fetch(u, i),
  page?: { offset: number; limit: number },
): Promise<BattleResults> {
  const url = `${trimBase(baseUrl)}/api/battles/${encodeURIComponent(battleId)}/results`;
  if (page) return requestJson<BattleResults>(fetchImpl, `${url}?offset=${page.offset}&limit=${page.limit}`);
  const first = await requestJson<BattleResults>(fetchImpl, url);
  const standings = [...first.standings];
  // Bounded by the total the first page announced; a page that adds nothing ends it.
  while (standings.length < first.total) {
    const next = await requestJson<BattleResults>(fetchImpl, `${url}?offset=${standings.length}`);
    if (next.standings.length === 0) break;
    standings.push(...next.standings);
  }
  return { ...first, standings };
}
