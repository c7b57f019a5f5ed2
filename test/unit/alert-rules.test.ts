/**
 * @module The alert rule file and the runbook stay in step: every alert of ops/prometheus/arena-alerts.yml has its
 * own section in docs/runbook.md (a heading whose anchor is the rule's `runbook_url`) that quotes the rule's
 * expression, every series an expression reads is one the code exposes and docs/metrics.md lists, and, where
 * `promtool` is installed, Prometheus's own checker accepts the file with as many rules as this reader found.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readAlertRules } from "./alert-rules";

const ROOT = join(__dirname, "..", "..");
const RULES_PATH = join(ROOT, "ops", "prometheus", "arena-alerts.yml");
const read = (p: string) => readFileSync(join(ROOT, p), "utf8");
const rules = readAlertRules(readFileSync(RULES_PATH, "utf8"));
const runbook = read("docs/runbook.md");

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to dashes. */
function anchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\w\- ]/g, "")
    .replace(/ /g, "-");
}

/** The runbook's `### ` sections by anchor: the text up to the next heading of level 2 or 3. */
function sections(md: string): Map<string, string> {
  const out = new Map<string, string>();
  const parts = md.split(/^(?=#{2,3} )/m);
  for (const p of parts) {
    const m = p.match(/^### (.+)\n/);
    if (m) out.set(anchor(m[1]!), p);
  }
  return out;
}

const squash = (s: string) => s.replace(/\s+/g, " ").replace(/\(\s+/g, "(").replace(/\s+\)/g, ")");

describe("alert rules", () => {
  it("reads every alert of the file, with unique names, a severity and a summary", () => {
    expect(rules.length).toBeGreaterThanOrEqual(8);
    expect(new Set(rules.map((r) => r.alert)).size).toBe(rules.length);
    for (const r of rules) {
      expect(["page", "ticket"], r.alert).toContain(r.severity);
      expect(r.summary, r.alert).toContain("{{ $labels.battle }}");
    }
    // The alerts, by what they watch.
    const exprs = rules.map((r) => r.expr).join("\n");
    for (const series of [
      "arena_request_duration_seconds_bucket",
      "arena_push_freshness_bound_seconds",
      "arena_persist_oldest_unconfirmed_age_seconds",
      "arena_persist_dead_letters",
      "arena_persist_quarantined",
      "arena_socket_admissions_total",
    ]) {
      expect(exprs).toContain(series);
    }
  });

  it("gives every alert a runbook section that quotes its expression", () => {
    const bySection = sections(runbook);
    for (const r of rules) {
      expect(r.runbookUrl).toBe(`docs/runbook.md#${r.alert.toLowerCase()}`);
      const section = bySection.get(r.alert.toLowerCase());
      expect(section, `docs/runbook.md has no "### ${r.alert}"`).toBeDefined();
      expect(squash(section!), `the runbook's ${r.alert} quotes its expression`).toContain(squash(r.expr));
      // What it means and what fixes it.
      expect(section!, r.alert).toMatch(/\*\*Means\*\*/);
      expect(section!, r.alert).toMatch(/\*\*Fix\*\*/);
    }
  });

  it("reads only series the code exposes and docs/metrics.md lists", () => {
    const code = read("src/metrics/battle-metrics.ts") + read("src/http/metrics.ts");
    const documented = read("docs/metrics.md");
    for (const r of rules) {
      for (const name of r.expr.match(/\barena_[a-z0-9_]+/g) ?? []) {
        const family = name.replace(/_(bucket|sum|count)$/, "");
        expect(code, `${r.alert}: ${family} is exposed`).toContain(`"${family}"`);
        expect(documented, `${r.alert}: ${family} is in docs/metrics.md`).toContain(`\`${family}\``);
      }
    }
  });

  // The e2e test (test/e2e/prometheus-alerts.test.ts) runs promtool always, failing under CI when it is missing.
  it.skipIf(spawnSync("promtool", ["--version"]).status !== 0)("is accepted by promtool check rules", () => {
    const r = spawnSync("promtool", ["check", "rules", RULES_PATH], { encoding: "utf8" });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    expect(r.stdout).toContain(`SUCCESS: ${rules.length} rules found`);
  });
});
