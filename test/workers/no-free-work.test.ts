/** @module Anonymous callers cannot make a battle object work or store: unknown ids, live results, limits, bad names. */
import { env, runInDurableObject, SELF } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import type { BattleDO } from "../../src/do/battle-do";
import { api, createBattle, join, startBattle } from "./helpers";

function stubOf(id: string) {
  return env.BATTLE.get(env.BATTLE.idFromName(id));
}

/** Stands the battle object's clock 1 ms into a minute, so a run of joins cannot straddle two join windows. */
async function pinClockToMinuteStart(id: string): Promise<void> {
  const minute = Math.floor(Date.now() / 60_000) * 60_000 + 60_000 + 1;
  await runInDurableObject(stubOf(id), (instance: BattleDO) => {
    instance.clock = () => minute;
  });
}

/** Tables in the object's SQLite (workerd's own `_cf_` tables aside). */
function tables(id: string): Promise<string[]> {
  return runInDurableObject(stubOf(id), (_i, state) =>
    state.storage.sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
      .toArray()
      .map((r) => r.name)
      .filter((n) => !n.startsWith("_cf_")),
  );
}

describe("no free work for anonymous callers", () => {
  it("an unknown battle id answers 404 and leaves the object's storage empty", async () => {
    const id = `unknown-${Date.now().toString(36)}`;
    for (const path of [`/api/battles/${id}`, `/api/battles/${id}/results`]) {
      const res = await api("GET", path);
      expect(res).toMatchObject({ status: 404, json: { error: { code: "not_found" } } });
    }
    expect((await api("POST", `/api/battles/${id}/join`, { username: "mallory" })).status).toBe(404);
    expect(await tables(id)).toEqual([]);
    expect(await runInDurableObject(stubOf(id), (_i, state) => state.storage.getAlarm())).toBeNull();
    // A real battle does have its tables, so the check above can fail.
    const real = await createBattle();
    expect(await tables(real)).toContain("participants");
  });

  it("live /results is refused before any standings are built", async () => {
    const id = await createBattle();
    await startBattle(id);
    await join(id, "alice");
    const built = await runInDurableObject(stubOf(id), (instance: BattleDO) => {
      const room = (instance as unknown as { room: { state: { board: { toRows: () => unknown } } } }).room;
      const board = room.state.board;
      return vi.spyOn(board, "toRows");
    });
    const res = await api("GET", `/api/battles/${id}/results`);
    expect(res).toMatchObject({ status: 409, json: { error: { code: "battle_not_ended" } } });
    expect(built).not.toHaveBeenCalled();
    // The operator's standings do build them, so the spy is live.
    await api("GET", `/api/admin/battles/${id}/standings`, undefined, {
      Authorization: "Bearer test-operator-token",
    });
    expect(built).toHaveBeenCalled();
  });

  it("the public battle view and results are rate limited per address", async () => {
    const id = await createBattle();
    const ip = "192.0.2.77";
    const get = (path: string) =>
      SELF.fetch(`http://arena.test${path}`, { headers: { "CF-Connecting-IP": ip } });
    // Use up this address's API budget on the binding itself (cheap), then ask: refused before the object is called.
    const exhaust = async () => {
      for (let i = 0; i < 200; i++) await env.API_LIMITER.limit({ key: `API_LIMITER:${ip}` });
    };
    let statuses: number[] = [];
    for (let round = 0; round < 2 && statuses.join() !== "429,429"; round++) {
      // A second round in case the first straddled the limiter's 10 s window.
      await exhaust();
      statuses = [(await get(`/api/battles/${id}`)).status, (await get(`/api/battles/${id}/results`)).status];
    }
    expect(statuses).toEqual([429, 429]);
    expect((await get(`/api/battles/${id}`).then((r) => r.json())) as object).toMatchObject({
      error: { code: "rate_limited", retryAfterMs: 10_000 },
    });
  });

  it("joins from one IPv6 /64 count together; another /64 is not affected", async () => {
    const id = await createBattle();
    const joinFrom = (ip: string, username: string) =>
      SELF.fetch(`http://arena.test/api/battles/${id}/join`, {
        method: "POST",
        headers: { "CF-Connecting-IP": ip },
        body: JSON.stringify({ username }),
      });
    await pinClockToMinuteStart(id);
    // The battle's join limit is the deployment default, JOIN_LIMIT_PER_MINUTE = 30: joins 1..30 from the /64 are
    // admitted (each from another address in it), join 31 is the first refused.
    const LIMIT = 30;
    expect(Number(env.JOIN_LIMIT_PER_MINUTE)).toBe(LIMIT);
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 1; i++) {
      statuses.push((await joinFrom(`2001:db8:77:1::${(i + 1).toString(16)}`, `p${i}`)).status);
    }
    expect(statuses).toEqual([...Array(LIMIT).fill(201), 429]);
    const refused = await joinFrom("2001:db8:77:1::ffff", "late");
    expect(refused.status).toBe(429);
    const body = (await refused.json()) as { error: { code: string; retryAfterMs: number } };
    // Wait until the battle's minute ends (the clock stands 1 ms into it).
    expect(body.error.code).toBe("rate_limited");
    expect(body.error.retryAfterMs).toBe(60_000 - 1);
    expect(refused.headers.get("Retry-After")).toBe("60");
    expect((await joinFrom("2001:db8:77:2::1", "other")).status).toBe(201);
  });

  it("every malformed username gets invalid_username, empty and blank alike", async () => {
    const id = await createBattle();
    for (const username of ["", "   ", "x".repeat(33), "x".repeat(5000), "a\u200bb", "p\u0430ypal"]) {
      const res = await api("POST", `/api/battles/${id}/join`, { username });
      expect(res, JSON.stringify(username)).toMatchObject({
        status: 400,
        json: { error: { code: "invalid_username" } },
      });
    }
    expect((await api("POST", `/api/battles/${id}/join`, { username: 42 })).json.error.code).toBe(
      "bad_message",
    );
  });

  it("the join limit is set per battle: a venue behind one NAT gets in, a small battle stays strict", async () => {
    const joinFrom = (battle: string, ip: string, username: string) =>
      SELF.fetch(`http://arena.test/api/battles/${battle}/join`, {
        method: "POST",
        headers: { "CF-Connecting-IP": ip },
        body: JSON.stringify({ username }),
      });
    const venue = await createBattle({ joinsPerAddressPerMinute: 200 });
    const statuses: number[] = [];
    for (let i = 0; i < 45; i++) statuses.push((await joinFrom(venue, "198.51.100.9", `pupil ${i}`)).status);
    expect(statuses.filter((s) => s !== 201)).toEqual([]);

    const strict = await createBattle({ joinsPerAddressPerMinute: 3 });
    await pinClockToMinuteStart(strict);
    // Joins 1..3 are admitted and join 4 is the first refused; the clock is pinned, so no minute boundary can
    // fall between them.
    const strictStatuses: number[] = [];
    let fourth: Response | null = null;
    for (let i = 0; i < 4; i++) {
      const res = await joinFrom(strict, "198.51.100.10", `s${i}`);
      strictStatuses.push(res.status);
      if (i === 3) fourth = res;
    }
    expect(strictStatuses).toEqual([201, 201, 201, 429]);
    const body = (await fourth!.json()) as { error: { code: string; retryAfterMs: number } };
    expect(body.error).toMatchObject({ code: "rate_limited", retryAfterMs: 60_000 - 1 });
    expect(fourth!.headers.get("Retry-After")).toBe("60");
    expect((await joinFrom(strict, "198.51.100.11", "elsewhere")).status).toBe(201);
  });
});
