import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ClientMessage } from "../../src/protocol/client-messages";
import { fastParse } from "../../src/protocol/fast-parse";

/** Values near every bound the schema has, and of every JSON type. */
const value = fc.oneof(
  fc.constantFrom(0, 1, -1, 1.5, 100, 101, 2 ** 53, 2 ** 53 - 1, 2 ** 53 + 2, -0, 1e308),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 3 }),
  fc.constantFrom("", "q1", "x".repeat(64), "x".repeat(65), "a".repeat(1024), "a".repeat(1025)),
  fc.boolean(),
  fc.constant(null),
  fc.constant([]),
  fc.constant({}),
);
const key = fc.constantFrom(
  "type",
  "id",
  "questionId",
  "answer",
  "target",
  "offset",
  "limit",
  "extra",
  "__proto__",
);
const type = fc.constantFrom("answer", "attack", "leaderboard", "ping", "other");

/** Messages as a client could send them (through JSON, as the socket delivers them): mostly near-valid. */
const message = fc
  .tuple(type, fc.dictionary(key, value, { maxKeys: 5 }))
  .map(([t, rest]) => JSON.parse(JSON.stringify({ ...rest, type: t })) as Record<string, unknown>);

describe("fastParse", () => {
  it("accepts only what the zod schema accepts, with the same value", () => {
    let accepted = 0;
    fc.assert(
      fc.property(message, (raw) => {
        const fast = fastParse(raw);
        const slow = ClientMessage.safeParse(raw);
        if (fast !== null) {
          accepted++;
          expect(slow.success).toBe(true);
          expect(fast).toEqual(slow.data);
        }
      }),
      { numRuns: 20_000, seed: 13 },
    );
    // The generator reaches the accepting paths, not only the refusals.
    expect(accepted).toBeGreaterThan(200);
  });

  it("recognises the frames clients send", () => {
    const frames = [
      { type: "answer", id: 1, questionId: "q1", answer: 2 },
      { type: "answer", id: "a-1", questionId: "q1", answer: "Paris" },
      { type: "attack", id: 2, target: 7 },
      { type: "leaderboard", id: 3 },
      { type: "leaderboard", id: 3, offset: 0, limit: 50 },
      { type: "ping", id: 4 },
      { type: "ping" },
    ];
    for (const f of frames) expect(fastParse(f)).toEqual(ClientMessage.parse(f));
  });

  it("leaves anything odd to zod", () => {
    expect(fastParse({ type: "attack", id: 2, target: 7, extra: 1 })).toBeNull();
    expect(fastParse({ type: "attack", id: 2, target: -1 })).toBeNull();
    expect(fastParse({ type: "answer", id: 1, questionId: "", answer: 2 })).toBeNull();
    expect(fastParse({ type: "leaderboard", id: 3, limit: 101 })).toBeNull();
    expect(fastParse({ type: "ping", id: null })).toBeNull();
  });
});
