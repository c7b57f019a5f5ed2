import { afterEach, describe, expect, it, vi } from "vitest";
import {
  BattleConnection,
  backoffDelay,
  carriesTop,
  compactPushUrl,
  encodeRequest,
  shouldReconnect,
  type WebSocketLike,
  withTop,
} from "../../src/client";

describe("backoffDelay", () => {
  it("grows exponentially, stays within [ceiling/2, ceiling], and caps at maxMs", () => {
    const opts = { baseMs: 100, maxMs: 5000 };
    expect(backoffDelay(0, () => 0, opts)).toBe(50);
    expect(backoffDelay(0, () => 0.999999, opts)).toBe(100);
    expect(backoffDelay(3, () => 0, opts)).toBe(400);
    expect(backoffDelay(3, () => 0.5, opts)).toBe(600);
    expect(backoffDelay(20, () => 0.999999, opts)).toBe(5000);
    expect(backoffDelay(1000, () => 0, opts)).toBe(2500);
    for (let a = 0; a < 12; a++) {
      const d = backoffDelay(a, Math.random, opts);
      const ceiling = Math.min(5000, 100 * 2 ** a);
      expect(d).toBeGreaterThanOrEqual(ceiling / 2);
      expect(d).toBeLessThanOrEqual(ceiling);
    }
  });

  it("never reconnects after 4500–4999 or a clean close", () => {
    expect(shouldReconnect(4501)).toBe(false);
    expect(shouldReconnect(4503)).toBe(false);
    expect(shouldReconnect(1000)).toBe(false);
    expect(shouldReconnect(1006)).toBe(true);
    expect(shouldReconnect(4000)).toBe(true);
    expect(shouldReconnect(1011)).toBe(true);
  });
});

class FakeSocket implements WebSocketLike {
  readyState = 0;
  sent: string[] = [];
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { readonly data: unknown }) => void) | null = null;
  onclose: ((ev: { readonly code: number; readonly reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  send(data: string) {
    this.sent.push(data);
  }
  close() {}
  serverSends(frame: unknown) {
    this.onmessage?.({ data: typeof frame === "string" ? frame : JSON.stringify(frame) });
  }
  serverCloses(code: number) {
    this.readyState = 3;
    this.onclose?.({ code, reason: "" });
  }
}

const welcome = {
  type: "welcome",
  protocol: 1,
  serverTime: 0,
  you: { id: 1, username: "a", score: 0, arrows: 3, shields: 1, correct: 0, rank: 1, done: [] },
  battle: {},
  leaderboard: { total: 1, top: [], me: null, around: [] },
  online: 1,
};

describe("BattleConnection", () => {
  afterEach(() => vi.useRealTimers());

  function open() {
    const sockets: FakeSocket[] = [];
    const conn = new BattleConnection("ws://x/ws", {
      socketFactory: () => {
        const s = new FakeSocket();
        sockets.push(s);
        return s;
      },
      requestTimeoutMs: 1000,
      heartbeatMs: 0,
      rng: () => 0,
      backoff: { baseMs: 100, maxMs: 1000 },
    });
    const welcomed = conn.connect();
    const s = sockets[0]!;
    s.readyState = 1;
    s.serverSends(welcome);
    return { conn, sockets, welcomed };
  }

  it("matches replies to requests by id, whatever the order, and times out the rest", async () => {
    vi.useFakeTimers();
    const { conn, sockets, welcomed } = open();
    await welcomed;
    const s = sockets[0]!;
    const a = conn.request({ type: "answer", questionId: "q1", answer: 1 });
    const b = conn.request({ type: "leaderboard" });
    const c = conn.request({ type: "attack", target: 7 });
    expect(s.sent).toEqual([
      '{"type":"answer","id":1,"questionId":"q1","answer":1}',
      '{"type":"leaderboard","id":2}',
      '{"type":"attack","id":3,"target":7}',
    ]);
    s.serverSends({ type: "reply", id: 2, ok: true, data: { total: 1, top: [], me: null, around: [] } });
    s.serverSends({ type: "reply", id: 1, ok: false, error: { code: "already_answered", message: "" } });
    expect((await b).ok).toBe(true);
    expect(await a).toMatchObject({ ok: false, error: { code: "already_answered" } });
    vi.advanceTimersByTime(1001);
    await expect(c).rejects.toMatchObject({ failure: { code: "timeout", id: 3 } });
    expect(conn.inFlight).toBe(0);
  });

  it("fails pending requests on close, reconnects after 1006 but not after 4501", async () => {
    vi.useFakeTimers();
    const { conn, sockets, welcomed } = open();
    await welcomed;
    const pending = conn.request({ type: "leaderboard" });
    sockets[0]!.serverCloses(1006);
    await expect(pending).rejects.toMatchObject({ failure: { code: "closed" } });
    vi.advanceTimersByTime(100);
    expect(sockets).toHaveLength(2);
    sockets[1]!.readyState = 1;
    sockets[1]!.serverSends(welcome);
    expect(conn.reconnects).toBe(1);
    sockets[1]!.serverCloses(4501);
    vi.advanceTimersByTime(60_000);
    expect(sockets).toHaveLength(2);
  });

  it("parses leaderboard pushes only when asked", async () => {
    const { conn, sockets, welcomed } = open();
    await welcomed;
    const raw: string[] = [];
    conn.handlers.leaderboardRaw = (f) => raw.push(f);
    sockets[0]!.serverSends(
      '{"type":"leaderboard","total":2,"top":[],"me":{"rank":2,"score":5},"around":[]}',
    );
    expect(raw).toHaveLength(1);
    expect(conn.latestLeaderboard()?.me).toEqual({ rank: 2, score: 5 });
  });

  it("encodes page requests", () => {
    expect(encodeRequest({ type: "leaderboard", offset: 10, limit: 5 }, 9)).toBe(
      '{"type":"leaderboard","id":9,"offset":10,"limit":5}',
    );
    expect(JSON.parse(encodeRequest({ type: "answer", questionId: 'q"1', answer: ' a"b ' }, 1))).toEqual({
      type: "answer",
      id: 1,
      questionId: 'q"1',
      answer: ' a"b ',
    });
  });
});

describe("compact leaderboard pushes (protocol 3)", () => {
  const row = (id: number, score: number, rank: number) => ({ rank, id, username: `u${id}`, score });

  it("asks for them on connect and fills a frame's missing top from the latest frame that had one", async () => {
    const urls: string[] = [];
    const sockets: FakeSocket[] = [];
    const conn = new BattleConnection("ws://x/api/battles/b/ws?token=t", {
      socketFactory: (url) => {
        urls.push(url);
        const s = new FakeSocket();
        sockets.push(s);
        return s;
      },
      heartbeatMs: 0,
    });
    const welcomed = conn.connect();
    const s = sockets[0]!;
    s.readyState = 1;
    s.serverSends(welcome);
    await welcomed;
    expect(new URL(urls[0]!).searchParams.get("token")).toBe("t");
    expect(new URL(urls[0]!).searchParams.get("push")).toBe("2");
    const seen: unknown[] = [];
    conn.handlers = { leaderboard: (m) => seen.push(m) };
    const top = [row(7, 50, 1), row(1, 10, 2)];
    s.serverSends({ type: "leaderboard", total: 2, online: 2, top, me: { rank: 2, score: 10 }, around: top });
    s.serverSends({ type: "leaderboard", total: 2, online: 2, me: { rank: 2, score: 10 }, around: top });
    expect(seen[1]).toEqual({
      type: "leaderboard",
      total: 2,
      online: 2,
      top,
      me: { rank: 2, score: 10 },
      around: top,
    });
    // Raw frames parsed only on demand: a full frame then two compact ones, read once at the end.
    conn.handlers = {};
    const top2 = [row(1, 60, 1), row(7, 50, 2)];
    s.serverSends({
      type: "leaderboard",
      total: 2,
      online: 2,
      top: top2,
      me: { rank: 1, score: 60 },
      around: top2,
    });
    s.serverSends({ type: "leaderboard", total: 2, online: 3, me: { rank: 1, score: 60 }, around: top2 });
    s.serverSends({ type: "leaderboard", total: 2, online: 4, me: { rank: 1, score: 60 }, around: top2 });
    expect(conn.latestLeaderboard()).toMatchObject({ online: 4, top: top2 });
    s.serverSends({ type: "leaderboard", total: 2, online: 5, me: { rank: 1, score: 60 }, around: top2 });
    expect(conn.latestLeaderboard()).toMatchObject({ online: 5, top: top2 });
  });

  it("leaves full frames (servers without compact frames) as they are", () => {
    expect(withTop({ total: 1, me: null, around: [] }, undefined)).toEqual({
      total: 1,
      me: null,
      around: [],
      top: [],
    });
    const view = { total: 1, top: [row(1, 1, 1)], me: null, around: [] };
    expect(withTop(view, [])).toBe(view);
    expect(carriesTop(JSON.stringify(view))).toBe(true);
    expect(
      carriesTop('{"type":"leaderboard","total":1,"me":null,"around":[{"username":"\\"top\\":["}]}'),
    ).toBe(false);
    expect(compactPushUrl("ws://h/ws?token=a%2Bb&push=2")).toBe("ws://h/ws?token=a%2Bb&push=2");
  });
});
