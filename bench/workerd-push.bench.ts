/**
 * @module What one push frame costs inside workerd, the runtime's write path included (issue 13): starts
 * `wrangler dev` with `bench/workerd/` (a Durable Object holding S sockets and a battle of S players), connects S
 * WebSockets to the runtime directly, and per mode asks the object to send every socket R frames, reading
 * workerd's CPU (utime + stime from /proc) from before the blast until the last frame has arrived.
 * Modes: `build` (personal frames built, not sent: the JavaScript part), `shared` (one prebuilt frame of the same
 * size to all: `send` and the runtime's write), `shared-bytes` (the same frame encoded once, sent as bytes),
 * `personal` (built and sent: what the push path does per frame). `--plain` accepts the sockets with `accept()`
 * instead of the hibernation API. `echo` (the echo floor): every socket sends `rounds` small request frames at once
 * and the object parses each and sends a one-line reply; its CPU per message is what the runtime charges a request
 * before any game logic, the floor the load test's CPU per request is set against.
 * Run: `npm run bench:workerd [-- --sockets 4000 --rounds 10 --port 8796 --plain]`. Loopback only; stops by itself.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { findDirectEntry, processTree } from "../loadtest/server-stats";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({
  options: {
    sockets: { type: "string", default: "4000" },
    rounds: { type: "string", default: "10" },
    port: { type: "string", default: "8796" },
    repeat: { type: "string", default: "3" },
    plain: { type: "boolean", default: false },
  },
});
const SOCKETS = Number(values.sockets);
const ROUNDS = Number(values.rounds);
const PORT = Number(values.port);
const REPEAT = Number(values.repeat);
/** `--plain`: sockets accepted with `accept()` instead of the hibernation API (what does hibernation cost per send?). */
const PLAIN = values.plain === true;
const CLK_TCK = 100;

function ticks(pids: number[]): number {
  let sum = 0;
  for (const pid of pids) {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
    sum += Number(f[11]) + Number(f[12]);
  }
  return sum;
}

async function waitFor(url: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > end) throw new Error(`${url} did not come up`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function main(): Promise<void> {
  const dev = spawn(
    "npx",
    [
      "wrangler",
      "dev",
      "-c",
      "bench/workerd/wrangler.toml",
      "--port",
      String(PORT),
      "--ip",
      "127.0.0.1",
      "--inspector-port",
      String(PORT + 1000),
      "--persist-to",
      "/tmp/arena-bench-workerd",
    ],
    {
      cwd: ROOT,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" },
      stdio: "ignore",
      detached: true,
    },
  );
  const stop = () => {
    try {
      process.kill(-dev.pid!, "SIGTERM");
    } catch {
      // gone
    }
  };
  process.on("exit", stop);
  try {
    await waitFor(`http://127.0.0.1:${PORT}/health`, 60_000);
    const direct = (await findDirectEntry(dev.pid!, PORT)) ?? `http://127.0.0.1:${PORT}`;
    const runtime = processTree(dev.pid!)
      .filter((p) => p.comm === "workerd")
      .map((p) => p.pid);
    await fetch(`${direct}/setup?players=${SOCKETS}`, { method: "POST" });
    let received = 0;
    let bytes = 0;
    const sockets: WebSocket[] = [];
    for (let i = 0; i < SOCKETS; i += 200) {
      await Promise.all(
        Array.from({ length: Math.min(200, SOCKETS - i) }, (_, k) => {
          const ws = new WebSocket(
            `${direct.replace("http", "ws")}/ws?p=${i + k + 1}${PLAIN ? "&plain=1" : ""}`,
            {
              perMessageDeflate: process.env.DEFLATE === "1",
            },
          );
          ws.on("message", (m: Buffer) => {
            received++;
            bytes += m.length;
          });
          sockets.push(ws);
          return new Promise((res, rej) => {
            ws.once("open", res);
            ws.once("error", rej);
          });
        }),
      );
    }
    console.log(
      `workerd-push: ${SOCKETS} ${PLAIN ? "plain (accept())" : "hibernatable"} sockets, ${ROUNDS} frames each per blast, direct ${direct}`,
    );
    console.log(
      "| mode | frames | workerd CPU ms | µs per frame | frames/s per core | bytes per frame | wall ms |",
    );
    console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (let rep = 0; rep < REPEAT; rep++) {
      for (const mode of ["build", "shared", "shared-bytes", "personal"]) {
        const expect = mode === "build" ? 0 : SOCKETS * ROUNDS;
        received = 0;
        bytes = 0;
        const t0 = ticks(runtime);
        const w0 = Date.now();
        const r = (await (await fetch(`${direct}/blast?mode=${mode}&rounds=${ROUNDS}`)).json()) as {
          frames: number;
        };
        const until = Date.now() + 60_000;
        while (received < expect && Date.now() < until) await new Promise((res) => setTimeout(res, 20));
        const cpuMs = ((ticks(runtime) - t0) * 1000) / CLK_TCK;
        const us = (cpuMs * 1000) / r.frames;
        console.log(
          `| ${mode} | ${r.frames} | ${cpuMs} | ${us.toFixed(1)} | ${Math.round(1e6 / us)} | ${
            expect ? Math.round(bytes / Math.max(1, received)) : "-"
          } | ${Date.now() - w0} |`,
        );
        if (received < expect) console.log(`  only ${received} of ${expect} frames arrived`);
      }
    }
    for (let rep = 0; rep < REPEAT; rep++) {
      const expect = SOCKETS * ROUNDS;
      received = 0;
      bytes = 0;
      const t0 = ticks(runtime);
      const w0 = Date.now();
      let id = 0;
      for (const ws of sockets)
        for (let r = 0; r < ROUNDS; r++)
          ws.send(`{"type":"answer","id":${++id},"questionId":"q1","answer":"a1"}`);
      const until = Date.now() + 60_000;
      while (received < expect && Date.now() < until) await new Promise((res) => setTimeout(res, 20));
      const cpuMs = ((ticks(runtime) - t0) * 1000) / CLK_TCK;
      const us = (cpuMs * 1000) / expect;
      console.log(
        `| echo | ${expect} | ${cpuMs} | ${us.toFixed(1)} | ${Math.round(1e6 / us)} | ${Math.round(bytes / Math.max(1, received))} | ${Date.now() - w0} |`,
      );
      if (received < expect) console.log(`  only ${received} of ${expect} replies arrived`);
    }
    for (const ws of sockets) ws.terminate();
  } finally {
    stop();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
