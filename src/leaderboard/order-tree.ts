/** @module Counted B+tree over unique (a, b, c) number triples in ascending order: O(log n) insert, remove, rank and seek. */

/** Node sizes; small values are for tests that need deep trees from few keys. */
export interface OrderTreeShape {
  /** Keys per leaf (≥ 4). */
  readonly leafCapacity?: number;
  /** Children per inner node (≥ 4). */
  readonly innerCapacity?: number;
}

const KEY = 3;
const NONE = -1;
/** Deeper than any tree of < 2^31 keys can get with the minimum fill of 1/4 and capacity ≥ 4. */
const MAX_DEPTH = 40;

/** Sign of (keys[e..e+2] − (a, b, c)) in lexicographic order. */
function compareAt(keys: Float64Array, e: number, a: number, b: number, c: number): number {
  const ka = keys[e]!;
  if (ka !== a) return ka < a ? -1 : 1;
  const kb = keys[e + 1]!;
  if (kb !== b) return kb < b ? -1 : 1;
  const kc = keys[e + 2]!;
  return kc < c ? -1 : kc > c ? 1 : 0;
}

function grown<T extends Float64Array | Int32Array>(array: T, length: number): T {
  if (array.length >= length) return array;
  const next = new (array.constructor as new (n: number) => T)(Math.max(length, array.length * 2));
  next.set(array);
  return next;
}

/**
 * Leaves and inner nodes live in flat typed arrays (struct of arrays, indexed by node number) so a lookup
 * walks a few contiguous blocks instead of chasing objects. Inner nodes keep, per child, the number of keys
 * below it (for ranks) and a lower bound of its keys (slot 0's is only meaningful while moving children).
 */
export class OrderTree {
  private readonly leafCap: number;
  private readonly leafMin: number;
  private readonly leafMergeMax: number;
  private readonly innerCap: number;
  private readonly innerMin: number;
  private readonly innerMergeMax: number;

  private leafKeys: Float64Array;
  private leafSize: Int32Array;
  private leafNext: Int32Array;
  private leafPrev: Int32Array;
  private leafTop = 0;
  private readonly leafFree: number[] = [];

  private innerKeys: Float64Array;
  private innerChild: Int32Array;
  private innerCount: Int32Array;
  private innerSize: Int32Array;
  private innerTop = 0;
  private readonly innerFree: number[] = [];

  private root: number;
  /** Inner levels above the leaves; 0 when the root is a leaf. */
  private height = 0;
  private total = 0;
  private readonly pathNode = new Int32Array(MAX_DEPTH);
  private readonly pathIdx = new Int32Array(MAX_DEPTH);
  /** Index within the leaf returned by the last `seek`. */
  private seekIndex = 0;
  private readonly scratchKey = new Float64Array(KEY);

  constructor(shape: OrderTreeShape = {}) {
    this.leafCap = Math.max(4, shape.leafCapacity ?? 256);
    this.innerCap = Math.max(4, shape.innerCapacity ?? 64);
    // Low minimums and merges that leave headroom keep remove/insert churn from splitting and merging back and forth.
    this.leafMin = this.leafCap >>> 2;
    this.leafMergeMax = (this.leafCap * 3) >>> 2;
    this.innerMin = Math.max(2, this.innerCap >>> 2);
    this.innerMergeMax = (this.innerCap * 3) >>> 2;
    this.leafKeys = new Float64Array(4 * this.leafCap * KEY);
    this.leafSize = new Int32Array(4);
    this.leafNext = new Int32Array(4);
    this.leafPrev = new Int32Array(4);
    this.innerKeys = new Float64Array(2 * this.innerCap * KEY);
    this.innerChild = new Int32Array(2 * this.innerCap);
    this.innerCount = new Int32Array(2 * this.innerCap);
    this.innerSize = new Int32Array(2);
    this.root = this.allocLeaf();
  }

  get size(): number {
    return this.total;
  }

  /** Number of keys strictly less than (a, b, c); the key need not be present. */
  countLess(a: number, b: number, c: number): number {
    const counts = this.innerCount;
    let node = this.root;
    let ahead = 0;
    for (let d = this.height; d > 0; d--) {
      const base = node * this.innerCap;
      const i = this.route(base, this.innerSize[node]!, a, b, c);
      for (let j = base; j < base + i; j++) ahead += counts[j]!;
      node = this.innerChild[base + i]!;
    }
    return ahead + this.leafLowerBound(node, a, b, c);
  }

  /** Inserts a key that is not present; returns how many keys are now before it. */
  insert(a: number, b: number, c: number): number {
    let node = this.root;
    let ahead = 0;
    for (let d = 0; d < this.height; d++) {
      const base = node * this.innerCap;
      const i = this.route(base, this.innerSize[node]!, a, b, c);
      for (let j = base; j < base + i; j++) ahead += this.innerCount[j]!;
      this.innerCount[base + i]!++;
      this.pathNode[d] = node;
      this.pathIdx[d] = i;
      node = this.innerChild[base + i]!;
    }
    const pos = this.leafLowerBound(node, a, b, c);
    this.total++;
    if (this.leafSize[node]! < this.leafCap) this.leafInsertAt(node, pos, a, b, c);
    else this.splitLeafAndInsert(node, pos, a, b, c);
    return ahead + pos;
  }

  /** Removes a key; returns false (tree unchanged) when it is absent. */
  remove(a: number, b: number, c: number): boolean {
    let node = this.root;
    for (let d = 0; d < this.height; d++) {
      const base = node * this.innerCap;
      const i = this.route(base, this.innerSize[node]!, a, b, c);
      this.innerCount[base + i]!--;
      this.pathNode[d] = node;
      this.pathIdx[d] = i;
      node = this.innerChild[base + i]!;
    }
    const pos = this.leafLowerBound(node, a, b, c);
    if (
      pos >= this.leafSize[node]! ||
      compareAt(this.leafKeys, (node * this.leafCap + pos) * KEY, a, b, c) !== 0
    ) {
      for (let d = 0; d < this.height; d++)
        this.innerCount[this.pathNode[d]! * this.innerCap + this.pathIdx[d]!]!++;
      return false;
    }
    this.total--;
    this.leafRemoveAt(node, pos);
    if (this.height > 0 && this.leafSize[node]! < this.leafMin) this.rebalanceLeaf(this.height - 1);
    return true;
  }

  /**
   * Calls `visit` with the keys at 0-based positions [offset, offset + limit) in order; returns how many it visited.
   * The callback must not modify the tree.
   */
  forEach(offset: number, limit: number, visit: (a: number, b: number, c: number) => void): number {
    if (offset < 0 || offset >= this.total || limit <= 0) return 0;
    const end = Math.min(this.total, offset + limit);
    let leaf = this.seek(offset);
    let i = this.seekIndex;
    const keys = this.leafKeys;
    for (let p = offset; p < end; p++) {
      while (i >= this.leafSize[leaf]!) {
        leaf = this.leafNext[leaf]!;
        i = 0;
      }
      const e = (leaf * this.leafCap + i) * KEY;
      visit(keys[e]!, keys[e + 1]!, keys[e + 2]!);
      i++;
    }
    return end - offset;
  }

  /** Removes every key. */
  clear(): void {
    this.leafTop = 0;
    this.leafFree.length = 0;
    this.innerTop = 0;
    this.innerFree.length = 0;
    this.height = 0;
    this.total = 0;
    this.root = this.allocLeaf();
  }

  /**
   * Replaces the contents with `n` keys given as ascending, unique, interleaved triples.
   * Nodes are filled to 3/4 so the first inserts after a rebuild do not all split.
   */
  load(sorted: Float64Array, n: number): void {
    this.clear();
    if (n === 0) return;
    const leafFill = Math.max(this.leafMin, (this.leafCap * 3) >>> 2);
    const leaves = Math.ceil(n / leafFill);
    this.leafKeys = grown(this.leafKeys, leaves * this.leafCap * KEY);
    let nodes: number[] = [];
    let counts: number[] = [];
    let src = 0;
    let prev = NONE;
    for (let l = 0; l < leaves; l++) {
      const take = Math.floor(((l + 1) * n) / leaves) - Math.floor((l * n) / leaves);
      const leaf = l === 0 ? this.root : this.allocLeaf();
      this.leafKeys.set(sorted.subarray(src * KEY, (src + take) * KEY), leaf * this.leafCap * KEY);
      this.leafSize[leaf] = take;
      this.leafPrev[leaf] = prev;
      if (prev !== NONE) this.leafNext[prev] = leaf;
      prev = leaf;
      nodes.push(leaf);
      counts.push(take);
      src += take;
    }
    const lows: number[] = [];
    for (const leaf of nodes) lows.push(leaf * this.leafCap * KEY);
    let lowKeys = this.leafKeys;
    let lowOffsets = lows;
    const innerFill = Math.max(this.innerMin, (this.innerCap * 3) >>> 2);
    while (nodes.length > 1) {
      const groups = Math.ceil(nodes.length / innerFill);
      const nextNodes: number[] = [];
      const nextCounts: number[] = [];
      const nextOffsets: number[] = [];
      let child = 0;
      for (let g = 0; g < groups; g++) {
        const take = Math.floor(((g + 1) * nodes.length) / groups) - Math.floor((g * nodes.length) / groups);
        const node = this.allocInner();
        const base = node * this.innerCap;
        let sum = 0;
        for (let j = 0; j < take; j++, child++) {
          this.innerChild[base + j] = nodes[child]!;
          this.innerCount[base + j] = counts[child]!;
          sum += counts[child]!;
          const from = lowOffsets[child]!;
          this.innerKeys.set(lowKeys.subarray(from, from + KEY), (base + j) * KEY);
        }
        this.innerSize[node] = take;
        nextNodes.push(node);
        nextCounts.push(sum);
        nextOffsets.push(base * KEY);
      }
      nodes = nextNodes;
      counts = nextCounts;
      lowKeys = this.innerKeys;
      lowOffsets = nextOffsets;
      this.height++;
    }
    this.root = nodes[0]!;
    this.total = n;
  }

  /** Largest child index i ≥ 1 whose lower bound is ≤ the key, else 0. */
  private route(base: number, m: number, a: number, b: number, c: number): number {
    const keys = this.innerKeys;
    let lo = 1;
    let hi = m;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareAt(keys, (base + mid) * KEY, a, b, c) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  private leafLowerBound(leaf: number, a: number, b: number, c: number): number {
    const keys = this.leafKeys;
    const base = leaf * this.leafCap;
    let lo = 0;
    let hi = this.leafSize[leaf]!;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareAt(keys, (base + mid) * KEY, a, b, c) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Leaf holding 0-based position `pos` (< size); the index within it is left in `seekIndex`. */
  private seek(pos: number): number {
    let node = this.root;
    let p = pos;
    for (let d = this.height; d > 0; d--) {
      const base = node * this.innerCap;
      const last = base + this.innerSize[node]! - 1;
      let j = base;
      while (j < last && p >= this.innerCount[j]!) {
        p -= this.innerCount[j]!;
        j++;
      }
      node = this.innerChild[j]!;
    }
    this.seekIndex = p;
    return node;
  }

  private leafInsertAt(leaf: number, pos: number, a: number, b: number, c: number): void {
    const keys = this.leafKeys;
    const size = this.leafSize[leaf]!;
    const e = (leaf * this.leafCap + pos) * KEY;
    if (pos < size) keys.copyWithin(e + KEY, e, (leaf * this.leafCap + size) * KEY);
    keys[e] = a;
    keys[e + 1] = b;
    keys[e + 2] = c;
    this.leafSize[leaf] = size + 1;
  }

  private leafRemoveAt(leaf: number, pos: number): void {
    const size = this.leafSize[leaf]! - 1;
    if (pos < size) {
      const e = (leaf * this.leafCap + pos) * KEY;
      this.leafKeys.copyWithin(e, e + KEY, (leaf * this.leafCap + size + 1) * KEY);
    }
    this.leafSize[leaf] = size;
  }

  private splitLeafAndInsert(leaf: number, pos: number, a: number, b: number, c: number): void {
    const right = this.allocLeaf();
    const keys = this.leafKeys;
    const half = this.leafCap >>> 1;
    const from = leaf * this.leafCap * KEY;
    keys.copyWithin(right * this.leafCap * KEY, from + half * KEY, from + this.leafCap * KEY);
    this.leafSize[leaf] = half;
    this.leafSize[right] = this.leafCap - half;
    const next = this.leafNext[leaf]!;
    this.leafNext[right] = next;
    this.leafPrev[right] = leaf;
    if (next !== NONE) this.leafPrev[next] = right;
    this.leafNext[leaf] = right;
    if (pos <= half) this.leafInsertAt(leaf, pos, a, b, c);
    else this.leafInsertAt(right, pos - half, a, b, c);
    const e = right * this.leafCap * KEY;
    this.addChild(this.height - 1, right, this.leafSize[leaf]!, this.leafSize[right]!, keys, e);
  }

  /**
   * After the child at path level `d` split, records its new right sibling `child` (lower bound at
   * lowKeys[low..]) next to it, splitting this parent too when full.
   */
  private addChild(
    d: number,
    child: number,
    leftCount: number,
    rightCount: number,
    lowKeys: Float64Array,
    low: number,
  ): void {
    const cap = this.innerCap;
    if (d < 0) {
      const root = this.allocInner();
      const base = root * cap;
      this.innerChild[base] = this.root;
      this.innerChild[base + 1] = child;
      this.innerCount[base] = leftCount;
      this.innerCount[base + 1] = rightCount;
      this.innerKeys.fill(Number.NEGATIVE_INFINITY, base * KEY, (base + 1) * KEY);
      this.innerKeys.set(lowKeys.subarray(low, low + KEY), (base + 1) * KEY);
      this.innerSize[root] = 2;
      this.root = root;
      this.height++;
      return;
    }
    const parent = this.pathNode[d]!;
    const i = this.pathIdx[d]!;
    this.innerCount[parent * cap + i] = leftCount;
    if (this.innerSize[parent]! < cap) {
      this.innerInsertAt(parent, i + 1, child, rightCount, lowKeys, low);
      return;
    }
    const sibling = this.allocInner();
    const half = cap >>> 1;
    const pb = parent * cap;
    const sb = sibling * cap;
    this.innerChild.copyWithin(sb, pb + half, pb + cap);
    this.innerCount.copyWithin(sb, pb + half, pb + cap);
    this.innerKeys.copyWithin(sb * KEY, (pb + half) * KEY, (pb + cap) * KEY);
    this.innerSize[parent] = half;
    this.innerSize[sibling] = cap - half;
    // lowKeys may be innerKeys itself; copy the bound out before the arrays shift under it.
    const la = lowKeys[low]!;
    const lb = lowKeys[low + 1]!;
    const lc = lowKeys[low + 2]!;
    const scratch = this.scratchKey;
    scratch[0] = la;
    scratch[1] = lb;
    scratch[2] = lc;
    if (i + 1 <= half) this.innerInsertAt(parent, i + 1, child, rightCount, scratch, 0);
    else this.innerInsertAt(sibling, i + 1 - half, child, rightCount, scratch, 0);
    this.addChild(
      d - 1,
      sibling,
      this.subtreeCount(parent),
      this.subtreeCount(sibling),
      this.innerKeys,
      sb * KEY,
    );
  }

  private innerInsertAt(
    node: number,
    at: number,
    child: number,
    count: number,
    lowKeys: Float64Array,
    low: number,
  ): void {
    const base = node * this.innerCap;
    const size = this.innerSize[node]!;
    if (at < size) {
      this.innerChild.copyWithin(base + at + 1, base + at, base + size);
      this.innerCount.copyWithin(base + at + 1, base + at, base + size);
      this.innerKeys.copyWithin((base + at + 1) * KEY, (base + at) * KEY, (base + size) * KEY);
    }
    this.innerChild[base + at] = child;
    this.innerCount[base + at] = count;
    const e = (base + at) * KEY;
    this.innerKeys[e] = lowKeys[low]!;
    this.innerKeys[e + 1] = lowKeys[low + 1]!;
    this.innerKeys[e + 2] = lowKeys[low + 2]!;
    this.innerSize[node] = size + 1;
  }

  private innerRemoveAt(node: number, at: number): void {
    const base = node * this.innerCap;
    const size = this.innerSize[node]! - 1;
    if (at < size) {
      this.innerChild.copyWithin(base + at, base + at + 1, base + size + 1);
      this.innerCount.copyWithin(base + at, base + at + 1, base + size + 1);
      this.innerKeys.copyWithin((base + at) * KEY, (base + at + 1) * KEY, (base + size + 1) * KEY);
    }
    this.innerSize[node] = size;
  }

  private subtreeCount(node: number): number {
    const base = node * this.innerCap;
    let sum = 0;
    for (let j = base; j < base + this.innerSize[node]!; j++) sum += this.innerCount[j]!;
    return sum;
  }

  /** The leaf under path level `d` fell below its minimum: merge it with a sibling or even them out. */
  private rebalanceLeaf(d: number): void {
    const cap = this.leafCap;
    const parent = this.pathNode[d]!;
    const pb = parent * this.innerCap;
    const i = this.pathIdx[d]!;
    const li = i > 0 ? i - 1 : 0;
    const ri = li + 1;
    const left = this.innerChild[pb + li]!;
    const right = this.innerChild[pb + ri]!;
    const sl = this.leafSize[left]!;
    const sr = this.leafSize[right]!;
    const keys = this.leafKeys;
    const lb = left * cap * KEY;
    const rb = right * cap * KEY;
    if (sl + sr <= this.leafMergeMax) {
      keys.copyWithin(lb + sl * KEY, rb, rb + sr * KEY);
      this.leafSize[left] = sl + sr;
      const next = this.leafNext[right]!;
      this.leafNext[left] = next;
      if (next !== NONE) this.leafPrev[next] = left;
      this.freeLeaf(right);
      this.innerCount[pb + li] = sl + sr;
      this.innerRemoveAt(parent, ri);
      this.afterChildRemoved(d);
      return;
    }
    const target = (sl + sr) >>> 1;
    if (sl < target) {
      const move = target - sl;
      keys.copyWithin(lb + sl * KEY, rb, rb + move * KEY);
      keys.copyWithin(rb, rb + move * KEY, rb + sr * KEY);
    } else {
      const move = sl - target;
      keys.copyWithin(rb + move * KEY, rb, rb + sr * KEY);
      keys.copyWithin(rb, lb + target * KEY, lb + sl * KEY);
    }
    this.leafSize[left] = target;
    this.leafSize[right] = sl + sr - target;
    this.innerCount[pb + li] = target;
    this.innerCount[pb + ri] = sl + sr - target;
    this.innerKeys.set(keys.subarray(rb, rb + KEY), (pb + ri) * KEY);
  }

  /** The inner node under path level `d` fell below its minimum: merge it with a sibling or even them out. */
  private rebalanceInner(d: number): void {
    const cap = this.innerCap;
    const parent = this.pathNode[d]!;
    const pb = parent * cap;
    const i = this.pathIdx[d]!;
    const li = i > 0 ? i - 1 : 0;
    const ri = li + 1;
    const left = this.innerChild[pb + li]!;
    const right = this.innerChild[pb + ri]!;
    const sl = this.innerSize[left]!;
    const sr = this.innerSize[right]!;
    const lb = left * cap;
    const rb = right * cap;
    const keys = this.innerKeys;
    // The parent's bound for `right` is the true lower bound of its first child; carry it with that child.
    keys.copyWithin(rb * KEY, (pb + ri) * KEY, (pb + ri + 1) * KEY);
    if (sl + sr <= this.innerMergeMax) {
      this.innerChild.copyWithin(lb + sl, rb, rb + sr);
      this.innerCount.copyWithin(lb + sl, rb, rb + sr);
      keys.copyWithin((lb + sl) * KEY, rb * KEY, (rb + sr) * KEY);
      this.innerSize[left] = sl + sr;
      this.innerCount[pb + li]! += this.innerCount[pb + ri]!;
      this.freeInner(right);
      this.innerRemoveAt(parent, ri);
      this.afterChildRemoved(d);
      return;
    }
    const target = (sl + sr) >>> 1;
    let moved = 0;
    if (sl < target) {
      const move = target - sl;
      for (let j = rb; j < rb + move; j++) moved += this.innerCount[j]!;
      this.innerChild.copyWithin(lb + sl, rb, rb + move);
      this.innerCount.copyWithin(lb + sl, rb, rb + move);
      keys.copyWithin((lb + sl) * KEY, rb * KEY, (rb + move) * KEY);
      this.innerChild.copyWithin(rb, rb + move, rb + sr);
      this.innerCount.copyWithin(rb, rb + move, rb + sr);
      keys.copyWithin(rb * KEY, (rb + move) * KEY, (rb + sr) * KEY);
    } else {
      const move = sl - target;
      for (let j = lb + target; j < lb + sl; j++) moved -= this.innerCount[j]!;
      this.innerChild.copyWithin(rb + move, rb, rb + sr);
      this.innerCount.copyWithin(rb + move, rb, rb + sr);
      keys.copyWithin((rb + move) * KEY, rb * KEY, (rb + sr) * KEY);
      this.innerChild.copyWithin(rb, lb + target, lb + sl);
      this.innerCount.copyWithin(rb, lb + target, lb + sl);
      keys.copyWithin(rb * KEY, (lb + target) * KEY, (lb + sl) * KEY);
    }
    this.innerSize[left] = target;
    this.innerSize[right] = sl + sr - target;
    this.innerCount[pb + li]! += moved;
    this.innerCount[pb + ri]! -= moved;
    keys.copyWithin((pb + ri) * KEY, rb * KEY, (rb + 1) * KEY);
  }

  /** The node at path level `d` lost a child through a merge. */
  private afterChildRemoved(d: number): void {
    const node = this.pathNode[d]!;
    if (d === 0) {
      if (this.innerSize[node] === 1) {
        this.root = this.innerChild[node * this.innerCap]!;
        this.freeInner(node);
        this.height--;
      }
      return;
    }
    if (this.innerSize[node]! < this.innerMin) this.rebalanceInner(d - 1);
  }

  private allocLeaf(): number {
    const leaf = this.leafFree.pop() ?? this.leafTop++;
    if (leaf >= this.leafSize.length) {
      const n = leaf + 1;
      this.leafSize = grown(this.leafSize, n);
      this.leafNext = grown(this.leafNext, n);
      this.leafPrev = grown(this.leafPrev, n);
      this.leafKeys = grown(this.leafKeys, this.leafSize.length * this.leafCap * KEY);
    }
    this.leafSize[leaf] = 0;
    this.leafNext[leaf] = NONE;
    this.leafPrev[leaf] = NONE;
    return leaf;
  }

  private freeLeaf(leaf: number): void {
    this.leafFree.push(leaf);
  }

  private allocInner(): number {
    const node = this.innerFree.pop() ?? this.innerTop++;
    if (node >= this.innerSize.length) {
      const n = node + 1;
      this.innerSize = grown(this.innerSize, n);
      const slots = this.innerSize.length * this.innerCap;
      this.innerChild = grown(this.innerChild, slots);
      this.innerCount = grown(this.innerCount, slots);
      this.innerKeys = grown(this.innerKeys, slots * KEY);
    }
    this.innerSize[node] = 0;
    return node;
  }

  private freeInner(node: number): void {
    this.innerFree.push(node);
  }

  /** Bytes held by the node arrays (capacity, not just the used part). */
  get byteLength(): number {
    return (
      this.leafKeys.byteLength +
      this.leafSize.byteLength * 3 +
      this.innerKeys.byteLength +
      this.innerChild.byteLength +
      this.innerCount.byteLength +
      this.innerSize.byteLength
    );
  }

  /** Throws if a structural invariant is broken; for tests. */
  check(): void {
    const seen = { n: 0 };
    const walk = (node: number, depth: number, lo: Float64Array | null, hi: Float64Array | null): number => {
      if (depth === this.height) {
        const size = this.leafSize[node]!;
        if (node !== this.root && size < this.leafMin) throw new Error(`leaf ${node} underfull (${size})`);
        for (let j = 0; j < size; j++) {
          const e = (node * this.leafCap + j) * KEY;
          if (
            j > 0 &&
            compareAt(
              this.leafKeys,
              e - KEY,
              this.leafKeys[e]!,
              this.leafKeys[e + 1]!,
              this.leafKeys[e + 2]!,
            ) >= 0
          )
            throw new Error(`leaf ${node} out of order at ${j}`);
          if (lo && compareAt(this.leafKeys, e, lo[0]!, lo[1]!, lo[2]!) < 0)
            throw new Error(`leaf ${node} below bound`);
          if (hi && compareAt(this.leafKeys, e, hi[0]!, hi[1]!, hi[2]!) >= 0)
            throw new Error(`leaf ${node} above bound`);
        }
        seen.n += size;
        return size;
      }
      const base = node * this.innerCap;
      const m = this.innerSize[node]!;
      if (node === this.root ? m < 2 : m < this.innerMin) throw new Error(`inner ${node} underfull (${m})`);
      let sum = 0;
      for (let j = 0; j < m; j++) {
        const childLo = j === 0 ? lo : this.innerKeys.slice((base + j) * KEY, (base + j + 1) * KEY);
        const childHi = j === m - 1 ? hi : this.innerKeys.slice((base + j + 1) * KEY, (base + j + 2) * KEY);
        const n = walk(this.innerChild[base + j]!, depth + 1, childLo, childHi);
        if (n !== this.innerCount[base + j])
          throw new Error(`inner ${node} child ${j} count ${this.innerCount[base + j]} ≠ ${n}`);
        sum += n;
      }
      return sum;
    };
    walk(this.root, 0, null, null);
    if (seen.n !== this.total) throw new Error(`size ${this.total} ≠ ${seen.n}`);
    let linked = 0;
    let leaf = this.seekFirstLeaf();
    let prev = NONE;
    while (leaf !== NONE) {
      if (this.leafPrev[leaf] !== prev) throw new Error(`leaf ${leaf} prev link broken`);
      linked += this.leafSize[leaf]!;
      prev = leaf;
      leaf = this.leafNext[leaf]!;
    }
    if (linked !== this.total) throw new Error(`linked leaves hold ${linked} ≠ ${this.total}`);
  }

  private seekFirstLeaf(): number {
    let node = this.root;
    for (let d = this.height; d > 0; d--) node = this.innerChild[node * this.innerCap]!;
    return node;
  }
}
