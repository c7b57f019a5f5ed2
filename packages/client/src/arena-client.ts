/** @module ArenaClient: the entry point of the SDK — join over HTTP, then a BattleConnection over WebSocket. */
import { BattleConnection, type ConnectionOptions, type WebSocketFactory } from "./connection.js";
import {
  battleView,
  type FetchLike,
  type JoinResponse,
  join,
  type ResultsResponse,
  results,
} from "./http.js";

/** Where the SDK keeps player keys (per battle and username); pass one backed by `localStorage` to survive reloads. */
export interface PlayerKeyStore {
  get(battleId: string, username: string): string | undefined;
  set(battleId: string, username: string, playerKey: string): void;
}

/** Player keys in memory, for one process's lifetime. */
export class MemoryKeyStore implements PlayerKeyStore {
  private readonly keys = new Map<string, string>();

  get(battleId: string, username: string): string | undefined {
    return this.keys.get(`${battleId}\n${username}`);
  }

  set(battleId: string, username: string, playerKey: string): void {
    this.keys.set(`${battleId}\n${username}`, playerKey);
  }
}

/** The part of a Web Storage (`localStorage`) the key store uses. */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** Player keys in a Web Storage (e.g. `localStorage`), so a reloaded page can still rejoin as its player. */
export class StorageKeyStore implements PlayerKeyStore {
  constructor(private readonly storage: KeyValueStorage) {}

  get(battleId: string, username: string): string | undefined {
    return this.storage.getItem(`arena:key:${battleId}:${username}`) ?? undefined;
  }

  set(battleId: string, username: string, playerKey: string): void {
    this.storage.setItem(`arena:key:${battleId}:${username}`, playerKey);
  }
}

export interface ArenaClientOptions extends Omit<ConnectionOptions, "socketFactory"> {
  readonly baseUrl: string;
  readonly socketFactory: WebSocketFactory;
  readonly fetch?: FetchLike;
  /** Default: in memory. */
  readonly playerKeys?: PlayerKeyStore;
}

export class ArenaClient {
  private readonly fetchImpl: FetchLike;
  private readonly playerKeys: PlayerKeyStore;

  constructor(private readonly opts: ArenaClientOptions) {
    this.fetchImpl = opts.fetch ?? ((u, i) => fetch(u, i));
    this.playerKeys = opts.playerKeys ?? new MemoryKeyStore();
  }

  /**
   * Joins as `username`, presenting the player key kept from this name's latest join (so a rejoin proves it is the
   * same player), and keeps the key every join returns: a rejoin's reply carries a new key and the presented one
   * stops working (rotation), so the store always holds the latest.
   */
  async join(battleId: string, username: string): Promise<JoinResponse> {
    const playerKey = this.playerKeys.get(battleId, username);
    const joined = await join(
      this.opts.baseUrl,
      battleId,
      username,
      this.fetchImpl,
      playerKey === undefined ? {} : { playerKey },
    );
    if (joined.playerKey !== undefined) this.playerKeys.set(battleId, username, joined.playerKey);
    return joined;
  }

  /** Joins an operator-identity battle with a token from the organiser's site (it names the player). */
  joinWithIdentity(battleId: string, identityToken: string): Promise<JoinResponse> {
    return join(this.opts.baseUrl, battleId, undefined, this.fetchImpl, { identityToken });
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
