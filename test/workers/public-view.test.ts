/**
 * @module The public battle view is a prebuilt body with an ETag (issue 27): the same version is served as the same
 * bytes and a client polling with If-None-Match gets 304; a join, the start or the end makes a new version.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, createBattle, freshIp, join, OPERATOR } from "./helpers";

const get = (id: string, etag?: string) =>
  SELF.fetch(`http://arena.test/api/battles/${id}`, {
    headers: { "CF-Connecting-IP": freshIp(), ...(etag ? { "If-None-Match": etag } : {}) },
  });

describe("GET /api/battles/:id", () => {
  it("answers 304 to its own ETag until the view changes, then a new ETag with the new view", async () => {
    const id = await createBattle();
    const first = await get(id);
    expect(first.status).toBe(200);
    const etag = first.headers.get("ETag")!;
    expect(etag).toMatch(/^".+"$/);
    const body = (await first.json()) as {
      battle: { status: string; players: number; questions: unknown[] };
    };
    expect(body.battle).toMatchObject({ id, status: "scheduled", players: 0, questions: [] });
    const again = await get(id, etag);
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
    expect((await get(id, '"something-else"')).status).toBe(200);

    await join(id, "viewer");
    const joined = await get(id, etag);
    expect(joined.status).toBe(200);
    const etag2 = joined.headers.get("ETag")!;
    expect(etag2).not.toBe(etag);
    expect(((await joined.json()) as typeof body).battle.players).toBe(1);

    expect((await api("POST", `/api/admin/battles/${id}/start`, {}, OPERATOR)).status).toBe(200);
    const live = await get(id, etag2);
    expect(live.status).toBe(200);
    const view = ((await live.json()) as typeof body).battle;
    expect(view.status).toBe("live");
    expect(view.questions.length).toBeGreaterThan(0);
    expect((await get(id, live.headers.get("ETag")!)).status).toBe(304);
  });

  it("is 404 not_found for a battle that does not exist, with no ETag", async () => {
    const res = await get("no-such-battle-here");
    expect(res.status).toBe(404);
    expect(res.headers.get("ETag")).toBeNull();
  });
});
