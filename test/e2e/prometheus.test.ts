/**
 * @module A real Prometheus (Debian's `prometheus`; `.ci/run` installs it) scrapes a real `wrangler dev` every second
 * with the operator token, through both metrics routes, while a short battle is played; its query API must then show
 * exactly the requests made. Skipped when no `prometheus` binary is on the PATH.
 */
import { type ChildProcess, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
// @ts-expect-error: plain ESM script without types
import { freePorts, startArena } from "../../scripts/arena-server.mjs";
import { http, OPERATOR, openSocket, QUESTIONS, waitFor } from "./persist-helpers";
import { startPrometheus } from "./prometheus-server";

const hasPrometheus = spawnSync("prometheus", ["--version"]).status === 0;
const dir = mkdtempSync(join(tmpdir(), "arena-prometheus-e2e-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One instant query's samples: labels and value. */
async function query(
  base: string,
  promql: string,
): Promise<{ metric: Record<string, string>; value: number }[]> {
  const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await res.json()) as {
    status: string;
    data: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  if (body.status !== "success") throw new Error(`query ${promql}: ${JSON.stringify(body)}`);
  return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
}

/** Waits until `promql` returns exactly one sample equal to `want`. */
function until(base: string, promql: string, want: number): Promise<number> {
  return waitFor(`${promql} = ${want}`, 30_000, async () => {
    const r = await query(base, promql);
    return r.length === 1 && r[0]!.value === want ? want : null;
  });
}

// No silent substitution: CI installs Prometheus (.ci/run), so there a missing binary fails instead of skipping.
if (!hasPrometheus && process.env.CI)
  throw new Error("prometheus is not installed (apt-get install prometheus; .ci/run does it)");

describe.skipIf(!hasPrometheus)("Prometheus scraping wrangler dev", () => {
  it("sees exactly the requests a battle made", async () => {
    const [port, inspector, promPort] = (await freePorts(3)) as [number, number, number];
    const arena = await startArena({
      port,
      inspectorPort: inspector,
      persistTo: join(dir, "state"),
      quiet: true,
      log: () => {},
      vars: { RATE_LIMIT_EXEMPT_IPS: "127.0.0.1" },
    });
    let prometheus: ChildProcess | null = null;
    try {
      const base: string = arena.url;
      const id = `prom-e2e-${Date.now().toString(36)}`;
      expect(
        (await http(base, "POST", "/api/admin/battles", { id, title: "P", questions: QUESTIONS }, OPERATOR))
          .status,
      ).toBe(201);
      expect((await http(base, "POST", `/api/admin/battles/${id}/start`, {}, OPERATOR)).status).toBe(200);

      const started = startPrometheus({
        dir,
        port: promPort,
        target: new URL(base).host,
        token: OPERATOR.Authorization.replace(/^Bearer /, ""),
        jobs: [
          { name: "arena-battle", path: `/api/admin/battles/${id}/metrics` },
          { name: "arena-all", path: "/api/admin/metrics" },
        ],
      });
      prometheus = started.process;
      const prom = started.url;
      await until(prom, `up{job="arena-battle"}`, 1);

      // Play: three players answer every question (right or wrong), and one refused attack each.
      const players: { participantId: number; wsUrl: string }[] = [];
      for (const name of ["ann", "ben", "cat"]) {
        players.push((await http(base, "POST", `/api/battles/${id}/join`, { username: name })).json);
      }
      let requests = 0;
      let ok = 0;
      for (const [i, p] of players.entries()) {
        const s = await openSocket(p.wsUrl);
        for (const [n, q] of QUESTIONS.entries()) {
          const reply = await s.request({
            type: "answer",
            id: n + 1,
            questionId: q.id,
            answer: String(n + i),
          });
          requests++;
          if (reply.ok) ok++;
        }
        const attack = await s.request({ type: "attack", id: 99, target: p.participantId });
        expect(attack.ok).toBe(false);
        requests++;
        s.ws.close();
      }
      expect(ok).toBe(QUESTIONS.length * players.length);

      await until(prom, `sum(arena_requests_total{job="arena-battle",battle="${id}"})`, requests);
      await until(
        prom,
        `sum(arena_requests_total{job="arena-battle",battle="${id}",action="attack",outcome="self_attack"})`,
        players.length,
      );
      await until(
        prom,
        `sum(arena_request_duration_seconds_count{job="arena-battle",battle="${id}"})`,
        requests,
      );
      await until(prom, `sum(arena_joins_total{job="arena-battle",battle="${id}",result="new"})`, 3);
      // The all-battles route: the battle is there once D1's index lists it live.
      await until(prom, `sum(arena_requests_total{job="arena-all",battle="${id}"})`, requests);
      // A histogram PromQL can take quantiles of.
      const p99 = await query(
        prom,
        `histogram_quantile(0.99, sum by (le) (arena_request_duration_seconds_bucket{job="arena-battle",action="answer"}))`,
      );
      expect(p99).toHaveLength(1);
      expect(Number.isFinite(p99[0]!.value)).toBe(true);
    } finally {
      prometheus?.kill("SIGTERM");
      await arena.stop();
    }
  });
});
