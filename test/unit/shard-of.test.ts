import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hash64, jumpHash, MAX_SHARDS, shardOf } from "../../src/sharding/shard-of";

describe("shard assignment", () => {
  it("hashes with FNV-1a 64 (published test vectors)", () => {
    expect(hash64("")).toBe(0xcbf29ce484222325n);
    expect(hash64("a")).toBe(0xaf63dc4c8601ec8cn);
    expect(hash64("foobar")).toBe(0x85944171f73967e8n);
  });

  it("matches the reference jump hash outputs", () => {
    // Expected values computed with the paper's C code (uint64 key, double division) compiled on this machine.
    expect(jumpHash(0n, 1)).toBe(0);
    expect(jumpHash(0n, 100)).toBe(0);
    expect(jumpHash(1n, 100)).toBe(55);
    expect(jumpHash(0xdeadbeefn, 1000)).toBe(285);
    expect(jumpHash(123456789n, 7)).toBe(0);
    expect(jumpHash(0xffffffffffffffffn, 256)).toBe(248);
  });

  it("is stable, in range, and moves only keys that go to the new shard when a shard is added", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 24 }), fc.integer({ min: 1, max: MAX_SHARDS - 1 }), (key, n) => {
        const before = shardOf(key, n);
        const after = shardOf(key, n + 1);
        expect(before).toBeGreaterThanOrEqual(0);
        expect(before).toBeLessThan(n);
        expect(shardOf(key, n)).toBe(before);
        expect(after === before || after === n).toBe(true);
      }),
      { seed: 42, numRuns: 500 },
    );
  });

  it("spreads keys evenly", () => {
    const shards = 8;
    const counts = new Array<number>(shards).fill(0);
    for (let i = 0; i < 16_000; i++) counts[shardOf(`player-${i}`, shards)]!++;
    for (const c of counts) expect(Math.abs(c - 2_000)).toBeLessThan(200);
  });

  it("refuses shard counts outside [1, MAX_SHARDS]", () => {
    for (const bad of [0, -1, 1.5, MAX_SHARDS + 1, Number.NaN])
      expect(() => shardOf("x", bad)).toThrow(RangeError);
  });
});
