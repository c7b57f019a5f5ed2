/**
 * @module Helpers of the persistence tests that run a real `wrangler dev`: HTTP and WebSocket clients, polling, a
 * battle's questions, and a throwaway Postgres database (`arena_test_<tag>_<random>`). Every exchange of `http()`
 * and every frame an `openSocket()` socket receives is checked against the published specs (`contract.ts`): a
 * mismatch fails the test.
 */
import { randomBytes } from "node:crypto";
import { afterEach } from "vitest";
import WebSocket from "ws";
// @ts-expect-error: plain ESM script without types
import { createDatabase, migratePostgres } from "../../scripts/pg-migrate.mjs";
import { checkExchange, checkServerFrame, frameProblems } from "./contract";

export const OPERATOR = { Authorization: "Bearer dev-operator-token", "content-type": "application/json" };

export const QUESTIONS = Array.from({ length: 6 }, (_, i) => ({
  id: `q${i}`,
  text: `${i}+1`,
  answer: String(i + 1),
}));

/**
 * A fresh database URL on the machine's Postgres: `arena_test_[<ARENA_TEST_DB_TAG>_]<random>` (the tag keeps
 * concurrent sessions' databases apart).
 */
export function testDatabaseUrl(): string {
  const tag = process.env.ARENA_TEST_DB_TAG;
  if (tag !== undefined && !/^[a-z0-9_]+$/.test(tag)) throw new Error("ARENA_TEST_DB_TAG: [a-z0-9_] only");
  const name = `arena_test_${tag ? `${tag}_` : ""}${randomBytes(6).toString("hex")}`;
  return `postgres://postgres:postgres@127.0.0.1:5432/${name}`;
}

/**
 * Creates and migrates the database at `url` and points the next `startArena` at it (its local Hyperdrive origin,
 * `ARENA_PG_URL`). The test drops it when done (`dropDatabase`).
 */
export async function arenaDatabase(url: string): Promise<void> {
  await createDatabase(url);
  await migratePostgres(url);
  process.env.ARENA_PG_URL = url;
}

/** One call; its request and response must match the OpenAPI document (else it throws). `json`: a JSON body. */
export async function http(base: string, method: string, path: string, body?: unknown, headers = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const contentType = res.headers.get("content-type") ?? "";
  const problems = checkExchange({
    method,
    path,
    requestBody: body,
    status: res.status,
    contentType,
    body: text,
  });
  if (problems.length > 0) throw new Error(`contract: ${problems.join("\n")}`);
  return {
    status: res.status,
    json: (contentType.includes("json") ? JSON.parse(text) : undefined) as any,
    text,
    headers: res.headers,
  };
}

// Frames arrive in socket callbacks: their problems are gathered there and fail the test that saw them.
afterEach(() => {
  if (frameProblems.length === 0) return;
  const problems = frameProblems.splice(0);
  throw new Error(
    `contract: ${problems.length} frame(s) off the protocol schema:\n${problems.slice(0, 10).join("\n")}`,
  );
});

export interface TestSocket {
  readonly ws: WebSocket;
  request(m: { id: number; [k: string]: unknown }): Promise<any>;
}

export function openSocket(url: string): Promise<TestSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const pending = new Map<number, (v: unknown) => void>();
    ws.on("upgrade", (res) => {
      const problems = checkExchange({
        method: "GET",
        path: url,
        status: res.statusCode ?? 0,
        contentType: "",
        body: "",
      });
      frameProblems.push(...problems);
    });
    ws.on("message", (data) => {
      frameProblems.push(...checkServerFrame(String(data)));
      const m = JSON.parse(String(data));
      if (m.type === "welcome") resolve({ ws, request });
      if (m.type === "reply") pending.get(m.id)?.(m);
    });
    ws.on("error", reject);
    const request = (m: { id: number; [k: string]: unknown }) =>
      new Promise<any>((r) => {
        pending.set(m.id, r);
        ws.send(JSON.stringify(m));
      });
  });
}

/** Polls `fn` every 250 ms until it returns non-null. */
export async function waitFor<T>(what: string, timeoutMs: number, fn: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== null) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what} (${String(last)})`);
}

export const step = (what: string) => console.log(`persist-e2e ${new Date().toISOString()} ${what}`);
