/**
 * @module The contract test: one real `wrangler dev` played through every route of the OpenAPI document at least
 * once (through `persist-helpers.ts`, whose `http()` and sockets check every exchange and every server frame
 * against the published specs and fail on a mismatch), then: the served documents are the generated ones, every
 * operation was exercised and matched, and every kind of server frame was seen and validated.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type WebSocket from "ws";
// @ts-expect-error: plain ESM script without types
import { freePorts, startArena } from "../../scripts/arena-server.mjs";
// @ts-expect-error: plain ESM script without types
import { dropDatabase } from "../../scripts/pg-migrate.mjs";
import { frameTypes, matched, OPENAPI, operationIds, PROTOCOL } from "./contract";
import {
  arenaDatabase,
  http,
  OPERATOR,
  openSocket,
  type TestSocket,
  testDatabaseUrl,
  waitFor,
} from "./persist-helpers";

const DB_URL = testDatabaseUrl();
const persistTo = mkdtempSync(join(tmpdir(), "arena-contract-e2e-"));
let stop: (() => Promise<void>) | null = null;

afterAll(async () => {
  await stop?.();
  rmSync(persistTo, { recursive: true, force: true });
  await dropDatabase(DB_URL, 10_000);
});

/** Resolves with the first frame of `type` the socket receives. */
function frame(ws: WebSocket, type: string): Promise<any> {
  return new Promise((resolve) => {
    const on = (data: unknown) => {
      const m = JSON.parse(String(data));
      if (m.type !== type) return;
      ws.off("message", on);
      resolve(m);
    };
    ws.on("message", on);
  });
}

const QUESTIONS = [
  { id: "q1", text: "2+2?", choices: ["3", "4"], answer: 1 },
  { id: "q2", text: "H2O?", answer: "water" },
  { id: "q3", text: "1+1?", answer: "2" },
];

describe("the HTTP API and the socket protocol against their published specs", () => {
  it("plays every route; every exchange and frame matches", async () => {
    await arenaDatabase(DB_URL);
    const [port, inspectorPort] = (await freePorts(2)) as [number, number];
    const vars = { RATE_LIMIT_EXEMPT_IPS: "127.0.0.1" };
    const arena = await startArena({ port, inspectorPort, persistTo, quiet: true, log: () => {}, vars });
    stop = () => arena.stop();
    const base: string = arena.url;
    const get = (path: string, headers = {}) => http(base, "GET", path, undefined, headers);
    const post = (path: string, body?: unknown, headers = {}) => http(base, "POST", path, body, headers);
    const admin = { Authorization: OPERATOR.Authorization };

    // The documents as served are the ones the checks use.
    expect((await get("/health")).json.ok).toBe(true);
    expect((await get("/api/openapi.json")).json).toEqual(OPENAPI);
    expect((await get("/api/protocol.schema.json")).json).toEqual(PROTOCOL);

    const id = `contract-${randomBytes(3).toString("hex")}`;
    const rules = { startingShields: 0 };
    const speedBonus = { max: 5, windowMs: 60_000 };
    const created = await post(
      "/api/admin/battles",
      { id, title: "Contract", questions: QUESTIONS, rules, speedBonus },
      OPERATOR,
    );
    expect(created.status).toBe(201);
    expect((await get(`/api/admin/battles/${id}`, admin)).status).toBe(200);
    const view = await get(`/api/battles/${id}`);
    expect(view.status).toBe(200);
    expect((await get(`/api/battles/${id}`, { "If-None-Match": view.headers.get("etag") })).status).toBe(304);

    const ann = (await post(`/api/battles/${id}/join`, { username: "ann" })).json;
    const ben = (await post(`/api/battles/${id}/join`, { username: "ben" })).json;
    const rejoin = await post(`/api/battles/${id}/join`, { username: "ann", playerKey: ann.playerKey });
    expect(rejoin.status).toBe(200);
    const benAuth = { Authorization: `Bearer ${ben.token}`, "content-type": "application/json" };
    expect((await get(`/api/battles/${id}/results`)).status).toBe(409);
    expect((await get(`/api/battles/${id}/ws`, benAuth)).status).toBe(426);

    // Ann plays over the socket (compact pushes), Ben over HTTP.
    const annSocket: TestSocket = await openSocket(`${rejoin.json.wsUrl}&push=2`);
    const started = frame(annSocket.ws, "battle");
    expect((await post(`/api/admin/battles/${id}/start`, {}, OPERATOR)).status).toBe(200);
    await started;
    expect((await annSocket.request({ type: "answer", id: 1, questionId: "q1", answer: 1 })).ok).toBe(true);
    expect((await annSocket.request({ type: "answer", id: 2, questionId: "q2", answer: "fire" })).ok).toBe(
      true,
    );
    expect((await annSocket.request({ type: "leaderboard", id: 3 })).ok).toBe(true);
    expect((await annSocket.request({ type: "leaderboard", id: 4, offset: 0, limit: 5 })).ok).toBe(true);
    expect((await annSocket.request({ type: "ping", id: 5 })).ok).toBe(true);
    const refused = await annSocket.request({ type: "attack", id: 6, target: ann.participantId });
    expect(refused.error.code).toBe("self_attack");

    const keyed = { ...benAuth, "Idempotency-Key": "k-1" };
    const answer = await post(`/api/battles/${id}/answer`, { questionId: "q3", answer: "2" }, keyed);
    expect(answer.json.result.correct).toBe(true);
    expect(
      (await post(`/api/battles/${id}/answer`, { questionId: "q3", answer: "2" }, keyed)).json.duplicate,
    ).toBe(true);
    const attacked = frame(annSocket.ws, "attacked");
    const attack = await post(`/api/battles/${id}/attack`, { target: ann.participantId }, benAuth);
    expect(attack.status).toBe(200);
    await attacked;
    expect((await get(`/api/battles/${id}/leaderboard`, benAuth)).status).toBe(200);
    expect((await get(`/api/battles/${id}/leaderboard?offset=0&limit=10`, benAuth)).status).toBe(200);
    await frame(annSocket.ws, "leaderboard");

    // A fourth socket of one session closes the oldest (4502, after a `closing` frame).
    const benSockets = [await openSocket(ben.wsUrl)];
    const closing = frame(benSockets[0]!.ws, "closing");
    for (let i = 0; i < 3; i++) benSockets.push(await openSocket(ben.wsUrl));
    expect((await closing).code).toBe(4502);

    // The operator's reads, metrics and the persistence routes.
    expect((await get(`/api/admin/battles/${id}/standings`, admin)).json.total).toBe(2);
    expect((await get(`/api/admin/battles/${id}/standings?limit=1&offset=0`, admin)).status).toBe(200);
    expect((await get(`/api/admin/battles/${id}/metrics`, admin)).text).toContain(`battle="${id}"`);
    expect((await get("/api/admin/metrics", admin)).status).toBe(200);
    await waitFor("the battle in D1's index", 20_000, async () => {
      const list = await get("/api/admin/battles?limit=100", admin);
      return list.json.battles.some((b: { id: string }) => b.id === id) ? true : null;
    });
    expect((await get(`/api/admin/battles/${id}/persistence`, admin)).status).toBe(200);
    expect((await get(`/api/admin/battles/${id}/quarantine`, admin)).status).toBe(200);
    expect((await post(`/api/admin/battles/${id}/quarantine/reapply`, undefined, admin)).status).toBe(200);
    expect((await get(`/api/admin/dead-letters?all=1`, admin)).status).toBe(200);
    expect((await post("/api/admin/dead-letters/no-such-letter/replay", undefined, admin)).status).toBe(404);

    const ended = frame(annSocket.ws, "battle");
    expect((await post(`/api/admin/battles/${id}/end`, undefined, OPERATOR)).status).toBe(200);
    await ended;
    expect((await get(`/api/battles/${id}/results`)).json.final).toBe(true);
    await waitFor("a clean reconciliation", 30_000, async () => {
      const r = await get(`/api/admin/battles/${id}/reconcile`, admin);
      return r.json.clean ? r : null;
    });

    for (const s of [annSocket, ...benSockets]) s.ws.close();
    const missing = operationIds().filter((op) => ![...matched].some((m) => m.startsWith(`${op} `)));
    expect(missing).toEqual([]);
    expect([...frameTypes].sort()).toEqual(
      expect.arrayContaining([
        "attacked",
        "battle",
        "closing",
        "leaderboard",
        "presence",
        "reply",
        "welcome",
      ]),
    );
  });
});
