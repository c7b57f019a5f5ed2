/** @module Random operation sequences: the leaderboard and its tree agree with a naive sorted-array model. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  globalCompetitionRank,
  globalRank,
  Leaderboard,
  type LeaderboardOptions,
  mergeTop,
  RowsView,
  type ShardView,
  type Standing,
} from "../../src/leaderboard";
import { OrderTree } from "../../src/leaderboard/order-tree";

/** The model's own order, written independently of compareStandings. */
function ahead(a: Standing, b: Standing): boolean {
  return (
    a.score > b.score ||
    (a.score === b.score && (a.reachedAt < b.reachedAt || (a.reachedAt === b.reachedAt && a.id < b.id)))
  );
}

/** Naive leaderboard: a map and a full sort on every read. */
class Model {
  readonly byId = new Map<number, Standing>();

  sorted(): Standing[] {
    return [...this.byId.values()].sort((a, b) => (ahead(a, b) ? -1 : ahead(b, a) ? 1 : 0));
  }

  rank(id: number): number | undefined {
    const i = this.sorted().findIndex((s) => s.id === id);
    return i < 0 ? undefined : i + 1;
  }

  countAhead(key: Standing): number {
    return [...this.byId.values()].filter((s) => ahead(s, key)).length;
  }

  display(id: number, mode: "competition" | "dense"): number | undefined {
    const me = this.byId.get(id);
    if (!me) return undefined;
    const higher = [...this.byId.values()].filter((s) => s.score > me.score);
    return 1 + (mode === "competition" ? higher.length : new Set(higher.map((s) => s.score)).size);
  }
}

// Small id, score and time ranges force ties at every level of the order; the rare big and negative scores
// take the dense-rank index off its fast path.
const Id = fc.nat(40);
const Score = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 6 }) },
  { weight: 1, arbitrary: fc.constantFrom(-2, 1_500, 3_000_000, 3_000_001) },
);
const Time = fc.integer({ min: 0, max: 4 });

const Op = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant("set" as const), id: Id, score: Score, at: Time }) },
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant("inc" as const),
      id: Id,
      delta: fc.integer({ min: -3, max: 4 }),
      at: Time,
    }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("remove" as const), id: Id }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("rank" as const), id: Id }) },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant("display" as const),
      id: Id,
      mode: fc.constantFrom("competition" as const, "dense" as const),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ t: fc.constant("countAhead" as const), id: Id, score: Score, at: Time }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ t: fc.constant("at" as const), pos: fc.integer({ min: -1, max: 45 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ t: fc.constant("page" as const), offset: fc.nat(45), limit: fc.nat(12) }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("around" as const), id: Id, k: fc.nat(5) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("rebuild" as const), shuffle: fc.boolean() }) },
);
type Op = typeof Op extends fc.Arbitrary<infer T> ? T : never;

/** Applies one op to board and model and checks what it returns; returns the board to use next. */
function step(board: Leaderboard, model: Model, op: Op, options: LeaderboardOptions): Leaderboard {
  switch (op.t) {
    case "set":
      board.set(op.id, op.score, op.at);
      model.byId.set(op.id, { id: op.id, score: op.score, reachedAt: op.at });
      break;
    case "inc": {
      const old = model.byId.get(op.id);
      const next =
        old === undefined
          ? { id: op.id, score: op.delta, reachedAt: op.at }
          : op.delta === 0
            ? old
            : { id: op.id, score: old.score + op.delta, reachedAt: op.at };
      model.byId.set(op.id, next);
      expect(board.increment(op.id, op.delta, op.at)).toEqual(next);
      // The battle reads the rank right after each increment.
      expect(board.rankOf(op.id)).toBe(model.rank(op.id));
      break;
    }
    case "remove":
      expect(board.remove(op.id)).toBe(model.byId.delete(op.id));
      break;
    case "rank":
      expect(board.rankOf(op.id)).toBe(model.rank(op.id));
      expect(board.get(op.id)).toEqual(model.byId.get(op.id));
      expect(board.has(op.id)).toBe(model.byId.has(op.id));
      break;
    case "display":
      expect(board.displayRank(op.id, op.mode)).toBe(model.display(op.id, op.mode));
      break;
    case "countAhead": {
      const key = { id: op.id, score: op.score, reachedAt: op.at };
      expect(board.countAhead(key.score, key.reachedAt, key.id)).toBe(model.countAhead(key));
      break;
    }
    case "at":
      expect(board.at(op.pos)).toEqual(op.pos >= 1 ? model.sorted()[op.pos - 1] : undefined);
      break;
    case "page":
      expect(board.page(op.offset, op.limit)).toEqual(model.sorted().slice(op.offset, op.offset + op.limit));
      expect(board.top(op.limit)).toEqual(model.sorted().slice(0, op.limit));
      break;
    case "around": {
      const sorted = model.sorted();
      const i = sorted.findIndex((s) => s.id === op.id);
      const want = i < 0 ? [] : sorted.slice(Math.max(0, i - op.k), i + op.k + 1);
      expect(board.around(op.id, op.k)).toEqual(want);
      break;
    }
    case "rebuild": {
      const rows = board.toRows();
      expect(rows).toEqual(model.sorted());
      return Leaderboard.fromRows(op.shuffle ? [...rows].reverse() : rows, options);
    }
  }
  expect(board.size).toBe(model.byId.size);
  return board;
}

describe("Leaderboard against a sorted-array model (property)", () => {
  // Tiny limits send most entries through the trees (scores ≥ bucketedScores overflow, ties beyond
  // bucketCapacity promote their bucket to a tree), and capacity 4 makes those trees four or five levels
  // deep with 40 participants, so splits, merges and redistributions at every level happen within short
  // sequences. The defaults cover the shipped shape.
  const shapes: LeaderboardOptions[] = [
    { leafCapacity: 4, innerCapacity: 4, bucketedScores: 4, bucketCapacity: 4 },
    { leafCapacity: 5, innerCapacity: 6, bucketedScores: 1, bucketCapacity: 2 },
    { leafCapacity: 4, innerCapacity: 4, bucketCapacity: 3 },
    {},
  ];
  for (const options of shapes) {
    it(`agrees on every operation (${JSON.stringify(options)})`, () => {
      fc.assert(
        fc.property(fc.array(Op, { minLength: 1, maxLength: 250, size: "max" }), (ops) => {
          let board = new Leaderboard(options);
          const model = new Model();
          for (const op of ops) board = step(board, model, op, options);
          const sorted = model.sorted();
          expect(board.toRows()).toEqual(sorted);
          sorted.forEach((s, i) => {
            expect(board.rankOf(s.id)).toBe(i + 1);
          });
        }),
        { seed: 42, numRuns: 400 },
      );
    });
  }

  it("fromRows of many rows in any order equals sorting them, and survives churn", () => {
    const Row = fc.record({ score: fc.nat(50), reachedAt: fc.nat(20) });
    fc.assert(
      fc.property(
        fc.array(Row, { maxLength: 1500, size: "max" }),
        fc.array(fc.tuple(fc.nat(2000), fc.integer({ min: -5, max: 5 })), { maxLength: 300, size: "max" }),
        (partial, churn) => {
          const rows = partial.map((r, i) => ({ id: (i * 7919) % 100_003, ...r }));
          const model = new Model();
          for (const r of rows) model.byId.set(r.id, r);
          const options = { leafCapacity: 8, innerCapacity: 4, bucketCapacity: 16 };
          const board = Leaderboard.fromRows(rows, options);
          expect(board.toRows()).toEqual(model.sorted());
          for (const [pick, delta] of churn) {
            const id = rows.length === 0 ? pick : rows[pick % rows.length]!.id;
            if (delta === -5) {
              expect(board.remove(id)).toBe(model.byId.delete(id));
              continue;
            }
            step(board, model, { t: "inc", id, delta, at: 30 }, options);
          }
          const sorted = model.sorted();
          expect(board.toRows()).toEqual(sorted);
          expect(Leaderboard.fromRows(sorted).toRows()).toEqual(sorted);
        },
      ),
      { seed: 42, numRuns: 40 },
    );
  });
});

describe("OrderTree invariants (property)", () => {
  it("keeps counts, bounds, links and order exact through inserts and removes", () => {
    const Key = fc.tuple(fc.integer({ min: -3, max: 3 }), fc.nat(3), fc.nat(30));
    // Removes mostly pick a present key (`pick` indexes the model) so trees also shrink and collapse.
    const TreeOp = fc.oneof(
      { weight: 3, arbitrary: fc.record({ t: fc.constant("insert" as const), k: Key }) },
      {
        weight: 2,
        arbitrary: fc.record({ t: fc.constant("remove" as const), k: Key, pick: fc.option(fc.nat()) }),
      },
    );
    const cmp = (x: readonly number[], y: readonly number[]) =>
      x[0]! - y[0]! || x[1]! - y[1]! || x[2]! - y[2]!;
    fc.assert(
      fc.property(
        fc.constantFrom(4, 5, 7),
        fc.constantFrom(4, 5),
        fc.array(TreeOp, { maxLength: 400, size: "max" }),
        (leaf, inner, ops) => {
          const tree = new OrderTree({ leafCapacity: leaf, innerCapacity: inner });
          const model: (readonly number[])[] = [];
          const indexOf = (k: readonly number[]) => model.findIndex((m) => cmp(m, k) === 0);
          const less = (k: readonly number[]) => model.filter((m) => cmp(m, k) < 0).length;
          for (const op of ops) {
            if (op.t === "insert") {
              if (indexOf(op.k) >= 0) continue;
              expect(tree.insert(op.k[0], op.k[1], op.k[2])).toBe(less(op.k));
              model.push(op.k);
            } else {
              const k = op.pick !== null && model.length > 0 ? model[op.pick % model.length]! : op.k;
              const i = indexOf(k);
              expect(tree.remove(k[0]!, k[1]!, k[2]!)).toBe(i >= 0);
              if (i >= 0) model.splice(i, 1);
            }
            tree.check();
            expect(tree.size).toBe(model.length);
          }
          model.sort(cmp);
          const seen: number[][] = [];
          tree.forEach(0, model.length, (a, b, c) => seen.push([a, b, c]));
          expect(seen).toEqual(model);
          const mid = model.length >> 1;
          const part: number[][] = [];
          tree.forEach(mid, 3, (a, b, c) => part.push([a, b, c]));
          expect(part).toEqual(model.slice(mid, mid + 3));
          for (let i = model.length - 1; i >= 0; i--) {
            const k = model.splice((i * 7) % model.length, 1)[0]!;
            expect(tree.remove(k[0]!, k[1]!, k[2]!)).toBe(true);
            tree.check();
          }
          expect(tree.size).toBe(0);
        },
      ),
      { seed: 42, numRuns: 250 },
    );
  });
});

describe("shard merging against the union (property)", () => {
  it("mergeTop and globalRank equal the model of all shards together", () => {
    const Shard = fc.array(fc.record({ score: fc.nat(8), reachedAt: fc.nat(3) }), {
      maxLength: 40,
      size: "max",
    });
    fc.assert(
      fc.property(
        fc.array(Shard, { minLength: 1, maxLength: 5 }),
        fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
        fc.array(fc.record({ id: fc.nat(300), score: fc.nat(9), reachedAt: fc.nat(4) }), { maxLength: 10 }),
        (parts, asSnapshot, probes) => {
          const model = new Model();
          const shards: ShardView[] = parts.map((part, k) => {
            // Disjoint ids across shards, as a coordinator assigns them.
            const rows = part.map((r, j) => ({ id: k + parts.length * j, ...r }));
            for (const r of rows) model.byId.set(r.id, r);
            const board = Leaderboard.fromRows(rows, {
              leafCapacity: 4,
              innerCapacity: 4,
              bucketedScores: 4,
            });
            return asSnapshot[k] ? new RowsView(board.toRows()) : board;
          });
          const sorted = model.sorted();
          for (const n of [0, 1, 3, 10, sorted.length, sorted.length + 2]) {
            expect(mergeTop(shards, n)).toEqual(sorted.slice(0, n));
          }
          sorted.forEach((s, i) => {
            expect(globalRank(shards, s)).toBe(i + 1);
          });
          for (const probe of probes) {
            expect(globalRank(shards, probe)).toBe(model.countAhead(probe) + 1);
            const higher = sorted.filter((s) => s.score > probe.score).length;
            expect(globalCompetitionRank(shards, probe.score)).toBe(higher + 1);
          }
        },
      ),
      { seed: 42, numRuns: 300 },
    );
  });
});
