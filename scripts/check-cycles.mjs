#!/usr/bin/env node
/**
 * Reports import cycles among src/**\/*.ts (relative imports and re-exports, `import type` included) and exits 1 if
 * there is any. Usage: `node scripts/check-cycles.mjs [root]` (default `src`); part of `npm run lint`.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const root = resolve(process.argv[2] ?? "src");

/** Every .ts file under `dir`. */
function files(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...files(path));
    else if (name.endsWith(".ts")) out.push(path);
  }
  return out;
}

/**
 * A statement at the start of a line, `import …`/`export …` up to its first relative specifier: imports and
 * re-exports over several lines too, side-effect `import "./x"`; a doc comment's example (` * import …`) is not one.
 */
const SPECIFIER =
  /^[ \t]*(?:import|export)\b[^;]*?\bfrom\s*["'](\.{1,2}\/[^"']*)["']|^[ \t]*import\s*["'](\.{1,2}\/[^"']*)["']/gm;

/** The file a relative specifier names: `x.ts`, `x` itself, or `x/index.ts`. */
function resolveSpecifier(from, spec) {
  const base = resolve(dirname(from), spec);
  for (const candidate of [`${base}.ts`, base.replace(/\.js$/, ".ts"), join(base, "index.ts")]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return null;
}

const graph = new Map();
for (const file of files(root)) {
  const deps = new Set();
  for (const m of readFileSync(file, "utf8").matchAll(SPECIFIER)) {
    const target = resolveSpecifier(file, m[1] ?? m[2]);
    if (target) deps.add(target);
  }
  graph.set(file, [...deps]);
}

// Tarjan's strongly connected components: every component of more than one file (or a file importing itself) is
// a cycle.
let index = 0;
const indexOf = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
const components = [];

function connect(v) {
  indexOf.set(v, index);
  low.set(v, index);
  index++;
  stack.push(v);
  onStack.add(v);
  for (const w of graph.get(v) ?? []) {
    if (!indexOf.has(w)) {
      connect(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), indexOf.get(w)));
  }
  if (low.get(v) === indexOf.get(v)) {
    const component = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) components.push(component);
  }
}

for (const v of graph.keys()) if (!indexOf.has(v)) connect(v);

/** One concrete cycle through `start` inside its component (breadth-first, so the shortest). */
function cycleThrough(start, members) {
  const inside = new Set(members);
  const previous = new Map([[start, null]]);
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift();
    for (const w of graph.get(v) ?? []) {
      if (!inside.has(w)) continue;
      if (w === start) {
        const path = [v];
        for (let p = previous.get(v); p !== null; p = previous.get(p)) path.unshift(p);
        return [...path, start];
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

const name = (f) => relative(process.cwd(), f);
if (components.length === 0) {
  console.log(`no import cycles in ${name(root)} (${graph.size} files)`);
} else {
  for (const c of components) {
    const sorted = c.sort();
    console.error(`import cycle (${c.length} files): ${cycleThrough(sorted[0], c).map(name).join(" -> ")}`);
  }
  process.exit(1);
}
