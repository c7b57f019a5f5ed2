/**
 * @module Routing messages by incarnation (pure, with an in-memory store): the newest creation of a battle id is
 * adopted (archiving the current one), older messages go to their archived id, battles created before
 * incarnations keep their id until a newer creation takes it, and a store changed by another consumer is re-read.
 */
import { describe, expect, it } from "vitest";
import { archivedId, type IncarnationStore, routeIncarnations } from "../../src/persistence/incarnations";
import type { ParsedMessage } from "../../src/persistence/message";

function store(initial: Record<string, string | undefined>) {
  const current = new Map(Object.entries(initial));
  const adopted: [string, string | undefined, string][] = [];
  let interfere: (() => void) | null = null;
  const s: IncarnationStore = {
    current: async (battles) => new Map(battles.map((b) => [b, current.get(b)])),
    adopt: async (battle, expected, next) => {
      interfere?.();
      interfere = null;
      if (current.get(battle) !== expected) return false;
      adopted.push([battle, expected, next]);
      current.set(battle, next);
      return true;
    },
  };
  return { s, current, adopted, interfereOnce: (f: () => void) => (interfere = f) };
}

const msg = (battle: string, incarnation: string, from = 1): ParsedMessage => ({
  battle,
  incarnation,
  shard: 0,
  from,
  to: from,
  events: [],
});

describe("incarnation routing", () => {
  it("adopts a first creation, keeps messages of the current one, archives older ones", async () => {
    const { s, adopted } = store({ b: "0000000002-aa" });
    const routed = await routeIncarnations(s, [
      msg("new", "0000000005-cc"),
      msg("b", "0000000002-aa"),
      msg("b", "0000000001-bb"),
    ]);
    expect(adopted).toEqual([["new", undefined, "0000000005-cc"]]);
    expect(routed.map((m) => [m.battle, m.incarnation])).toEqual([
      ["new", "0000000005-cc"],
      ["b", "0000000002-aa"],
      ["b~0000000001-bb", ""],
    ]);
  });

  it("a newer creation takes the id; the current one's late messages go to its archived id", async () => {
    const { s, adopted } = store({ b: "0000000002-aa" });
    const routed = await routeIncarnations(s, [msg("b", "0000000002-aa"), msg("b", "0000000009-dd")]);
    expect(adopted).toEqual([["b", "0000000002-aa", "0000000009-dd"]]);
    expect(routed.map((m) => m.battle)).toEqual([archivedId("b", "0000000002-aa"), "b"]);
  });

  it("battles from before incarnations keep their id until a newer creation archives them as legacy", async () => {
    const { s, adopted } = store({ old: "" });
    expect((await routeIncarnations(s, [msg("old", "")])).map((m) => m.battle)).toEqual(["old"]);
    expect(adopted).toEqual([]);
    const routed = await routeIncarnations(s, [msg("old", "0000000003-ee"), msg("old", "")]);
    expect(adopted).toEqual([["old", "", "0000000003-ee"]]);
    expect(routed.map((m) => m.battle)).toEqual(["old", "old~legacy"]);
  });

  it("re-reads the store when another consumer adopted first", async () => {
    const t = store({ b: "0000000002-aa" });
    t.interfereOnce(() => t.current.set("b", "0000000007-ff"));
    const routed = await routeIncarnations(t.s, [msg("b", "0000000005-cc")]);
    expect(t.adopted).toEqual([]);
    expect(routed.map((m) => m.battle)).toEqual(["b~0000000005-cc"]);
  });
});
