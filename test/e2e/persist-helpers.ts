/**
 * @module Helpers of the persistence tests that run a real `wrangler dev`: HTTP and WebSocket clients, polling, a
 * battle's questions, and a throwaway Postgres database (`arena_test_<tag>_<random>`).
 */
import { randomBytes } from "node:crypto";
import WebSocket from "ws";

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

export async function http(base: string, method: string, path: string, body?: unknown, headers = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as any };
}

export interface TestSocket {
  readonly ws: WebSocket;
  request(m: { id: number; [k: string]: unknown }): Promise<any>;
}

export function openSocket(url: string): Promise<TestSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const pending = new Map<number, (v: unknown) => void>();
    ws.on("message", (data) => {
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
