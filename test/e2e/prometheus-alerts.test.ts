/**
 * @module The alert rules of ops/prometheus/arena-alerts.yml against a real Prometheus and a real `wrangler dev`,
 * and the battle's structured log lines, in one run that shares the server:
 *
 * - `promtool check rules` accepts the file, and Prometheus loads every alert of it (`rule_files`, evaluated every
 *   second);
 * - Postgres stops answering the battle's writes (the Worker reaches it through a TCP proxy this test owns, which
 *   it cuts: open connections dropped, new ones refused; the machine's Postgres is shared with other tests, so it
 *   is not stopped), the events written after that wait for confirmation, and `ArenaPersistenceLag` goes from
 *   absent to firing for this battle: the rule's honest 30 s threshold, so this waits ~35 s;
 * - meanwhile the battle gets a bad frame, two refused joins (a wrong player key, a full battle) and persistence
 *   retries (the consumer's `sink_unavailable`, the object's resend): wrangler's console output (read from its log
 *   file, `WRANGLER_LOG_PATH`, which `startArena` passes on; `consoleOutput` below) holds each as one JSON line with
 *   its fields, numbers as numbers, and nowhere any token, key or secret the test used.
 *
 * Skipped when `prometheus` or `promtool` is missing, except under CI (.ci/run installs Debian's `prometheus`,
 * which ships `promtool`), where that fails.
 */
import { type ChildProcess, spawnSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
// @ts-expect-error: plain ESM script without types
import { freePorts, ROOT, startArena } from "../../scripts/arena-server.mjs";
// @ts-expect-error: plain ESM script without types
import { createDatabase, dropDatabase, migratePostgres } from "../../scripts/pg-migrate.mjs";
import { type CuttableProxy, startProxy } from "../browser/tcp-proxy";
import { alertNames } from "../unit/alert-rules";
import { http, OPERATOR, openSocket, QUESTIONS, step, testDatabaseUrl, waitFor } from "./persist-helpers";
import { startPrometheus } from "./prometheus-server";

const RULES = join(ROOT, "ops", "prometheus", "arena-alerts.yml");
const has = (bin: string) => spawnSync(bin, ["--version"]).status === 0;
const hasTools = has("prometheus") && has("promtool");
// No silent substitution: CI installs Prometheus (.ci/run), so there a missing binary fails instead of skipping.
if (!hasTools && process.env.CI)
  throw new Error("prometheus/promtool is not installed (apt-get install prometheus; .ci/run does it)");

/** The local secrets of .dev.vars.example (what `startArena` copies to .dev.vars when there is none). */
function devVar(name: string): string {
  const file = existsSync(join(ROOT, ".dev.vars")) ? ".dev.vars" : ".dev.vars.example";
  const line = readFileSync(join(ROOT, file), "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${name}=`));
  if (!line) throw new Error(`${name} is not in ${file}`);
  return line.slice(name.length + 1).trim();
}

/** An identity token as docs/identity.md has an operator's site sign it (`IDENTITY_SECRETS` = kid:secret). */
function identityToken(battle: string, sub: string, username: string): string {
  const [kid, secret] = devVar("IDENTITY_SECRETS").split(",")[0]!.split(":") as [string, string];
  const b64 = (b: string | Buffer) => Buffer.from(b).toString("base64url");
  const iat = Math.floor(Date.now() / 1000);
  const body = b64(JSON.stringify({ k: kid, b: battle, sub, u: username, iat, e: iat + 600 }));
  return `${body}.${b64(createHmac("sha256", secret).update(body).digest())}`;
}

interface PromAlert {
  labels: Record<string, string>;
  state: "pending" | "firing" | "inactive";
}

async function promGet<T>(base: string, path: string): Promise<T> {
  const res = await fetch(`${base}${path}`);
  const body = (await res.json()) as { status: string; data: T };
  if (body.status !== "success") throw new Error(`${path}: ${JSON.stringify(body)}`);
  return body.data;
}

/** The JSON log lines in wrangler's output: from the first `{"level":` of a line to its end, parsed (throws if not). */
function jsonLines(raw: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of raw.split("\n")) {
    const at = line.indexOf('{"level":');
    if (at < 0) continue;
    try {
      out.push(JSON.parse(line.slice(at)) as Record<string, unknown>);
    } catch (e) {
      throw new Error(`a log line is not JSON: ${line} (${String(e)})`);
    }
  }
  return out;
}

/**
 * What wrangler printed on its console, from its log file: the file holds every message as `--- <time> <level>`,
 * the message, `---`; the console shows every level but `debug` (wrangler's default level, `log`). The `debug`
 * entries are wrangler's own tracing (among them the DevTools inspector's copy of every request the local runtime
 * saw, URLs with their query strings), which neither the console nor a deployed Worker's logs show.
 */
function consoleOutput(file: string): string {
  if (!existsSync(file)) return "";
  const out: string[] = [];
  const entry = /^--- \S+ (\w+)\n([\s\S]*?)\n---$/gm;
  for (const m of readFileSync(file, "utf8").matchAll(entry)) if (m[1] !== "debug") out.push(m[2]!);
  return out.join("\n");
}

const dir = mkdtempSync(join(tmpdir(), "arena-alerts-e2e-"));
const DB_URL = testDatabaseUrl();
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (hasTools) await dropDatabase(DB_URL, 10_000);
});

describe.skipIf(!hasTools)("alert rules and structured logs against wrangler dev", () => {
  it("promtool accepts the rule file", () => {
    const r = spawnSync("promtool", ["check", "rules", RULES], { encoding: "utf8" });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    expect(r.stdout).toContain(`SUCCESS: ${alertNames(readFileSync(RULES, "utf8")).length} rules found`);
  });

  it("fires ArenaPersistenceLag when Postgres cannot confirm, and logs the battle's refusals and retries as JSON without secrets", async () => {
    await createDatabase(DB_URL);
    await migratePostgres(DB_URL);
    const [port, inspector, promPort] = (await freePorts(3)) as [number, number, number];
    // The Worker's Postgres (the local Hyperdrive's origin) is this proxy in front of the machine's Postgres.
    const proxy: CuttableProxy = await startProxy((await freePorts(1)) as number[], 5432);
    const dbName = new URL(DB_URL).pathname.slice(1);
    process.env.ARENA_PG_URL = `postgres://postgres:postgres@127.0.0.1:${proxy.port}/${dbName}`;
    // wrangler writes every message of its console (the Worker's lines among them) to this file too.
    const logFile = join(dir, "wrangler.log");
    process.env.WRANGLER_LOG_PATH = logFile;
    const arena = await startArena({
      port,
      inspectorPort: inspector,
      persistTo: join(dir, "state"),
      quiet: true,
      log: () => {},
      vars: { RATE_LIMIT_EXEMPT_IPS: "127.0.0.1", PERSIST_RETRY_BASE_SECONDS: "1" },
    });
    let prometheus: ChildProcess | null = null;
    try {
      const base: string = arena.url;
      const id = `alerts-e2e-${Date.now().toString(36)}`;
      const op = (method: string, path: string, body?: unknown) =>
        http(base, method, `/api/admin${path}`, body, OPERATOR);
      expect(
        (await op("POST", "/battles", { id, title: "Alerts", questions: QUESTIONS, maxPlayers: 3 })).status,
      ).toBe(201);
      expect((await op("POST", `/battles/${id}/start`, {})).status).toBe(200);

      // Three players: two by username (each gets a session token and a player key), one by identity token.
      const secrets: string[] = [
        OPERATOR.Authorization.replace(/^Bearer /, ""),
        devVar("TOKEN_SECRET"),
        devVar("IDENTITY_SECRETS").split(",")[0]!.split(":")[1]!,
      ];
      const players: { participantId: number; wsUrl: string; token: string; playerKey?: string }[] = [];
      for (const body of [
        { username: "ann" },
        { username: "ben" },
        { identityToken: identityToken(id, "site-user-7", "cat") },
      ]) {
        const r = await http(base, "POST", `/api/battles/${id}/join`, body);
        expect(r.status).toBe(201);
        players.push(r.json);
        secrets.push(r.json.token);
        if (r.json.playerKey) secrets.push(r.json.playerKey);
        if (body.identityToken) secrets.push(body.identityToken);
      }
      expect(secrets.length).toBe(3 + 3 + 2 + 1);
      const state = async () => (await op("GET", `/battles/${id}/persistence`)).json;
      // Through the proxy, Postgres confirms what was written so far (D1 too: the outbox is empty), so the path
      // works before it is cut and nothing waits for confirmation yet.
      await waitFor("the joins confirmed by both sinks", 30_000, async () => {
        const s = await state();
        const { lastSeq, confirmed, depth } = s.object;
        return lastSeq > 0 && confirmed.pg === lastSeq && confirmed.d1 === lastSeq && depth === 0 ? s : null;
      });

      const token = OPERATOR.Authorization.replace(/^Bearer /, "");
      const started = startPrometheus({
        dir,
        port: promPort,
        target: new URL(base).host,
        token,
        jobs: [{ name: "arena", path: `/api/admin/battles/${id}/metrics` }],
        rules: RULES,
      });
      prometheus = started.process;
      const prom = started.url;
      // Every alert of the file is loaded, and the battle is scraped.
      const names = alertNames(readFileSync(RULES, "utf8"));
      const rules = await waitFor("the rule file loaded", 30_000, async () => {
        const d = await promGet<{ groups: { rules: { name: string; type: string }[] }[] }>(
          prom,
          "/api/v1/rules",
        );
        const loaded = d.groups.flatMap((g) =>
          g.rules.filter((r) => r.type === "alerting").map((r) => r.name),
        );
        return loaded.length > 0 ? loaded : null;
      });
      expect(rules.sort()).toEqual([...names].sort());
      await waitFor("the battle scraped", 30_000, async () => {
        const r = await promGet<{ result: unknown[] }>(
          prom,
          `/api/v1/query?query=${encodeURIComponent(`arena_persist_last_seq{battle="${id}"}`)}`,
        );
        return r.result.length === 1 ? true : null;
      });
      const lagAlerts = async () =>
        (await promGet<{ alerts: PromAlert[] }>(prom, "/api/v1/alerts")).alerts.filter(
          (a) => a.labels.alertname === "ArenaPersistenceLag" && a.labels.battle === id,
        );
      expect(await lagAlerts()).toEqual([]);

      // Postgres goes away for the Worker.
      proxy.cut();
      const cutAt = Date.now();
      step("proxy to Postgres cut");
      const sockets = await Promise.all(players.map((p) => openSocket(p.wsUrl)));
      // A bad frame: not JSON. The reply is an error without an id (the frame had none to read).
      const badReply = new Promise<{ type: string; error: { code: string } }>((resolve) => {
        sockets[0]!.ws.on("message", (data) => {
          const m = JSON.parse(String(data));
          if (m.type === "error") resolve(m);
        });
      });
      sockets[0]!.ws.send('{"type":"answer",');
      expect((await badReply).error.code).toBe("bad_json");
      // Refused joins: ann's name with a wrong player key, and a fourth player in a battle of three.
      const taken = await http(base, "POST", `/api/battles/${id}/join`, {
        username: "ann",
        playerKey: "wrong-key-0123456789abcdef",
      });
      expect(taken.json.error.code).toBe("username_taken");
      const full = await http(base, "POST", `/api/battles/${id}/join`, { username: "dan" });
      expect(full.json.error.code).toBe("battle_full");
      // Events written while Postgres is away: they wait for confirmation.
      for (const [i, s] of sockets.entries()) {
        const r = await s.request({ type: "answer", id: 1, questionId: "q0", answer: String(i) });
        expect(r.ok).toBe(true);
      }
      for (const s of sockets) s.ws.close();

      const firing = await waitFor("ArenaPersistenceLag firing", 90_000, async () => {
        const a = (await lagAlerts()).find((x) => x.state === "firing");
        return a ?? null;
      });
      const waited = (Date.now() - cutAt) / 1000;
      step(
        `ArenaPersistenceLag firing ${waited.toFixed(1)} s after the cut: ${JSON.stringify(firing.labels)}`,
      );
      expect(firing.labels.severity).toBe("page");
      // The threshold is 30 s of waiting: it cannot fire sooner than that after the first unconfirmed write.
      expect(waited).toBeGreaterThan(30);
      const s = await state();
      expect(s.sinks.pg).toHaveProperty("error");
      expect(s.object.confirmed.pg).toBeLessThan(s.object.lastSeq);

      // The log: every JSON line parses; this battle's lines carry their fields, numbers as numbers.
      const mine = (l: Record<string, unknown>) => l.battle === id;
      const lines = await waitFor("the battle's log lines", 30_000, async () => {
        const all = jsonLines(consoleOutput(logFile)).filter(mine);
        const want = [
          "bad_frame",
          "join_refused",
          "sink_unavailable",
          "no_confirmation_past_seq_for_ms_sending_again",
        ];
        return want.every((e) => all.some((l) => l.event === e)) ? all : null;
      });
      for (const l of lines) {
        expect(["info", "warn", "error"]).toContain(l.level);
        expect(l.event).toMatch(/^[a-z_]+$/);
        // A number is never written as a string.
        for (const [k, v] of Object.entries(l)) {
          if (typeof v === "string") expect(v, `${String(l.event)}.${k}`).not.toMatch(/^-?\d+(\.\d+)?$/);
        }
      }
      const one = (event: string) => lines.find((l) => l.event === event)!;
      expect(one("bad_frame")).toMatchObject({
        level: "warn",
        participant: players[0]!.participantId,
        code: "bad_json",
        length: '{"type":"answer",'.length,
      });
      expect(one("bad_frame")).not.toHaveProperty("shard");
      expect(lines.filter((l) => l.event === "join_refused").map((l) => l.code)).toEqual(
        expect.arrayContaining(["username_taken", "battle_full"]),
      );
      const retry = one("sink_unavailable");
      expect(retry).toMatchObject({ level: "error", sink: "pg", shard: 0 });
      for (const k of ["messages", "attempt", "retryInSeconds"]) expect(typeof retry[k]).toBe("number");
      expect(retry.cause).toHaveProperty("message");
      const resend = one("no_confirmation_past_seq_for_ms_sending_again");
      for (const k of ["seq", "waitedMs", "lastSeq"]) expect(typeof resend[k]).toBe("number");
      expect(resend.waitedMs).toBeGreaterThanOrEqual(5_000);

      // No token, key or secret anywhere in wrangler's console output, the Worker's lines or its own.
      const raw = consoleOutput(logFile);
      expect(raw.length).toBeGreaterThan(0);
      for (const secret of secrets) {
        // On failure, the lines that hold it, with the secret itself blanked out.
        const leaks = raw
          .split("\n")
          .filter((l) => l.includes(secret))
          .map((l) => l.replaceAll(secret, "<SECRET>"));
        expect(leaks, "a token, key or secret in wrangler's output").toEqual([]);
      }
      expect(arena.child.exitCode).toBeNull();
    } finally {
      prometheus?.kill("SIGTERM");
      await arena.stop();
      await proxy.close();
      delete process.env.ARENA_PG_URL;
      delete process.env.WRANGLER_LOG_PATH;
    }
  }, 240_000);
});
