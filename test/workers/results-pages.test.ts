/**
 * @module Public results are paged (issue 27): `/results?offset&limit` returns ranks `offset+1`… with `total`, at most
 * 1,000 rows a call, from the object before the pipeline delivered them and from D1 after, the same pages; the
 * operator's `/standings?limit&offset` is built as a page too.
 */
import { describe, expect, it } from "vitest";
import { api, createBattle, join, OPERATOR, startBattle } from "./helpers";
import { drained } from "./persistence-helpers";

const PLAYERS = 25;

type Row = { rank: number; username: string; score: number };

describe("paged standings", () => {
  it("/results pages are the whole standings cut by rank, from the object and from D1 alike", async () => {
    const id = await createBattle();
    await startBattle(id);
    for (let i = 0; i < PLAYERS; i++) {
      const p = await join(id, `pager${i}`);
      // Every third player scores, so the order is not the join order.
      if (i % 3 === 0) {
        const r = await api(
          "POST",
          `/api/battles/${id}/answer`,
          { questionId: "q1", answer: 1 },
          { Authorization: `Bearer ${p.token}` },
        );
        expect(r.status).toBe(200);
      }
    }
    const live = await api("GET", `/api/admin/battles/${id}/standings?limit=5&offset=3`, undefined, OPERATOR);
    expect(live.status).toBe(200);
    expect(live.json.total).toBe(PLAYERS);
    expect(live.json.standings.map((s: Row) => s.rank)).toEqual([4, 5, 6, 7, 8]);
    expect((await api("POST", `/api/admin/battles/${id}/end`, {}, OPERATOR)).status).toBe(200);

    const all = await api("GET", `/api/admin/battles/${id}/standings`, undefined, OPERATOR);
    expect(all.json.standings).toHaveLength(PLAYERS);
    const expected = all.json.standings as Row[];
    const pages = async () => {
      const got: Row[] = [];
      for (let offset = 0; offset < PLAYERS; offset += 10) {
        const r = await api("GET", `/api/battles/${id}/results?offset=${offset}&limit=10`);
        expect(r.status).toBe(200);
        expect(r.json.total).toBe(PLAYERS);
        expect(r.json.standings.length).toBe(Math.min(10, PLAYERS - offset));
        got.push(...r.json.standings);
      }
      return got.map(({ rank, username, score }) => ({ rank, username, score }));
    };
    const wanted = expected.map(({ rank, username, score }) => ({ rank, username, score }));
    expect(await pages()).toEqual(wanted);
    await drained(id);
    // Now from D1 (the object is not asked): the same pages.
    expect(await pages()).toEqual(wanted);
    const whole = await api("GET", `/api/battles/${id}/results`);
    expect(whole.json.standings).toHaveLength(PLAYERS);
    expect((await api("GET", `/api/battles/${id}/results?offset=${PLAYERS}`)).json.standings).toEqual([]);
  });

  it("refuses a page over 1,000 rows or a negative offset with bad_message", async () => {
    const id = await createBattle();
    for (const q of ["limit=1001", "limit=0", "offset=-1", "limit=ten"]) {
      const r = await api("GET", `/api/battles/${id}/results?${q}`);
      expect(r.status).toBe(400);
      expect(r.json.error.code).toBe("bad_message");
    }
  });
});
