/**
 * @module Leaderboard views serialised straight to JSON strings: the top N once per board version, and each
 * player's part (rank, score, ±5 around) built as a string. Reads and pushes are most of a battle's traffic.
 */
import { AROUND, type BattleGame } from "./game";

/** Top-N sizes whose JSON is kept at once (the battle's own size and a few clients' `limit`s). */
export const TOP_SIZES_KEPT = 4;

export class LeaderboardJson {
  /**
   * The top-N JSON per size, for the board version it was built at: pushes share the battle's size, and a client
   * reading another `limit` gets its own entry instead of invalidating theirs. At most `TOP_SIZES_KEPT` sizes.
   */
  private readonly tops = new Map<number, { version: number; json: string }>();
  /** Usernames never change, so their JSON is built once. */
  private readonly names = new Map<number, string>();
  /**
   * A hash of what the last `personal()` showed apart from rank numbers (the player's score, who is around them
   * and their scores): equal before and after a change means only ranks moved (players elsewhere passed each
   * other). Set as a side effect so a push visit builds its view in one pass.
   */
  content = 0;

  constructor(readonly game: BattleGame) {}

  /** `[{rank,id,username,score},…]` for the first `n` places, cached per size until the board changes. */
  top(n = this.game.config.leaderboardSize): string {
    const cached = this.tops.get(n);
    if (cached !== undefined && cached.version === this.game.boardVersion) return cached.json;
    const rows = this.game.board.top(n);
    let out = "[";
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      if (i > 0) out += ",";
      out += `{"rank":${i + 1},"id":${r.id},"username":${this.name(r.id)},"score":${r.score}}`;
    }
    const json = `${out}]`;
    if (cached === undefined && this.tops.size >= TOP_SIZES_KEPT) {
      // Evict the oldest size other than the battle's own (the one every push uses).
      for (const size of this.tops.keys()) {
        if (size === this.game.config.leaderboardSize) continue;
        this.tops.delete(size);
        break;
      }
    }
    this.tops.set(n, { version: this.game.boardVersion, json });
    return json;
  }

  /** `"me":{rank,score},"around":[…]` for one player (an object body fragment). */
  personal(playerId: number): string {
    const p = this.game.players.get(playerId);
    if (!p) return `"me":null,"around":[]`;
    const rank = this.game.rankOf(playerId);
    const rows = this.game.board.around(playerId, AROUND);
    let self = 0;
    while (self < rows.length && rows[self]!.id !== playerId) self++;
    let out = `"me":{"rank":${rank},"score":${p.score}},"around":[`;
    let h = mix(0x2545f491, p.score);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      if (i > 0) out += ",";
      out += `{"rank":${rank - self + i},"id":${r.id},"username":${this.name(r.id)},"score":${r.score}}`;
      h = mix(mix(h, r.id), r.score);
    }
    this.content = h;
    return `${out}]`;
  }

  /** The whole personal view, as `LeaderboardView` JSON. */
  view(playerId: number, topN?: number): string {
    return `{"total":${this.game.board.size},"top":${this.top(topN)},${this.personal(playerId)}}`;
  }

  name(id: number): string {
    let name = this.names.get(id);
    if (name === undefined) {
      name = JSON.stringify(this.game.players.get(id)?.username ?? this.game.remote.get(id)?.username ?? "");
      this.names.set(id, name);
    }
    return name;
  }
}

/** One step of a 32-bit multiplicative hash (murmur3's mixing constants). */
function mix(h: number, v: number): number {
  h = Math.imul(h ^ (v | 0), 0xcc9e2d51);
  return Math.imul((h << 15) | (h >>> 17), 0x1b873593);
}
