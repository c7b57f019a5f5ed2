/**
 * @module The load tester's `--pin` (issue 29): its CPU lists are parsed strictly, and a process tree is found from
 * /proc and pinned with taskset (checked on a real child process: its affinity is read back).
 */
import { execFileSync, spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { parsePin, pin, processTree } from "../../loadtest/pin";

describe("--pin", () => {
  it("parses server:generator CPU lists, defaults to 0:1, refuses garbage", () => {
    expect(parsePin(false, undefined)).toBeNull();
    expect(parsePin(true, undefined)).toEqual({ server: "0", generator: "1" });
    expect(parsePin(true, "0-1:2,3")).toEqual({ server: "0-1", generator: "2,3" });
    for (const bad of ["0", "a:1", "0:", ":1", "0;1:2"])
      expect(() => parsePin(true, bad)).toThrow(/--pin-cpus/);
  });

  it("finds a child under its parent and pins every process of the tree", async () => {
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 30000)"], { stdio: "ignore" });
    try {
      await new Promise((r) => child.once("spawn", r));
      expect(processTree(process.pid)).toContain(child.pid);
      expect(pin(processTree(child.pid!), "0")).toEqual([child.pid]);
      const affinity = execFileSync("taskset", ["-p", "-c", String(child.pid)], { encoding: "utf8" });
      expect(affinity.trim()).toMatch(/: 0$/);
    } finally {
      child.kill();
    }
  });
});
