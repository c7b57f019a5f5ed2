/**
 * @module A real Prometheus for the e2e tests: writes its config (every job scraped each second with the operator
 * token, optionally a rule file evaluated each second) into `dir` and starts Debian's `prometheus` on `port`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

export interface ScrapeJob {
  readonly name: string;
  readonly path: string;
}

export function startPrometheus(o: {
  readonly dir: string;
  readonly port: number;
  /** `host:port` of the Arena server. */
  readonly target: string;
  readonly token: string;
  readonly jobs: readonly ScrapeJob[];
  readonly rules?: string;
}): { readonly process: ChildProcess; readonly url: string } {
  const config = [
    "global:",
    "  scrape_interval: 1s",
    "  scrape_timeout: 1s",
    ...(o.rules ? ["  evaluation_interval: 1s", "rule_files:", `  - ${JSON.stringify(o.rules)}`] : []),
    "scrape_configs:",
    ...o.jobs.flatMap((j) => [
      `  - job_name: ${j.name}`,
      `    metrics_path: ${j.path}`,
      "    authorization:",
      `      credentials: ${o.token}`,
      "    static_configs:",
      `      - targets: ["${o.target}"]`,
    ]),
    "",
  ].join("\n");
  writeFileSync(join(o.dir, "prometheus.yml"), config);
  const process = spawn(
    "prometheus",
    [
      `--config.file=${join(o.dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(o.dir, "tsdb")}`,
      `--web.listen-address=127.0.0.1:${o.port}`,
      "--log.level=warn",
    ],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  return { process, url: `http://127.0.0.1:${o.port}` };
}
