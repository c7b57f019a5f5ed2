/** @module A sink's watermarks: per (battle, shard), the highest seq below which every event is applied. */

export type Watermarks = Map<string, number>;

export function watermarkKey(battle: string, shard: number): string {
  return `${battle}\u0000${shard}`;
}
