/** @module The HTTP API through the real Worker: operator auth and validation, players' HTTP fallbacks, limits. */
import { env, runInDurableObject, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { BattleDO } from "../../src/do/battle-do";
import { api, connect, createBattle, join, listedStatus, OPERATOR, QUESTIONS, startBattle } from "./helpers";

describe("operator API", () => {
  it("needs the operator token", async () => {
    const attempts: Record<string, string>[] = [
      {},
      { Authorization: "Bearer wrong" },
      { Authorization: "Basic x" },
    ];
    for (const headers of attempts) {
      const res = await api("POST", "/api/admin/battles", { title: "x", questions: QUESTIONS }, headers);
      expect(res.status).toBe(401);
      expect(res.json.error.code).toBe("unauthorized");
    }
  });

  it("validates battles with clear errors", async () => {
    const bad = await api("POST", "/api/admin/battles", "{nope", OPERATOR);
    expect(bad).toMatchObject({ status: 400, json: { error: { code: "bad_json" } } });
    const noQ = await api("POST", "/api/admin/battles", { title: "x", questions: [] }, OPERATOR);
    expect(noQ.status).toBe(400);
    expect(noQ.json.error).toMatchObject({ code: "bad_message" });
    expect(noQ.json.error.message).toContain("questions");
    const badKey = await api(
      "POST",
      "/api/admin/battles",
      { title: "x", questions: [{ id: "a", text: "t", choices: ["1", "2"], answer: 2 }] },
      OPERATOR,
    );
    expect(badKey.status).toBe(400);
    const id = await createBattle();
    const dup = await api(
      "POST",
      "/api/admin/battles",
      { id, title: "again", questions: QUESTIONS },
      OPERATOR,
    );
    expect(dup).toMatchObject({ status: 409, json: { error: { code: "battle_exists" } } });
    expect((await api("GET", "/api/admin/battles/nope-404", undefined, OPERATOR)).status).toBe(404);
    expect((await api("GET", "/api/battles/nope-404")).json.error.code).toBe("not_found");
  });

  it("schedules, starts, ends, and lists battles; keys stay on the server", async () => {
    const id = await createBattle({ durationMs: 60_000 });
    const inFuture = Date.now() + 3_600_000;
    const scheduled = await api("POST", `/api/admin/battles/${id}/start`, { at: inFuture }, OPERATOR);
    expect(scheduled.json.battle).toMatchObject({
      status: "scheduled",
      startsAt: inFuture,
      endsAt: inFuture + 60_000,
    });
    const pub = await api("GET", `/api/battles/${id}`);
    expect(pub.json.battle.questions).toEqual([]);
    const started = await api("POST", `/api/admin/battles/${id}/start`, {}, OPERATOR);
    expect(started.json.battle.status).toBe("live");
    const again = await api("POST", `/api/admin/battles/${id}/start`, {}, OPERATOR);
    expect(again.json.error.code).toBe("invalid_schedule");
    const live = await api("GET", `/api/battles/${id}`);
    expect(live.json.battle.questions).toHaveLength(QUESTIONS.length);
    expect(JSON.stringify(live.json)).not.toMatch(/"answer"|Paris|water/);
    const admin = await api("GET", `/api/admin/battles/${id}`, undefined, OPERATOR);
    expect(admin.json.battle.config.questions[1].answer).toEqual(["Paris"]);
    const ended = await api("POST", `/api/admin/battles/${id}/end`, {}, OPERATOR);
    expect(ended.json.battle.status).toBe("ended");
    await listedStatus(id, "ended");
    expect((await api("POST", `/api/battles/${id}/join`, { username: "late" })).json.error.code).toBe(
      "battle_ended",
    );
  });
});

describe("player HTTP API", () => {
  it("joins, then answers, attacks and reads the leaderboard over HTTP with the same rules", async () => {
    const id = await createBattle({ rules: { startingShields: 0 } });
    await startBattle(id);
    const a = await join(id, "alice");
    const b = await join(id, "bob");
    expect(a.wsUrl).toMatch(new RegExp(`^ws://arena.test/api/battles/${id}/ws\\?token=`));
    const auth = (t: string) => ({ Authorization: `Bearer ${t}` });
    const ans = await api(
      "POST",
      `/api/battles/${id}/answer`,
      { questionId: "q1", answer: 1 },
      auth(b.token),
    );
    expect(ans.json.result).toMatchObject({ correct: true, score: 10 });
    const twice = await api(
      "POST",
      `/api/battles/${id}/answer`,
      { questionId: "q1", answer: 1 },
      auth(b.token),
    );
    expect(twice).toMatchObject({ status: 409, json: { error: { code: "already_answered" } } });
    // Bob is connected by socket and hears the HTTP attack.
    const wb = await connect(b);
    const hit = await api("POST", `/api/battles/${id}/attack`, { target: b.participantId }, auth(a.token));
    expect(hit.json.result).toMatchObject({ blocked: false, pointsLost: 1 });
    expect(await wb.next((m) => m.type === "attacked")).toMatchObject({ attacker: { username: "alice" } });
    const lb = await api("GET", `/api/battles/${id}/leaderboard`, undefined, auth(a.token));
    expect(lb.json.result).toMatchObject({ total: 2, me: { rank: 2, score: 0 } });
    const page = await api(
      "GET",
      `/api/battles/${id}/leaderboard?offset=0&limit=1`,
      undefined,
      auth(a.token),
    );
    expect(page.json.result.entries).toEqual([{ rank: 1, id: b.participantId, username: "bob", score: 9 }]);
    const badBody = await api("POST", `/api/battles/${id}/attack`, { target: "bob" }, auth(a.token));
    expect(badBody.json.error.code).toBe("bad_message");
    wb.ws.close(1000);
  });

  it("refuses bad, foreign and missing tokens", async () => {
    const id = await createBattle();
    const other = await createBattle();
    const a = await join(id, "alice");
    const path = `/api/battles/${other}/leaderboard`;
    expect((await api("GET", path, undefined, { Authorization: `Bearer ${a.token}` })).status).toBe(401);
    expect(
      (await api("GET", `/api/battles/${id}/leaderboard`, undefined, { Authorization: "Bearer x.y" })).status,
    ).toBe(401);
    expect((await api("GET", `/api/battles/${id}/leaderboard`)).status).toBe(401);
    const ws = await api("GET", `/api/battles/${id}/ws?token=garbage`, undefined, { Upgrade: "websocket" });
    expect(ws).toMatchObject({ status: 401, json: { error: { code: "unauthorized" } } });
  });

  it("rate-limits joins per client address (the battle's limit, default JOIN_LIMIT_PER_MINUTE = 30)", async () => {
    const id = await createBattle();
    // The object's clock stands at the start of a minute, so the joins cannot straddle two windows on a slow run.
    const minute = Math.floor(Date.now() / 60_000) * 60_000 + 60_000 + 1;
    await runInDurableObject(env.BATTLE.get(env.BATTLE.idFromName(id)), (instance: BattleDO) => {
      instance.clock = () => minute;
    });
    const ip = { "CF-Connecting-IP": "192.0.2.77" };
    // The test battle sets no joinsPerAddressPerMinute, so the Worker's JOIN_LIMIT_PER_MINUTE applies.
    const LIMIT = 30;
    expect(Number(env.JOIN_LIMIT_PER_MINUTE)).toBe(LIMIT);
    // Exactly LIMIT joins are admitted…
    for (let i = 0; i < LIMIT; i++) {
      expect((await api("POST", `/api/battles/${id}/join`, { username: `p${i}` }, ip)).status).toBe(201);
    }
    // …and join LIMIT + 1 is the first refused: 429 rate_limited, waiting until the battle's minute window ends.
    const res = await SELF.fetch(`http://arena.test/api/battles/${id}/join`, {
      method: "POST",
      headers: ip,
      body: JSON.stringify({ username: "late" }),
    });
    expect(res.status).toBe(429);
    const limited = (await res.json()) as { error: { code: string; retryAfterMs: number } };
    expect(limited.error.code).toBe("rate_limited");
    // The clock stands 1 ms into the minute.
    expect(limited.error.retryAfterMs).toBe(60_000 - 1);
    expect(res.headers.get("Retry-After")).toBe("60");
    // And it stays refused for the rest of the window.
    expect((await api("POST", `/api/battles/${id}/join`, { username: "later" }, ip)).status).toBe(429);
    // Another address is unaffected.
    expect((await api("POST", `/api/battles/${id}/join`, { username: "elsewhere" })).status).toBe(201);
  });

  it("answers unknown routes with a JSON 404", async () => {
    expect(await api("GET", "/api/nothing")).toMatchObject({
      status: 404,
      json: { error: { code: "not_found" } },
    });
  });
});
