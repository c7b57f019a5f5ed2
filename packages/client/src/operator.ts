/** @module OperatorClient: the operator API over `fetch` (create, start, end, inspect battles, standings). */
import { type FetchLike, requestJson } from "./http.js";
import type { BattleAdminView, BattleResults } from "./protocol/http-messages.js";

/** One row of the operator's battle list (from D1). */
export interface BattleListItem {
  readonly id: string;
  readonly title: string;
  readonly status: string;
  readonly startsAt: number | null;
  readonly endsAt: number | null;
  readonly durationMs: number;
  readonly maxPlayers: number;
  readonly createdAt: number;
}

/** `GET /api/admin/battles/:id/persistence`: the battle's outbox and how far each sink has confirmed it. */
export interface PersistenceStatus {
  readonly battle: string;
  readonly object: {
    readonly lastSeq: number;
    /** Events written but not yet confirmed by every sink. */
    readonly depth: number;
    /** Age of the oldest unconfirmed event: the persistence lag (null when every sink has caught up). */
    readonly oldestUnconfirmedAgeMs: number | null;
    readonly confirmed: Readonly<Record<string, number>>;
  };
  readonly sinks: { readonly d1: number; readonly pg: number | { readonly error: string } };
  /** Open dead letters (neither replayed nor covered by both sinks' watermarks): these need an operator. */
  readonly deadLetters: number;
  /** Dead letters a resend from the watermark has delivered since (no action needed). */
  readonly deadLettersSuperseded?: number;
  /** Events a sink refused, held in its quarantine until an operator re-applies them. */
  readonly quarantined?: { readonly d1: number; readonly pg: number | { readonly error: string } };
}

export class OperatorClient {
  private readonly base: string;
  private readonly fetchImpl: FetchLike;

  constructor(
    baseUrl: string,
    private readonly token: string,
    fetchImpl?: FetchLike,
  ) {
    this.base = baseUrl.endsWith("/") ? baseUrl.slice(0, -1) : baseUrl;
    this.fetchImpl = fetchImpl ?? ((u, i) => fetch(u, i));
  }

  private call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    return requestJson<T>(this.fetchImpl, `${this.base}/api/admin${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  /** `input` is the create body of docs/api.md (title, questions, durationMs…); the server validates it. */
  async create(input: unknown): Promise<BattleAdminView> {
    return (await this.call<{ battle: BattleAdminView }>("POST", "/battles", input)).battle;
  }

  async list(limit = 20, offset = 0): Promise<BattleListItem[]> {
    return (await this.call<{ battles: BattleListItem[] }>("GET", `/battles?limit=${limit}&offset=${offset}`))
      .battles;
  }

  async info(id: string): Promise<BattleAdminView> {
    return (await this.call<{ battle: BattleAdminView }>("GET", `/battles/${encodeURIComponent(id)}`)).battle;
  }

  /** Starts now, or schedules when `at` (epoch ms) is in the future. */
  async start(id: string, at?: number, endsAt?: number): Promise<BattleAdminView> {
    const body: { at?: number; endsAt?: number } = {};
    if (at !== undefined) body.at = at;
    if (endsAt !== undefined) body.endsAt = endsAt;
    return (
      await this.call<{ battle: BattleAdminView }>("POST", `/battles/${encodeURIComponent(id)}/start`, body)
    ).battle;
  }

  async end(id: string): Promise<BattleAdminView> {
    return (await this.call<{ battle: BattleAdminView }>("POST", `/battles/${encodeURIComponent(id)}/end`))
      .battle;
  }

  persistence(id: string): Promise<PersistenceStatus> {
    return this.call<PersistenceStatus>("GET", `/battles/${encodeURIComponent(id)}/persistence`);
  }

  /** Standings at any time (`final` once ended); `limit` keeps only the top rows. */
  standings(id: string, limit?: number): Promise<BattleResults> {
    const q = limit === undefined ? "" : `?limit=${limit}`;
    return this.call<BattleResults>("GET", `/battles/${encodeURIComponent(id)}/standings${q}`);
  }
}
