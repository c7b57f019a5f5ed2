import {
  BattleConnection,
  backoffDelay,
  carriesTop,
  compactPushUrl,
  encodeRequest,
  retryAfterOf,
  shouldReconnect,
  type WebSocketLike,
  withTop,
} from "@arena/client";
import { afterEach, describe, expect, it, vi } from "vitest";

describe("backoffDelay", () => {
  it("full jitter: uniform in [0, ceiling) under an exponential ceiling capped at maxMs", () => {
    const opts = { baseMs: 100, maxMs: 5000 };
    expect(backoffDelay(0, () => 0, opts)).toBe(0);
    expect(backoffDelay(0, () => 0.999999, opts)).toBe(99);
    expect(backoffDelay(3, () => 0.5, opts)).toBe(400);
    expect(backoffDelay(20, () => 0.999999, opts)).toBe(4999);
    expect(backoffDelay(1000, () => 0.5, opts)).toBe(2500);
    for (let a = 0; a < 12; a++) {
      const d = backoffDelay(a, Math.random, opts);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(Math.min(5000, 100 * 2 ** a));
    }
  });

  it("spreads a crowd's first reconnect evenly over the first ceiling", () => {
    let seed = 7;
    const rng = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < 10_000; i++) buckets[Math.floor(backoffDelay(0, rng) / 100)]++;
    for (const n of buckets) expect(n).toBeGreaterThan(800);
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
  closedWith: number | null = null;
  constructor(readonly url = "") {}
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { readonly data: unknown }) => void) | null = null;
  onclose: ((ev: { readonly code: number; readonly reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  send(data: string) {
    this.sent.push(data);
  }
  close(code?: number) {
    this.closedWith = code ?? 1005;
  }
  serverSends(frame: unknown) {
    this.onmessage?.({ data: typeof frame === "string" ? frame : JSON.stringify(frame) });
  }
  serverCloses(code: number, reason = "") {
    this.readyState = 3;
    this.onclose?.({ code, reason });
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
  stream: { epoch: "e1", seq: 4, continuity: "new", replayed: 0 },
};

describe("BattleConnection", () => {
  afterEach(() => vi.useRealTimers());

  function open(fetchStatus = 426) {
    const sockets: FakeSocket[] = [];
    const conn = new BattleConnection("ws://x/ws?token=t", {
      socketFactory: (url) => {
        const s = new FakeSocket(url);
        sockets.push(s);
        return s;
      },
      fetch: async () => ({ status: fetchStatus }),
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

  it("resumes after a drop: seq and epoch in the URL, replayed frames once, unanswered requests re-sent with their ids", async () => {
    vi.useFakeTimers();
    const { conn, sockets, welcomed } = open();
    await welcomed;
    const attacked: number[] = [];
    const events: string[] = [];
    conn.handlers.attacked = (m) => attacked.push(m.seq!);
    conn.handlers.resumed = (s) => events.push(`resumed ${s.replayed}`);
    const s0 = sockets[0]!;
    s0.serverSends({ type: "attacked", attacker: { id: 2, username: "b" }, seq: 5, score: 1, shields: 0 });
    const answered = conn.request({ type: "answer", questionId: "q1", answer: 1 });
    const lost = conn.request({ type: "attack", target: 2 });
    s0.serverCloses(1006);
    await vi.advanceTimersByTimeAsync(1);
    expect(sockets).toHaveLength(2);
    const s1 = sockets[1]!;
    expect(s1.url).toBe("ws://x/ws?token=t&push=2&seq=5&epoch=e1");
    s1.readyState = 1;
    // The replay: the answer's reply and an attack from while we were away (and seq 5 again, which is dropped).
    s1.serverSends({ type: "attacked", attacker: { id: 2, username: "b" }, seq: 5, score: 1, shields: 0 });
    s1.serverSends({ type: "reply", id: 1, ok: true, data: { correct: true }, seq: 6 });
    s1.serverSends({ type: "attacked", attacker: { id: 3, username: "c" }, seq: 7, score: 0, shields: 0 });
    s1.serverSends({ ...welcome, stream: { epoch: "e1", seq: 7, continuity: "kept", replayed: 2 } });
    expect(await answered).toMatchObject({ ok: true, data: { correct: true } });
    expect(attacked).toEqual([5, 7]);
    expect(events).toEqual(["resumed 2"]);
    // Only the unanswered attack goes out again, with its original id.
    expect(s1.sent).toEqual(['{"type":"attack","id":2,"target":2}']);
    s1.serverSends({ type: "reply", id: 2, ok: true, data: { arrows: 2 }, duplicate: true });
    expect(await lost).toMatchObject({ ok: true, data: { arrows: 2 } });
    expect(conn.stream).toEqual({ seq: 7, epoch: "e1" });
  });

  it("tells the application when continuity was lost and when the session ended (4501: no reconnect)", async () => {
    vi.useFakeTimers();
    const { conn, sockets, welcomed } = open();
    await welcomed;
    const events: string[] = [];
    conn.handlers.continuityLost = (w) => events.push(`lost at ${w.stream.seq}`);
    conn.handlers.sessionEnded = (code) => events.push(`ended ${code}`);
    sockets[0]!.serverCloses(4000);
    await vi.advanceTimersByTimeAsync(1_000);
    sockets[1]!.readyState = 1;
    sockets[1]!.serverSends({ ...welcome, stream: { epoch: "e2", seq: 1, continuity: "lost", replayed: 0 } });
    const pending = conn.request({ type: "leaderboard" });
    sockets[1]!.serverCloses(4501);
    await expect(pending).rejects.toMatchObject({ failure: { code: "closed" } });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sockets).toHaveLength(2);
    expect(events).toEqual(["lost at 1", "ended 4501"]);
  });

  it("comes back at the slot a 1013 names, keeping its place in the stream and its unanswered requests", async () => {
    vi.useFakeTimers();
    const { conn, sockets, welcomed } = open();
    await welcomed;
    const closes: string[] = [];
    conn.handlers.close = (code, _reason, reconnecting) => closes.push(`${code} ${reconnecting}`);
    const pending = conn.request({ type: "attack", target: 2 });
    sockets[0]!.serverCloses(1006);
    await vi.advanceTimersByTimeAsync(1);
    // The object is taking sockets as fast as it can: this one's slot is 800 ms away (rng 0: no jitter).
    sockets[1]!.serverCloses(1013, JSON.stringify({ code: "overloaded", retryAfterMs: 800 }));
    await vi.advanceTimersByTimeAsync(799);
    expect(sockets).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(sockets).toHaveLength(3);
    expect(sockets[2]!.url).toBe("ws://x/ws?token=t&push=2&seq=4&epoch=e1");
    sockets[2]!.readyState = 1;
    sockets[2]!.serverSends({ ...welcome, stream: { epoch: "e1", seq: 4, continuity: "kept", replayed: 0 } });
    expect(sockets[2]!.sent).toEqual(['{"type":"attack","id":1,"target":2}']);
    sockets[2]!.serverSends({ type: "reply", id: 1, ok: true, data: { arrows: 2 } });
    expect(await pending).toMatchObject({ ok: true });
    expect(closes).toEqual(["1006 true", "1013 true"]);
    // A 1013 without a readable wait falls back to the backoff.
    expect(retryAfterOf("busy")).toBeNull();
    expect(retryAfterOf('{"retryAfterMs":999999}')).toBe(60_000);
  });

  it("closes when the server asks (closing), with the server's code", async () => {
    const { sockets, welcomed } = open();
    await welcomed;
    sockets[0]!.serverSends({ type: "closing", code: 4502, reason: "superseded" });
    expect(sockets[0]!.closedWith).toBe(4502);
  });

  it("stops retrying when the upgrade is refused over HTTP (401 behind a 1006)", async () => {
    vi.useFakeTimers();
    const sockets: FakeSocket[] = [];
    const ended: number[] = [];
    const conn = new BattleConnection("ws://x/ws?token=expired", {
      socketFactory: (url) => {
        const s = new FakeSocket(url);
        sockets.push(s);
        return s;
      },
      fetch: async () => ({ status: 401 }),
      rng: () => 0.5,
    });
    conn.handlers.sessionEnded = (code) => ended.push(code);
    const welcomed = conn.connect();
    sockets[0]!.serverCloses(1006);
    await expect(welcomed).rejects.toThrow(/session ended/);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(sockets).toHaveLength(1);
    expect(ended).toEqual([4503]);
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
