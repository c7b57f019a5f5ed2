/** @module Text hygiene at the protocol boundary: the check itself, the socket codec (fast path and zod), the HTTP bodies. */
import fc from "fast-check";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { BattleInput } from "../../src/battle/config";
import { errorResponse, readJson } from "../../src/http/errors";
import { AnswerBody, ClientMessage } from "../../src/protocol/client-messages";
import { parseClientFrame } from "../../src/protocol/codec";
import { fastParse } from "../../src/protocol/fast-parse";
import { isSafeText, textProblem } from "../../src/protocol/text";

/** The rule spelled out one code unit at a time: the reference the regex is checked against. */
function firstForbidden(s: string, multiline: boolean): number | null {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) {
      if (multiline && (c === 0x09 || c === 0x0a || c === 0x0d)) continue;
      return c;
    }
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return c;
    }
    if (c >= 0xdc00 && c <= 0xdfff) return c;
  }
  return null;
}

const hex = (c: number) => `U+${c.toString(16).toUpperCase().padStart(4, "0")}`;

/** Single characters of every kind: any code point, any UTF-16 unit (lone surrogates), C0/DEL, text in scripts. */
const anyUnit = fc.oneof(
  fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
  fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((u) => String.fromCharCode(u)),
  fc.integer({ min: 0, max: 0x20 }).map((u) => String.fromCharCode(u)),
  fc.constantFrom("\u007f", "\t", "\n", "\r", "ż", "я", "ع", "\u200f", "漢", "😀", "e\u0301", "👩‍👩‍👧"),
);
const anyText = fc.array(anyUnit, { maxLength: 12 }).map((a) => a.join(""));

/** Text that must be accepted: every script, marks, RTL controls, astral characters; no C0, DEL or lone surrogate. */
const SCRIPTS = [
  "Zażółć gęślą jaźń",
  "Съешь же ещё этих мягких булок",
  "\u200fمرحبا بالعالم\u200f",
  "שלום \u202bעולם\u202c",
  "漢字かなカナ한국어",
  "😀👍🏽👩‍👩‍👧🇵🇱𝕏",
  "e\u0301 a\u0308 Z\u0335\u0321a\u0338",
  "\u00a0\u2028\u2029\ufeff\ufffd\u0085\u009f",
];
const safeUnit = fc.oneof(
  fc.string({ unit: "binary", minLength: 1, maxLength: 1 }).filter((s) => isSafeText(s)),
  fc.constantFrom(...[...SCRIPTS.join("")]),
);
const safeLine = fc.array(safeUnit, { minLength: 1, maxLength: 20 }).map((a) => a.join(""));
const safeMultiline = fc
  .array(fc.oneof(safeUnit, fc.constantFrom("\t", "\n", "\r\n")), { minLength: 1, maxLength: 20 })
  .map((a) => a.join(""));
const FORBIDDEN_LINE_UNITS = [
  ...Array.from({ length: 0x20 }, (_, i) => i),
  0x7f,
  0xd800,
  0xdbff,
  0xdc00,
  0xdfff,
];
const forbiddenLine = fc.constantFrom(...FORBIDDEN_LINE_UNITS);
const forbiddenMultiline = forbiddenLine.filter((c) => c !== 0x09 && c !== 0x0a && c !== 0x0d);
/** `c` inside otherwise safe text; a lone high surrogate is never followed by a low one, nor a low one preceded. */
const withUnit = (c: fc.Arbitrary<number>) =>
  fc.tuple(fc.string({ maxLength: 5 }), c, fc.string({ maxLength: 5 })).map(([a, u, b]) => ({
    text: `${a}${String.fromCharCode(u)}${b}`,
    unit: u,
  }));

describe("isSafeText / textProblem", () => {
  it("agree with the code-unit reference on arbitrary strings, single-line and multiline", () => {
    let refused = 0;
    fc.assert(
      fc.property(anyText, fc.boolean(), (s, multiline) => {
        const first = firstForbidden(s, multiline);
        expect(isSafeText(s, multiline)).toBe(first === null);
        const problem = textProblem(s, multiline);
        if (first === null) expect(problem).toBeNull();
        else {
          refused++;
          const kind = first >= 0xd800 ? "a lone surrogate" : "a control character";
          expect(problem).toBe(`contains ${kind} (${hex(first)})`);
        }
      }),
      { numRuns: 20_000, seed: 28 },
    );
    expect(refused).toBeGreaterThan(1000);
  });

  it("allows TAB, LF and CR only in multiline text; accepts every script", () => {
    for (const s of ["a\tb", "a\nb", "a\r\nb"]) {
      expect(isSafeText(s, true)).toBe(true);
      expect(textProblem(s)).toMatch(/^contains a control character \(U\+000[9AD]\)$/);
    }
    for (const s of SCRIPTS) expect(textProblem(s)).toBeNull();
    expect(textProblem("a\u0000")).toBe("contains a control character (U+0000)");
    expect(textProblem("\u007f")).toBe("contains a control character (U+007F)");
    expect(textProblem("x\ud800")).toBe("contains a lone surrogate (U+D800)");
    expect(textProblem("\udc00x")).toBe("contains a lone surrogate (U+DC00)");
    expect(textProblem("\ud83d\ude00\ude00")).toBe("contains a lone surrogate (U+DE00)");
    expect(textProblem("\ud83d\ude00")).toBeNull();
  });
});

describe("socket frames", () => {
  const idArb = fc.oneof(
    fc.nat(),
    safeLine.filter((s) => s.length <= 64),
  );
  const qidArb = safeLine.filter((s) => s.length <= 64);
  const answerArb = fc.oneof(
    fc.integer(),
    safeLine.filter((s) => s.length <= 1024),
  );

  it("accept safe text in every script unchanged, on the fast path and in zod alike", () => {
    fc.assert(
      fc.property(idArb, qidArb, answerArb, (id, questionId, answer) => {
        const msg = { type: "answer", id, questionId, answer };
        const parsed = parseClientFrame(JSON.stringify(msg));
        expect(parsed).toEqual({ ok: true, msg });
        expect(fastParse(JSON.parse(JSON.stringify(msg)))).toEqual(msg);
        expect(ClientMessage.parse(msg)).toEqual(msg);
      }),
      { numRuns: 3000, seed: 28 },
    );
  });

  it("the fast path never accepts what zod refuses, on arbitrary Unicode", () => {
    const field = fc.oneof(anyText, fc.integer());
    let accepted = 0;
    fc.assert(
      fc.property(field, field, field, fc.constantFrom("answer", "ping"), (id, questionId, answer, type) => {
        const raw = type === "ping" ? { type, id } : { type, id, questionId, answer };
        const fast = fastParse(raw);
        const slow = ClientMessage.safeParse(raw);
        if (fast === null) return;
        accepted++;
        expect(slow).toEqual({ success: true, data: fast });
      }),
      { numRuns: 10_000, seed: 28 },
    );
    expect(accepted).toBeGreaterThan(500);
  });

  it("refuse a control character or lone surrogate in id, questionId or answer with bad_message naming it", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("id", "questionId", "answer"),
        withUnit(forbiddenLine),
        (field, { text, unit }) => {
          const msg: Record<string, unknown> = { type: "answer", id: 7, questionId: "q1", answer: "ok" };
          msg[field] = text;
          const raw = JSON.parse(JSON.stringify(msg)) as Record<string, unknown>;
          expect(fastParse(raw)).toBeNull();
          const parsed = parseClientFrame(JSON.stringify(msg));
          const first = firstForbidden(text, false);
          expect(first).toBe(unit); // the padding is printable ASCII
          const kind = unit >= 0xd800 ? "a lone surrogate" : "a control character";
          const error = { code: "bad_message", message: `${field}: contains ${kind} (${hex(unit)})` };
          // A bad id cannot be echoed: the refusal is an `error` frame without one.
          expect(parsed).toEqual(field === "id" ? { ok: false, error } : { ok: false, id: 7, error });
        },
      ),
      { numRuns: 2000, seed: 28 },
    );
    expect(parseClientFrame('{"type":"ping","id":"\\u0000"}')).toEqual({
      ok: false,
      error: { code: "bad_message", message: "id: contains a control character (U+0000)" },
    });
  });
});

/** readJson and errorResponse exactly as the Worker's routes use them. */
const app = new Hono()
  .post("/answer", async (c) => c.json(await readJson(c, AnswerBody)))
  .post("/battles", async (c) => c.json(await readJson(c, BattleInput)))
  .onError((e, c) => errorResponse(c, e));

async function post(path: string, body: unknown): Promise<{ status: number; json: any }> {
  const res = await app.request(path, { method: "POST", body: JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}

const BATTLE = {
  id: "b-1",
  title: "Quiz",
  questions: [
    { id: "q1", text: "Pick", choices: ["a", "b"], answer: 0 },
    { id: "q2", text: "Type", answer: "one" },
    { id: "q3", text: "Type", answer: ["x", "y"] },
  ],
};

/** Every string field of a battle: where it is, the name the error gives it, and whether it may span lines. */
const BATTLE_FIELDS: ReadonlyArray<{
  name: string;
  multiline: boolean;
  set: (b: any, s: string) => void;
  get: (b: any) => string;
}> = [
  { name: "id", multiline: false, set: (b, s) => (b.id = s), get: (b) => b.id },
  { name: "title", multiline: false, set: (b, s) => (b.title = s), get: (b) => b.title },
  {
    name: "questions.0.id",
    multiline: false,
    set: (b, s) => (b.questions[0].id = s),
    get: (b) => b.questions[0].id,
  },
  {
    name: "questions.0.text",
    multiline: true,
    set: (b, s) => (b.questions[0].text = s),
    get: (b) => b.questions[0].text,
  },
  {
    name: "questions.0.choices.1",
    multiline: true,
    set: (b, s) => (b.questions[0].choices[1] = s),
    get: (b) => b.questions[0].choices[1],
  },
  {
    name: "questions.1.answer",
    multiline: false,
    set: (b, s) => (b.questions[1].answer = s),
    get: (b) => b.questions[1].answer,
  },
  {
    name: "questions.2.answer.1",
    multiline: false,
    set: (b, s) => (b.questions[2].answer[1] = s),
    get: (b) => b.questions[2].answer[1],
  },
];
/** Ids have their own ASCII pattern; free text does not. */
const FREE_TEXT = BATTLE_FIELDS.filter((f) => f.name !== "id" && f.name !== "questions.0.id");

describe("HTTP bodies", () => {
  it("answer: a forbidden character is 400 bad_message naming the field; safe text passes unchanged", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("questionId", "answer"),
        withUnit(forbiddenLine),
        async (field, bad) => {
          const body: Record<string, unknown> = { questionId: "q1", answer: "ok", [field]: bad.text };
          const res = await post("/answer", body);
          expect(res.status).toBe(400);
          expect(res.json.error.code).toBe("bad_message");
          expect(res.json.error.message).toMatch(
            new RegExp(`^${field}: contains a (control character|lone surrogate) \\(U\\+[0-9A-F]{4}\\)$`),
          );
        },
      ),
      { numRuns: 300, seed: 28 },
    );
    await fc.assert(
      fc.asyncProperty(
        safeLine.filter((s) => s.length <= 64),
        safeLine.filter((s) => s.length <= 1024),
        async (questionId, answer) => {
          expect(await post("/answer", { questionId, answer })).toEqual({
            status: 200,
            json: { questionId, answer },
          });
        },
      ),
      { numRuns: 300, seed: 28 },
    );
  });

  it("battle create: every string field refuses forbidden characters, naming the field", async () => {
    for (const f of BATTLE_FIELDS) {
      const units = f.multiline ? forbiddenMultiline : forbiddenLine;
      await fc.assert(
        fc.asyncProperty(units, async (unit) => {
          const battle = structuredClone(BATTLE);
          f.set(battle, `ab${String.fromCharCode(unit)}c`);
          const res = await post("/battles", battle);
          const kind = unit >= 0xd800 ? "a lone surrogate" : "a control character";
          expect(res).toEqual({
            status: 400,
            json: { error: { code: "bad_message", message: `${f.name}: contains ${kind} (${hex(unit)})` } },
          });
        }),
        { numRuns: 40, seed: 28 },
      );
    }
  });

  it("battle create: text in every script (and line breaks where allowed) round-trips unchanged", async () => {
    for (const f of FREE_TEXT) {
      await fc.assert(
        fc.asyncProperty(f.multiline ? safeMultiline : safeLine, async (text) => {
          const battle = structuredClone(BATTLE);
          f.set(battle, text);
          const res = await post("/battles", battle);
          expect(res.status).toBe(200);
          expect(f.get(res.json)).toBe(text);
        }),
        { numRuns: 200, seed: 28 },
      );
    }
    for (const s of SCRIPTS) {
      const battle = structuredClone(BATTLE);
      for (const f of FREE_TEXT) f.set(battle, s);
      const parsed = BattleInput.parse(battle);
      for (const f of FREE_TEXT) expect(f.get(parsed)).toBe(s);
    }
  });

  it("single-line fields refuse TAB and newlines; question text and choices keep them", async () => {
    for (const f of BATTLE_FIELDS) {
      const battle = structuredClone(BATTLE);
      f.set(battle, "line one\n\tline two\r\n");
      const res = await post("/battles", battle);
      if (f.multiline) expect(f.get(res.json)).toBe("line one\n\tline two\r\n");
      else
        expect(res.json.error).toEqual({
          code: "bad_message",
          message: `${f.name}: contains a control character (U+000A)`,
        });
    }
  });
});
