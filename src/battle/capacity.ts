/**
 * @module How many players one battle object keeps fresh, and so how many shards a battle needs (pure). One object
 * runs on one thread; past `FRESH_PLAYERS_PER_OBJECT` players at the reference request rate its pushed views fall
 * behind the freshness target (`FRESHNESS_BOUND_MS`, battle/push-scheduler.ts), so battle creation spreads a larger
 * `maxPlayers` over `autoShards(maxPlayers)` shards unless the operator sets `shards` (docs/sharding.md).
 */
import { MAX_SHARDS } from "../sharding/shard-of";

/**
 * Players one object (one thread) keeps within the freshness target at `REFERENCE_REQUESTS_PER_PLAYER_PER_SECOND`:
 * from the pinned capacity sweep in BENCHMARKS.md ("2026-12-07 late night": 2,500 / 5,000 / 7,500 / 10,000 players at
 * 0.2 req/s each, server pinned to one core): at 5,000 the object's freshness bound held its 460 ms target, request
 * p99 86 ms (whole run) / 70 ms (steady), push delay p99 458 ms; at 7,500 the bound stretched to 645 ms, the request
 * p99 to 130 ms and the push p99 to 1.3 s. Well below the heap cap (`PLAYERS_PER_OBJECT`): the thread's time runs
 * out before its memory does.
 */
export const FRESH_PLAYERS_PER_OBJECT = 5_000;

/** The request rate the capacity is measured at: the load test's default think time, one request per 5 s. */
export const REFERENCE_REQUESTS_PER_PLAYER_PER_SECOND = 0.2;

/**
 * Shards a battle of `maxPlayers` needs so that no shard holds more than `FRESH_PLAYERS_PER_OBJECT` players: at least
 * 1, at most `MAX_SHARDS` (a larger battle then holds more per shard than keeps fresh).
 */
export function autoShards(maxPlayers: number): number {
  // `|| 1`: 0 and NaN (no players) need one object.
  return Math.min(MAX_SHARDS, Math.max(1, Math.ceil(maxPlayers / FRESH_PLAYERS_PER_OBJECT) || 1));
}
