/** @module The leaderboard's value types. */

/** One participant's place-defining facts. */
export interface Standing {
  readonly id: number;
  readonly score: number;
  /** Server ms timestamp at which `score` was reached; earlier ranks ahead on equal scores. */
  readonly reachedAt: number;
}

/**
 * How a shown rank treats equal scores (the order itself is always total):
 * - `competition`: 1 + participants with a strictly higher score ("1, 2, 2, 4").
 * - `dense`: 1 + distinct scores strictly higher ("1, 2, 2, 3").
 */
export type RankMode = "competition" | "dense";
