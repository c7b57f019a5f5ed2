/**
 * @module The local multi-process mode (scripts/arena-sharded.mjs): one battle's shards in two `wrangler dev`
 * processes (on free ports). Joins hand out the owning process's socket URL, attacks cross processes over
 * `script_name` RPC, the leaderboard is global, and every stream (the relay's included) lands in D1 and Postgres;
 * a process killed mid-battle and started again (a shard's, or process 0 with the coordinator and the queue)
 * loses nothing acknowledged.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: plain ESM script without types
import { freePorts } from "../../scripts/arena-server.mjs";
import { http, OPERATOR, openSocket, QUESTIONS, type TestSocket, waitFor } from "./persist-helpers";
import { type ShardedTestArena, startTestShardedArena } from "./sharded-arena";

let arena: ShardedTestArena;
/** The two processes' ports (verified free when picked). */
let PORTS: number[];

beforeAll(async () => {
  const ports: number[] = await freePorts(4);
  PORTS = ports.slice(0, 2);
  arena = await startTestShardedArena({
    processes: 2,
    ports: PORTS,
    inspectorPorts: ports.slice(2),
    namePrefix: `arena-e2e-${PORTS[0]}-p`,
  });
  expect(arena.urls).toEqual(PORTS.map((p) => `http://127.0.0.1:${p}`));
}, 180_000);
afterAll(() => arena?.stop());

const shardOf = (token: string) =>
  JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString()).sh as number;

type Joined = { participantId: number; wsUrl: string };

/**
 * A started 2-shard battle with one player on each shard (shard k in process k): joins `<prefix>0`, `<prefix>1`, …
 * until both shards have one. `joined` counts every player (all stay in the battle).
 */
async function battleWithPlayerPerShard(base: string, id: string, prefix: string) {
  const body = { id, title: id, questions: QUESTIONS, shards: 2 };
  expect((await http(base, "POST", "/api/admin/battles", body, OPERATOR)).status).toBe(201);
  expect((await http(base, "POST", `/api/admin/battles/${id}/start`, {}, OPERATOR)).status).toBe(200);
  const bySh = new Map<number, Joined>();
  let joined = 0;
  for (; bySh.size < 2; joined++) {
    expect(joined).toBeLessThan(30);
    const r = await http(base, "POST", `/api/battles/${id}/join`, { username: `${prefix}${joined}` });
    expect(r.status).toBe(201);
    const sh = shardOf(r.json.token);
    if (!bySh.has(sh)) bySh.set(sh, r.json);
  }
  return { a: bySh.get(0)!, b: bySh.get(1)!, joined };
}

/** `from` attacks `target` until it is accepted (the other process may still be coming back), a new id each try. */
function attackUntilAccepted(from: TestSocket, target: number) {
  let id = 1_000;
  // 60 s: under CI load wrangler's dev registry can take a while to point the other process at the restarted one.
  return waitFor("a cross-process attack after the restart", 60_000, async () => {
    const r = await from.request({ type: "attack", id: id++, target });
    if (!r.ok) throw new Error(`refused: ${JSON.stringify(r.error)}`); // kept as the timeout's last error
    return r;
  });
}

describe("multi-process local mode", () => {
  it("plays one battle across two processes and persists every shard's stream", async () => {
    const base = arena.urls[0]!;
    const id = `mp-e2e-${Date.now().toString(36)}`;
    const create = await http(
      base,
      "POST",
      "/api/admin/battles",
      { id, title: "MP", questions: QUESTIONS, shards: 4 },
      OPERATOR,
    );
    expect(create.status).toBe(201);
    expect((await http(base, "POST", `/api/admin/battles/${id}/start`, {}, OPERATOR)).status).toBe(200);
    const players: { id: number; shard: number; socket: TestSocket; frames: any[] }[] = [];
    for (let i = 0; i < 8; i++) {
      const joined = await http(base, "POST", `/api/battles/${id}/join`, { username: `mp${i}` });
      expect(joined.status).toBe(201);
      const shard = shardOf(joined.json.token);
      // The socket URL names the process that holds the player's shard (shard k in process k mod 2).
      expect(new URL(joined.json.wsUrl).port).toBe(String(PORTS[shard % 2]));
      const socket = await openSocket(joined.json.wsUrl);
      const frames: any[] = [];
      socket.ws.on("message", (d) => frames.push(JSON.parse(String(d))));
      players.push({ id: joined.json.participantId, shard, socket, frames });
    }
    const processes = new Set(players.map((p) => p.shard % 2));
    expect(processes.size).toBe(2);
    for (const [i, p] of players.entries()) {
      const reply = await p.socket.request({
        type: "answer",
        id: 1,
        questionId: `q${i % 3}`,
        answer: String((i % 3) + 1),
      });
      expect(reply.ok).toBe(true);
    }
    // Every player attacks someone in the other process; the target's socket hears it from its own shard.
    const attacks: {
      attacker: (typeof players)[number];
      name: string;
      target: (typeof players)[number];
      data: any;
    }[] = [];
    for (const [i, p] of players.entries()) {
      const target = players.find((t) => t.shard % 2 !== p.shard % 2)!;
      const reply = await p.socket.request({ type: "attack", id: 2 + i, target: target.id });
      expect(reply.ok, JSON.stringify(reply)).toBe(true);
      expect(reply.data).toMatchObject({ target: target.id });
      attacks.push({ attacker: p, name: `mp${i}`, target, data: reply.data });
    }
    // Each target's socket hears each attack on it exactly once, from that attacker, as the attacker's reply says.
    for (const { attacker, name, target, data } of attacks) {
      const from = (f: any) => f.type === "attacked" && f.attacker?.id === attacker.id;
      const heard = await waitFor(`${name}'s attack on ${target.id}`, 10_000, async () =>
        target.frames.some(from) ? target.frames.filter(from) : null,
      );
      expect(heard).toHaveLength(1);
      expect(heard[0]).toMatchObject({
        type: "attacked",
        attacker: { id: attacker.id, username: name },
        blocked: data.blocked,
        pointsLost: data.pointsLost,
      });
      expect(heard[0].seq).toEqual(expect.any(Number));
      expect(heard[0].score).toEqual(expect.any(Number));
    }
    // Nobody else heard an attack: only the targets were attacked.
    const targets = new Set(attacks.map((a) => a.target.id));
    for (const p of players) {
      if (!targets.has(p.id)) expect(p.frames.filter((f) => f.type === "attacked")).toEqual([]);
    }
    const board = await players.at(-1)!.socket.request({ type: "leaderboard", id: 99 });
    expect(board.data.total).toBe(8);

    expect((await http(base, "POST", `/api/admin/battles/${id}/end`, {}, OPERATOR)).status).toBe(200);
    const report = await waitFor("a clean reconciliation", 60_000, async () => {
      const r = await http(base, "GET", `/api/admin/battles/${id}/reconcile`, undefined, OPERATOR);
      return r.status === 200 && r.json.clean && !r.json.inFlight ? r.json : null;
    });
    expect(report.streams.map((s: { shard: number }) => s.shard)).toEqual([4, 0, 1, 2, 3]);
    expect(report.participants).toBe(8);
    // Results read from either process are the same global standings.
    const a = await http(base, "GET", `/api/battles/${id}/results`);
    const b = await http(arena.urls[1]!, "GET", `/api/battles/${id}/results`);
    expect(a.status).toBe(200);
    expect(b.json.standings).toEqual(a.json.standings);
    for (const p of players) p.socket.ws.close();
  }, 120_000);

  it("loses nothing acknowledged when a shard's process is killed mid-battle and started again", async () => {
    const base = arena.urls[0]!;
    // One player on each shard: shard 0 in process 0, shard 1 in process 1.
    const id = `mp-kill-${Date.now().toString(36)}`;
    const { a, b } = await battleWithPlayerPerShard(base, id, "mk");
    const sa = await openSocket(a.wsUrl);
    const frames: any[] = [];
    const sb = await openSocket(b.wsUrl);
    sb.ws.on("message", (d) => frames.push(JSON.parse(String(d))));
    expect((await sb.request({ type: "answer", id: 1, questionId: "q0", answer: "1" })).ok).toBe(true);
    expect((await sa.request({ type: "attack", id: 2, target: b.participantId })).ok).toBe(true);
    await waitFor("the attack on b", 10_000, async () => frames.find((f) => f.type === "attacked") ?? null);
    const admin = await http(base, "GET", `/api/admin/battles/${id}`, undefined, OPERATOR);
    expect(admin.json.battle.stored).toMatchObject({ answers: 1, attacks: 1 });

    // Process 1 (shard 1, b's) crashes and comes back on the same port and state.
    const closed = new Promise((r) => sb.ws.once("close", r));
    await arena.restart(1);
    await closed;
    const back = await waitFor("b back on process 1", 30_000, async () => openSocket(b.wsUrl));
    expect((await back.request({ type: "answer", id: 3, questionId: "q1", answer: "2" })).ok).toBe(true);
    // Attacks across processes work again once the process is back.
    const again = await attackUntilAccepted(sa, b.participantId);
    expect(again.ok).toBe(true);

    expect((await http(base, "POST", `/api/admin/battles/${id}/end`, {}, OPERATOR)).status).toBe(200);
    const standings = (await http(base, "GET", `/api/admin/battles/${id}/standings`, undefined, OPERATOR))
      .json.standings as { id: number; correct: number }[];
    expect(standings.find((s) => s.id === b.participantId)?.correct).toBe(2);
    const report = await waitFor("a clean reconciliation", 60_000, async () => {
      const r = await http(base, "GET", `/api/admin/battles/${id}/reconcile`, undefined, OPERATOR);
      return r.status === 200 && r.json.clean && !r.json.inFlight ? r.json : null;
    });
    expect(report.participants).toBe(2);
    sa.ws.close();
    back.ws.close();
  }, 120_000);

  it("loses nothing acknowledged when process 0 (coordinator, shard 0, the queue) is killed mid-battle", async () => {
    const base = arena.urls[0]!;
    const id = `mp-kill0-${Date.now().toString(36)}`;
    const { a, b, joined: joinedCount } = await battleWithPlayerPerShard(base, id, "mz");
    // a is on process 0, with the coordinator and the queue; b on process 1.
    const sa = await openSocket(a.wsUrl);
    const sb = await openSocket(b.wsUrl);
    const framesA: any[] = [];
    const first = await sa.request({ type: "answer", id: 1, questionId: "q0", answer: "1" });
    expect(first.ok).toBe(true);
    const firstScore = first.data.score as number;
    expect((await sb.request({ type: "answer", id: 1, questionId: "q0", answer: "1" })).ok).toBe(true);
    expect((await sb.request({ type: "attack", id: 2, target: a.participantId })).ok).toBe(true);

    // Process 0 crashes: the coordinator, shard 0 and the in-memory queue (with anything not yet consumed) go.
    const closed = new Promise((r) => sa.ws.once("close", r));
    await arena.restart(0);
    await closed;
    const backA = await waitFor("a back on process 0", 30_000, async () => openSocket(a.wsUrl));
    backA.ws.on("message", (d) => framesA.push(JSON.parse(String(d))));
    const second = await backA.request({ type: "answer", id: 3, questionId: "q1", answer: "2" });
    expect(second.ok).toBe(true);
    // b (process 1 kept running) attacks a across processes again, and a hears it from its restarted shard.
    const again = await attackUntilAccepted(sb, a.participantId);
    expect(again.ok).toBe(true);
    await waitFor("the attack on a", 10_000, async () => framesA.find((f) => f.type === "attacked") ?? null);
    // The restarted coordinator rebuilt the global order from both shards: both show every player, the same
    // order, and a's points from after the restart.
    let n = 2_000_000;
    const boards = await waitFor("both shards showing the same global board", 20_000, async () => {
      const fromB = await sb.request({ type: "leaderboard", id: n++ });
      const fromA = await backA.request({ type: "leaderboard", id: n++ });
      const same = JSON.stringify(fromB.data?.top) === JSON.stringify(fromA.data?.top);
      return same && fromB.data.total === joinedCount && fromA.data.total === joinedCount ? fromA : null;
    });
    expect(boards.data.top.find((e: { id: number }) => e.id === a.participantId).score).toBeGreaterThan(
      firstScore,
    );

    expect((await http(base, "POST", `/api/admin/battles/${id}/end`, {}, OPERATOR)).status).toBe(200);
    const standings = (await http(base, "GET", `/api/admin/battles/${id}/standings`, undefined, OPERATOR))
      .json.standings as { id: number; correct: number }[];
    expect(standings.find((s) => s.id === a.participantId)?.correct).toBe(2);
    expect(standings.find((s) => s.id === b.participantId)?.correct).toBe(1);
    // What the lost queue held is resent from the outbox: every stream reconciles clean.
    const report = await waitFor("a clean reconciliation", 90_000, async () => {
      const r = await http(base, "GET", `/api/admin/battles/${id}/reconcile`, undefined, OPERATOR);
      return r.status === 200 && r.json.clean && !r.json.inFlight ? r.json : null;
    });
    expect(report.participants).toBe(joinedCount);
    backA.ws.close();
    sb.ws.close();
  }, 180_000);
});
