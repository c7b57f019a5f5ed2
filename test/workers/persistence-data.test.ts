/**
 * @module Whatever the players and operators type, every event reaches D1 and Postgres (issue 28): battles with the
 * longest question lists the create body allows, texts from every script (astral, combining marks, RTL marks),
 * usernames in many scripts and answers of maximum length, through the real Worker, Durable Object, queue, D1 and
 * Postgres. Every accepted text comes back unchanged from both sinks; the battle ends; its final standings land;
 * reconcile is clean and no dead letter is left.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../loadtest/prng";
import type { BattleDO } from "../../src/do/battle-do";
import { api, connect, join, OPERATOR, startBattle } from "./helpers";
import { drained, pg, reconcileReport } from "./persistence-helpers";

/** Code point ranges of many scripts and symbol blocks, astral ones included. */
const RANGES: readonly [number, number][] = [
  [0x20, 0x7e], // ASCII (quotes and backslashes included)
  [0xa0, 0x17f], // Latin-1, Latin Extended-A (Polish ł, ą …)
  [0x300, 0x36f], // combining marks
  [0x370, 0x3ff], // Greek
  [0x400, 0x4ff], // Cyrillic
  [0x590, 0x5ff], // Hebrew
  [0x600, 0x6ff], // Arabic
  [0x900, 0x97f], // Devanagari
  [0xe00, 0xe7f], // Thai
  [0x200e, 0x200f], // LTR / RTL marks
  [0x202a, 0x202e], // bidi embeddings and overrides
  [0x3040, 0x30ff], // Hiragana, Katakana
  [0x4e00, 0x9fff], // CJK
  [0xac00, 0xd7a3], // Hangul
  [0xfe00, 0xfe0f], // variation selectors
  [0xfff0, 0xfffd], // specials
  [0x1f300, 0x1faff], // emoji (astral)
  [0x20000, 0x2a6df], // CJK Extension B (astral)
  [0xe0000, 0xe007f], // tags (astral)
  [0x10fff0, 0x10fffd], // the last plane
];

function text(next: () => number, length: number, multiline = false): string {
  let s = "";
  while (s.length < length) {
    const r = next();
    if (multiline && r < 0.02) s += r < 0.01 ? "\n" : "\t";
    else {
      const [lo, hi] = RANGES[Math.floor(next() * RANGES.length)]!;
      s += String.fromCodePoint(lo + Math.floor(next() * (hi - lo + 1)));
    }
  }
  // Cut to `length` UTF-16 units without splitting a pair.
  let out = s.slice(0, length);
  const last = out.charCodeAt(out.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) out = `${out.slice(0, -1)}x`;
  return out.trim().length === 0 ? `${out.slice(1)}x` : out;
}

const NAMES = ["Łukasz", "Мария", "محمد", "李小龍", "Ñandú", "ゆうき", "Ελένη", "Zoë", "Ангелина", "שירה"];

async function endAndCheck(
  id: string,
  questions: { id: string; text: string; choices?: string[] }[],
  typed: Map<number, string>,
) {
  expect((await api("POST", `/api/admin/battles/${id}/end`, undefined, OPERATOR)).status).toBe(200);
  await drained(id, 60_000);
  const report = await reconcileReport(id);
  expect(report).toMatchObject({ clean: true, differences: [] });

  // D1: /results serves the whole view, every question exactly as created (in order).
  const results = await api("GET", `/api/battles/${id}/results`);
  expect(results.status).toBe(200);
  const served = results.json.battle.questions as { id: string; text: string; choices?: string[] }[];
  expect(served.map((q) => [q.id, q.text, q.choices])).toEqual(
    questions.map((q) => [q.id, q.text, q.choices]),
  );
  expect(results.json.standings.map((s: { username: string }) => s.username).sort()).toEqual(
    NAMES.slice(0, typed.size).sort(),
  );

  // Postgres: the questions, every answer's text, the usernames and the final standings, unchanged.
  const sql = pg();
  const qs = await sql.unsafe("SELECT question FROM battle_questions WHERE battle_id = $1 ORDER BY idx", [
    id,
  ]);
  expect(qs.map((r) => [r.question.id, r.question.text, r.question.choices])).toEqual(
    questions.map((q) => [q.id, q.text, q.choices]),
  );
  const answers = await sql.unsafe("SELECT participant_id, answer FROM answers WHERE battle_id = $1", [id]);
  expect(new Map(answers.map((r) => [r.participant_id as number, r.answer as string]))).toEqual(typed);
  const finals = await sql.unsafe("SELECT username FROM final_results WHERE battle_id = $1", [id]);
  expect(finals.map((r) => r.username).sort()).toEqual(NAMES.slice(0, typed.size).sort());
  const letters = await api("GET", `/api/admin/dead-letters?battle=${id}`, undefined, OPERATOR);
  expect(letters.json.deadLetters).toEqual([]);
}

async function create(id: string, title: string, questions: unknown[]) {
  const res = await api("POST", "/api/admin/battles", { id, title, questions }, OPERATOR);
  expect([res.status, res.json]).toEqual([201, expect.anything()]);
}

async function play(id: string, questionId: string, players: number, next: () => number) {
  const typed = new Map<number, string>();
  for (const name of NAMES.slice(0, players)) {
    const joined = await join(id, name);
    const ws = await connect(joined);
    const answer = text(next, 1024);
    const reply = await ws.request({ type: "answer", id: 1, questionId, answer });
    expect(reply.ok).toBe(true);
    typed.set(joined.participantId, answer);
    ws.ws.close();
  }
  return typed;
}

describe("every text reaches both sinks", () => {
  it("a battle of 1,000 questions in every script lands whole in D1 and Postgres", async () => {
    const next = mulberry32(28);
    const id = `data-many-${Date.now().toString(36)}`;
    // ~950 characters a question: 1,000 of them fill the 1 MB create body.
    const questions = Array.from({ length: 999 }, (_, i) => ({
      id: `q${i}`,
      text: text(next, 700, true),
      choices: [text(next, 100), text(next, 100)],
      answer: 0,
    }));
    const exact = { id: "typed", text: text(next, 200, true), answer: ["anything"] };
    await create(id, text(next, 200), [exact, ...questions]);
    await startBattle(id);
    const typed = await play(id, "typed", NAMES.length, next);
    await endAndCheck(id, [exact, ...questions], typed);
  }, 120_000);

  it("a battle of the longest questions (4,000 characters, 16 choices of 500) lands whole", async () => {
    const next = mulberry32(29);
    const id = `data-long-${Date.now().toString(36)}`;
    // 78 of them and a typed one: ~940,000 characters, what the 1 MB create body holds.
    const questions = Array.from({ length: 78 }, (_, i) => ({
      id: `q${i}`,
      text: text(next, 4000, true),
      choices: Array.from({ length: 16 }, () => text(next, 500, true)),
      answer: 3,
    }));
    const exact = { id: "typed", text: text(next, 4000, true), answer: ["anything"] };
    await create(id, text(next, 200), [exact, ...questions]);
    // ~2.2 MB as UTF-8: stored in the object in parts, no row over the platform's 2 MB.
    const rows = await runInDurableObject(env.BATTLE.get(env.BATTLE.idFromName(id)), (_: BattleDO, state) =>
      state.storage.sql
        .exec<{ key: string; bytes: number }>("SELECT key, length(CAST(value AS BLOB)) AS bytes FROM meta")
        .toArray(),
    );
    const parts = rows.filter((r) => r.key.startsWith("config#"));
    expect(parts.length).toBeGreaterThan(1);
    for (const r of rows) expect(r.bytes).toBeLessThan(2_000_000);
    expect(parts.reduce((n, r) => n + r.bytes, 0)).toBeGreaterThan(2_000_000);
    await startBattle(id);
    const typed = await play(id, "typed", 4, next);
    await endAndCheck(id, [exact, ...questions], typed);
    // The ended battle's view went out in parts: the largest message the object sent stayed under the limit.
    const d1 = await env.DB.prepare("SELECT question_count FROM battles WHERE id = ?1").bind(id).first();
    expect(d1?.question_count).toBe(79);
  }, 120_000);
});
