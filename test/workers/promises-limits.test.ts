/**
 * @module README limits that no other test pinned, through the real Worker and Durable Object: the HTTP fallbacks
 * spend the socket's frame budget and answer 429 with `Retry-After`; the edge `JOIN_LIMITER` (1,000 joins a minute
 * per address, across battles) refuses join 1,001 exactly; addresses in `RATE_LIMIT_EXEMPT_IPS` skip the edge
 * limits and the battles' join limits. The client address is the `CF-Connecting-IP` header.
 */
import { createExecutionContext, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { api, connect, createBattle, freshIp, join, manualClock, OPERATOR, startBattle } from "./helpers";

interface Answer {
  status: number;
  json: any;
  retryAfter: string | null;
}

async function read(res: Response): Promise<Answer> {
  const text = await res.text();
  return {
    status: res.status,
    json: text ? JSON.parse(text) : null,
    retryAfter: res.headers.get("Retry-After"),
  };
}

/** A request through the deployed Worker (`SELF`) from `ip`. */
async function call(
  method: string,
  path: string,
  { ip = freshIp(), token, body }: { ip?: string; token?: string; body?: unknown } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { "CF-Connecting-IP": ip };
  if (token) headers.Authorization = `Bearer ${token}`;
  return read(
    await SELF.fetch(`http://arena.test${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
}

describe("the frame budget over HTTP", () => {
  it("HTTP /answer, /attack and /leaderboard spend the socket's budget: with the object's clock stopped, 15 socket frames and 5 HTTP calls pass, then all three fallbacks answer 429 rate_limited (retryAfterMs 100, Retry-After: 1) and so does the socket, nothing refused is applied, and 100 ms later exactly one more call passes", async () => {
    const id = await createBattle({ rules: { startingShields: 0 } });
    await startBattle(id);
    const [a, b] = [await join(id, "alice"), await join(id, "bob")];
    const scored = await call("POST", `/api/battles/${id}/answer`, {
      token: b.token,
      body: { questionId: "q1", answer: 1 },
    });
    expect(scored.json.result.score).toBe(10);
    const clock = await manualClock(id, Date.now());
    const wa = await connect(a);
    for (let i = 1; i <= 15; i++) expect((await wa.request({ type: "leaderboard", id: i })).ok).toBe(true);

    const answer = (questionId: string, answer: string | number) =>
      call("POST", `/api/battles/${id}/answer`, { token: a.token, body: { questionId, answer } });
    const attack = () =>
      call("POST", `/api/battles/${id}/attack`, { token: a.token, body: { target: b.participantId } });
    const leaderboard = () => call("GET", `/api/battles/${id}/leaderboard`, { token: a.token });
    // Frames 16..20 of the burst of 20, over HTTP.
    const passed = [
      await leaderboard(),
      await answer("q1", 1),
      await attack(),
      await leaderboard(),
      await answer("q2", "Paris"),
    ];
    expect(passed.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);

    // Frame 21 and on: every fallback is refused, with the wait until the next token (10/s: 100 ms).
    const limited = {
      status: 429,
      json: { error: { code: "rate_limited", message: "too many messages; slow down", retryAfterMs: 100 } },
      retryAfter: "1",
    };
    expect(await answer("q3", 1)).toEqual(limited);
    expect(await attack()).toEqual(limited);
    expect(await leaderboard()).toEqual(limited);
    // …and the socket shares the same empty budget.
    expect(await wa.request({ type: "leaderboard", id: 16 })).toEqual({
      type: "reply",
      id: 16,
      ok: false,
      error: limited.json.error,
    });
    // The refused answer and attack did nothing: bob's answer and alice's two answers, alice's one attack.
    const info = await api("GET", `/api/admin/battles/${id}`, undefined, OPERATOR);
    expect(info.json.battle.stored).toMatchObject({ answers: 3, attacks: 1 });

    // 100 ms later one token is back: one call passes, the next is refused again.
    clock.now += 100;
    expect((await leaderboard()).status).toBe(200);
    expect(await answer("q3", 1)).toEqual(limited);
    wa.ws.close(1000);
  });
});

/** Spends `n` calls of a rate-limit binding's budget for `key` (as `n` requests would), 50 at a time. */
async function spend(binding: RateLimit, key: string, n: number): Promise<void> {
  for (let done = 0; done < n; done += 50) {
    await Promise.all(Array.from({ length: Math.min(50, n - done) }, () => binding.limit({ key })));
  }
}

describe("join limits at the edge", () => {
  it("JOIN_LIMITER counts 1,000 joins a minute per address across battles: with 990 spent on the binding, joins 991-1,000 (alternating two battles whose own limits are off) pass and join 1,001 is refused in either battle with 429 rate_limited, retryAfterMs 60000, Retry-After: 60; another address still joins", async () => {
    const battles = [
      await createBattle({ joinsPerAddressPerMinute: 0 }),
      await createBattle({ joinsPerAddressPerMinute: 0 }),
    ] as const;
    const joinFrom = (battle: string, ip: string, username: string) =>
      call("POST", `/api/battles/${battle}/join`, { ip, body: { username } });
    const minute = () => Math.floor(Date.now() / 60_000);
    // The limiter counts in fixed minutes of the wall clock: a run that straddles one is repeated once from a fresh
    // address (two runs of a few seconds cannot both straddle a minute boundary).
    for (let attempt = 0; attempt < 2; attempt++) {
      const ip = `198.51.100.${200 + attempt}`;
      const started = minute();
      // The edge counts an address under `JOIN_LIMITER:<address>`; 990 joins' worth, spent directly (fast).
      await spend(env.JOIN_LIMITER, `JOIN_LIMITER:${ip}`, 990);
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++)
        statuses.push((await joinFrom(battles[i % 2]!, ip, `p${attempt}-${i}`)).status);
      const refused = [
        await joinFrom(battles[0], ip, `late${attempt}`),
        await joinFrom(battles[1], ip, `late${attempt}`),
      ];
      const other = await joinFrom(battles[0], `198.51.100.${210 + attempt}`, `other${attempt}`);
      if (minute() !== started && attempt === 0) continue;
      expect(minute()).toBe(started);
      expect(statuses).toEqual(Array(10).fill(201));
      for (const r of refused) {
        expect(r).toEqual({
          status: 429,
          json: {
            error: {
              code: "rate_limited",
              message: "too many requests from this address",
              retryAfterMs: 60_000,
            },
          },
          retryAfter: "60",
        });
      }
      expect(other.status).toBe(201);
      return;
    }
  });
});

describe("RATE_LIMIT_EXEMPT_IPS", () => {
  // The same Worker and bindings with RATE_LIMIT_EXEMPT_IPS set (the test deployment leaves it empty).
  const exemptEnv = { ...env, RATE_LIMIT_EXEMPT_IPS: "203.0.113.50, 2001:db8:50:1::/64" } as unknown as Env;
  async function exemptCall(method: string, path: string, ip: string, body?: unknown): Promise<Answer> {
    const ctx = createExecutionContext();
    const res = await worker.fetch(
      new Request(`http://arena.test${path}`, {
        method,
        headers: { "CF-Connecting-IP": ip },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
      exemptEnv,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    return read(res);
  }

  it("listed addresses (an IPv4 address, and any address in a listed IPv6 /64) pass the exhausted edge JOIN_LIMITER and API_LIMITER and a battle's join limit of 3; unlisted addresses get the battle's 4th join refused", async () => {
    const id = await createBattle({ joinsPerAddressPerMinute: 3 });
    // The battle's minute window starts 1 ms before its clock, which stands still: no window ends mid-test.
    await manualClock(id, Math.floor(Date.now() / 60_000) * 60_000 + 60_000 + 1);
    const v4 = "203.0.113.50";
    const v6 = ["2001:db8:50:1::1", "2001:db8:50:1:ffff:ffff:ffff:fffe"];
    // Each listed address has used up its edge budgets: without the list, the Worker refuses it.
    for (const key of [v4, "2001:db8:50:1::/64"]) await spend(env.JOIN_LIMITER, `JOIN_LIMITER:${key}`, 1_000);
    const minute = () => Math.floor(Date.now() / 60_000);
    const tenSeconds = () => Math.floor(Date.now() / 10_000);
    // The API limiter counts in fixed 10 s windows: a round that straddles one is repeated (at most once more).
    for (let round = 0; round < 2; round++) {
      const [m0, w0] = [minute(), tenSeconds()];
      for (const key of [v4, "2001:db8:50:1::/64"]) await spend(env.API_LIMITER, `API_LIMITER:${key}`, 200);
      const before = [
        await call("POST", `/api/battles/${id}/join`, { ip: v4, body: { username: `control${round}` } }),
        await call("GET", `/api/battles/${id}`, { ip: v6[0] }),
      ];
      const joins: number[] = [];
      for (let i = 0; i < 5; i++) {
        joins.push(
          (await exemptCall("POST", `/api/battles/${id}/join`, v4, { username: `v4 ${round} ${i}` })).status,
        );
        joins.push(
          (await exemptCall("POST", `/api/battles/${id}/join`, v6[i % 2]!, { username: `v6 ${round} ${i}` }))
            .status,
        );
      }
      const reads = [
        (await exemptCall("GET", `/api/battles/${id}`, v4)).status,
        (await exemptCall("GET", `/api/battles/${id}`, v6[1]!)).status,
      ];
      const after = [
        await call("POST", `/api/battles/${id}/join`, { ip: v4, body: { username: `control${round}` } }),
        await call("GET", `/api/battles/${id}`, { ip: v6[1] }),
      ];
      if ((minute() !== m0 || tenSeconds() !== w0) && round === 0) continue;
      expect([minute(), tenSeconds()]).toEqual([m0, w0]);
      expect([...before, ...after].map((r) => [r.status, r.json.error.code])).toEqual(
        Array(4).fill([429, "rate_limited"]),
      );
      expect(joins).toEqual(Array(10).fill(201));
      expect(reads).toEqual([200, 200]);
      break;
    }
    // Unlisted addresses on the same deployment: the battle's limit of 3 holds (the first IPv4 next to the listed one,
    // and an address in the neighbouring /64).
    for (const ip of ["203.0.113.51", "2001:db8:50:2::1"]) {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++)
        statuses.push(
          (
            await exemptCall("POST", `/api/battles/${id}/join`, ip, {
              username: `${ip.replace(/[.:]/g, "-")} ${i}`,
            })
          ).status,
        );
      expect(statuses, ip).toEqual([201, 201, 201, 429]);
    }
  });
});
