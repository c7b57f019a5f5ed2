/** @module Open-addressing table from participant id to (score, reachedAt), one cache line per lookup. */

const STRIDE = 3;
const EMPTY = -1;
const MIN_CAPACITY = 16;

/**
 * Linear probing over one Float64Array of (id, score, reachedAt) cells, kept at most half full.
 * It replaced a Map<id, slot> plus typed arrays, whose lookup and slot read are two or three cache misses
 * where this is one: increment+rank at 100,000 participants went from ~0.95M to ~1.4M per second. A cell index stays valid until the next insert or
 * delete (growth rehashes, deletion shifts later cells back).
 */
export class ParticipantTable {
  private cells: Float64Array;
  private mask: number;
  private shift: number;
  private count = 0;

  constructor(expected = 0) {
    let capacity = MIN_CAPACITY;
    while (capacity < expected * 2) capacity *= 2;
    this.cells = new Float64Array(capacity * STRIDE).fill(EMPTY);
    this.mask = capacity - 1;
    this.shift = 32 - Math.log2(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** Cell index of `id`, or -1. */
  find(id: number): number {
    const cells = this.cells;
    let i = this.home(id);
    for (;;) {
      const k = cells[i * STRIDE]!;
      // EMPTY first: find(-1) must not match an empty cell.
      if (k === EMPTY) return -1;
      if (k === id) return i;
      i = (i + 1) & this.mask;
    }
  }

  /** Adds an id that is not present; returns its cell. */
  insert(id: number, score: number, reachedAt: number): number {
    if ((this.count + 1) * 2 > this.mask + 1) this.rehash((this.mask + 1) * 2);
    const cells = this.cells;
    let i = this.home(id);
    while (cells[i * STRIDE]! !== EMPTY) i = (i + 1) & this.mask;
    const e = i * STRIDE;
    cells[e] = id;
    cells[e + 1] = score;
    cells[e + 2] = reachedAt;
    this.count++;
    return i;
  }

  /** Empties a cell, moving later cells of the same probe run back so lookups need no tombstones. */
  deleteAt(cell: number): void {
    const cells = this.cells;
    const mask = this.mask;
    let hole = cell;
    let j = cell;
    for (;;) {
      j = (j + 1) & mask;
      const k = cells[j * STRIDE]!;
      if (k === EMPTY) break;
      const h = this.home(k);
      // Move j into the hole unless its home lies cyclically in (hole, j].
      const stays = hole <= j ? hole < h && h <= j : hole < h || h <= j;
      if (stays) continue;
      cells.copyWithin(hole * STRIDE, j * STRIDE, j * STRIDE + STRIDE);
      hole = j;
    }
    cells[hole * STRIDE] = EMPTY;
    this.count--;
  }

  idAt(cell: number): number {
    return this.cells[cell * STRIDE]!;
  }

  scoreAt(cell: number): number {
    return this.cells[cell * STRIDE + 1]!;
  }

  reachedAtOf(cell: number): number {
    return this.cells[cell * STRIDE + 2]!;
  }

  update(cell: number, score: number, reachedAt: number): void {
    const e = cell * STRIDE;
    this.cells[e + 1] = score;
    this.cells[e + 2] = reachedAt;
  }

  clear(): void {
    this.cells = new Float64Array(MIN_CAPACITY * STRIDE).fill(EMPTY);
    this.mask = MIN_CAPACITY - 1;
    this.shift = 32 - Math.log2(MIN_CAPACITY);
    this.count = 0;
  }

  get byteLength(): number {
    return this.cells.byteLength;
  }

  /** Fibonacci hashing: sequential ids spread out and the top bits index the table. */
  private home(id: number): number {
    return Math.imul(id, 0x9e3779b1) >>> this.shift;
  }

  private rehash(capacity: number): void {
    const old = this.cells;
    this.cells = new Float64Array(capacity * STRIDE).fill(EMPTY);
    this.mask = capacity - 1;
    this.shift = 32 - Math.log2(capacity);
    this.count = 0;
    for (let e = 0; e < old.length; e += STRIDE) {
      if (old[e]! !== EMPTY) this.insert(old[e]!, old[e + 1]!, old[e + 2]!);
    }
  }
}
