import { describe, expect, it } from "vitest";
import { SocketSet } from "../../src/battle/socket-set";

interface FakeSocket {
  readonly name: string;
  readonly got: string[];
}

const sock = (name: string): FakeSocket => ({ name, got: [] });

describe("SocketSet", () => {
  it("indexes sockets by player, sends through the given function and keeps the list dense on removal", () => {
    const set = new SocketSet<FakeSocket>((s, f) => s.got.push(f));
    const [a1, a2, b, c] = [sock("a1"), sock("a2"), sock("b"), sock("c")];
    set.add(a1, 1);
    set.add(a2, 1);
    set.add(b, 2);
    set.add(c, 3);
    set.add(c, 3); // twice is once
    expect(set.size).toBe(4);
    for (const t of set.ofPlayer(1)) t.send("hi");
    expect([a1.got, a2.got, b.got]).toEqual([["hi"], ["hi"], []]);
    expect(set.remove(a1)).toBe(false); // player 1 still has a2
    expect(set.remove(a1)).toBe(false); // unknown now
    expect(set.socketsOf(1)).toEqual([a2]);
    expect(set.remove(a2)).toBe(true);
    expect(set.ofPlayer(1)).toEqual([]);
    expect(set.size).toBe(2);
    expect(new Set(set.sockets())).toEqual(new Set([b, c]));
    expect(set.targets.map((t) => t.playerId).sort()).toEqual([2, 3]);
  });

  it("survives random adds and removes like a plain map", () => {
    const set = new SocketSet<FakeSocket>(() => {});
    const model = new Map<FakeSocket, number>();
    const pool = Array.from({ length: 40 }, (_, i) => sock(`s${i}`));
    let x = 12345;
    const rnd = (n: number) => {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      return x % n;
    };
    for (let step = 0; step < 2000; step++) {
      const s = pool[rnd(pool.length)]!;
      if (rnd(2) === 0 && !model.has(s)) {
        const p = rnd(8);
        set.add(s, p);
        model.set(s, p);
      } else {
        const p = model.get(s);
        const last = p !== undefined && [...model.entries()].filter(([, q]) => q === p).length === 1;
        expect(set.remove(s)).toBe(last);
        model.delete(s);
      }
      expect(set.size).toBe(model.size);
    }
    for (let p = 0; p < 8; p++) {
      const want = [...model.entries()]
        .filter(([, q]) => q === p)
        .map(([s]) => s.name)
        .sort();
      expect(
        set
          .socketsOf(p)
          .map((s) => s.name)
          .sort(),
      ).toEqual(want);
    }
  });
});
