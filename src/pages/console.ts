/**
 * @module The operator console (`/console`): token once per tab (sessionStorage), create / start / schedule /
 * end battles, watch one live (polling the operator API through the SDK) and download its final results.
 */
import { ArenaHttpError, type BattleAdminView, OperatorClient, type PersistenceStatus } from "@arena/client";
import type { BattleResults } from "../protocol/http-messages";
import { chartRow, type PollFigures } from "./chart-series";
import { ConsoleCharts } from "./charts";
import {
  buildCreateBody,
  type FieldName,
  parseQuestions,
  questionFromForm,
  serverErrorField,
} from "./create-form";
import { byId, clock, el, setText, toast } from "./dom";
import { resultsCsv, resultsJson } from "./results-export";

const TOKEN_KEY = "arena.operatorToken";
const POLL_MS = 1000;
const FIELDS: FieldName[] = ["id", "title", "durationSec", "points", "leaderboardSize", "questions", "form"];
const INPUT_OF: Partial<Record<FieldName, string>> = {
  id: "c-id",
  title: "c-title",
  durationSec: "c-duration",
  points: "c-points",
  leaderboardSize: "c-board",
  questions: "c-questions",
};

let op: OperatorClient | null = null;
let selected: string | null = null;
let pollTimer: ReturnType<typeof setTimeout> | null = null;
let last: { at: number; answers: number; attacks: number } | null = null;
let finalResults: BattleResults | null = null;
/** The live charts (created at start-up) and the selected battle's previous poll, for rates between polls. */
let charts: ConsoleCharts | null = null;
let lastFigures: PollFigures | null = null;

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function login(token: string): Promise<boolean> {
  const candidate = new OperatorClient(location.origin, token);
  try {
    await candidate.list(1);
  } catch (e) {
    const unauthorised = e instanceof ArenaHttpError && e.status === 401;
    setText(byId("token-error"), unauthorised ? "That token is not accepted." : describe(e));
    return false;
  }
  op = candidate;
  sessionStorage.setItem(TOKEN_KEY, token);
  byId("login").hidden = true;
  byId("workspace").hidden = false;
  byId("logout").hidden = false;
  await refreshList();
  return true;
}

function logout(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  op = null;
  select(null);
  byId("workspace").hidden = true;
  byId("logout").hidden = true;
  byId("login").hidden = false;
  byId<HTMLInputElement>("token").value = "";
}

async function refreshList(): Promise<void> {
  if (!op) return;
  const ul = byId("battles");
  try {
    const battles = await op.list(20);
    ul.replaceChildren(
      ...battles.map((b) => {
        const open = el(
          "button",
          { type: "button", class: "secondary", "aria-label": `Open ${b.title}` },
          "Open",
        );
        open.addEventListener("click", () => select(b.id));
        return el("li", {}, el("span", {}, `${b.title} `, el("code", {}, b.id), ` · ${b.status}`), open);
      }),
    );
    if (battles.length === 0) ul.replaceChildren(el("li", { class: "muted" }, "No battles yet."));
  } catch (e) {
    ul.replaceChildren(el("li", { class: "error" }, `Could not list battles: ${describe(e)}`));
  }
}

function select(id: string | null): void {
  if (pollTimer !== null) clearTimeout(pollTimer);
  pollTimer = null;
  selected = id;
  last = null;
  finalResults = null;
  lastFigures = null;
  charts?.clear();
  byId("battle-panel").hidden = id === null;
  byId("downloads").hidden = true;
  setText(byId("action-error"), "");
  byId("op-board").replaceChildren();
  if (id !== null) {
    setText(byId("b-id"), id);
    const link = byId<HTMLAnchorElement>("b-link");
    link.href = `/b/${encodeURIComponent(id)}`;
    setText(link, `${location.origin}/b/${encodeURIComponent(id)}`);
    void poll();
  }
}

async function poll(): Promise<void> {
  const id = selected;
  if (!op || id === null) return;
  try {
    const [info, standings, persistence] = await Promise.all([
      op.info(id),
      op.standings(id, 10),
      op.persistence(id).catch((e: unknown) => describe(e)),
    ]);
    if (selected !== id) return;
    renderInfo(info);
    renderBoard(standings);
    setText(byId("s-persist-lag"), persistenceText(persistence));
    chart(info, persistence);
    if (info.status === "ended" && finalResults === null) {
      finalResults = await op.standings(id);
      byId("downloads").hidden = false;
    }
  } catch (e) {
    if (selected === id) setText(byId("action-error"), `Live view: ${describe(e)}`);
  }
  if (selected === id) pollTimer = setTimeout(() => void poll(), POLL_MS);
}

function renderInfo(b: BattleAdminView): void {
  setText(byId("b-title"), b.title);
  setText(byId("b-status"), b.status);
  const now = Date.now();
  setText(
    byId("s-countdown"),
    b.status === "scheduled"
      ? b.startsAt === null
        ? "not scheduled"
        : `starts in ${clock(b.startsAt - now)}`
      : b.status === "live" && b.endsAt !== null
        ? `ends in ${clock(b.endsAt - now)}`
        : "ended",
  );
  setText(byId("s-players"), String(b.players));
  setText(byId("s-online"), String(b.online));
  setText(byId("s-answers"), String(b.stored.answers));
  setText(byId("s-attacks"), String(b.stored.attacks));
  setText(byId("s-rejected"), String(b.requests.rejected));
  setText(byId("s-rate-limited"), String(b.requests.rateLimited));
  // Socket admission (connects/s cap and 20 sockets a minute per player): refusals are 1013 with a retry time.
  const refused = b.connects.refused + b.connects.limited;
  setText(byId("s-sockets"), `${b.connects.admitted} admitted · ${refused} refused`);
  const at = performance.now();
  if (last !== null && at > last.at) {
    const secs = (at - last.at) / 1000;
    setText(byId("s-answers-rate"), ((b.stored.answers - last.answers) / secs).toFixed(1));
    setText(byId("s-attacks-rate"), ((b.stored.attacks - last.attacks) / secs).toFixed(1));
  }
  last = { at, answers: b.stored.answers, attacks: b.stored.attacks };
  byId<HTMLButtonElement>("start-now").disabled = b.status !== "scheduled";
  byId<HTMLButtonElement>("schedule").disabled = b.status !== "scheduled";
  byId<HTMLButtonElement>("end-now").disabled = b.status === "ended";
}

/** One row for the charts from this poll (the persistence lag: the oldest unconfirmed event's age, 0 if none). */
function chart(b: BattleAdminView, p: PersistenceStatus | string): void {
  const figures: PollFigures = {
    at: Date.now(),
    online: b.online,
    durations: b.durations,
    freshness: b.freshness,
    persistLagMs:
      typeof p === "string" ? null : p.object.depth === 0 ? 0 : (p.object.oldestUnconfirmedAgeMs ?? 0),
  };
  charts?.push(chartRow(lastFigures, figures));
  lastFigures = figures;
}

/**
 * The persistence lag (age of the oldest event a sink has not confirmed), what is pending, dead letters and
 * quarantined events (refused by a sink: re-apply them once the cause is fixed).
 */
function persistenceText(p: PersistenceStatus | string): string {
  if (typeof p === "string") return `unavailable (${p})`;
  const o = p.object;
  let text =
    o.oldestUnconfirmedAgeMs === null || o.depth === 0
      ? "caught up"
      : `${(o.oldestUnconfirmedAgeMs / 1000).toFixed(1)} s · ${o.depth} pending`;
  if (typeof p.sinks.pg === "object") text += " · Postgres unreachable";
  if (p.deadLetters > 0) text += ` · ${p.deadLetters} dead letter${p.deadLetters === 1 ? "" : "s"}`;
  const held = (p.quarantined?.d1 ?? 0) + (typeof p.quarantined?.pg === "number" ? p.quarantined.pg : 0);
  if (held > 0) text += ` · ${held} quarantined`;
  return text;
}

function renderBoard(r: BattleResults): void {
  byId("op-board").replaceChildren(
    ...r.standings.map((s) =>
      el(
        "tr",
        { "data-player": String(s.id) },
        el("td", {}, String(s.rank)),
        el("td", { class: "name" }, s.username),
        el("td", {}, String(s.score)),
        el("td", {}, String(s.correct)),
      ),
    ),
  );
}

async function act(what: "start" | "schedule" | "end"): Promise<void> {
  if (!op || selected === null) return;
  setText(byId("action-error"), "");
  setText(byId("err-schedule"), "");
  try {
    if (what === "start") await op.start(selected);
    else if (what === "end") await op.end(selected);
    else {
      const at = new Date(byId<HTMLInputElement>("schedule-at").value).getTime();
      if (!Number.isFinite(at) || at <= Date.now()) {
        setText(byId("err-schedule"), "pick a time in the future");
        return;
      }
      await op.start(selected, at);
    }
    if (pollTimer !== null) clearTimeout(pollTimer);
    await poll();
    void refreshList();
  } catch (e) {
    setText(byId(what === "schedule" ? "err-schedule" : "action-error"), describe(e));
  }
}

function clearErrors(): void {
  for (const f of FIELDS) {
    setText(byId(`err-${f}`), "");
    const input = INPUT_OF[f];
    if (input) byId(input).removeAttribute("aria-invalid");
  }
}

function showError(field: FieldName, text: string): void {
  setText(byId(`err-${field}`), text);
  const input = INPUT_OF[field];
  if (input) byId(input).setAttribute("aria-invalid", "true");
}

async function create(): Promise<void> {
  if (!op) return;
  clearErrors();
  const value = (id: string) => byId<HTMLInputElement>(id).value;
  const built = buildCreateBody({
    id: value("c-id"),
    title: value("c-title"),
    durationSec: value("c-duration"),
    points: value("c-points"),
    leaderboardSize: value("c-board"),
    questionsJson: byId<HTMLTextAreaElement>("c-questions").value,
  });
  if (!built.ok) {
    for (const [f, text] of built.errors) showError(f, text);
    return;
  }
  try {
    const b = await op.create(built.body);
    toast(`Created “${b.title}” (${b.id}).`);
    await refreshList();
    select(b.id);
  } catch (e) {
    if (e instanceof ArenaHttpError && e.status === 400) {
      const { field, text } = serverErrorField(e.message);
      showError(field, text);
    } else showError(e instanceof ArenaHttpError && e.code === "battle_exists" ? "id" : "form", describe(e));
  }
}

function addQuestion(): void {
  setText(byId("err-aq"), "");
  const area = byId<HTMLTextAreaElement>("c-questions");
  const existing = parseQuestions(area.value);
  const list = typeof existing === "string" ? [] : existing;
  if (typeof existing === "string" && area.value.trim() !== "" && area.value.trim() !== "[]") {
    setText(byId("err-aq"), `Fix the questions JSON first: ${existing}`);
    return;
  }
  const q = questionFromForm(
    list,
    byId<HTMLInputElement>("aq-text").value,
    byId<HTMLTextAreaElement>("aq-choices").value,
    byId<HTMLInputElement>("aq-answer").value,
  );
  if (typeof q === "string") {
    setText(byId("err-aq"), q);
    return;
  }
  area.value = JSON.stringify([...list, q], null, 2);
  for (const id of ["aq-text", "aq-choices", "aq-answer"]) byId<HTMLInputElement>(id).value = "";
  byId("aq-text").focus();
}

async function loadFile(input: HTMLInputElement): Promise<void> {
  const file = input.files?.[0];
  if (!file) return;
  clearErrors();
  const text = await file.text();
  const parsed = parseQuestions(text);
  if (typeof parsed === "string") {
    showError("questions", `${file.name}: ${parsed}`);
    return;
  }
  byId<HTMLTextAreaElement>("c-questions").value = JSON.stringify(parsed, null, 2);
  // A whole battle body fills the other fields too.
  const body = JSON.parse(text) as Record<string, unknown>;
  if (!Array.isArray(body)) {
    if (typeof body.title === "string") byId<HTMLInputElement>("c-title").value = body.title;
    if (typeof body.id === "string") byId<HTMLInputElement>("c-id").value = body.id;
    if (typeof body.durationMs === "number")
      byId<HTMLInputElement>("c-duration").value = String(Math.round(body.durationMs / 1000));
  }
}

function download(name: string, type: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = el("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function init(): void {
  charts = new ConsoleCharts(byId("charts"));
  byId<HTMLFormElement>("login-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    setText(byId("token-error"), "");
    const token = byId<HTMLInputElement>("token").value.trim();
    if (token === "") setText(byId("token-error"), "Enter the operator token.");
    else void login(token);
  });
  byId("logout").addEventListener("click", logout);
  byId("refresh-list").addEventListener("click", () => void refreshList());
  byId("start-now").addEventListener("click", () => void act("start"));
  byId("schedule").addEventListener("click", () => void act("schedule"));
  byId("end-now").addEventListener("click", () => void act("end"));
  byId("add-question").addEventListener("click", addQuestion);
  byId<HTMLInputElement>("c-file").addEventListener(
    "change",
    (ev) => void loadFile(ev.target as HTMLInputElement),
  );
  byId<HTMLFormElement>("create-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    void create();
  });
  byId("download-csv").addEventListener("click", () => {
    if (finalResults && selected) download(`${selected}-results.csv`, "text/csv", resultsCsv(finalResults));
  });
  byId("download-json").addEventListener("click", () => {
    if (finalResults && selected)
      download(`${selected}-results.json`, "application/json", resultsJson(finalResults));
  });
  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) void login(saved);
}

init();
