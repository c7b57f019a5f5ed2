/**
 * @module Which shard of a battle holds a participant: jump consistent hashing (Lamping & Veach, 2014) of a
 * 64-bit FNV-1a hash of the participant's identity key. Pure; the same key always lands on the same shard, and
 * growing a battle from n to n+1 shards moves only ~1/(n+1) of the keys.
 */

const MASK64 = (1n << 64n) - 1n;
const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const JUMP_MULTIPLIER = 2862933555777941757n;
/** Shards per battle are bounded so a battle cannot ask for unbounded objects. */
export const MAX_SHARDS = 256;

/** FNV-1a over the UTF-8 bytes of `key`, as an unsigned 64-bit bigint. */
export function hash64(key: string): bigint {
  let h = FNV_OFFSET;
  for (const byte of new TextEncoder().encode(key)) {
    h ^= BigInt(byte);
    h = (h * FNV_PRIME) & MASK64;
  }
  return h;
}

/** Jump consistent hash: a bucket in [0, buckets) for a 64-bit key. */
export function jumpHash(key: bigint, buckets: number): number {
  if (!(Number.isInteger(buckets) && buckets >= 1)) throw new RangeError(`buckets must be ≥ 1: ${buckets}`);
  let k = key & MASK64;
  let b = -1;
  let j = 0;
  while (j < buckets) {
    b = j;
    k = (k * JUMP_MULTIPLIER + 1n) & MASK64;
    j = Math.floor(((b + 1) * 2 ** 31) / (Number(k >> 33n) + 1));
  }
  return b;
}

/** The shard (0-based) of the participant whose identity key (normalised username) is `key`. */
export function shardOf(key: string, shards: number): number {
  if (!(Number.isInteger(shards) && shards >= 1 && shards <= MAX_SHARDS)) {
    throw new RangeError(`shards must be an integer in [1, ${MAX_SHARDS}]: ${shards}`);
  }
  return shards === 1 ? 0 : jumpHash(hash64(key), shards);
}
