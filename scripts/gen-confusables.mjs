#!/usr/bin/env node
/**
 * Writes src/battle/confusables-data.ts, the username look-alike data, from Unicode's confusables.txt (UTS #39,
 * the "MA" mappings).
 *
 *   node scripts/gen-confusables.mjs                      from the copy the npm package `unhomoglyph` ships
 *                                                         (a devDependency: node_modules/unhomoglyph/data.json)
 *   node scripts/gen-confusables.mjs path/confusables.txt from Unicode's own file, when you have one
 *   node scripts/gen-confusables.mjs --json               print the data instead of writing it (the unit test
 *                                                         compares it with the committed module)
 *
 * The module keeps only what a username can hold (see `keep`), records the source's Unicode version and SHA-256,
 * and adds the case closure derived below. test/unit/username.test.ts fails when the installed source no longer
 * matches the committed data: rerun this script and commit its output.
 */
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const OUT = path.join(ROOT, "src/battle/confusables-data.ts");

/**
 * The scripts a username may be written in: UAX #31 Table 5, "Recommended Scripts" (the scripts of UTS #39's
 * identifier profile). Common and Inherited characters (digits, combining marks) go with any of them.
 */
const SCRIPTS = [
  "Arabic",
  "Armenian",
  "Bengali",
  "Bopomofo",
  "Cyrillic",
  "Devanagari",
  "Ethiopic",
  "Georgian",
  "Greek",
  "Gujarati",
  "Gurmukhi",
  "Han",
  "Hangul",
  "Hebrew",
  "Hiragana",
  "Kannada",
  "Katakana",
  "Khmer",
  "Lao",
  "Latin",
  "Malayalam",
  "Myanmar",
  "Oriya",
  "Sinhala",
  "Tamil",
  "Telugu",
  "Thaana",
  "Thai",
  "Tibetan",
];

const IN_SCRIPTS = new RegExp(
  `[${[...SCRIPTS, "Common", "Inherited"].map((s) => `\\p{Script_Extensions=${s}}`).join("")}]`,
  "u",
);

/**
 * Whether `ch` can be part of a username's key input (the NFD of its case-folded NFKC form): a letter, mark or
 * digit, stable under NFKD (so not a compatibility or precomposed character) and in one of SCRIPTS.
 */
const keep = (ch) => /^[\p{L}\p{M}\p{N}]$/u.test(ch) && ch.normalize("NFKD") === ch && IN_SCRIPTS.test(ch);

/** Case folding as src/battle/username.ts does it (full folding: ß → ss, ς → σ). */
const fold = (s) => s.toLowerCase().toUpperCase().toLowerCase().replace(/ς/gu, "σ");
const stripMarks = (s) => s.normalize("NFD").replace(/\p{Mn}/gu, "");
const cp = (hex) => String.fromCodePoint(Number.parseInt(hex, 16));
const hex = (s) => [...s].map((c) => c.codePointAt(0).toString(16)).join(" ");

function loadSource(file) {
  if (file !== undefined) {
    const bytes = readFileSync(file);
    const text = bytes.toString("utf8").replace(/^\uFEFF/u, "");
    const version = /^#\s*Version:\s*(\d+\.\d+\.\d+)/mu.exec(text)?.[1];
    const map = new Map();
    for (const line of text.split("\n")) {
      const m = /^([0-9A-F]{4,6})\s*;\s*([0-9A-F ]+?)\s*;\s*MA\b/u.exec(line);
      if (m) map.set(cp(m[1]), m[2].split(/\s+/u).map(cp).join(""));
    }
    return { bytes, version, name: path.basename(file), map };
  }
  const dir = path.join(ROOT, "node_modules/unhomoglyph");
  const bytes = readFileSync(path.join(dir, "data.json"));
  const pkg = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8"));
  // The package records the confusables.txt version it copied in its changelog ("Update mapping data to version").
  const changelog = readFileSync(path.join(dir, "CHANGELOG.md"), "utf8");
  const version = /mapping data to version (\d+\.\d+\.\d+)/u.exec(changelog)?.[1];
  return {
    bytes,
    version,
    name: `unhomoglyph@${pkg.version}/data.json`,
    map: new Map(Object.entries(JSON.parse(bytes))),
  };
}

/**
 * Case closure. The key is the skeleton of the case-folded name, and folding hides that some capitals are
 * confusable with a Latin capital whose small letter their own small letter does not resemble: Cyrillic В is B,
 * but в is mapped to ʙ (small capital B), so "вов" and "ʙob" would pass beside "bob"; Latin Ƅ is b but ƅ is its
 * own prototype. For every such pair — a capital whose prototype is one ASCII letter, whose small letter's
 * prototype is a single non-ASCII character — that prototype is keyed as the ASCII letter, folded (ʙ → b, ĸ → k,
 * ᴛ → t, ʜ → h, ƅ → b). Pairs whose small letter already looks like an ASCII letter (η → n, Η → H) keep Unicode's
 * mapping; usernameKey handles their capitals.
 */
function caseClosure(map) {
  const P = (c) => map.get(c) ?? c;
  const closure = new Map();
  const conflicts = new Set();
  for (let code = 0; code <= 0x10ffff; code++) {
    if (code >= 0xd800 && code <= 0xdfff) continue;
    const upper = String.fromCodePoint(code);
    if (!/\p{Lu}/u.test(upper) || !keep(upper)) continue;
    const lower = fold(upper);
    if ([...lower].length !== 1 || lower === upper || !keep(lower)) continue;
    const looksLike = stripMarks(P(upper));
    if (!/^[A-Za-z]$/u.test(looksLike)) continue;
    const proto = stripMarks(P(lower));
    if ([...proto].length !== 1 || /^[A-Za-z0-9]$/u.test(proto)) continue;
    const to = looksLike.toLowerCase();
    if (closure.has(proto) && closure.get(proto) !== to) conflicts.add(proto);
    else closure.set(proto, to);
  }
  for (const c of conflicts) closure.delete(c);
  return closure;
}

const pack = (entries) =>
  entries
    .sort(([a], [b]) => a.codePointAt(0) - b.codePointAt(0))
    .map(([from, to]) => `${hex(from)}=${hex(to)}`)
    .join(";");

/** Splits `packed` into array lines that fit the formatter's width (whole entries per line). */
function lines(packed) {
  const out = [];
  let line = "";
  for (const entry of packed.split(";")) {
    if (line && line.length + entry.length + 1 > 100) {
      out.push(line);
      line = "";
    }
    line = line ? `${line};${entry}` : entry;
  }
  if (line) out.push(line);
  return out.map((l) => `  "${l}",`).join("\n");
}

function build(file) {
  const source = loadSource(file);
  if (!source.version) throw new Error("the source does not say which Unicode version it is");
  const kept = [...source.map].filter(([from]) => keep(from));
  return {
    unicodeVersion: source.version,
    source: source.name,
    sourceSha256: createHash("sha256").update(source.bytes).digest("hex"),
    scripts: SCRIPTS,
    confusables: pack(kept),
    caseClosure: pack([...caseClosure(source.map)]),
  };
}

function render(d) {
  const count = d.confusables.split(";").length;
  const size = d.confusables.length + d.caseClosure.length;
  return `/**
 * @module Unicode's confusable data for usernames (UTS #39 confusables.txt, the "MA" mappings), generated by
 * scripts/gen-confusables.mjs: do not edit, rerun the script.
 *
 * Source: ${d.source}, Unicode ${d.unicodeVersion}
 * SHA-256 of the source: ${d.sourceSha256}
 * ${count} mappings kept (letters, marks and digits of SCRIPTS that NFKC leaves alone); ${size} characters of data.
 */

/** The Unicode version of the confusables data. */
export const UNICODE_VERSION = "${d.unicodeVersion}";
/** Where the data was taken from, and the SHA-256 of that file. */
export const SOURCE = "${d.source}";
export const SOURCE_SHA256 = "${d.sourceSha256}";

/**
 * The scripts a username may be written in: UAX #31 Table 5, "Recommended Scripts" (Common and Inherited
 * characters go with any of them). The data below is kept for these only.
 */
export const SCRIPTS = [
${d.scripts.map((s) => `  "${s}",`).join("\n")}
] as const;

/**
 * Source code point = prototype code points, hex, \`;\`-separated: a character maps to its prototype (skeleton
 * step 2 of UTS #39 section 4).
 */
export const CONFUSABLES = [
${lines(d.confusables)}
].join(";");

/** Derived by the generator (see caseClosure there): prototypes keyed as an ASCII small letter, same format. */
export const CASE_CLOSURE = [
${lines(d.caseClosure)}
].join(";");
`;
}

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith("--"));
const data = build(file);
if (args.includes("--json")) process.stdout.write(`${JSON.stringify(data)}\n`);
else {
  writeFileSync(OUT, render(data));
  console.log(`wrote ${path.relative(ROOT, OUT)}: Unicode ${data.unicodeVersion} from ${data.source}`);
}
