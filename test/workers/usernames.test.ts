/**
 * @module Username uniqueness (UTS #39 skeletons, highly restrictive scripts) through the real Worker and Durable
 * Object: a look-alike of a player's name is refused or reported as taken, never a new participant.
 */
import { describe, expect, it } from "vitest";
import { api, createBattle } from "./helpers";

const joinPath = (id: string) => `/api/battles/${id}/join`;

/** The names of the issue ("Hostile clients, round two", point 4), with the player each imitates. */
const LOOK_ALIKES: ReadonlyArray<readonly [name: string, original: string]> = [
  ["b\u0585b", "bob"], // Armenian օ
  ["jo\u0570n", "john"], // Armenian հ
  ["t\u2c9fm", "tom"], // Coptic ⲟ
  ["b\u09e6b", "bob"], // Bengali zero
  ["b\u1040b", "bob"], // Myanmar zero
  ["b\u0b66b", "bob"], // Oriya zero
  ["a\u01c0ice", "alice"], // U+01C0
  ["\ua4ee\ua4e1\ua4f2\ua4da\ua4f0", "alice"], // Lisu "ALICE"
  ["\u13aalice", "alice"], // Cherokee Ꭺ
  ["\u0435\u0475\u0430", "eva"], // Cyrillic еѵа
  ["\u1d1cser", "user"], // small capital ᴜ
  ["\u0299ob", "bob"], // small capital ʙ
  ["a\u1e37ice", "alice"], // ḷ
  ["\u0412\u041e\u0412", "bob"], // Cyrillic ВОВ
  ["AL\u01c0CE", "alice"],
];

async function joinAs(id: string, username: string) {
  return api("POST", joinPath(id), { username });
}

describe("usernames through the Worker", () => {
  it("every look-alike of a player gets 409 username_taken or 400 invalid_username, never a new participant", async () => {
    const id = await createBattle();
    const originals = new Map<string, number>();
    for (const name of ["alice", "bob", "john", "tom", "eva", "user"]) {
      const res = await joinAs(id, name);
      expect(res.status, name).toBe(201);
      originals.set(name, res.json.participantId);
    }
    const outcomes: string[] = [];
    for (const [name, original] of LOOK_ALIKES) {
      const res = await joinAs(id, name);
      outcomes.push(
        `${name} (${original}): ${res.status} ${res.json?.error?.code ?? res.json?.participantId}`,
      );
      expect([400, 409], `${name} beside ${original}: ${JSON.stringify(res.json)}`).toContain(res.status);
      expect(res.json.error.code).toBe(res.status === 409 ? "username_taken" : "invalid_username");
    }
    expect(outcomes).toHaveLength(LOOK_ALIKES.length);
    // The originals are still who they were: a rejoin without the key is refused as taken.
    for (const name of originals.keys()) expect((await joinAs(id, name)).status).toBe(409);
  });

  it("names Unicode does not call confusable are different players; case, width and separators are not", async () => {
    const id = await createBattle();
    const ids = new Set<number>();
    for (const name of ["Ian", "Lan", "Lia", "Ila", "alice", "allce"]) {
      const res = await joinAs(id, name);
      expect(res.status, name).toBe(201);
      ids.add(res.json.participantId);
    }
    expect(ids.size).toBe(6);
    for (const name of ["ALICE", "\uff41\uff4c\uff49\uff43\uff45", "a_lice", "aIice", "IAN", "lan"]) {
      const res = await joinAs(id, name);
      expect(res, name).toMatchObject({ status: 409, json: { error: { code: "username_taken" } } });
    }
  });

  it("accepts names in other scripts and the Latin + Han/kana/Hangul mixes", async () => {
    const id = await createBattle();
    for (const name of ["やまだ太郎", "Tom李", "김민준", "محمد", "राहुल", "สมศักดิ์", "Иван", "José"]) {
      const res = await joinAs(id, name);
      expect(res.status, `${name}: ${JSON.stringify(res.json)}`).toBe(201);
    }
    const mixed = await joinAs(id, "Tom\u0418\u0432\u0430\u043d"); // Latin + Cyrillic
    expect(mixed).toMatchObject({ status: 400, json: { error: { code: "invalid_username" } } });
  });
});
