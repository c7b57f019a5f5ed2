/**
 * @module The local multi-process mode (scripts/arena-sharded.mjs): one battle's shards in two `wrangler dev`
 * processes (ports 8880-8889). Joins hand out the owning process's socket URL, attacks cross processes over
 * `script_name` RPC, the leaderboard is global, and every stream (the relay's included) lands in D1 and Postgres.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: plain ESM script without types
import { startShardedArena } from "../../scripts/arena-sharded.mjs";
import { http, OPERATOR, openSocket, QUESTIONS, type TestSocket, waitFor } from "./persist-helpers";

const BASE_PORT = 8880 + 2 * Math.floor(Math.random() * 5);
const persistTo = mkdtempSync(join(tmpdir(), "arena-mp-"));
let arena: { urls: string[]; stop: () => Promise<void> };

beforeAll(async () => {
  arena = await startShardedArena({
    processes: 2,
    basePort: BASE_PORT,
    inspectorBase: 9380 + (BASE_PORT - 8880),
    persistTo,
    namePrefix: `arena-e2e-${BASE_PORT}-p`,
    quiet: true,
    log: () => {},
  });
}, 180_000);
afterAll(async () => {
  await arena?.stop();
  rmSync(persistTo, { recursive: true, force: true });
});

const shardOf = (token: string) =>
  JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString()).sh as number;

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
      expect(new URL(joined.json.wsUrl).port).toBe(String(BASE_PORT + (shard % 2)));
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
    for (const [i, p] of players.entries()) {
      const target = players.find((t) => t.shard % 2 !== p.shard % 2)!;
      const reply = await p.socket.request({ type: "attack", id: 2 + i, target: target.id });
      expect(reply.ok, JSON.stringify(reply)).toBe(true);
    }
    const hit = players.find((p) => p.frames.some((f) => f.type === "attacked"));
    expect(hit).toBeDefined();
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
});
