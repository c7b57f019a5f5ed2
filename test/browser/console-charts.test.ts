/**
 * @module The operator console's live charts in a real Chromium (Debian's, via playwright-core) against a real
 * `wrangler dev`: the operator opens a live battle, two players answer, attack and read the leaderboard over their
 * sockets, and every chart draws its main series (pixels of that series' colour on the chart's canvas) at 1280 px
 * and again at 390 px, where each chart fits the screen, one per row. Screenshots go to test-artifacts/.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
// @ts-expect-error: plain ESM script without types
import { startArena } from "../../scripts/arena-server.mjs";
// @ts-expect-error: plain ESM script without types
import { buildPages } from "../../scripts/build-pages.mjs";
import { freePort } from "./tcp-proxy";

const CHROMIUM = process.env.ARENA_CHROMIUM ?? "/usr/bin/chromium";
/** This suite's ports on the shared machine (pages.test.ts has 8860-8879), whichever is free now. */
const PORT_RANGE = Array.from({ length: 10 }, (_, i) => 8880 + i);
const ARTIFACTS = join(import.meta.dirname, "..", "..", "test-artifacts");
const OPERATOR = { Authorization: "Bearer dev-operator-token", "content-type": "application/json" };
const BATTLE = "browser-charts";
const QUESTIONS = Array.from({ length: 6 }, (_, i) => ({
  id: `q${i}`,
  text: `${i} + 1?`,
  answer: String(i + 1),
}));
const CHARTS = ["online", "requests", "latency", "freshness", "persistence"];
const WAIT = { timeout: 30_000 };
/**
 * Pixels of a chart's main series that count as drawn: a line across the plot (hundreds at 390 px), more than the
 * dot a single poll leaves (about 40), so a chart fed only once, or not at all, fails.
 */
const MIN_PIXELS = 100;

const persistTo = mkdtempSync(join(tmpdir(), "arena-charts-"));
let arena: { url: string; stop: (signal?: string) => Promise<void> };
let browser: Browser;
/** Page errors and CSP refusals fail the run. */
const problems: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} missing: apt-get install -y chromium (see .ci/run)`);
  mkdirSync(ARTIFACTS, { recursive: true });
  await buildPages();
  arena = await startArena({ port: await freePort(PORT_RANGE), persistTo, quiet: true, log: () => {} });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu"],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close().catch(() => {});
  await arena?.stop();
  rmSync(persistTo, { recursive: true, force: true });
}, 60_000);

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = OPERATOR) {
  const res = await fetch(`${arena.url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as any;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** A player on a socket: `request` resolves with the reply to that request id. */
interface Player {
  readonly id: number;
  request(m: Record<string, unknown>): Promise<any>;
  close(): void;
}

async function joinPlayer(username: string): Promise<Player> {
  const j = await api(
    "POST",
    `/api/battles/${BATTLE}/join`,
    { username },
    { "content-type": "application/json" },
  );
  const ws = new WebSocket(j.wsUrl);
  const pending = new Map<number, (v: unknown) => void>();
  let ids = 0;
  await new Promise<void>((resolve, reject) => {
    ws.on("message", (data) => {
      const m = JSON.parse(String(data));
      if (m.type === "welcome") resolve();
      if (m.type === "reply") pending.get(m.id)?.(m);
    });
    ws.on("error", reject);
  });
  return {
    id: j.participantId,
    request: (m) =>
      new Promise((resolve) => {
        const id = ++ids;
        pending.set(id, resolve);
        ws.send(JSON.stringify({ ...m, id }));
      }),
    close: () => ws.close(),
  };
}

/**
 * Plays until `stop()`: a leaderboard read every tick, an answer every third (each question once, all correct) and,
 * from the fourth tick, an attack every fourth while arrows last (a refused attack is a strike, so none is sent
 * without an arrow). Ticks are 300 ms apart: about 5 requests a second, well inside the per-player budget.
 */
function play(me: Player, target: Player, arrows: number): { stop: () => Promise<void> } {
  let running = true;
  const done = (async () => {
    let answered = 0;
    for (let tick = 0; running; tick++) {
      await me.request({ type: "leaderboard" });
      if (tick % 3 === 0 && answered < QUESTIONS.length) {
        const q = QUESTIONS[answered++]!;
        const r = await me.request({ type: "answer", questionId: q.id, answer: q.answer });
        if (r.ok && r.data.correct) arrows++;
      }
      if (tick >= 4 && tick % 4 === 0 && arrows > 0) {
        const r = await me.request({ type: "attack", target: target.id });
        arrows = r.ok ? r.data.arrows : 0;
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await done;
    },
  };
}

/**
 * Per chart: pixels of its main series' colour (the legend marker's) on its canvas, the canvas's width, and where
 * the figure sits on the screen.
 */
async function chartState(page: Page) {
  return page.evaluate((names) => {
    const near = (a: number, b: number) => Math.abs(a - b) <= 40;
    return names.map((name) => {
      const figure = document.querySelector<HTMLElement>(`figure[data-chart="${name}"]`);
      const canvas = figure?.querySelector("canvas");
      const marker = figure?.querySelector<HTMLElement>(".u-legend .u-marker");
      const box = figure?.getBoundingClientRect();
      const color = marker ? getComputedStyle(marker).borderTopColor : "";
      let pixels = 0;
      if (canvas && marker && canvas.width > 0 && canvas.height > 0) {
        const [r, g, b] = (color.match(/\d+/g) ?? []).map(Number);
        const data = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 0; i < data.length; i += 4)
          if (data[i + 3]! > 128 && near(data[i]!, r!) && near(data[i + 1]!, g!) && near(data[i + 2]!, b!))
            pixels++;
      }
      return {
        name,
        color,
        pixels,
        canvasWidth: canvas?.getBoundingClientRect().width ?? 0,
        left: box?.left ?? -1,
        right: box?.right ?? -1,
        top: box?.top ?? -1,
      };
    });
  }, CHARTS);
}

/** Waits until every chart has drawn at least `min` pixels of its main series, each canvas at most `maxWidth`. */
async function waitDrawn(page: Page, min: number, maxWidth: number): Promise<void> {
  const drawn = (state: Awaited<ReturnType<typeof chartState>>) =>
    state.every((c) => c.pixels >= min && c.canvasWidth > 0 && c.canvasWidth <= maxWidth);
  try {
    await expect.poll(() => chartState(page), { timeout: 30_000, interval: 250 }).toSatisfy(drawn);
  } catch (e) {
    await page.screenshot({ path: join(ARTIFACTS, "console-charts-failure.png"), fullPage: true });
    throw new Error(
      `charts did not draw ${min} px of their main series within ${maxWidth} px: ${JSON.stringify(await chartState(page))}\nproblems: ${JSON.stringify(problems)}`,
      { cause: e },
    );
  }
}

describe("operator console charts", () => {
  it("draws every chart during a live battle, at 1280 px and at 390 px", async () => {
    await api("POST", "/api/admin/battles", {
      id: BATTLE,
      title: "Charts",
      questions: QUESTIONS,
      rules: { startingArrows: 3, startingShields: 1, arrowsPerCorrect: 1, maxArrows: 10 },
    });
    await api("POST", `/api/admin/battles/${BATTLE}/start`, {});
    // The console lists battles from the D1 index, which the queue fills a moment after the create; under load
    // (the whole suite on two cores) that moment can outlast the console's one list on login. Wait for it.
    for (let i = 0; i < 300; i++) {
      const list = (await api("GET", "/api/admin/battles")) as { battles: { id: string }[] };
      if (list.battles.some((b) => b.id === BATTLE)) break;
      await new Promise((r) => setTimeout(r, 100));
    }

    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const op = await ctx.newPage();
    op.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
    op.on("console", (m) => {
      if (/Content Security Policy/i.test(m.text())) problems.push(`csp: ${m.text()}`);
    });
    await op.goto(`${arena.url}/console`);
    await op.getByLabel("Token (kept in this tab only)").fill("dev-operator-token");
    await op.getByRole("button", { name: "Continue" }).click();
    await op.getByRole("button", { name: "Open Charts" }).click();
    await op.locator("#b-status", { hasText: "live" }).waitFor(WAIT);
    // The console is watching (its first poll drew empty charts) before anyone plays.
    await op.locator('figure[data-chart="requests"] canvas').waitFor(WAIT);

    const alice = await joinPlayer("alice");
    const bob = await joinPlayer("bob");
    const players = [play(alice, bob, 3), play(bob, alice, 3)];
    try {
      await waitDrawn(op, MIN_PIXELS, 1280);
      const wide = await chartState(op);
      await op.locator("#charts").screenshot({ path: join(ARTIFACTS, "console-charts-1280.png") });
      // Two side by side at this width.
      expect(new Set(wide.map((c) => c.top)).size).toBeLessThan(CHARTS.length);

      await op.setViewportSize({ width: 390, height: 844 });
      await waitDrawn(op, MIN_PIXELS, 390);
      const narrow = await chartState(op);
      await op.locator("#charts").screenshot({ path: join(ARTIFACTS, "console-charts-390.png") });
      for (const c of narrow) {
        expect(c.left, c.name).toBeGreaterThanOrEqual(0);
        expect(c.right, c.name).toBeLessThanOrEqual(390);
        // A readable width: the figure, less the panel's padding.
        expect(c.canvasWidth, c.name).toBeGreaterThan(300);
      }
      // One chart per row.
      expect(new Set(narrow.map((c) => c.top)).size).toBe(CHARTS.length);
      expect(await op.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    } finally {
      for (const p of players) await p.stop();
      alice.close();
      bob.close();
      await ctx.close();
    }
    expect(problems).toEqual([]);
  }, 150_000);
});
