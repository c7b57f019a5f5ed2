/** @module Final results as CSV and JSON downloads. Pure: the console turns the strings into files. */
import type { BattleResults } from "../protocol/http-messages";

const COLUMNS = ["rank", "id", "username", "score", "correct", "arrows", "shields"] as const;

/**
 * One CSV cell (RFC 4180 quoting). A cell that a spreadsheet would read as a formula (=, +, -, @, tab, CR at the
 * start) gets a leading apostrophe: usernames are player input and must not run in the operator's spreadsheet.
 */
export function csvCell(value: string | number): string {
  let s = String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function resultsCsv(results: Pick<BattleResults, "standings">): string {
  const lines = [COLUMNS.join(",")];
  for (const row of results.standings) lines.push(COLUMNS.map((c) => csvCell(row[c])).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

export function resultsJson(results: BattleResults): string {
  return `${JSON.stringify(results, null, 2)}\n`;
}
