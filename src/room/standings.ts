/** @module The standings: every participant (ours and, in a sharded battle, the other shards') in board order. */
import type { BattleGame } from "../battle/game";
import type { StandingsPage } from "../battle/views";
import type { FinalStanding } from "../protocol/http-messages";

/** All the standings, or one page of them (the work is the page's, not the battle's). */
export function standings(game: BattleGame, page?: StandingsPage): FinalStanding[] {
  const offset = page?.offset ?? 0;
  const rows = page ? game.board.page(page.offset, page.limit) : game.board.toRows();
  return rows.map((s, i) => {
    const p = game.players.get(s.id) ?? game.remote.get(s.id)!;
    return {
      rank: offset + i + 1,
      id: p.id,
      username: p.username,
      score: p.score,
      correct: p.correct,
      arrows: p.arrows,
      shields: p.shields,
    };
  });
}
