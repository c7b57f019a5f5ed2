/**
 * @module The player page and the operator console in a real Chromium (Debian's, via playwright-core) against a
 * real `wrangler dev`: an operator creates, starts and ends a battle; two players join, answer and attack; a
 * cut connection shows "reconnecting" and recovers; hostile text stays text. Screenshots go to test-artifacts/.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: plain ESM script without types
import { startArena } from "../../scripts/arena-server.mjs";
// @ts-expect-error: plain ESM script without types
import { buildPages } from "../../scripts/build-pages.mjs";
import { type CuttableProxy, freePort, startProxy } from "./tcp-proxy";

const CHROMIUM = process.env.ARENA_CHROMIUM ?? "/usr/bin/chromium";
/**
 * Ports come from 8860-8879 (this suite's range on the shared machine), whichever are free now: several
 * worktrees run `npm test` at once, and a fixed port would let this test talk to another run's server.
 */
const PORT_RANGE = Array.from({ length: 20 }, (_, i) => 8860 + i);
let PORT = 0;
let PROXY_PORT = 0;
const ARTIFACTS = join(import.meta.dirname, "..", "..", "test-artifacts");
const HOSTILE = "<img src=x onerror=alert(1)>";
const WAIT = { timeout: 20_000 };

const persistTo = mkdtempSync(join(tmpdir(), "arena-browser-"));
let arena: { url: string; stop: (signal?: string) => Promise<void> };
let proxy: CuttableProxy;
let browser: Browser;
const contexts: BrowserContext[] = [];
/** Every dialog (an `alert` from injected markup would be one) fails the run. */
const dialogs: string[] = [];

async function newPage(viewport: { width: number; height: number }): Promise<Page> {
  const ctx = await browser.newContext({ viewport, acceptDownloads: true });
  contexts.push(ctx);
  const page = await ctx.newPage();
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on("pageerror", (e) => dialogs.push(`pageerror: ${e.message}`));
  // The pages run under a strict CSP (public/_headers): anything it blocks is a failure too.
  page.on("console", (m) => {
    if (/Content Security Policy/i.test(m.text())) dialogs.push(`csp: ${m.text()}`);
  });
  return page;
}

/** Waits until `selector`'s text (a form field's value) contains `text` (or is it, `exact`): DOM state, no sleeps. */
async function waitText(page: Page, selector: string, text: string, exact = false): Promise<void> {
  try {
    await page.waitForFunction(
      ([sel, t, whole]) => {
        const e = document.querySelector(sel as string);
        const s =
          e instanceof HTMLTextAreaElement || e instanceof HTMLInputElement ? e.value : e?.textContent;
        return whole ? s === t : s?.includes(t as string) === true;
      },
      [selector, text, exact] as const,
      WAIT,
    );
  } catch (e) {
    const seen = await page
      .locator(selector)
      .first()
      .textContent()
      .catch(() => null);
    await shot(page, "failure").catch(() => {});
    throw new Error(`${selector} never showed ${JSON.stringify(text)}; it shows ${JSON.stringify(seen)}`, {
      cause: e,
    });
  }
}

/** Waits for the connection badge's state (its text is for people: "not connected" contains "connected"). */
async function waitState(page: Page, state: string): Promise<void> {
  try {
    await page.locator(`#conn[data-state="${state}"]`).waitFor(WAIT);
  } catch (e) {
    // Say what the pages reported (a CSP refusal, a page error) along with the timeout.
    const text = await page
      .locator("body")
      .innerText()
      .catch(() => "?");
    throw new Error(
      `${(e as Error).message}\npage reports: ${JSON.stringify(dialogs)}\npage: ${text.slice(0, 500)}`,
    );
  }
}

async function shot(page: Page, name: string, fullPage = true): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage });
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} missing: apt-get install -y chromium (see .ci/run)`);
  mkdirSync(ARTIFACTS, { recursive: true });
  await buildPages();
  PORT = await freePort(PORT_RANGE);
  arena = await startArena({ port: PORT, persistTo, quiet: true, log: () => {} });
  proxy = await startProxy(
    PORT_RANGE.filter((p) => p !== PORT),
    PORT,
  );
  PROXY_PORT = proxy.port;
  // playwright-core gives every launch a fresh temporary --user-data-dir of its own.
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu"],
  });
}, 120_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close().catch(() => {});
  await proxy?.close();
  await arena?.stop();
  rmSync(persistTo, { recursive: true, force: true });
}, 60_000);

describe("player page and operator console", () => {
  it("runs a whole battle through the pages", async () => {
    const base = arena.url;
    const battleId = "browser-e2e";

    // ---- The operator: token once, a form with errors, then a battle from a JSON file plus the form. ----
    const op = await newPage({ width: 1280, height: 900 });
    const opened = await op.goto(`${base}/console`);
    const headers = opened?.headers() ?? {};
    expect(headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(headers["content-security-policy"]).toContain("script-src 'self'");
    expect([headers["x-content-type-options"], headers["referrer-policy"]]).toEqual([
      "nosniff",
      "no-referrer",
    ]);
    await op.getByLabel("Token (kept in this tab only)").fill("wrong-token");
    await op.getByRole("button", { name: "Continue" }).click();
    await waitText(op, "#token-error", "not accepted");
    await op.getByLabel("Token (kept in this tab only)").fill("dev-operator-token");
    await op.getByRole("button", { name: "Continue" }).click();
    await op.locator("#workspace").waitFor({ state: "visible", ...WAIT });
    expect(await op.evaluate(() => sessionStorage.getItem("arena.operatorToken"))).toBe("dev-operator-token");

    // Client-side errors sit next to their fields.
    await op.getByLabel("Title").fill("");
    await op.getByRole("button", { name: "Create battle" }).click();
    await waitText(op, "#err-title", "required");
    await waitText(op, "#err-questions", "at least one question");
    expect(await op.getByLabel("Title").getAttribute("aria-invalid")).toBe("true");

    // A server-side error (a choice answer out of range) lands next to the questions.
    await op.getByLabel("Title").fill(`Quiz ${HOSTILE}`);
    await op.getByLabel("Code (optional)").fill(battleId);
    await op
      .getByLabel("Questions (JSON)")
      .fill(JSON.stringify([{ id: "q1", text: "2 + 2?", choices: ["3", "4"], answer: 5 }]));
    await op.getByRole("button", { name: "Create battle" }).click();
    await waitText(op, "#err-questions", "question 1 (answer)");

    const file = [
      { id: "q1", text: "2 + 2?", choices: ["3", "4", "5"], answer: 1 },
      { id: "q2", text: `Which tag is this? ${HOSTILE}`, answer: "img" },
    ];
    await op.locator("#c-file").setInputFiles({
      name: "questions.json",
      mimeType: "application/json",
      buffer: Buffer.from(JSON.stringify(file)),
    });
    await waitText(op, "#c-questions", "Which tag");
    await op.getByLabel("Question", { exact: true }).fill("Capital of France?");
    await op.getByLabel("Answer (the right choice's text or number, or the typed answer)").fill("Paris");
    await op.getByRole("button", { name: "Add question" }).click();
    await waitText(op, "#c-questions", "Capital of France?");
    await op.getByRole("button", { name: "Create battle" }).click();
    await op.locator("#battle-panel").waitFor({ state: "visible", ...WAIT });
    await waitText(op, "#b-status", "scheduled");
    await op.getByRole("button", { name: "Start now" }).click();
    await waitText(op, "#b-status", "live");

    // ---- Two players in two contexts; the second on a phone-sized screen. ----
    const alice = await newPage({ width: 1280, height: 800 });
    await alice.goto(`http://127.0.0.1:${PROXY_PORT}/b/${battleId}`); // through the cuttable proxy
    await waitText(alice, "#join-hint", "Quiz");
    await alice.getByLabel("Username").fill("alice");
    await alice.getByRole("button", { name: "Join" }).click();
    await waitState(alice, "connected");

    const bob = await newPage({ width: 390, height: 844 });
    await bob.goto(`${base}/`);
    await bob.getByLabel("Battle code").fill(battleId);
    await bob.getByLabel("Username").fill(HOSTILE);
    await bob.getByRole("button", { name: "Join" }).click();
    await waitText(bob, "#join-error", `Could not join as “${HOSTILE}”`);
    await bob.getByLabel("Username").fill("bob");
    await bob.getByRole("button", { name: "Join" }).click();
    await waitState(bob, "connected");
    expect(new URL(bob.url()).pathname).toBe(`/b/${battleId}`);

    // Hostile operator text is shown as text, never parsed.
    await waitText(bob, "#title", HOSTILE);
    await waitText(bob, "#questions", HOSTILE);
    for (const p of [op, alice, bob]) expect(await p.locator("img").count()).toBe(0);

    // ---- Answer: result and points. Keyboard for alice, pointer for bob. ----
    const aliceQ1 = alice.locator('[data-question="q1"]');
    await aliceQ1.getByRole("button", { name: "4", exact: true }).focus();
    await alice.keyboard.press("Enter");
    await waitText(alice, '[data-question="q1"] .result', "Correct! +10 points");
    await waitText(alice, "#my-score", "10", true);
    await waitText(alice, "#my-arrows", "4", true);
    const aliceQ2 = alice.locator('[data-question="q2"]');
    await aliceQ2.getByLabel("Your answer").fill("nope");
    await aliceQ2.getByLabel("Your answer").press("Enter");
    await waitText(alice, '[data-question="q2"] .result', "Wrong.");

    await bob.locator('[data-question="q1"]').getByRole("button", { name: "4", exact: true }).click();
    await waitText(bob, '[data-question="q1"] .result', "Correct!");
    await bob.locator('[data-question="q3"]').getByLabel("Your answer").fill("paris");
    await bob.locator('[data-question="q3"]').getByRole("button", { name: "Answer" }).click();
    await waitText(bob, "#my-score", "20", true);

    // Both leaderboards show both players, each with their own row highlighted.
    await waitText(alice, "#board-rows tr[data-player] .name", "bob");
    await alice.locator('#board-rows tr.me[aria-current="true"]', { hasText: "alice" }).waitFor(WAIT);
    await bob.locator("#board-rows tr.me", { hasText: "bob" }).waitFor(WAIT);
    await waitText(bob, "#board-rows", "alice");

    // ---- Attack from the leaderboard: the first is blocked by alice's shield, the second hits. ----
    await bob.getByRole("button", { name: "Attack alice" }).click();
    await waitText(bob, "#toasts", "alice's shield blocked your arrow");
    await waitText(alice, "#toasts", "bob attacked you — your shield blocked it.");
    await waitText(alice, "#my-shields", "0", true);
    await bob.getByRole("button", { name: "Attack alice" }).click();
    await waitText(alice, "#toasts", "bob attacked you: −1 point.");
    await waitText(alice, "#my-score", "9", true);
    await waitText(bob, "#board-rows tr[data-player]:not(.me) .score", "9", true);
    await waitText(alice, "#board-rows tr.me .score", "9", true);
    await shot(alice, "player-attacked");

    // ---- A cut connection: alice sees "reconnecting", misses an attack, and recovers with it applied. ----
    proxy.cut();
    await waitState(alice, "reconnecting");
    await shot(alice, "player-reconnecting");
    await bob.getByRole("button", { name: "Attack alice" }).click();
    await waitText(bob, "#toasts", "You hit alice");
    proxy.restore();
    await waitState(alice, "resumed");
    // The attack she missed is replayed once (the resume protocol), not just reflected in a fresh snapshot.
    await waitText(alice, "#conn", "1 missed event replayed");
    await waitText(alice, "#my-score", "8", true);

    // ---- The console watches it live, then ends it; players see their final rank. ----
    await waitText(op, "#s-players", "2", true);
    await waitText(op, "#s-online", "2", true);
    await waitText(op, "#s-attacks", "3", true);
    // Socket admission counters: both players' sockets and alice's resume were admitted, none refused.
    await waitText(op, "#s-sockets", "3 admitted · 0 refused", true);
    // The outbox drains to D1 and Postgres through the queue: the lag comes back to "caught up".
    await waitText(op, "#s-persist-lag", "caught up", true);
    await waitText(op, "#op-board", "alice");
    await shot(op, "console-live");
    await op.getByRole("button", { name: "End now" }).click();
    await waitText(op, "#b-status", "ended");
    await waitText(alice, "#final-rank", "Your final rank: 2 of 2 · score 8");
    await waitText(bob, "#final-rank", "Your final rank: 1 of 2 · score 20");
    await shot(alice, "player-final");
    await shot(bob, "player-mobile-390x844", false);
    expect(await bob.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

    // ---- Final results as CSV and JSON. ----
    await op.locator("#downloads").waitFor({ state: "visible", ...WAIT });
    const [csv] = await Promise.all([
      op.waitForEvent("download", WAIT),
      op.getByRole("button", { name: "Download CSV" }).click(),
    ]);
    const csvPath = join(ARTIFACTS, csv.suggestedFilename());
    await csv.saveAs(csvPath);
    const csvText = readFileSync(csvPath, "utf8");
    expect(csvText.split("\r\n").slice(0, 3)).toEqual([
      "rank,id,username,score,correct,arrows,shields",
      expect.stringMatching(/^1,\d+,bob,20,2,/),
      expect.stringMatching(/^2,\d+,alice,8,1,/),
    ]);
    const [json] = await Promise.all([
      op.waitForEvent("download", WAIT),
      op.getByRole("button", { name: "Download JSON" }).click(),
    ]);
    const jsonPath = join(ARTIFACTS, json.suggestedFilename());
    await json.saveAs(jsonPath);
    const results = JSON.parse(readFileSync(jsonPath, "utf8"));
    expect(results.final).toBe(true);
    expect(results.standings.map((s: { username: string }) => s.username)).toEqual(["bob", "alice"]);
    await shot(op, "console-ended");

    expect(dialogs).toEqual([]);
  }, 180_000);

  it("schedules a battle: players wait on a countdown and get the questions when it starts", async () => {
    const op = await newPage({ width: 1280, height: 900 });
    await op.goto(`${arena.url}/console`);
    // The token from the first test is gone with its tab: sessionStorage is per tab.
    await op.getByLabel("Token (kept in this tab only)").fill("dev-operator-token");
    await op.getByRole("button", { name: "Continue" }).click();
    await op.getByLabel("Title").fill("Scheduled quiz");
    await op.getByLabel("Code (optional)").fill("browser-scheduled");
    await op.getByLabel("Question", { exact: true }).fill("3 + 3?");
    await op.getByLabel("Choices, one per line (leave empty for a typed answer)").fill("5\n6");
    await op.getByLabel("Answer (the right choice's text or number, or the typed answer)").fill("6");
    await op.getByRole("button", { name: "Add question" }).click();
    await op.getByRole("button", { name: "Create battle" }).click();
    await waitText(op, "#b-status", "scheduled");

    // A time in the past is refused next to the field; then a start an hour from now (the browser's local time).
    await op.getByLabel("Start at (local time)").fill("2020-01-01T00:00:00");
    await op.getByRole("button", { name: "Schedule", exact: true }).click();
    await waitText(op, "#err-schedule", "future");
    const startAt = await op.evaluate(() => {
      const d = new Date(Date.now() + 3_600_000);
      const p = (n: number) => String(n).padStart(2, "0");
      return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
    });
    await op.getByLabel("Start at (local time)").fill(startAt);
    await op.getByRole("button", { name: "Schedule", exact: true }).click();
    await waitText(op, "#s-countdown", "starts in 59:");

    const carol = await newPage({ width: 390, height: 844 });
    await carol.goto(`${arena.url}/b/browser-scheduled`);
    await carol.getByLabel("Username").fill("carol");
    await carol.getByLabel("Username").press("Enter");
    await waitState(carol, "connected");
    await waitText(carol, "#countdown", "Starts in 59:");
    expect(await carol.locator("#no-questions").isVisible()).toBe(true);
    await shot(carol, "player-scheduled-390x844", false);

    // The operator starts it early; the page hears `battle: live` and loads the questions.
    await op.getByRole("button", { name: "Start now" }).click();
    await waitText(carol, "#countdown", "Ends in");
    await carol.locator('[data-question="q1"]').getByRole("button", { name: "6", exact: true }).click();
    await waitText(carol, '[data-question="q1"] .result', "Correct!");
    await waitText(op, "#b-status", "live");
    expect(await op.locator("#downloads").isVisible()).toBe(false); // final results only once ended

    // The console fits a phone too.
    await op.setViewportSize({ width: 390, height: 844 });
    await waitText(op, "#op-board", "carol");
    expect(await op.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(op, "console-390x844");
    expect(dialogs).toEqual([]);
  }, 120_000);
});
