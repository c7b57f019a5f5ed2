/** @module Order-statistic leaderboard: per-battle engine, total order and shard merging. */
export { Leaderboard, type LeaderboardOptions } from "./leaderboard";
export { globalCompetitionRank, globalRank, mergeTop, RowsView, type ShardView } from "./merge";
export { compareStandings } from "./order";
export type { RankMode, Standing } from "./types";
