/** @module Test helpers that drive the real Worker (SELF) and read WebSocket frames as awaitable events. */
import { env, runInDurableObject, SELF } from "cloudflare:test";
import { vi } from "vitest";
import type { BattleDO } from "../../src/do/battle-do";
import type { ServerMessage } from "../../src/protocol";

export const OPERATOR = { Authorization: "Bearer test-operator-token" };
const BASE = "http://arena.test";
let ipCounter = 0;

/** A fresh client address per call, so the edge rate limits of one test do not leak into another. */
export function freshIp(): string {
  ipCounter++;
  return `10.${(ipCounter >> 16) & 255}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
}

export async function api(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: any }> {
  const res = await SELF.fetch(`${BASE}${path}`, {
    method,
    headers: { "CF-Connecting-IP": freshIp(), ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

export const QUESTIONS = [
  { id: "q1", text: "2 + 2?", choices: ["3", "4", "5"], answer: 1 },
  { id: "q2", text: "Capital of France?", answer: ["Paris"] },
  { id: "q3", text: "Largest planet?", choices: ["Mars", "Jupiter"], answer: 1 },
  { id: "q4", text: "H2O is?", answer: "water" },
];

let battleCounter = 0;

export async function createBattle(overrides: Record<string, unknown> = {}): Promise<string> {
  battleCounter++;
  const id = `t-${Date.now().toString(36)}-${battleCounter}`;
  const res = await api(
    "POST",
    "/api/admin/battles",
    { id, title: `Test ${battleCounter}`, questions: QUESTIONS, ...overrides },
    OPERATOR,
  );
  if (res.status !== 201) throw new Error(`create failed: ${JSON.stringify(res.json)}`);
  return id;
}

export async function startBattle(id: string): Promise<void> {
  const res = await api("POST", `/api/admin/battles/${id}/start`, {}, OPERATOR);
  if (res.status !== 200) throw new Error(`start failed: ${JSON.stringify(res.json)}`);
}

export interface Joined {
  participantId: number;
  token: string;
  wsUrl: string;
  playerKey?: string;
}

/** Joins as `username`; a rejoin of an existing name needs the `playerKey` its first join returned. */
export async function join(battleId: string, username: string, playerKey?: string): Promise<Joined> {
  const res = await api("POST", `/api/battles/${battleId}/join`, { username, playerKey });
  if (res.status !== 201 && res.status !== 200) throw new Error(`join failed: ${JSON.stringify(res.json)}`);
  return res.json;
}

/** A WebSocket client whose frames can be awaited by predicate, with no sleeps. */
export class TestSocket {
  readonly frames: ServerMessage[] = [];
  closed: { code: number; reason: string } | null = null;
  private waiters: Array<() => void> = [];
  /** Frames not yet consumed by `next` (frames can arrive out of request order). */
  private unread: ServerMessage[] = [];

  /**
   * `cooperative`: close when the server sends `closing`, as the SDK does; otherwise behave as a raw client that
   * ignores it (the server then closes after its grace period).
   */
  constructor(
    readonly ws: WebSocket,
    cooperative = true,
  ) {
    ws.addEventListener("message", (e) => {
      const frame = JSON.parse(e.data as string) as ServerMessage;
      if (cooperative && frame.type === "closing") ws.close(frame.code, frame.reason);
      this.frames.push(frame);
      this.unread.push(frame);
      this.wake();
    });
    ws.addEventListener("close", (e) => {
      this.closed = { code: e.code, reason: e.reason };
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === "string" ? msg : JSON.stringify(msg));
  }

  /** Resolves with (and consumes) the earliest unread frame that matches. */
  async next<T extends ServerMessage = ServerMessage>(
    match: (m: ServerMessage) => boolean,
    what = "frame",
    timeoutMs = 5000,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.unread.findIndex(match);
      if (i >= 0) return this.unread.splice(i, 1)[0] as T;
      if (this.closed) throw new Error(`socket closed (${this.closed.code}) while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `timed out waiting for ${what}; unread ${JSON.stringify(this.unread).slice(0, 2000)}`,
        );
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Sends a request and resolves with its reply. */
  async request(msg: { type: string; id: string | number; [k: string]: unknown }): Promise<any> {
    this.send(msg);
    return this.next((m) => m.type === "reply" && m.id === msg.id, `reply ${msg.id}`);
  }

  waitClosed(timeoutMs = 5000): Promise<{ code: number; reason: string }> {
    return new Promise((resolve, reject) => {
      if (this.closed) return resolve(this.closed);
      const t = setTimeout(() => reject(new Error("socket did not close")), timeoutMs);
      this.ws.addEventListener("close", (e) => {
        clearTimeout(t);
        resolve({ code: e.code, reason: e.reason });
      });
    });
  }
}

export async function connect(
  joined: Joined,
  cooperative = true,
  resume?: { seq: number; epoch: string },
): Promise<TestSocket> {
  const url =
    joined.wsUrl.replace(/^ws/, "http") + (resume ? `&seq=${resume.seq}&epoch=${resume.epoch}` : "");
  const res = await SELF.fetch(url, { headers: { Upgrade: "websocket", "CF-Connecting-IP": freshIp() } });
  if (res.status !== 101 || !res.webSocket)
    throw new Error(`upgrade failed: ${res.status} ${await res.text()}`);
  const ws = res.webSocket;
  const socket = new TestSocket(ws, cooperative);
  ws.accept();
  await socket.next((m) => m.type === "welcome", "welcome");
  return socket;
}

/** The operator list reads D1's index, which the persistence pipeline fills a moment after each change. */
export async function listedStatus(battleId: string, status: string): Promise<void> {
  await vi.waitFor(
    async () => {
      const list = await api("GET", "/api/admin/battles?limit=100", undefined, OPERATOR);
      const found = list.json.battles.find((b: { id: string }) => b.id === battleId);
      if (found?.status !== status)
        throw new Error(`${battleId} is listed as ${found?.status}, not ${status}`);
    },
    { timeout: 10_000, interval: 50 },
  );
}

/** The Durable Object of battle `id`. */
/** A signed token's claims (its first part), read without checking the signature: what the test was given. */
export function tokenClaims<T = Record<string, unknown>>(token: string): T {
  return JSON.parse(atob(token.split(".")[0]!.replace(/-/g, "+").replace(/_/g, "/"))) as T;
}

export function stubOf(id: string): DurableObjectStub<BattleDO> {
  return env.BATTLE.get(env.BATTLE.idFromName(id)) as DurableObjectStub<BattleDO>;
}

/** A battle object's clock that stands still at `now` until the test moves it (the object's injectable clock). */
export interface ManualClock {
  now: number;
}

/**
 * Replaces battle `id`'s clock with one the test drives: it reads `clock.now`, so `clock.now += ms` moves the object's
 * time at once, and nothing moves it otherwise (token buckets do not refill, silence does not grow). Lost when the
 * object restarts.
 */
export async function manualClock(id: string, now: number): Promise<ManualClock> {
  const clock: ManualClock = { now };
  await runInDurableObject(stubOf(id), (instance: BattleDO) => {
    instance.clock = () => clock.now;
  });
  return clock;
}

/**
 * Restarts battle `id`'s object (its memory is gone, the next call builds it again from its SQLite), and checks that
 * the instance after is a new one.
 */
export async function restartObject(id: string): Promise<void> {
  const mark = Symbol.for("arena.test.restart");
  await runInDurableObject(stubOf(id), (instance: BattleDO) => {
    (instance as unknown as Record<symbol, boolean>)[mark] = true;
  });
  await runInDurableObject(stubOf(id), (_i, state) => state.abort("restarted by the test")).catch(() => {});
  const marked = await runInDurableObject(
    stubOf(id),
    (instance: BattleDO) => (instance as unknown as Record<symbol, boolean>)[mark] === true,
  );
  if (marked) throw new Error(`battle ${id}'s object did not restart`);
}

/** An upgrade of `joined`'s socket URL that does not wait for a welcome: refused upgrades are closed at once. */
export async function upgrade(
  joined: Pick<Joined, "wsUrl">,
  resume?: { seq: number; epoch: string },
): Promise<{ status: number; socket: TestSocket }> {
  const url =
    joined.wsUrl.replace(/^ws/, "http") + (resume ? `&seq=${resume.seq}&epoch=${resume.epoch}` : "");
  const res = await SELF.fetch(url, { headers: { Upgrade: "websocket", "CF-Connecting-IP": freshIp() } });
  if (!res.webSocket) throw new Error(`no socket: ${res.status} ${await res.text()}`);
  const socket = new TestSocket(res.webSocket);
  res.webSocket.accept();
  return { status: res.status, socket };
}
