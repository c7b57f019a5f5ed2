/** @module Pure parts of the pages: leaderboard rows, results CSV (formula-safe), the create form's checks. */
import { describe, expect, it } from "vitest";
import { boardRows } from "../../src/pages/board-rows";
import {
  buildCreateBody,
  parseQuestions,
  questionFromForm,
  serverErrorField,
} from "../../src/pages/create-form";
import { csvCell, resultsCsv } from "../../src/pages/results-export";

const s = (rank: number, id = rank) => ({ rank, id, username: `p${id}`, score: 100 - rank });

describe("boardRows", () => {
  it("shows the top, a gap, then the players around me without repeats", () => {
    const rows = boardRows({ top: [s(1), s(2), s(3)], around: [s(3), s(4), s(20), s(21), s(22)] });
    expect(rows.map((r) => ("gap" in r ? "…" : r.rank))).toEqual([1, 2, 3, 4, "…", 20, 21, 22]);
  });

  it("has no gap when I am in the top list", () => {
    const rows = boardRows({ top: [s(1), s(2)], around: [s(1), s(2)] });
    expect(rows).toHaveLength(2);
  });
});

describe("results CSV", () => {
  it("quotes separators and neutralises spreadsheet formulas in usernames", () => {
    expect(csvCell("plain")).toBe("plain");
    expect(csvCell('a,"b"')).toBe('"a,""b"""');
    expect(csvCell("=HYPERLINK(1)")).toBe("'=HYPERLINK(1)");
    expect(csvCell("-1")).toBe("'-1");
    expect(csvCell(-1)).toBe("-1");
    const csv = resultsCsv({
      standings: [{ rank: 1, id: 7, username: "@x, y", score: 12, correct: 1, arrows: 3, shields: 0 }],
    });
    expect(csv).toBe('rank,id,username,score,correct,arrows,shields\r\n1,7,"\'@x, y",12,1,3,0\r\n');
  });
});

describe("create form", () => {
  const base = {
    id: "",
    title: "Quiz",
    durationSec: "60",
    points: "",
    leaderboardSize: "",
    questionsJson: '[{"id":"q1","text":"1+1","answer":"2"}]',
  };

  it("builds the create body", () => {
    expect(buildCreateBody(base)).toEqual({
      ok: true,
      body: { title: "Quiz", durationMs: 60_000, questions: [{ id: "q1", text: "1+1", answer: "2" }] },
    });
  });

  it("puts each error on its field", () => {
    const r = buildCreateBody({ ...base, id: "Bad Id", title: " ", durationSec: "5", questionsJson: "[" });
    expect(r.ok).toBe(false);
    if (!r.ok) expect([...r.errors.keys()].sort()).toEqual(["durationSec", "id", "questions", "title"]);
  });

  it("accepts a whole battle body as the questions file", () => {
    expect(parseQuestions('{"title":"t","questions":[{"id":"a"}]}')).toEqual([{ id: "a" }]);
    expect(parseQuestions("{}")).toMatch(/expected a JSON array/);
  });

  it("maps the server's error path to a field", () => {
    expect(serverErrorField("questions.2.answer: bad index")).toEqual({
      field: "questions",
      text: "question 3 (answer): bad index",
    });
    expect(serverErrorField("durationMs: too small")).toEqual({ field: "durationSec", text: "too small" });
    expect(serverErrorField("battle exists")).toEqual({ field: "form", text: "battle exists" });
  });

  it("adds a question from the form with a fresh id", () => {
    expect(questionFromForm([{ id: "q1" }], "Pick", "a\nb\n", "b")).toEqual({
      id: "q2",
      text: "Pick",
      choices: ["a", "b"],
      answer: 1,
    });
    expect(questionFromForm([], "Pick", "a\nb", "2")).toMatchObject({ answer: 1 });
    expect(questionFromForm([], "Pick", "a\nb", "c")).toMatch(/right choice/);
    expect(questionFromForm([], "Capital?", "", " Paris ")).toEqual({
      id: "q1",
      text: "Capital?",
      answer: "Paris",
    });
  });
});
