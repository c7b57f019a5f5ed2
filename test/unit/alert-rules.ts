/**
 * @module A strict reader of ops/prometheus/arena-alerts.yml for the tests (the project has no YAML parser and adds
 * none): the file's shape is the small subset of the Prometheus rule format it uses, and every line must be one of
 * those shapes or the reader throws, so a rule written another way is noticed rather than silently missed.
 * `promtool check rules` is the authority on the format itself (the e2e test and, when installed, the unit test run
 * it).
 */

export interface AlertRule {
  readonly alert: string;
  /** The PromQL expression, its lines joined by single spaces (block scalars and one-liners alike). */
  readonly expr: string;
  readonly for: string | null;
  readonly severity: string;
  readonly summary: string;
  readonly runbookUrl: string;
}

/** A double-quoted or plain scalar's value. */
function scalar(v: string): string {
  const t = v.trim();
  return t.startsWith('"') ? (JSON.parse(t) as string) : t;
}

export function readAlertRules(text: string): AlertRule[] {
  type Draft = Partial<AlertRule> & { exprLines: string[] };
  const rules: Draft[] = [];
  let cur: Draft | null = null;
  let inExpr = false;
  /** A rule's own lines: the pattern and what its match sets. */
  const fields: [RegExp, (rule: Draft, value: string) => void][] = [
    [
      /^ {8}expr: (.*)$/,
      (r, v) => {
        if (v === "|") inExpr = true;
        else r.exprLines.push(v.trim());
      },
    ],
    [/^ {8}for: (\S+)$/, (r, v) => Object.assign(r, { for: v })],
    [/^ {8}(labels|annotations):$/, () => {}],
    [/^ {10}severity: (\S+)$/, (r, v) => Object.assign(r, { severity: v })],
    [/^ {10}summary: (.+)$/, (r, v) => Object.assign(r, { summary: scalar(v) })],
    [/^ {10}runbook_url: (.+)$/, (r, v) => Object.assign(r, { runbookUrl: scalar(v) })],
  ];
  for (const [n, line] of text.split("\n").entries()) {
    const fail = (why: string) => new Error(`arena-alerts.yml:${n + 1}: ${why}: ${line}`);
    if (/^\s*(#.*)?$/.test(line)) continue;
    if (inExpr && cur && /^ {10,}\S/.test(line)) {
      cur.exprLines.push(line.trim());
      continue;
    }
    inExpr = false;
    if (/^groups:$/.test(line) || /^ {2}- name: \S+$/.test(line) || /^ {4}rules:$/.test(line)) continue;
    const alert = line.match(/^ {6}- alert: (\w+)$/);
    if (alert) {
      cur = { alert: alert[1]!, exprLines: [] };
      rules.push(cur);
      continue;
    }
    if (!cur) throw fail("outside a rule");
    const rule: Draft = cur;
    const known = fields.find(([re]) => re.test(line));
    if (!known) throw fail("not a line this reader knows");
    known[1](rule, line.match(known[0])![1]!);
  }
  return rules.map((r) => {
    const expr = r.exprLines.join(" ").replace(/\(\s+/g, "(").replace(/\s+\)/g, ")");
    if (!expr || !r.severity || !r.summary || !r.runbookUrl)
      throw new Error(`alert ${r.alert}: expr, severity, summary and runbook_url are required`);
    return {
      alert: r.alert!,
      expr,
      for: r.for ?? null,
      severity: r.severity,
      summary: r.summary,
      runbookUrl: r.runbookUrl,
    };
  });
}

export function alertNames(text: string): string[] {
  return readAlertRules(text).map((r) => r.alert);
}
