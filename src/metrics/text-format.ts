/**
 * @module The Prometheus text exposition format, version 0.0.4 (what `/metrics` endpoints serve and every Prometheus
 * scrapes): `# HELP` and `# TYPE` once per family, then its samples, `name{label="value",…} value`. Histograms are
 * written as cumulative `_bucket{le="…"}` series ending with `le="+Inf"` (= `_count`), then `_sum` and `_count`.
 * Families of several sources (battles, shards) are merged by name, each source's labels put first on its samples,
 * because a family may appear only once in a scrape.
 */
import type { Family } from "./registry";

export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** One source of samples: labels that go on each of them (e.g. `battle`, `shard`) and its families. */
export interface Source {
  readonly labels: readonly (readonly [string, string])[];
  readonly families: readonly Family[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** `# HELP` text: backslash and line feed escaped. */
export function escapeHelp(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** A label value: backslash, double quote and line feed escaped. */
export function escapeLabelValue(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** A sample value or bucket bound as Go's `ParseFloat` reads it (`+Inf`, `-Inf`, `NaN`). */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(v);
}

function labelSet(names: readonly string[], values: readonly string[], extra?: string): string {
  const parts: string[] = [];
  for (let i = 0; i < names.length; i++) parts.push(`${names[i]}="${escapeLabelValue(values[i] ?? "")}"`);
  if (extra !== undefined) parts.push(extra);
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

/** Writes the families of every source as one exposition (families merged by name, in first-seen order). */
export function writeExposition(sources: readonly Source[]): string {
  const order: string[] = [];
  const byName = new Map<string, { family: Family; parts: { source: Source; family: Family }[] }>();
  for (const source of sources) {
    for (const [name] of source.labels)
      if (!LABEL_NAME.test(name) || name === "le" || name.startsWith("__"))
        throw new Error(`bad label name ${name}`);
    for (const family of source.families) {
      const seen = byName.get(family.name);
      if (seen) {
        if (seen.family.type !== family.type)
          throw new Error(`${family.name}: both ${seen.family.type} and ${family.type}`);
        seen.parts.push({ source, family });
      } else {
        if (!METRIC_NAME.test(family.name)) throw new Error(`bad metric name ${family.name}`);
        for (const l of family.labelNames)
          if (!LABEL_NAME.test(l) || l === "le" || l.startsWith("__")) throw new Error(`bad label name ${l}`);
        order.push(family.name);
        byName.set(family.name, { family, parts: [{ source, family }] });
      }
    }
  }
  let out = "";
  for (const name of order) {
    const { family: first, parts } = byName.get(name)!;
    out += `# HELP ${name} ${escapeHelp(first.help)}\n# TYPE ${name} ${first.type}\n`;
    for (const { source, family } of parts) {
      const names = [...source.labels.map(([n]) => n), ...family.labelNames];
      const prefix = source.labels.map(([, v]) => v);
      if (family.type === "histogram") {
        for (const s of family.samples) {
          const values = [...prefix, ...s.labels];
          let cumulative = 0;
          for (let b = 0; b < family.bounds.length; b++) {
            cumulative += s.counts[b] ?? 0;
            out += `${name}_bucket${labelSet(names, values, `le="${formatValue(family.bounds[b]!)}"`)} ${formatValue(cumulative)}\n`;
          }
          out += `${name}_bucket${labelSet(names, values, 'le="+Inf"')} ${formatValue(s.count)}\n`;
          out += `${name}_sum${labelSet(names, values)} ${formatValue(s.sum)}\n`;
          out += `${name}_count${labelSet(names, values)} ${formatValue(s.count)}\n`;
        }
      } else {
        for (const s of family.samples) {
          out += `${name}${labelSet(names, [...prefix, ...s.labels])} ${formatValue(s.value)}\n`;
        }
      }
    }
  }
  return out;
}
