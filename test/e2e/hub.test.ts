/**
 * @module The multi-process mode with a hub (on free ports): one battle process holds the battle object, the hub
 * holds no object and runs the queue, its consumer, D1 and the HTTP front door. Joins on the hub hand out the
 * battle process's socket URL; the battle's outbox reaches the hub's queue through the relay; the consumer writes
 * D1 and Postgres from the hub and confirms back across processes; results are read from the hub's D1. A hub
 * killed mid-battle costs the players nothing: the outbox resends what its lost queue held.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: plain ESM script without types
import { freePorts } from "../../scripts/arena-server.mjs";
import { http, OPERATOR, openSocket, QUESTIONS, waitFor } from "./persist-helpers";
import { type ShardedTestArena, startTestShardedArena } from "./sharded-arena";

let arena: ShardedTestArena;
/** The battle process's port and the hub's (verified free when picked). */
let BATTLE_PORT: number;
let HUB_PORT: number;
let PREFIX: string;

beforeAll(async () => {
  const ports: number[] = await freePorts(4);
  [BATTLE_PORT, HUB_PORT] = ports as [number, number];
  PREFIX = `arena-hub-${BATTLE_PORT}-p`;
  arena = await startTestShardedArena({
    processes: 1,
    hub: true,
    ports: [BATTLE_PORT, HUB_PORT],
    inspectorPorts: ports.slice(2),
    namePrefix: PREFIX,
  });
}, 180_000);
afterAll(() => arena?.stop());

describe("multi-process mode with a hub", () => {
  it("runs the queue and consumer off the battle's process and persists every event", async () => {
    expect(arena.front).toBe(1);
    expect(arena.url).toBe(`http://127.0.0.1:${HUB_PORT}`);
    // Only the hub has the queue; the battle process relays to it.
    const config = (i: number) =>
      JSON.parse(readFileSync(join(process.cwd(), ".wrangler", "sharded", `${PREFIX}${i}.json`), "utf8"));
    expect(config(0).queues).toBeUndefined();
    expect(config(0).services).toEqual([
      { binding: "EVENTS_RELAY", service: `${PREFIX}1`, entrypoint: "EventsRelay" },
    ]);
    expect(config(1).queues.consumers.map((q: { queue: string }) => q.queue)).toContain("arena-events");

    const base = arena.url;
    const id = `hub-e2e-${Date.now().toString(36)}`;
    const body = { id, title: "Hub", questions: QUESTIONS };
    expect((await http(base, "POST", "/api/admin/battles", body, OPERATOR)).status).toBe(201);
    expect((await http(base, "POST", `/api/admin/battles/${id}/start`, {}, OPERATOR)).status).toBe(200);
    const players = [];
    for (let i = 0; i < 3; i++) {
      const joined = await http(base, "POST", `/api/battles/${id}/join`, { username: `hub${i}` });
      expect(joined.status).toBe(201);
      // The socket goes to the battle process, not the hub.
      expect(new URL(joined.json.wsUrl).port).toBe(String(BATTLE_PORT));
      players.push({ id: joined.json.participantId as number, socket: await openSocket(joined.json.wsUrl) });
    }
    for (const [i, p] of players.entries()) {
      const reply = await p.socket.request({
        type: "answer",
        id: 1,
        questionId: `q${i}`,
        answer: String(i + 1),
      });
      expect(reply.ok).toBe(true);
    }
    const attack = await players[0]!.socket.request({ type: "attack", id: 2, target: players[2]!.id });
    expect(attack.ok, JSON.stringify(attack)).toBe(true);

    expect((await http(base, "POST", `/api/admin/battles/${id}/end`, {}, OPERATOR)).status).toBe(200);
    const report = await waitFor("a clean reconciliation", 60_000, async () => {
      const r = await http(base, "GET", `/api/admin/battles/${id}/reconcile`, undefined, OPERATOR);
      return r.status === 200 && r.json.clean && !r.json.inFlight ? r.json : null;
    });
    expect(report.participants).toBe(3);
    // The consumer (in the hub) confirmed the battle process's whole stream back across processes.
    await waitFor("the outbox emptied by the hub's confirmations", 30_000, async () => {
      const r = await http(base, "GET", `/api/admin/battles/${id}/persistence`, undefined, OPERATOR);
      const { object, sinks } = r.json;
      return object.depth === 0 && sinks.d1 === object.lastSeq && sinks.pg === object.lastSeq ? r : null;
    });
    // The hub's D1 has the final results (the consumer wrote them there).
    const results = await http(base, "GET", `/api/battles/${id}/results`);
    expect(results.status).toBe(200);
    expect(results.json.standings).toHaveLength(3);
    for (const p of players) p.socket.ws.close();
  }, 120_000);

  it("keeps the battle playing while the hub (queue, consumer, front door) is down, then catches up", async () => {
    const base = arena.url;
    const id = `hub-kill-${Date.now().toString(36)}`;
    const body = { id, title: "Hub kill", questions: QUESTIONS };
    expect((await http(base, "POST", "/api/admin/battles", body, OPERATOR)).status).toBe(201);
    expect((await http(base, "POST", `/api/admin/battles/${id}/start`, {}, OPERATOR)).status).toBe(200);
    const joined = await http(base, "POST", `/api/battles/${id}/join`, { username: "hk0" });
    expect(joined.status).toBe(201);
    const socket = await openSocket(joined.json.wsUrl);
    expect((await socket.request({ type: "answer", id: 1, questionId: "q0", answer: "1" })).ok).toBe(true);

    // The hub crashes (SIGKILL): its in-memory queue goes with it. The player's socket is on the battle process
    // and keeps playing; its acknowledged writes wait in the battle's outbox.
    const hubHealth = `${arena.urls[1]}/health`;
    expect((await fetch(hubHealth)).ok).toBe(true);
    await arena.kill(1);
    // The hub is really down while these answers are played: nothing answers on its port, before or after.
    await expect(fetch(hubHealth)).rejects.toThrow();
    expect((await socket.request({ type: "answer", id: 2, questionId: "q1", answer: "2" })).ok).toBe(true);
    expect((await socket.request({ type: "answer", id: 3, questionId: "q2", answer: "3" })).ok).toBe(true);
    await expect(fetch(hubHealth)).rejects.toThrow();
    await arena.start(1);
    expect((await fetch(hubHealth)).ok).toBe(true);

    expect((await http(base, "POST", `/api/admin/battles/${id}/end`, {}, OPERATOR)).status).toBe(200);
    // The outbox is resent to the restarted hub: every event lands once in D1 and Postgres.
    const report = await waitFor("a clean reconciliation after the hub's restart", 90_000, async () => {
      const r = await http(base, "GET", `/api/admin/battles/${id}/reconcile`, undefined, OPERATOR);
      return r.status === 200 && r.json.clean && !r.json.inFlight ? r.json : null;
    });
    expect(report.participants).toBe(1);
    const results = await waitFor("results in the hub's D1", 30_000, async () => {
      const r = await http(base, "GET", `/api/battles/${id}/results`);
      return r.status === 200 ? r : null;
    });
    expect(results.json.standings[0].correct).toBe(3);
    socket.ws.close();
  }, 180_000);
});
