/**
 * @module The console's "create battle" form: questions from a JSON file, the JSON editor or the add-question
 * form; checks what it can before sending and puts every error (its own or the server's) next to its field.
 */

/** Form fields that can carry an error; the server's error path (`questions.0.answer: …`) maps onto them. */
export type FieldName = "id" | "title" | "durationSec" | "points" | "leaderboardSize" | "questions" | "form";

export interface FormValues {
  readonly id: string;
  readonly title: string;
  readonly durationSec: string;
  readonly points: string;
  readonly leaderboardSize: string;
  readonly questionsJson: string;
}

export type Built =
  | { ok: true; body: Record<string, unknown> }
  | { ok: false; errors: Map<FieldName, string> };

/** Turns the form into the create body, or the errors to show. Pure. */
export function buildCreateBody(v: FormValues): Built {
  const errors = new Map<FieldName, string>();
  const body: Record<string, unknown> = {};
  const id = v.id.trim();
  if (id !== "") {
    if (!/^[a-z0-9][a-z0-9-]{2,63}$/.test(id))
      errors.set("id", "3–64 lowercase letters, digits and -, starting with a letter or digit");
    else body.id = id;
  }
  if (v.title.trim() === "") errors.set("title", "a title is required");
  else body.title = v.title.trim();
  const duration = Number(v.durationSec);
  if (!Number.isInteger(duration) || duration < 10) errors.set("durationSec", "whole seconds, at least 10");
  else body.durationMs = duration * 1000;
  if (v.points.trim() !== "") {
    const points = Number(v.points);
    if (!Number.isInteger(points) || points < 0) errors.set("points", "a whole number ≥ 0");
    else body.points = points;
  }
  if (v.leaderboardSize.trim() !== "") {
    const n = Number(v.leaderboardSize);
    if (!Number.isInteger(n) || n < 1 || n > 100) errors.set("leaderboardSize", "1 to 100");
    else body.leaderboardSize = n;
  }
  const q = parseQuestions(v.questionsJson);
  if (typeof q === "string") errors.set("questions", q);
  else body.questions = q;
  return errors.size > 0 ? { ok: false, errors } : { ok: true, body };
}

/** The questions array from the editor: a JSON array, or a whole battle body with a `questions` array. */
export function parseQuestions(text: string): unknown[] | string {
  if (text.trim() === "") return "add at least one question (form, JSON file or JSON here)";
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return `not valid JSON: ${e instanceof Error ? e.message : String(e)}`;
  }
  const list = Array.isArray(parsed) ? parsed : (parsed as { questions?: unknown } | null)?.questions;
  if (!Array.isArray(list)) return "expected a JSON array of questions (or an object with a questions array)";
  if (list.length === 0) return "add at least one question";
  return list;
}

/** Where the server's 400 message (`path: message`) belongs, and the text to show there. */
export function serverErrorField(message: string): { field: FieldName; text: string } {
  const m = /^([A-Za-z0-9_.]+): (.*)$/s.exec(message);
  if (!m) return { field: "form", text: message };
  const path = m[1]!.split(".");
  const text = m[2]!;
  switch (path[0]) {
    case "id":
      return { field: "id", text };
    case "title":
      return { field: "title", text };
    case "durationMs":
      return { field: "durationSec", text };
    case "points":
      return { field: "points", text };
    case "leaderboardSize":
      return { field: "leaderboardSize", text };
    case "questions": {
      const i = Number(path[1]);
      const where = Number.isInteger(i)
        ? `question ${i + 1}${path[2] ? ` (${path.slice(2).join(".")})` : ""}: `
        : "";
      return { field: "questions", text: `${where}${text}` };
    }
    default:
      return { field: "form", text: message };
  }
}

/** One question from the add-question form, in the create body's shape; an error string if incomplete. */
export function questionFromForm(
  existing: readonly unknown[],
  text: string,
  choicesText: string,
  answerText: string,
): Record<string, unknown> | string {
  if (text.trim() === "") return "the question needs a text";
  if (answerText.trim() === "") return "the question needs an answer";
  const ids = new Set(existing.map((q) => (q as { id?: unknown }).id));
  let n = existing.length + 1;
  while (ids.has(`q${n}`)) n++;
  const q: Record<string, unknown> = { id: `q${n}`, text: text.trim() };
  const choices = choicesText
    .split("\n")
    .map((c) => c.trim())
    .filter((c) => c !== "");
  if (choices.length > 0) {
    if (choices.length < 2) return "a choice question needs at least two choices (one per line)";
    const byText = choices.indexOf(answerText.trim());
    const byIndex = Number(answerText) - 1;
    const index = byText >= 0 ? byText : Number.isInteger(byIndex) ? byIndex : -1;
    if (index < 0 || index >= choices.length)
      return "the answer is the right choice's text or its number (1 for the first)";
    q.choices = choices;
    q.answer = index;
  } else {
    q.answer = answerText.trim();
  }
  return q;
}
