/** @module Finding a battle's Durable Object by battle id (and calling it with retries), and minting battle ids. */
import { objectStub } from "../sharding/do-network";
import { shardObjectName } from "../sharding/protocol";
import { callBattle } from "./battle-call";

/** The object named `battleId` (a battle, or `<battle>#s<k>` for a shard), in whichever local process holds it. */
export function battleStub(env: Env, battleId: string) {
  return objectStub(env, battleId);
}

/** The object a player's requests go to: their shard in a sharded battle (`sh` in the token), else the battle's. */
export function playerStub(env: Env, claims: { readonly b: string; readonly sh?: number }) {
  return battleStub(env, claims.sh === undefined ? claims.b : shardObjectName(claims.b, claims.sh));
}

type BattleStub = ReturnType<typeof battleStub>;

/** A call that only reads: retried on the platform's retryable errors. */
export function readBattle<R>(env: Env, battleId: string, call: (s: BattleStub) => R): Promise<Awaited<R>> {
  return callBattle(() => battleStub(env, battleId), call, { repeatable: true });
}

/** A call that changes state: run once (a retry could apply it twice); a platform overload still becomes `overloaded`. */
export function writeBattle<R>(env: Env, battleId: string, call: (s: BattleStub) => R): Promise<Awaited<R>> {
  return callBattle(() => battleStub(env, battleId), call, { repeatable: false });
}

/** A player call (to their shard, or the battle's object), read-only: retried like `readBattle`. */
export function readPlayer<R>(
  env: Env,
  claims: { readonly b: string; readonly sh?: number },
  call: (s: BattleStub) => R,
): Promise<Awaited<R>> {
  return callBattle(() => playerStub(env, claims), call, { repeatable: true });
}

/** A player call that changes state: run once. */
export function writePlayer<R>(
  env: Env,
  claims: { readonly b: string; readonly sh?: number },
  call: (s: BattleStub) => R,
): Promise<Awaited<R>> {
  return callBattle(() => playerStub(env, claims), call, { repeatable: false });
}

const ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789";

export function newBattleId(): string {
  const bytes = new Uint8Array(10);
  crypto.getRandomValues(bytes);
  let id = "b-";
  for (const b of bytes) id += ALPHABET[b % ALPHABET.length];
  return id;
}
