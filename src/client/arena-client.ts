/** @module ArenaClient: the entry point of the SDK — join over HTTP, then a BattleConnection over WebSocket. */
import { BattleConnection, type ConnectionOptions, type WebSocketFactory } from "./connection";
import { battleView, type FetchLike, type JoinResponse, join, type ResultsResponse, results } from "./http";

export interface ArenaClientOptions extends Omit<ConnectionOptions, "socketFactory"> {
  readonly baseUrl: string;
  readonly socketFactory: WebSocketFactory;
  readonly fetch?: FetchLike;
}

export class ArenaClient {
  private readonly fetchImpl: FetchLike;

  constructor(private readonly opts: ArenaClientOptions) {
    this.fetchImpl = opts.fetch ?? ((u, i) => fetch(u, i));
  }

  join(battleId: string, username: string): Promise<JoinResponse> {
    return join(this.opts.baseUrl, battleId, username, this.fetchImpl);
  }

  /** A connection for a join's `wsUrl` (not yet open: call `connect()`). */
  connection(joined: Pick<JoinResponse, "wsUrl">): BattleConnection {
    return new BattleConnection(joined.wsUrl, this.opts);
  }

  battle(battleId: string) {
    return battleView(this.opts.baseUrl, battleId, this.fetchImpl);
  }

  results(battleId: string): Promise<ResultsResponse> {
    return results(this.opts.baseUrl, battleId, this.fetchImpl);
  }
}

/** Socket factory for environments with a global WebSocket (browsers, Workers, Node ≥ 22). */
export function globalSocketFactory(): WebSocketFactory {
  const Ctor = (globalThis as { WebSocket?: new (url: string) => unknown }).WebSocket;
  if (!Ctor) throw new Error("no global WebSocket here; pass a socketFactory (e.g. one built on `ws`)");
  return (url) => new Ctor(url) as WebSocketFactory extends (u: string) => infer S ? S : never;
}
