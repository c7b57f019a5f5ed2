/**
 * @module The player's live leaderboard table. Rows are keyed by participant and reused across pushes: a push
 * only rewrites the cells that changed and moves rows that changed place, so the table never flickers.
 */
import type { LeaderboardView } from "../protocol/server-messages";
import { type BoardRow, boardRows, isGap } from "./board-rows";
import { el, setText } from "./dom";

interface RowEls {
  readonly tr: HTMLTableRowElement;
  readonly rank: HTMLTableCellElement;
  readonly name: HTMLTableCellElement;
  readonly score: HTMLTableCellElement;
  readonly attack: HTMLButtonElement | null;
}

export interface BoardContext {
  readonly myId: number;
  /** Whether an attack button is usable now (battle live, arrows left). */
  readonly canAttack: boolean;
}

export class LeaderboardTable {
  private readonly rows = new Map<string, RowEls>();

  constructor(
    private readonly tbody: HTMLTableSectionElement,
    private readonly onAttack: (target: number, username: string) => void,
  ) {}

  render(view: Pick<LeaderboardView, "top" | "around">, ctx: BoardContext): void {
    const wanted = boardRows(view);
    const keep = new Set<string>();
    let cursor: ChildNode | null = this.tbody.firstChild;
    for (const r of wanted) {
      const key = keyOf(r);
      keep.add(key);
      const els = this.rows.get(key) ?? this.create(r, key, ctx.myId);
      if (!isGap(r)) this.update(els, r, ctx);
      if (els.tr !== cursor) this.tbody.insertBefore(els.tr, cursor);
      else cursor = cursor.nextSibling;
    }
    for (const [key, els] of this.rows) {
      if (!keep.has(key)) {
        els.tr.remove();
        this.rows.delete(key);
      }
    }
  }

  private create(r: BoardRow, key: string, myId: number): RowEls {
    if (isGap(r)) {
      const td = el("td", { colspan: "4", class: "gap" }, "…");
      const tr = el("tr", { class: "gap-row", "aria-hidden": "true" }, td);
      const els = { tr, rank: td, name: td, score: td, attack: null };
      this.rows.set(key, els);
      return els;
    }
    const mine = r.id === myId;
    const rank = el("td", { class: "rank" });
    const name = el("td", { class: "name" });
    const score = el("td", { class: "score" });
    const attack = mine ? null : el("button", { type: "button", class: "attack" }, "Attack");
    if (attack) attack.addEventListener("click", () => this.onAttack(r.id, name.textContent ?? ""));
    const tr = el(
      "tr",
      {
        "data-player": String(r.id),
        class: mine ? "me" : undefined,
        "aria-current": mine ? "true" : undefined,
      },
      rank,
      name,
      score,
      el("td", {}, attack ?? el("span", { class: "you" }, "you")),
    );
    const els = { tr, rank, name, score, attack };
    this.rows.set(key, els);
    return els;
  }

  private update(els: RowEls, r: Exclude<BoardRow, { gap: true }>, ctx: BoardContext): void {
    setText(els.rank, String(r.rank));
    setText(els.name, r.username);
    setText(els.score, String(r.score));
    if (els.attack) {
      const label = `Attack ${r.username}`;
      if (els.attack.getAttribute("aria-label") !== label) els.attack.setAttribute("aria-label", label);
      const disabled = !ctx.canAttack || r.score <= 0;
      if (els.attack.disabled !== disabled) els.attack.disabled = disabled;
    }
  }
}

function keyOf(r: BoardRow): string {
  return isGap(r) ? r.key : `p${r.id}`;
}
