/**
 * @module Conflated pushes: leaderboard and presence frames built once per tick.
 * The shared part (top N) is serialised once and reused; a player gets a frame only when
 * the top list or their own rank, score or neighbours changed since their last frame.
 */
import { AROUND, type BattleGame } from "./game";

export interface PushTarget {
  readonly playerId: number;
  send(frame: string): void;
}

export class LeaderboardPush {
  private lastTop = "";
  private lastPresence = "";
  private readonly lastPersonal = new Map<number, string>();
  /** Usernames never change, so their JSON is built once. */
  private readonly names = new Map<number, string>();

  /** Forget what a player last saw (socket closed, or a new socket needs a full frame). */
  forget(playerId: number): void {
    this.lastPersonal.delete(playerId);
  }

  /**
   * Sends what changed; returns the number of frames sent. Presence lists who is online when at most
   * `listMax` sockets are connected, and only the count beyond that.
   */
  tick(game: BattleGame, targets: readonly PushTarget[], boardChanged: boolean, listMax = 50): number {
    const presence = this.presence(game, targets, listMax);
    let top = this.lastTop;
    let topChanged = false;
    if (boardChanged) {
      top = JSON.stringify(game.top(game.config.leaderboardSize));
      topChanged = top !== this.lastTop;
      this.lastTop = top;
    }
    const prefix = `{"type":"leaderboard","total":${game.board.size},"top":${top},`;
    let sent = 0;
    for (const t of targets) {
      if (presence !== null) {
        t.send(presence);
        sent++;
      }
      if (!boardChanged) continue;
      const personal = this.personal(game, t.playerId);
      if (!topChanged && this.lastPersonal.get(t.playerId) === personal) continue;
      this.lastPersonal.set(t.playerId, personal);
      t.send(`${prefix}${personal}}`);
      sent++;
    }
    return sent;
  }

  private presence(game: BattleGame, targets: readonly PushTarget[], listMax: number): string | null {
    let frame = `{"type":"presence","online":${targets.length}`;
    if (targets.length <= listMax) {
      const ids = [...new Set(targets.map((t) => t.playerId))].sort((a, b) => a - b);
      frame += `,"players":[${ids.map((id) => `{"id":${id},"username":${this.nameJson(game, id)}}`).join(",")}]`;
    }
    frame += "}";
    if (frame === this.lastPresence) return null;
    this.lastPresence = frame;
    return frame;
  }

  /** The personal part, built as a string directly: this runs for every connected player on every tick. */
  private personal(game: BattleGame, playerId: number): string {
    const p = game.players.get(playerId);
    if (!p) return `"me":null,"around":[]`;
    const rank = game.rankOf(playerId);
    const rows = game.board.around(playerId, AROUND);
    let self = 0;
    while (self < rows.length && rows[self]!.id !== playerId) self++;
    let out = `"me":{"rank":${rank},"score":${p.score}},"around":[`;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      if (i > 0) out += ",";
      out += `{"rank":${rank - self + i},"id":${r.id},"username":${this.nameJson(game, r.id)},"score":${r.score}}`;
    }
    return `${out}]`;
  }

  private nameJson(game: BattleGame, id: number): string {
    let name = this.names.get(id);
    if (name === undefined) {
      name = JSON.stringify(game.players.get(id)?.username ?? "");
      this.names.set(id, name);
    }
    return name;
  }
}
