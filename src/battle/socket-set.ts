/**
 * @module The battle's open sockets in memory: an array for push sweeps and a per-player index, so a push tick
 * or an `attacked` event never lists all sockets through the runtime (`getWebSockets()` builds a fresh
 * 20,000-element array per call, measured at ~7% of the object's CPU when every push slice called it).
 */
import type { PushTarget } from "./push";

interface Entry<S> extends PushTarget {
  readonly socket: S;
  index: number;
}

export class SocketSet<S extends object> {
  private readonly list: Entry<S>[] = [];
  private readonly bySocket = new Map<S, Entry<S>>();
  private readonly byPlayer = new Map<number, Entry<S>[]>();

  constructor(private readonly sendTo: (socket: S, frame: string) => void) {}

  get size(): number {
    return this.list.length;
  }

  /** Every open socket as a push target; order changes when sockets leave (swap-remove). */
  get targets(): readonly PushTarget[] {
    return this.list;
  }

  /** `compact`: the client takes compact leaderboard frames (see `PushTarget`). */
  add(socket: S, playerId: number, compact = false): void {
    if (this.bySocket.has(socket)) return;
    const send = this.sendTo;
    const entry: Entry<S> = {
      socket,
      playerId,
      compact,
      index: this.list.length,
      send: (f) => send(socket, f),
    };
    this.list.push(entry);
    this.bySocket.set(socket, entry);
    const mine = this.byPlayer.get(playerId);
    if (mine) mine.push(entry);
    else this.byPlayer.set(playerId, [entry]);
  }

  /** Removes a socket; returns whether its player has no socket left. */
  remove(socket: S): boolean {
    const entry = this.bySocket.get(socket);
    if (!entry) return false;
    this.bySocket.delete(socket);
    const last = this.list.pop()!;
    if (last !== entry) {
      last.index = entry.index;
      this.list[entry.index] = last;
    }
    const mine = this.byPlayer.get(entry.playerId)!;
    mine.splice(mine.indexOf(entry), 1);
    if (mine.length > 0) return false;
    this.byPlayer.delete(entry.playerId);
    return true;
  }

  /** The push targets (one per socket) of one player; empty if they are offline. */
  ofPlayer(playerId: number): readonly PushTarget[] {
    return this.byPlayer.get(playerId) ?? NONE;
  }

  /** The sockets of one player. */
  socketsOf(playerId: number): S[] {
    return (this.byPlayer.get(playerId) ?? []).map((e) => e.socket);
  }

  sockets(): S[] {
    return this.list.map((e) => e.socket);
  }
}

const NONE: readonly PushTarget[] = [];
