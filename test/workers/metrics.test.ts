/**
 * @module The Prometheus endpoints through the real Worker and Durable Objects: a small battle is played (joins,
 * right and wrong answers, refused attacks, an HTTP answer, a ping, a bad frame, a rate-limited burst) and every
 * request counter in the scrape equals what the test did; handling-time histograms count the same requests, with
 * cumulative buckets.
 */

import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  api,
  connect,
  createBattle,
  freshIp,
  join,
  listedStatus,
  manualClock,
  OPERATOR,
  startBattle,
} from "./helpers";

interface Series {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** Parses the sample lines of a text exposition (label values unescaped). */
function parse(text: string): Series[] {
  const out: Series[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c) => (c === "n" ? "\n" : c));
    out.push({ name: m[1]!, labels, value: m[3] === "+Inf" ? Number.POSITIVE_INFINITY : Number(m[3]) });
  }
  return out;
}

function pick(all: Series[], name: string, labels: Record<string, string> = {}): Series[] {
  return all.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

function sum(all: Series[], name: string, labels: Record<string, string> = {}): number {
  return pick(all, name, labels).reduce((n, s) => n + s.value, 0);
}

async function scrape(path: string, headers: Record<string, string> = OPERATOR) {
  const res = await SELF.fetch(`http://arena.test${path}`, {
    headers: { "CF-Connecting-IP": freshIp(), ...headers },
  });
  return { status: res.status, type: res.headers.get("Content-Type"), text: await res.text() };
}

/** Outcome counts per action from the replies the test saw. */
class Tally {
  readonly counts = new Map<string, number>();
  add(action: string, reply: { ok: boolean; error?: { code: string } }): void {
    const key = `${action}/${reply.ok ? "ok" : reply.error!.code}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
  total(action: string): number {
    let n = 0;
    for (const [k, v] of this.counts) if (k.startsWith(`${action}/`)) n += v;
    return n;
  }
}

/** Every histogram's buckets are cumulative and end at `_count`. */
function expectCumulative(all: Series[], name: string): void {
  const groups = new Map<string, Series[]>();
  for (const s of pick(all, `${name}_bucket`)) {
    const { le: _le, ...rest } = s.labels;
    const key = JSON.stringify(rest);
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  expect(groups.size).toBeGreaterThan(0);
  for (const [key, buckets] of groups) {
    const values = buckets.map((b) => b.value);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(buckets.at(-1)!.labels.le).toBe("+Inf");
    const count = pick(all, `${name}_count`, JSON.parse(key));
    expect(count).toHaveLength(1);
    expect(buckets.at(-1)!.value).toBe(count[0]!.value);
  }
}

describe("metrics", () => {
  it("counts each request outcome exactly, times each request, and refuses without the operator token", async () => {
    const id = await createBattle({ rules: { startingArrows: 0 } });
    await startBattle(id);
    const [a, b] = [await join(id, "alice"), await join(id, "bob")];
    // The object's clock stands still: the frame budget (burst 20) does not refill during the test.
    await manualClock(id, Date.now());
    const [wa, wb] = [await connect(a), await connect(b)];
    const t = new Tally();

    t.add("answer", await wa.request({ type: "answer", id: 1, questionId: "q1", answer: 1 })); // right
    t.add("answer", await wa.request({ type: "answer", id: 2, questionId: "q2", answer: "Rome" })); // wrong
    t.add("answer", await wa.request({ type: "answer", id: 3, questionId: "q1", answer: 1 })); // twice
    // Bob has no points: refused (a strike), whatever the reason's code.
    const refusedAttack = await wa.request({ type: "attack", id: 4, target: b.participantId });
    expect(refusedAttack.ok).toBe(false);
    t.add("attack", refusedAttack);
    const unknown = await wb.request({ type: "attack", id: 1, target: 9_999 });
    expect(unknown.error.code).toBe("unknown_target");
    t.add("attack", unknown);
    t.add("ping", await wa.request({ type: "ping", id: 5 }));
    wa.send("not json");
    const bad = await wa.next((m) => m.type === "error", "bad_json");
    expect((bad as { error: { code: string } }).error.code).toBe("bad_json");
    t.add("invalid", { ok: false, error: { code: "bad_json" } });
    const http = await api(
      "POST",
      `/api/battles/${id}/answer`,
      { questionId: "q3", answer: 1 },
      {
        Authorization: `Bearer ${b.token}`,
      },
    );
    expect(http.status).toBe(200);
    t.add("answer", { ok: true });
    // A burst over bob's budget (20 frames, one per request so far): the excess is rate limited.
    for (let i = 0; i < 24; i++) wb.send({ type: "leaderboard", id: 100 + i });
    for (let i = 0; i < 24; i++)
      t.add(
        "leaderboard",
        await wb.next<any>((m) => m.type === "reply" && m.id === 100 + i, `reply ${100 + i}`),
      );
    expect(t.counts.get("leaderboard/rate_limited")).toBeGreaterThan(0);
    expect(t.counts.get("leaderboard/ok")).toBeGreaterThan(0);

    const res = await scrape(`/api/admin/battles/${id}/metrics`);
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/^text\/plain; version=0\.0\.4/);
    const all = parse(res.text);
    for (const s of all) expect(s.labels.battle).toBe(id);
    expect(res.text.match(/^# TYPE arena_requests_total counter$/gm)).toHaveLength(1);

    // Every outcome the test saw, and nothing else.
    for (const [key, n] of t.counts) {
      const [action, outcome] = key.split("/") as [string, string];
      expect({ key, n: sum(all, "arena_requests_total", { action, outcome }) }).toEqual({ key, n });
    }
    const counted = pick(all, "arena_requests_total").filter((s) => s.value > 0);
    expect(counted).toHaveLength(t.counts.size);

    // One handling time per request counted, per action.
    for (const action of ["answer", "attack", "leaderboard", "ping", "invalid"]) {
      expect({ action, n: sum(all, "arena_request_duration_seconds_count", { action }) }).toEqual({
        action,
        n: t.total(action),
      });
    }
    expectCumulative(all, "arena_request_duration_seconds");
    expectCumulative(all, "arena_commit_batch_writes");
    expectCumulative(all, "arena_commit_duration_seconds");
    // Three accepted answers wrote; each batch holds at least one write.
    const writes = sum(all, "arena_commit_batch_writes_sum");
    expect(writes).toBeGreaterThanOrEqual(3);
    expect(sum(all, "arena_commit_batch_writes_count")).toBeGreaterThanOrEqual(1);

    expect(sum(all, "arena_joins_total", { result: "new" })).toBe(2);
    expect(sum(all, "arena_sockets_online")).toBe(2);
    expect(sum(all, "arena_players")).toBe(2);
    expect(sum(all, "arena_socket_admissions_total", { result: "admitted" })).toBe(2);
    expect(pick(all, "arena_push_frames_total")).toHaveLength(1);
    expect(sum(all, "arena_persist_last_seq")).toBeGreaterThan(0);
    expect(pick(all, "arena_persist_confirmed_seq")).toHaveLength(2);
    expect(sum(all, "arena_persist_dead_letters")).toBe(0);
    expect(sum(all, "arena_metrics_up")).toBe(1);

    // Operator only.
    expect((await scrape(`/api/admin/battles/${id}/metrics`, {})).status).toBe(401);
    expect((await scrape(`/api/admin/battles/${id}/metrics`, { Authorization: "Bearer nope" })).status).toBe(
      401,
    );
    expect((await scrape("/api/admin/metrics", {})).status).toBe(401);
    expect((await scrape("/api/admin/battles/no-such-battle/metrics")).status).toBe(404);
  });

  it("labels a sharded battle's series by shard, the coordinator's too", async () => {
    const id = await createBattle({ shards: 2 });
    await startBattle(id);
    const players = [];
    for (const name of ["ann", "ben", "cat", "dan", "eve", "fay"]) players.push(await join(id, name));
    let answered = 0;
    for (const p of players) {
      const res = await api(
        "POST",
        `/api/battles/${id}/answer`,
        { questionId: "q1", answer: 1 },
        {
          Authorization: `Bearer ${p.token}`,
        },
      );
      expect(res.status).toBe(200);
      answered++;
    }
    const res = await scrape(`/api/admin/battles/${id}/metrics`);
    expect(res.status).toBe(200);
    const all = parse(res.text);
    const shards = new Set(pick(all, "arena_requests_total").map((s) => s.labels.shard));
    expect([...shards].sort()).toEqual(["0", "1", "coordinator"]);
    expect(sum(all, "arena_requests_total", { action: "answer", outcome: "ok" })).toBe(answered);
    expect(sum(all, "arena_request_duration_seconds_count", { action: "answer" })).toBe(answered);
    expect(sum(all, "arena_players")).toBe(players.length);
    expect(sum(all, "arena_joins_total", { result: "new" })).toBe(players.length);
    expect(pick(all, "arena_metrics_up").map((s) => [s.labels.shard, s.value])).toEqual([
      ["coordinator", 1],
      ["0", 1],
      ["1", 1],
    ]);

    // The all-battles scrape lists it (every shard) once D1's index shows it live.
    await listedStatus(id, "live");
    const every = await scrape("/api/admin/metrics");
    expect(every.status).toBe(200);
    const mixed = parse(every.text);
    expect(sum(mixed, "arena_requests_total", { battle: id, action: "answer", outcome: "ok" })).toBe(
      answered,
    );
    expect(new Set(pick(mixed, "arena_players", { battle: id }).map((s) => s.labels.shard)).size).toBe(3);
    expect(sum(mixed, "arena_metrics_battles")).toBeGreaterThanOrEqual(1);
    expect(every.text.match(/^# TYPE arena_requests_total counter$/gm)).toHaveLength(1);
  });
});
