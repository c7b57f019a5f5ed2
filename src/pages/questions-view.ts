/** @module The question list: a form per question (choice buttons or a text answer) and its result line. */
import type { AnswerResult, QuestionView } from "../protocol/server-messages";
import { el, setText } from "./dom";

export type SubmitAnswer = (questionId: string, answer: string | number) => Promise<AnswerResult | string>;

interface Item {
  readonly li: HTMLLIElement;
  readonly controls: Array<HTMLButtonElement | HTMLInputElement>;
  readonly result: HTMLParagraphElement;
}

export class QuestionList {
  private readonly items = new Map<string, Item>();
  private locked = false;

  constructor(
    private readonly list: HTMLOListElement,
    private readonly submit: SubmitAnswer,
  ) {}

  /** Shows `questions` (once; later calls add only new ones); `done` ids start closed. */
  show(questions: readonly QuestionView[], done: readonly string[]): void {
    for (const q of questions) {
      if (this.items.has(q.id)) continue;
      const item = this.build(q);
      this.items.set(q.id, item);
      this.list.append(item.li);
      if (done.includes(q.id)) this.close(item, "Already answered.");
    }
    this.setLocked(this.locked);
  }

  get size(): number {
    return this.items.size;
  }

  /** Locks every form (battle not live, or ended). */
  setLocked(locked: boolean): void {
    this.locked = locked;
    for (const item of this.items.values()) {
      if (item.li.dataset.closed === "true") continue;
      for (const c of item.controls) c.disabled = locked;
    }
  }

  private build(q: QuestionView): Item {
    const headingId = `q-${q.id}-text`;
    const result = el("p", { class: "result", role: "status", "aria-live": "polite" });
    const controls: Array<HTMLButtonElement | HTMLInputElement> = [];
    let form: HTMLElement;
    if (q.kind === "choice" && q.choices) {
      const group = el("div", { class: "choices", role: "group", "aria-labelledby": headingId });
      q.choices.forEach((choice, i) => {
        const b = el("button", { type: "button", class: "choice" }, choice);
        b.addEventListener("click", () => void this.answer(q.id, i, b));
        controls.push(b);
        group.append(b);
      });
      form = group;
    } else {
      const inputId = `q-${q.id}-answer`;
      const input = el("input", { id: inputId, type: "text", autocomplete: "off", maxlength: "1024" });
      const send = el("button", { type: "submit" }, "Answer");
      const f = el(
        "form",
        { class: "exact", "aria-labelledby": headingId },
        el("label", { for: inputId, class: "visually-hidden" }, "Your answer"),
        input,
        send,
      );
      f.addEventListener("submit", (ev) => {
        ev.preventDefault();
        const v = input.value.trim();
        if (v !== "") void this.answer(q.id, v, send);
      });
      controls.push(input, send);
      form = f;
    }
    const li = el(
      "li",
      { class: "question", "data-question": q.id },
      el("p", { id: headingId, class: "q-text" }, q.text),
      el("p", { class: "q-points" }, `${q.points} points`),
      form,
      result,
    );
    return { li, controls, result };
  }

  private async answer(questionId: string, answer: string | number, source: HTMLElement): Promise<void> {
    const item = this.items.get(questionId);
    if (!item || this.locked) return;
    for (const c of item.controls) c.disabled = true;
    const r = await this.submit(questionId, answer);
    if (typeof r === "string") {
      setText(item.result, r);
      item.result.className = "result error";
      if (!this.locked) for (const c of item.controls) c.disabled = false;
      return;
    }
    source.classList.add(r.correct ? "picked-correct" : "picked-wrong");
    const text = r.correct
      ? `Correct! +${r.points} points${r.bonus > 0 ? ` (${r.bonus} speed bonus)` : ""}${earned(r)}`
      : `Wrong.${r.attemptsLeft > 0 ? ` ${r.attemptsLeft} attempt(s) left.` : ""}`;
    if (r.correct || r.attemptsLeft === 0) this.close(item, text, r.correct);
    else {
      setText(item.result, text);
      item.result.className = "result wrong";
      for (const c of item.controls) c.disabled = this.locked;
    }
  }

  private close(item: Item, text: string, correct?: boolean): void {
    item.li.dataset.closed = "true";
    for (const c of item.controls) c.disabled = true;
    setText(item.result, text);
    item.result.className = `result ${correct === undefined ? "" : correct ? "correct" : "wrong"}`;
  }
}

function earned(r: AnswerResult): string {
  const parts: string[] = [];
  if (r.earned.arrows > 0) parts.push(`+${r.earned.arrows} arrow${r.earned.arrows > 1 ? "s" : ""}`);
  if (r.earned.shields > 0) parts.push(`+${r.earned.shields} shield${r.earned.shields > 1 ? "s" : ""}`);
  return parts.length > 0 ? `, ${parts.join(", ")}` : "";
}
