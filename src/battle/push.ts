/**
 * @module Conflated pushes: leaderboard and presence frames built once per tick.
 * The shared part (top N) is serialised once and reused; a player gets a frame only when
 * the top list or their own rank, score or neighbours changed since their last frame.
 */
import type { BattleGame } from "./game";

export interface PushTarget {
  readonly playerId: number;
  send(frame: string): void;
}

export class LeaderboardPush {
  private lastTop = "";
  private lastOnline = -1;
  private readonly lastPersonal = new Map<number, string>();

  /** Forget what a player last saw (socket closed, or a new socket needs a full frame). */
  forget(playerId: number): void {
    this.lastPersonal.delete(playerId);
  }

  /** Sends what changed; returns the number of frames sent. */
  tick(game: BattleGame, targets: Iterable<PushTarget>, online: number, boardChanged: boolean): number {
    const presence = online !== this.lastOnline ? `{"type":"presence","online":${online}}` : null;
    this.lastOnline = online;
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

  private personal(game: BattleGame, playerId: number): string {
    const p = game.players.get(playerId);
    if (!p) return `"me":null,"around":[]`;
    const rank = game.rankOf(playerId);
    return `"me":{"rank":${rank},"score":${p.score}},"around":${JSON.stringify(game.around(playerId, rank))}`;
  }
}
