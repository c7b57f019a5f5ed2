/**
 * @module DOM helpers for the pages. Every piece of text goes in as a text node (`textContent`); nothing here
 * parses HTML, so a username or question text can never become markup.
 */

type Child = Node | string | number | null | undefined | false;

/** Creates `<tag>` with attributes (set as attributes, never as HTML) and text or element children. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | boolean | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    e.append(typeof c === "object" ? c : String(c));
  }
  return e;
}

/** The element with `id`, typed; throws if the page lacks it (a bug in the HTML, not user input). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`page has no #${id}`);
  return e as T;
}

/** Sets text only when it changed, so unchanged cells are never touched (no flicker, no relayout). */
export function setText(e: Element, text: string): void {
  if (e.textContent !== text) e.textContent = text;
}

/** `m:ss` (or `h:mm:ss`) for a non-negative duration. */
export function clock(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** Shows a short-lived message in the `#toasts` live region. */
export function toast(
  text: string,
  kind: "info" | "hit" | "blocked" | "error" = "info",
  ms = 6000,
): HTMLElement {
  const box = byId("toasts");
  const t = el("div", { class: `toast ${kind}`, role: kind === "error" ? "alert" : "status" }, text);
  box.append(t);
  setTimeout(() => t.remove(), ms);
  return t;
}
