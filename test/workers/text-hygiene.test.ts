/**
 * @module Text hygiene through the real Worker and battle object: NUL, other C0 controls, DEL and lone surrogates
 * in any player or operator string are `bad_message` naming the field (over HTTP and the socket, which stays
 * open), while text in every script comes back unchanged, and reaches Postgres unchanged.
 */
import { describe, expect, it } from "vitest";
import { api, connect, createBattle, join, OPERATOR, QUESTIONS, startBattle } from "./helpers";
import { drained, pg } from "./persistence-helpers";

const hex = (c: string) => `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
const describeBad = (c: string) =>
  `contains ${c >= "\ud800" && c <= "\udfff" ? "a lone surrogate" : "a control character"} (${hex(c)})`;

/** Refused everywhere: NUL, ESC, DEL, a lone high and a lone low surrogate. */
const ALWAYS_BAD = ["\u0000", "\u001b", "\u007f", "\ud800", "\udfff"];
/** Refused in single-line fields only. */
const LINE_BREAKS = ["\t", "\n", "\r"];

const auth = (t: string) => ({ Authorization: `Bearer ${t}` });

describe("operator battle create", () => {
  const fields: ReadonlyArray<{ name: string; multiline: boolean; set: (b: any, s: string) => void }> = [
    { name: "id", multiline: false, set: (b, s) => (b.id = `ab${s}`) },
    { name: "title", multiline: false, set: (b, s) => (b.title = `Quiz ${s}`) },
    { name: "questions.0.id", multiline: false, set: (b, s) => (b.questions[0].id = `q${s}`) },
    { name: "questions.0.text", multiline: true, set: (b, s) => (b.questions[0].text = `2 + 2${s}?`) },
    { name: "questions.0.choices.2", multiline: true, set: (b, s) => (b.questions[0].choices[2] = `5${s}`) },
    {
      name: "questions.1.answer.0",
      multiline: false,
      set: (b, s) => (b.questions[1].answer[0] = `Par${s}is`),
    },
    { name: "questions.3.answer", multiline: false, set: (b, s) => (b.questions[3].answer = `wa${s}ter`) },
  ];

  it("refuses a control character or lone surrogate in every string field, naming the field", async () => {
    for (const f of fields) {
      for (const bad of [...ALWAYS_BAD, ...(f.multiline ? [] : LINE_BREAKS)]) {
        const battle: any = {
          id: `th-${Date.now().toString(36)}`,
          title: "Quiz",
          questions: structuredClone(QUESTIONS),
        };
        f.set(battle, bad);
        const res = await api("POST", "/api/admin/battles", battle, OPERATOR);
        expect({ field: f.name, bad: hex(bad), ...res }).toEqual({
          field: f.name,
          bad: hex(bad),
          status: 400,
          json: { error: { code: "bad_message", message: `${f.name}: ${describeBad(bad)}` } },
        });
      }
    }
  });

  it("keeps TAB and line breaks in question text and choices", async () => {
    const id = await createBattle({
      questions: [{ id: "m1", text: "Line one\n\tLine two\r\nend", choices: ["a\nb", "c\td"], answer: 1 }],
    });
    await startBattle(id);
    const view = await api("GET", `/api/battles/${id}`);
    expect(view.json.battle.questions[0]).toMatchObject({
      text: "Line one\n\tLine two\r\nend",
      choices: ["a\nb", "c\td"],
    });
  });

  it("answers a malformed list query with bad_message, not a 500", async () => {
    const res = await api("GET", "/api/admin/battles?limit=abc", undefined, OPERATOR);
    expect(res).toMatchObject({ status: 400, json: { error: { code: "bad_message" } } });
  });
});

describe("players", () => {
  it("join: refuses a control character or lone surrogate in username, playerKey and identityToken", async () => {
    const id = await createBattle();
    for (const bad of [...ALWAYS_BAD, ...LINE_BREAKS]) {
      const bodies: Record<string, Record<string, string>> = {
        username: { username: `ali${bad}ce` },
        playerKey: { username: "alice", playerKey: `key${bad}` },
        identityToken: { identityToken: `a.b${bad}` },
      };
      for (const [field, body] of Object.entries(bodies)) {
        const res = await api("POST", `/api/battles/${id}/join`, body);
        expect({ field, bad: hex(bad), ...res }).toEqual({
          field,
          bad: hex(bad),
          status: 400,
          json: { error: { code: "bad_message", message: `${field}: ${describeBad(bad)}` } },
        });
      }
    }
    // Nothing got in: the name is still free.
    expect((await join(id, "alice")).participantId).toBeGreaterThan(0);
  });

  it("HTTP answer: refuses a control character or lone surrogate in questionId and answer", async () => {
    const id = await createBattle();
    await startBattle(id);
    const a = await join(id, "alice");
    for (const bad of [...ALWAYS_BAD, ...LINE_BREAKS]) {
      for (const field of ["questionId", "answer"]) {
        const body = { questionId: "q2", answer: "Paris", [field]: `x${bad}` };
        const res = await api("POST", `/api/battles/${id}/answer`, body, auth(a.token));
        expect({ field, bad: hex(bad), ...res }).toEqual({
          field,
          bad: hex(bad),
          status: 400,
          json: { error: { code: "bad_message", message: `${field}: ${describeBad(bad)}` } },
        });
      }
    }
    // None of them was an attempt: the one allowed attempt is still there.
    const ok = await api(
      "POST",
      `/api/battles/${id}/answer`,
      { questionId: "q2", answer: "Paris" },
      auth(a.token),
    );
    expect(ok).toMatchObject({ status: 200, json: { result: { correct: true } } });
  });

  it("socket: refuses a control character or lone surrogate in id, questionId and answer; the socket stays open", async () => {
    const id = await createBattle();
    await startBattle(id);
    for (const field of ["id", "questionId", "answer"]) {
      const ws = await connect(await join(id, `player ${field}`));
      for (const bad of [...ALWAYS_BAD, ...LINE_BREAKS]) {
        const msg: Record<string, unknown> = { type: "answer", id: 1, questionId: "q2", answer: "Paris" };
        msg[field] = `x${bad}`;
        ws.send(msg); // JSON.stringify writes NUL and lone surrogates as \u escapes: a valid text frame
        const error = { code: "bad_message", message: `${field}: ${describeBad(bad)}` };
        if (field === "id") {
          // An id that is refused is not echoed: the refusal is an `error` frame.
          expect(await ws.next((m) => m.type === "error")).toEqual({ type: "error", error });
        } else {
          expect(await ws.next((m) => m.type === "reply" && m.id === 1)).toEqual({
            type: "reply",
            id: 1,
            ok: false,
            error,
          });
        }
      }
      const pong = { type: "ping", id: "p\u0000" };
      ws.send(pong);
      expect(await ws.next((m) => m.type === "error")).toMatchObject({
        error: { code: "bad_message", message: "id: contains a control character (U+0000)" },
      });
      const ok = await ws.request({ type: "answer", id: 2, questionId: "q2", answer: "Paris" });
      expect(ok).toMatchObject({ ok: true, data: { questionId: "q2", correct: true } });
      expect(ws.closed).toBeNull();
      ws.ws.close(1000);
    }
  });
});

describe("text in every script", () => {
  const title =
    "Zażółć gęślą jaźń · Съешь ещё · \u200fمرحبا\u200f · 漢字かな한국어 · 😀👍🏽👩‍👩‍👧 · e\u0301a\u0308";
  const questions = [
    {
      id: "pl",
      text: "Stolica Polski?\n\tWybierz: Kraków, Łódź, Warszawa",
      choices: ["Kraków", "Łódź", "Warszawa"],
      answer: 2,
    },
    { id: "ru", text: "Столица России?", answer: ["Москва", "Moskva"] },
    {
      id: "ar",
      text: "\u200fما عاصمة مصر؟\u200f",
      choices: ["\u200fالقاهرة\u200f", "\u202bدبي\u202c"],
      answer: 0,
    },
    { id: "ja", text: "日本の首都は？", answer: "東京" },
    { id: "emoji", text: "👍🏽 or 👎?", answer: "👍🏽" },
    { id: "marks", text: "Ame\u0301lie?", answer: "Ame\u0301lie" },
  ];
  const usernames = ["Zażółć", "Съешь", "مرحبا", "漢字かな", "한국어", "Ωμέγα"];

  it("comes back unchanged in the battle view, the join reply and the answer reply, and reaches Postgres", async () => {
    const id = await createBattle({ title, questions });
    await startBattle(id);
    const view = await api("GET", `/api/battles/${id}`);
    expect(view.json.battle.title).toBe(title);
    expect(view.json.battle.questions.map((q: any) => [q.id, q.text, q.choices])).toEqual(
      questions.map((q) => [q.id, q.text, q.choices]),
    );
    const joined = [];
    for (const u of usernames) {
      const j = await api("POST", `/api/battles/${id}/join`, { username: u });
      expect(j).toMatchObject({ status: 201, json: { username: u } });
      joined.push(j.json);
    }
    const ws = await connect(joined[0]);
    const answers: Array<[string, string | number]> = [
      ["pl", "Warszawa"],
      ["ru", "Москва"],
      ["ar", "\u200fالقاهرة\u200f"],
      ["ja", "東京"],
      ["emoji", "👍🏽"],
      ["marks", "Ame\u0301lie"],
    ];
    let n = 0;
    for (const [questionId, answer] of answers) {
      const r = await ws.request({ type: "answer", id: `réq-${++n}-漢`, questionId, answer });
      expect(r).toMatchObject({ id: `réq-${n}-漢`, ok: true, data: { questionId, correct: true } });
    }
    const http = await api(
      "POST",
      `/api/battles/${id}/answer`,
      { questionId: "ja", answer: "東京" },
      auth(joined[1].token),
    );
    expect(http).toMatchObject({ status: 200, json: { result: { questionId: "ja", correct: true } } });
    ws.ws.close(1000);

    // The reason for all of this: Postgres takes every one of these strings.
    await drained(id);
    const sql = pg();
    const [battle] = await sql.unsafe("SELECT title FROM battles WHERE id = $1", [id]);
    expect(battle?.title).toBe(title);
    const names = await sql.unsafe(
      "SELECT username FROM participants WHERE battle_id = $1 ORDER BY participant_id",
      [id],
    );
    expect(names.map((r) => r.username)).toEqual(usernames);
    const stored = await sql.unsafe(
      "SELECT question_id, answer FROM answers WHERE battle_id = $1 AND participant_id = $2 ORDER BY seq",
      [id, joined[0].participantId],
    );
    expect(stored.map((r) => [r.question_id, r.answer])).toEqual(answers);
  });
});
