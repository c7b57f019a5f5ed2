/**
 * @module The SDK as an outside project gets it: `npm pack` of packages/client (built by its own script, which prints
 * the gzip size and holds the budget), the tarball's file list, then a scratch project in the OS temp directory
 * (outside the repository) that installs the tarball offline, type-checks an example against the shipped `.d.ts`
 * (nodenext and bundler resolution, strict, lib checks on) and runs it: the example creates a battle with the
 * operator client and plays it through a real `wrangler dev` (ports 8830-8839) with `ws` as the socket.
 */
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
// @ts-expect-error: plain ESM script without types
import { startArena } from "../../scripts/arena-server.mjs";
import { freePort } from "../browser/tcp-proxy";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const PKG = join(ROOT, "packages", "client");
const require = createRequire(import.meta.url);
const TSC = require.resolve("typescript/bin/tsc");
const WS = require.resolve("ws");
const PORTS = Array.from({ length: 10 }, (_, i) => 8830 + i);

const work = mkdtempSync(join(tmpdir(), "arena-sdk-pack-"));
const persistTo = mkdtempSync(join(tmpdir(), "arena-sdk-pack-state-"));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(persistTo, { recursive: true, force: true });
});

function run(cmd: string, args: readonly string[], cwd: string) {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: "utf8",
    env: { ...process.env, npm_config_update_notifier: "false" },
  });
  return { status: r.status, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

/** The example: only the package's public API, in a project that has nothing but the tarball installed. */
const EXAMPLE = `import {
  ArenaClient,
  ArenaHttpError,
  type BattleResults,
  CloseCode,
  MemoryKeyStore,
  OperatorClient,
  shouldReconnect,
  type WebSocketFactory,
} from "@arena/client";

export interface Played {
  readonly firstIsNew: boolean;
  readonly rejoinIsNew: boolean;
  readonly keyless: string;
  readonly correct: boolean;
  readonly score: number;
  readonly rank: number | null;
  readonly results: BattleResults;
  readonly reconnectAfterGoingAway: boolean;
  readonly reconnectAfterReplaced: boolean;
}

export async function play(baseUrl: string, operatorToken: string, socketFactory: WebSocketFactory): Promise<Played> {
  const op = new OperatorClient(baseUrl, operatorToken);
  const battle = await op.create({
    title: "Scratch project",
    durationMs: 60_000,
    questions: [{ id: "q1", text: "2 + 2?", choices: ["3", "4", "5"], answer: 1 }],
  });
  await op.start(battle.id);

  const client = new ArenaClient({ baseUrl, socketFactory, playerKeys: new MemoryKeyStore(), heartbeatMs: 0 });
  const first = await client.join(battle.id, "alice");
  // The stored player key proves the rejoin; without it the name is taken.
  const again = await client.join(battle.id, "alice");
  let keyless = "joined";
  try {
    await new ArenaClient({ baseUrl, socketFactory }).join(battle.id, "alice");
  } catch (e) {
    keyless = e instanceof ArenaHttpError ? e.code : String(e);
  }

  const conn = client.connection(again);
  const welcome = await conn.connect();
  const question = welcome.battle.questions[0];
  if (question === undefined) throw new Error("no question in the welcome");
  const reply = await conn.request({ type: "answer", questionId: question.id, answer: 1 });
  if (!reply.ok) throw new Error(\`answer refused: \${reply.error.code}\`);
  const board = await conn.request({ type: "leaderboard" });
  const rank = board.ok && "me" in board.data ? (board.data.me?.rank ?? null) : null;
  conn.close();

  await op.end(battle.id);
  return {
    firstIsNew: first.isNew,
    rejoinIsNew: again.isNew,
    keyless,
    correct: reply.data.correct,
    score: reply.data.score,
    rank,
    results: await client.results(battle.id),
    reconnectAfterGoingAway: shouldReconnect(CloseCode.GOING_AWAY),
    reconnectAfterReplaced: shouldReconnect(CloseCode.SESSION_REPLACED),
  };
}
`;

/** Wrong on purpose: the shipped types must reject it (a missing or \`any\` declaration would not). */
const MISUSE = `import { OperatorClient } from "@arena/client";
export const n: number = new OperatorClient("http://x", "t").list();
`;

/** Runs the compiled example with \`ws\` (the repository's copy, by absolute path) as the socket. */
const RUNNER = `import { play } from "./out/example.js";
const [baseUrl, token, wsPath] = process.argv.slice(2);
const { default: WebSocket } = await import(wsPath);
const played = await play(baseUrl, token, (url) => new WebSocket(url));
console.log(JSON.stringify(played));
`;

describe("the client package", () => {
  let tarball = "";

  it("builds under its size budget and packs only dist, README and package.json", () => {
    const build = run(process.execPath, [join(PKG, "scripts", "build.mjs")], ROOT);
    expect(build.status, build.out).toBe(0);
    expect(build.out).toMatch(
      /@arena\/client: [\d.]+ KiB minified, [\d.]+ KiB gzip \(budget [\d.]+ KiB gzip\)/,
    );

    const pack = run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", work], PKG);
    expect(pack.status, pack.out).toBe(0);
    const [info] = JSON.parse(pack.out.slice(pack.out.indexOf("["))) as [
      { filename: string; files: { path: string }[] },
    ];
    tarball = join(work, info.filename);
    const files = info.files.map((f) => f.path).sort();
    expect(files).toContain("package.json");
    expect(files).toContain("README.md");
    expect(files).toContain("dist/index.js");
    expect(files).toContain("dist/index.d.ts");
    expect(files.filter((f) => f !== "package.json" && f !== "README.md" && !f.startsWith("dist/"))).toEqual(
      [],
    );
    expect(files.filter((f) => f.endsWith(".map") || f.includes(".test."))).toEqual([]);
    for (const js of files.filter((f) => f.endsWith(".js")))
      expect(files).toContain(js.replace(/\.js$/, ".d.ts"));
  });

  it("installs offline into a scratch project outside the repository and type-checks an example", () => {
    const app = join(work, "app");
    mkdirSync(app);
    expect(relative(ROOT, app).startsWith("..")).toBe(true);
    writeFileSync(
      join(app, "package.json"),
      JSON.stringify({ name: "sdk-scratch", private: true, type: "module" }),
    );
    const install = run(
      "npm",
      ["install", tarball, "--offline", "--no-audit", "--no-fund", "--ignore-scripts"],
      app,
    );
    expect(install.status, install.out).toBe(0);
    const installed = join(app, "node_modules", "@arena", "client");
    expect(lstatSync(installed).isSymbolicLink()).toBe(false);
    expect(JSON.parse(readFileSync(join(installed, "package.json"), "utf8")).name).toBe("@arena/client");

    writeFileSync(join(app, "example.ts"), EXAMPLE);
    writeFileSync(join(app, "misuse.ts"), MISUSE);
    const compilerOptions = {
      target: "ES2022",
      lib: ["ES2022", "DOM"],
      module: "NodeNext",
      moduleResolution: "NodeNext",
      types: [],
      strict: true,
      noUncheckedIndexedAccess: true,
      skipLibCheck: false,
      outDir: "out",
    };
    writeFileSync(join(app, "tsconfig.json"), JSON.stringify({ compilerOptions, files: ["example.ts"] }));
    const nodenext = run(process.execPath, [TSC, "-p", "tsconfig.json"], app);
    expect(nodenext.status, nodenext.out).toBe(0);
    expect(existsSync(join(app, "out", "example.js"))).toBe(true);
    const bundler = run(
      process.execPath,
      [TSC, "-p", "tsconfig.json", "--noEmit", "--module", "ESNext", "--moduleResolution", "Bundler"],
      app,
    );
    expect(bundler.status, bundler.out).toBe(0);

    writeFileSync(
      join(app, "tsconfig.misuse.json"),
      JSON.stringify({ compilerOptions, files: ["misuse.ts"] }),
    );
    const misuse = run(process.execPath, [TSC, "-p", "tsconfig.misuse.json", "--noEmit"], app);
    expect(misuse.status).not.toBe(0);
    expect(misuse.out).toContain("misuse.ts(2,14): error TS2322");
    expect(misuse.out).not.toMatch(/TS2307|TS7016/);
  });

  it("is tree-shaken by a bundler: one helper does not pull in the connection or the operator client", async () => {
    const bundle = async (contents: string) => {
      const out = await build({
        stdin: { contents, resolveDir: join(work, "app"), loader: "ts" },
        bundle: true,
        format: "esm",
        minify: true,
        write: false,
        logLevel: "silent",
      });
      return out.outputFiles[0]!.text;
    };
    const small = await bundle(
      'import { shouldReconnect } from "@arena/client"; console.log(shouldReconnect(4000));',
    );
    const whole = await bundle('import * as sdk from "@arena/client"; console.log(sdk);');
    expect(small).not.toContain("/api/admin");
    expect(small).not.toContain("WebSocket");
    expect(whole).toContain("/api/admin");
    expect(small.length * 10).toBeLessThan(whole.length);
  });

  it("plays a short battle against a real server from the scratch project", async () => {
    const app = join(work, "app");
    writeFileSync(join(app, "run.mjs"), RUNNER);
    const arena = await startArena({ port: await freePort(PORTS), persistTo, quiet: true, log: () => {} });
    try {
      const r = spawnSync(process.execPath, ["run.mjs", arena.url, "dev-operator-token", WS], {
        cwd: app,
        encoding: "utf8",
        timeout: 60_000,
      });
      expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
      const played = JSON.parse(r.stdout.trim().split("\n").at(-1) ?? "");
      expect(played).toMatchObject({
        firstIsNew: true,
        rejoinIsNew: false,
        keyless: "username_taken",
        correct: true,
        rank: 1,
        reconnectAfterGoingAway: true,
        reconnectAfterReplaced: false,
      });
      expect(played.score).toBeGreaterThan(0);
      expect(played.results.final).toBe(true);
      expect(played.results.standings).toEqual([
        expect.objectContaining({ rank: 1, username: "alice", score: played.score, correct: 1 }),
      ]);
    } finally {
      await arena.stop();
    }
  });
});
