/** @module Where the objects of a battle run in the local multi-process mode (pure placement rules). */
import { describe, expect, it } from "vitest";
import {
  namespaceBinding,
  originOfProcess,
  placementOf,
  processOfObject,
  SINGLE_PROCESS,
} from "../../src/sharding/placement";
import { shardObjectName } from "../../src/sharding/protocol";

describe("placement", () => {
  it("falls back to one process on missing, garbage or out-of-range settings", () => {
    for (const [p, i] of [
      [undefined, undefined],
      ["", "0"],
      ["1", "0"],
      ["two", "0"],
      ["2.5", "0"],
      ["2", "3"],
      ["2", "-1"],
      ["0", "0"],
      ["65", "0"],
    ])
      expect(placementOf(p, i)).toEqual(SINGLE_PROCESS);
    expect(placementOf("3", "2")).toEqual({ processes: 3, self: 2 });
  });

  it("puts coordinators in process 0 and shard k in process k mod P", () => {
    const p = placementOf("3", "1");
    expect(processOfObject("b-1", p)).toBe(0);
    expect([0, 1, 2, 3, 4, 5, 7].map((k) => processOfObject(shardObjectName("b-1", k), p))).toEqual([
      0, 1, 2, 0, 1, 2, 1,
    ]);
    // A battle id that merely looks like a shard name elsewhere in it still maps by its suffix only.
    expect(processOfObject("b#s9x", p)).toBe(0);
    expect(processOfObject(shardObjectName("b-1", 4), SINGLE_PROCESS)).toBe(0);
  });

  it("gives the hub (index P) no objects: every object is reached in another process", () => {
    const hub = placementOf("2", "2");
    expect(hub).toEqual({ processes: 2, self: 2 });
    expect([0, 1].map((j) => namespaceBinding(j, hub))).toEqual(["BATTLE_P0", "BATTLE_P1"]);
    expect(processOfObject(shardObjectName("b", 3), hub)).toBe(1);
    // One battle process and a hub: the battle process holds everything, the hub reaches it as BATTLE_P0.
    const solo = placementOf("1", "1");
    expect(processOfObject("b", solo)).toBe(0);
    expect(processOfObject(shardObjectName("b", 5), solo)).toBe(0);
    expect(namespaceBinding(0, solo)).toBe("BATTLE_P0");
    expect(placementOf("1", "0")).toEqual(SINGLE_PROCESS);
  });

  it("names its own namespace BATTLE and the others BATTLE_P<j>", () => {
    const p = placementOf("3", "1");
    expect([0, 1, 2].map((j) => namespaceBinding(j, p))).toEqual(["BATTLE_P0", "BATTLE", "BATTLE_P2"]);
  });

  it("hands out the owning process's origin, and nothing for a bad or missing list", () => {
    const origins = "http://127.0.0.1:8900, http://127.0.0.1:8901";
    expect(originOfProcess(1, origins)).toBe("http://127.0.0.1:8901");
    expect(originOfProcess(2, origins)).toBeNull();
    expect(originOfProcess(0, undefined)).toBeNull();
    expect(originOfProcess(0, "")).toBeNull();
    expect(originOfProcess(0, "javascript:alert(1)")).toBeNull();
    expect(originOfProcess(0, "http://evil.example/path?x")).toBeNull();
  });
});
