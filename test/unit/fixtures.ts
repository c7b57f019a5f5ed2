/** @module Battle configurations shared by the unit tests. */
import { type BattleConfig, BattleInput } from "../../src/battle/config";

export function battleConfig(overrides: Partial<BattleInput> = {}): BattleConfig {
  const input = BattleInput.parse({
    title: "Unit",
    questions: [
      { id: "q1", text: "2+2", choices: ["3", "4"], answer: 1 },
      { id: "q2", text: "France", answer: ["Paris", "paris city"] },
      { id: "q3", text: "Jupiter", choices: ["Mars", "Jupiter"], answer: 1 },
      { id: "q4", text: "water", answer: "H2O", points: 25 },
    ],
    ...overrides,
  });
  return { ...input, id: "unit", createdAt: 0 };
}
