/**
 * @module Fuzzing the player API's edge through the real Worker and Durable Objects (fast-check, fixed seed):
 * arbitrary JSON and non-JSON join bodies, usernames from the whole UTF-16 range (lone surrogates, controls, very
 * long), operator-signed identity tokens with arbitrary claims, and arbitrary battle ids in the path (`%23`, `%2F`,
 * broken percent-encodings, other scripts, 65+ characters, empty segments) on the join, the battle view and every
 * player route. Every answer has a documented status (never 500) and, when refused, the one error shape; proven
 * rejoins rotate the player key; afterwards each battle still answers and counts exactly the players that got 201.
 */
import { SELF } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { keyring, signToken } from "../../src/http/signed-token";
import { ErrorCode, HTTP_STATUS } from "../../src/protocol/error-codes";
import { api, createBattle, freshIp, startBattle } from "./helpers";

/**
 * The statuses docs/api.md and docs/protocol.md (error codes) document for these routes: 200 reads and rejoins,
 * 201 new players, 400 `bad_json`/`bad_message`/`invalid_username`, 401 `unauthorized`/`session_replaced`/
 * `identity_expired`, 403 `identity_required`, 404 `not_found` (and a player's `unknown_question`/`unknown_target`),
 * 409 (`username_taken`, `battle_*`, …), 413 `frame_too_large`, 426 a non-upgrade `/ws`, 429 `rate_limited`, 503
 * `overloaded`. Never 500.
 */
const DOCUMENTED = new Set([200, 201, 400, 401, 403, 404, 409, 413, 426, 429, 503]);
const CODES = new Set<string>(Object.values(ErrorCode));

interface Answer {
  readonly status: number;
  readonly json: any;
}

async function send(
  method: string,
  path: string,
  body?: string | Uint8Array,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const res = await SELF.fetch(`http://arena.test${path}`, {
    method,
    headers: { "CF-Connecting-IP": freshIp(), ...headers },
    body: method === "GET" ? undefined : body,
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = { unparsed: text.slice(0, 200) };
  }
  return { status: res.status, json };
}

/** The documented-status and error-shape invariants, for any answer of the player API. */
function checkAnswer(what: string, a: Answer): void {
  expect(a.status, what).not.toBe(500);
  expect(DOCUMENTED.has(a.status), `${what}: status ${a.status} ${JSON.stringify(a.json)}`).toBe(true);
  if (a.status < 400) return;
  expect(Object.keys(a.json ?? {}), what).toEqual(["error"]);
  const { code, message, retryAfterMs, ...rest } = a.json.error;
  expect(rest, what).toEqual({});
  expect(CODES.has(code), `${what}: code ${code}`).toBe(true);
  expect(typeof message, what).toBe("string");
  if (retryAfterMs !== undefined) expect(retryAfterMs, what).toBeGreaterThan(0);
  // One cause, one code, one status (the only exception: a plain request to /ws is 426 bad_message).
  const expected = code === "bad_message" && a.status === 426 ? 426 : HTTP_STATUS[code as ErrorCode];
  expect(a.status, `${what}: ${code}`).toBe(expected);
}

/** Percent-encodes every UTF-16 unit; a lone surrogate becomes its (invalid) 3-byte WTF-8 form. */
function encodeSegment(s: string): string {
  let out = "";
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0xd800 && cp <= 0xdfff) {
      out += [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join("");
    } else out += encodeURIComponent(ch);
  }
  return out;
}

const anyText = (maxLength: number) => fc.string({ unit: "binary", maxLength });

let nameSeq = 0;
/** A valid name not used before (so a good share of joins are admissions, not `username_taken`). */
const freshName = fc.stringMatching(/^[a-z][a-z_.-]{0,8}$/).map((s) => `${s} ${++nameSeq}`);

/** Usernames: plausible ones (so joins succeed), look-alikes, and anything in UTF-16, up to very long. */
const username = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[a-z][a-z0-9_. -]{0,10}$/) },
  { weight: 3, arbitrary: anyText(40) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", minLength: 33, maxLength: 3000 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "",
      " ",
      "\u0000",
      "a\u0000b",
      "\t",
      "alice\n",
      "\ud800",
      "\udfff",
      "x\ud83d",
      "\ud83d\ude00",
      "a\u0301",
      "alice",
      "ALICE",
      "\uff41\uff4c\uff49\uff43\uff45",
      "\u0430lice",
      "\u202ealice",
      "\u200b",
      "x".repeat(32),
      "x".repeat(33),
      "<script>",
      "%00",
    ),
  },
);

/** A body for the join route: well-formed fields, wrongly typed ones, any JSON, or not JSON at all. */
type JoinBody = { json: unknown } | { raw: string } | { bytes: Uint8Array };
const joinBody: fc.Arbitrary<JoinBody> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc
      .record(
        {
          username: fc.oneof({ weight: 2, arbitrary: freshName }, username),
          playerKey: fc.string({ unit: "binary", minLength: 1, maxLength: 60 }),
        },
        { requiredKeys: ["username"] },
      )
      .map((json) => ({ json })),
  },
  {
    weight: 6,
    arbitrary: fc
      .record(
        {
          username,
          playerKey: fc.oneof(anyText(300), fc.constantFrom("", "x".repeat(257))),
          identityToken: fc.oneof(anyText(300), fc.constant("x".repeat(2049))),
          extra: fc.jsonValue({ maxDepth: 2 }),
        },
        { requiredKeys: [] },
      )
      .map((json) => ({ json })),
  },
  // Wrongly typed fields: each alone (so no other field's refusal hides it), then together.
  ...(["username", "playerKey", "identityToken"] as const).map((field) => ({
    weight: 1,
    arbitrary: fc.jsonValue({ maxDepth: 2 }).map((v) => ({ json: { [field]: v } })),
  })),
  {
    weight: 1,
    arbitrary: fc
      .record(
        {
          username: fc.jsonValue({ maxDepth: 2 }),
          playerKey: fc.jsonValue({ maxDepth: 2 }),
          identityToken: fc.jsonValue({ maxDepth: 2 }),
        },
        { requiredKeys: [] },
      )
      .map((json) => ({ json })),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((json) => ({ json })) },
  { weight: 1, arbitrary: anyText(200).map((raw) => ({ raw })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ bytes })) },
);

/** Claims an operator-signed identity token may carry (any shape: the signature is genuine). */
const identityClaims = (battles: string[]) =>
  fc.record(
    {
      b: fc.oneof(fc.constantFrom(...battles), fc.jsonValue({ maxDepth: 1 })),
      sub: fc.oneof(fc.stringMatching(/^acct-[0-9]{1,3}$/), anyText(300), fc.jsonValue({ maxDepth: 1 })),
      u: fc.oneof(username, fc.jsonValue({ maxDepth: 1 })),
      e: fc.oneof(
        fc.integer({ min: -172_800, max: 172_800 }).map((d) => ({ rel: d })),
        fc.jsonValue({ maxDepth: 1 }),
      ),
      iat: fc.oneof(
        fc.integer({ min: -172_800, max: 172_800 }).map((d) => ({ rel: d })),
        fc.jsonValue({ maxDepth: 1 }),
      ),
    },
    { requiredKeys: ["b", "sub", "u"] },
  );

/** Battle-id path segments: the real ones, known-bad forms, and anything percent-encoded. */
const battleSegment = (live: string, sharded: string) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(live, sharded) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        `${live}%23s0`,
        `${sharded}%23s1`,
        `${live}%2Fx`,
        "%2F",
        "%23",
        "",
        "a".repeat(65),
        `${live}${"a".repeat(64 - live.length + 1)}`,
        "a".repeat(64),
        "%",
        "%zz",
        "%C0%AF",
        "%ED%A0%80",
        "%FF",
        "%00",
        ".",
        "..",
        "%2e%2e",
        live.toUpperCase(),
        `${live}%20`,
        encodeSegment("Ünïcödé-battle"),
        encodeSegment(`${live}é`),
      ),
    },
    { weight: 3, arbitrary: anyText(80).map(encodeSegment) },
    { weight: 1, arbitrary: fc.stringMatching(/^[a-z0-9-]{0,70}$/) },
  );

/** The routes that name a battle, with what is after the id (`//join`: an empty segment). */
const ROUTES = [
  ["POST", "/join"],
  ["POST", "//join"],
  ["GET", ""],
  ["GET", "/"],
  ["GET", "/ws"],
  ["POST", "/answer"],
  ["POST", "/attack"],
  ["GET", "/leaderboard"],
  ["GET", "/results"],
] as const;

/** The battle id a path segment names, as the router decodes it. */
function decoded(seg: string): string {
  try {
    return decodeURIComponent(seg);
  } catch {
    return seg;
  }
}

function bodyOf(b: JoinBody): string | Uint8Array {
  return "json" in b ? JSON.stringify(b.json) : "raw" in b ? b.raw : b.bytes;
}

describe("fuzzing joins, usernames and battle ids", () => {
  // ~5 s on an idle machine; the timeout leaves room for a busy one.
  it("answers every request with a documented status and error shape; player counts stay exact", {
    timeout: 90_000,
  }, async () => {
    const live = await createBattle({ durationMs: 86_400_000 });
    const sharded = await createBattle({ durationMs: 86_400_000, shards: 2 });
    await startBattle(live);
    await startBattle(sharded);
    const battles = [live, sharded];
    const operatorKey = keyring("test-identity-secret", "op1");
    const created = new Map<string, number>(battles.map((b) => [b, 0]));
    /** Each battle's players that joined with a key: their username and the latest and previous key. */
    const keys = new Map<string, { username: string; latest: string; stale: string[] }[]>(
      battles.map((b) => [b, []]),
    );
    const tokens: string[] = [];
    const seen = { created: 0, rejoined: 0, staleRefused: 0, statuses: new Map<number, number>() };
    const count = (a: Answer) => seen.statuses.set(a.status, (seen.statuses.get(a.status) ?? 0) + 1);

    /** A 2xx join of an existing battle: its shape, and the books (201 = a new player of that battle). */
    function joined(battle: string, a: Answer, what: string): void {
      expect(battles.includes(battle), `${what}: only the real battles admit anyone`).toBe(true);
      expect(a.json.isNew, what).toBe(a.status === 201);
      expect(typeof a.json.token, what).toBe("string");
      if (a.status === 201) {
        created.set(battle, created.get(battle)! + 1);
        seen.created++;
      }
      tokens.push(a.json.token);
      if (a.json.playerKey !== undefined) {
        const mine = keys.get(battle)!;
        const known = mine.find((p) => p.username === a.json.username);
        if (known) {
          known.stale.push(known.latest);
          known.latest = a.json.playerKey;
        } else mine.push({ username: a.json.username, latest: a.json.playerKey, stale: [] });
      }
    }

    const command = fc.oneof(
      // A join with an arbitrary body, on an arbitrary battle segment.
      {
        weight: 8,
        arbitrary: fc.record({
          kind: fc.constant("join" as const),
          seg: fc.oneof(
            { weight: 4, arbitrary: fc.constantFrom(live, sharded) },
            battleSegment(live, sharded),
          ),
          route: fc.constantFrom("/join", "//join", "/join/"),
          body: joinBody,
          contentType: fc.constantFrom(
            undefined,
            "application/json",
            "text/plain",
            "application/octet-stream",
          ),
        }),
      },
      // A join with a genuinely signed identity token of arbitrary claims.
      {
        weight: 2,
        arbitrary: fc.record({
          kind: fc.constant("identity" as const),
          battle: fc.constantFrom(live, sharded),
          claims: identityClaims(battles),
        }),
      },
      // A rejoin of a known player with its latest key (must rotate) or an earlier one (must be refused).
      {
        weight: 2,
        arbitrary: fc.record({
          kind: fc.constant("rejoin" as const),
          battle: fc.constantFrom(live, sharded),
          pick: fc.nat(),
          stale: fc.boolean(),
          shout: fc.boolean(),
        }),
      },
      // Any route naming a battle, with or without a (real, garbage or other battle's) token.
      {
        weight: 4,
        arbitrary: fc.record({
          kind: fc.constant("route" as const),
          seg: battleSegment(live, sharded),
          route: fc.constantFrom(...ROUTES),
          body: joinBody,
          auth: fc.oneof(fc.constant(null), fc.nat(), anyText(100)),
          query: fc.oneof(
            fc.constant(""),
            anyText(40).map((q) => `?${encodeSegment(q)}`),
          ),
        }),
      },
    );

    await fc.assert(
      fc.asyncProperty(command, async (cmd) => {
        if (cmd.kind === "join") {
          const headers: Record<string, string> = cmd.contentType ? { "Content-Type": cmd.contentType } : {};
          const path = `/api/battles/${cmd.seg}${cmd.route}`;
          const a = await send("POST", path, bodyOf(cmd.body), headers);
          const what = `POST ${path} ${JSON.stringify("json" in cmd.body ? cmd.body.json : "(raw)")}`;
          checkAnswer(what, a);
          count(a);
          if (a.status === 200 || a.status === 201) joined(decoded(cmd.seg), a, what);
        } else if (cmd.kind === "identity") {
          const now = Math.floor(Date.now() / 1000);
          const time = (v: unknown) =>
            typeof v === "object" && v !== null && "rel" in v ? now + (v as { rel: number }).rel : v;
          const claims = { ...cmd.claims, e: time(cmd.claims.e), iat: time(cmd.claims.iat) };
          const identityToken = await signToken(claims, operatorKey);
          const a = await send("POST", `/api/battles/${cmd.battle}/join`, JSON.stringify({ identityToken }));
          const what = `identity ${JSON.stringify(claims)}`;
          checkAnswer(what, a);
          count(a);
          if (a.status === 200 || a.status === 201) {
            joined(cmd.battle, a, what);
            expect(a.json.playerKey, what).toBeUndefined();
          }
        } else if (cmd.kind === "rejoin") {
          const mine = keys.get(cmd.battle)!.filter((p) => !cmd.stale || p.stale.length > 0);
          if (mine.length === 0) return;
          const p = mine[cmd.pick % mine.length]!;
          const playerKey = cmd.stale ? p.stale[cmd.pick % p.stale.length]! : p.latest;
          // Upper case is the same name by its look-alike key (for ASCII names; `ß` would become `SS`).
          const name = cmd.shout && /^[ -~]*$/.test(p.username) ? p.username.toUpperCase() : p.username;
          const a = await send(
            "POST",
            `/api/battles/${cmd.battle}/join`,
            JSON.stringify({ username: name, playerKey }),
          );
          const what = `rejoin ${cmd.battle} ${JSON.stringify(name)} stale=${cmd.stale}`;
          checkAnswer(what, a);
          count(a);
          if (cmd.stale) {
            expect([a.status, a.json.error?.code], what).toEqual([409, "username_taken"]);
            seen.staleRefused++;
          } else {
            expect(a.status, `${what}: ${JSON.stringify(a.json)}`).toBe(200);
            expect(a.json.playerKey, what).not.toBe(playerKey);
            joined(cmd.battle, a, what);
            seen.rejoined++;
          }
        } else {
          const method = cmd.route[0];
          const rest: string = cmd.route[1];
          const path = `/api/battles/${cmd.seg}${rest}${cmd.query}`;
          const headers: Record<string, string> = {};
          if (cmd.auth !== null) {
            const token =
              typeof cmd.auth === "number" ? tokens[cmd.auth % Math.max(1, tokens.length)] : cmd.auth;
            if (token !== undefined) headers.Authorization = `Bearer ${encodeSegment(token)}`;
          }
          const a = await send(method, path, bodyOf(cmd.body), headers);
          const what = `${method} ${path}`;
          checkAnswer(what, a);
          count(a);
          if (rest.endsWith("join") && (a.status === 200 || a.status === 201))
            joined(decoded(cmd.seg), a, what);
        }
      }),
      { numRuns: 400, seed: 20260502 },
    );

    // The seed exercises admissions and rotations, not only refusals.
    expect(seen.created, JSON.stringify([...seen.statuses])).toBeGreaterThan(10);
    expect(seen.rejoined).toBeGreaterThan(10);
    expect(seen.staleRefused).toBeGreaterThan(5);
    for (const b of battles) expect(created.get(b), b).toBeGreaterThan(3);

    // An oversized body is refused before it is parsed.
    const huge = await send("POST", `/api/battles/${live}/join`, `{"username":"${"x".repeat(1_000_001)}"}`);
    checkAnswer("huge body", huge);
    expect(huge.json.error.code).toBe("frame_too_large");

    // Both battles still answer, count exactly the players that got a 201, and take a new one.
    for (const b of battles) {
      const view = await api("GET", `/api/battles/${b}`);
      expect(view.status).toBe(200);
      expect(view.json.battle.players, b).toBe(created.get(b));
      const fresh = await api("POST", `/api/battles/${b}/join`, { username: "after the storm" });
      expect(fresh.status, JSON.stringify(fresh.json)).toBe(201);
      expect((await api("GET", `/api/battles/${b}`)).json.battle.players).toBe(created.get(b)! + 1);
    }
  });
});
