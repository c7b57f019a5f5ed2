/**
 * @module The benches' battle: one object's live battle (started at 0, never ending) with `players` joined as
 * player0…, built through the real rules (`BattleInput`, `BattleGame`), and the 40 questions they answer (`q<i>`,
 * right answer `a<i>`).
 */
import { BattleInput } from "../src/battle/config";
import { BattleGame } from "../src/battle/game";

export const BENCH_QUESTIONS = Array.from({ length: 40 }, (_, i) => ({
  id: `q${i}`,
  text: `Q${i}`,
  answer: `a${i}`,
}));

/**
 * @param settings the battle's other settings (`points`, `speedBonus`, …); always one object of `players`
 * @param onJoin called with each joined player's id, in join order
 */
export function joinedBattle(
  players: number,
  settings: Partial<BattleInput> = {},
  onJoin?: (id: number) => void,
): BattleGame {
  const input = BattleInput.parse({
    title: "bench",
    questions: BENCH_QUESTIONS,
    ...settings,
    maxPlayers: players,
    shards: 1,
  });
  const game = new BattleGame(
    { ...input, id: "bench", createdAt: 0 },
    { startsAt: 0, endsAt: 1e12, endedAt: null },
  );
  for (let i = 0; i < players; i++) {
    const plan = game.planJoin(`player${i}`, "s", 0);
    if (!plan.ok) throw new Error(plan.error.message);
    const id = game.applyJoin(plan.value).id;
    onJoin?.(id);
  }
  return game;
}
