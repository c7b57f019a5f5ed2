/**
 * @module Queue message sizes, property-tested against the real serializer: messages go as `contentType: "text"`,
 * whose size on the queue is the UTF-8 encoding of the body (TextEncoder here). For any events the object may
 * write (any Unicode in answers, usernames, titles, question texts), no message exceeds 128 KB with our margin, no
 * `sendBatch` exceeds 256 KB or 100 messages, and every event comes back unchanged after validation.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  finalEvents,
  MAX_BATCH_BYTES,
  MAX_BATCH_MESSAGES,
  MAX_EVENT_BYTES,
  MAX_MESSAGE_BYTES,
  QUEUE_BATCH_LIMIT,
  QUEUE_MESSAGE_LIMIT,
  sizedEvents,
  utf8Length,
} from "../../src/persistence/event-size";
import type { BattleEvent, FinalRow } from "../../src/persistence/events";
import { packMessages, parseMessage, sendBatches } from "../../src/persistence/message";

const encoder = new TextEncoder();
const bytes = (s: string) => encoder.encode(s).length;

/** Any string of code points, lone surrogates included (JSON.stringify escapes those). */
const anyText = (max: number) =>
  fc.oneof(
    fc.string({ unit: "binary", maxLength: max }),
    fc.string({
      unit: fc.constantFrom("ł", "Я", "中", "😀", "\u0301", "\u200f", '"', "\\", "\n"),
      maxLength: max,
    }),
  );

const answerEvent = (a: string, q: string): BattleEvent => ({
  k: "answer",
  p: 7,
  q,
  n: 1,
  a,
  c: 0,
  pts: 0,
  bo: 0,
  at: 1,
  st: [0, 3, 1, 0, 1],
});

describe("queue message sizes", () => {
  it("utf8Length equals the encoder's length for any string JSON.stringify makes", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (s) => {
        const json = JSON.stringify(s);
        expect(utf8Length(json)).toBe(bytes(json));
      }),
      { seed: 28, numRuns: 2_000 },
    );
  });

  it("never packs a message or a batch over the queue's limits, and every event round-trips", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(anyText(4_000), fc.string({ unit: "binary", minLength: 1, maxLength: 64 })), {
          minLength: 1,
          maxLength: 120,
        }),
        fc.constantFrom("b", "a-battle-id-of-sixty-four-characters-aaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
        fc.nat(7),
        (answers, battle, shard) => {
          const events = answers.map(([a, q]) => answerEvent(a, q));
          const rows = events.map((ev, i) => ({ seq: 10_000 + i, body: JSON.stringify(ev) }));
          const messages = packMessages(battle, shard, rows);
          const back: unknown[] = [];
          for (const m of messages) {
            expect(m.bytes).toBe(bytes(m.body));
            expect(m.bytes).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
            const parsed = parseMessage(m.body);
            if (typeof parsed === "string") throw new Error(parsed);
            back.push(...parsed.events.map((e) => e.ev));
          }
          expect(back).toEqual(events.map((e) => JSON.parse(JSON.stringify(e))));
          for (const batch of sendBatches(messages)) {
            expect(batch.length).toBeLessThanOrEqual(MAX_BATCH_MESSAGES);
            expect(batch.reduce((n, m) => n + bytes(m.body), 0)).toBeLessThanOrEqual(MAX_BATCH_BYTES);
          }
        },
      ),
      { seed: 28, numRuns: 60 },
    );
    expect(MAX_MESSAGE_BYTES).toBeLessThan(QUEUE_MESSAGE_LIMIT);
    expect(MAX_BATCH_BYTES).toBeLessThan(QUEUE_BATCH_LIMIT);
  });

  it("cuts the final standings of 50,000 players with names in any script into events that fit", () => {
    const names = [
      "Łukasz",
      "Мария",
      "李小龍李小龍李小龍李小龍李小龍李小龍",
      "😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀",
    ];
    const rows: FinalRow[] = Array.from({ length: 50_000 }, (_, i) => [
      i + 1,
      i + 1,
      `${names[i % names.length]}${i}`,
      1_000_000 - i,
      1_000,
      10_000,
      10_000,
    ]);
    const events = finalEvents(rows);
    expect(events.flatMap((e) => (e.k === "final" ? e.rows : []))).toEqual(rows);
    for (const e of events) expect(bytes(JSON.stringify(e))).toBeLessThanOrEqual(MAX_EVENT_BYTES);
  });

  it("sends an ended battle's view without its questions, which follow in order in parts that fit", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            text: anyText(4_000),
            choices: fc.array(anyText(500), { minLength: 2, maxLength: 16 }),
          }),
          { minLength: 1, maxLength: 40 },
        ),
        (qs) => {
          const questions = qs.map((q, i) => ({ id: `q${i}`, kind: "choice" as const, points: 10, ...q }));
          const view = {
            id: "b",
            title: "t",
            status: "ended" as const,
            startsAt: 1,
            endsAt: 2,
            durationMs: 1,
            maxPlayers: 1,
            players: 0,
            rules: {
              startingArrows: 3,
              startingShields: 1,
              arrowsPerCorrect: 1,
              shieldEveryCorrect: 3,
              maxArrows: 10,
              maxShields: 3,
              speedBonus: null,
              maxAttempts: 1,
            },
            questions,
          };
          const b = { ...view, createdAt: 0 };
          const parts = sizedEvents({ k: "battle", why: "ended", at: 2, b, v: view });
          const head = parts[0]!;
          expect(head.k === "battle" && head.v?.questions.length === 0 && head.qn === questions.length).toBe(
            true,
          );
          const back = parts.slice(1).flatMap((p) => (p.k === "questions" ? p.q : []));
          expect(back).toEqual(questions);
          let i = 0;
          for (const p of parts.slice(1)) {
            expect(p.k === "questions" && p.i === i).toBe(true);
            if (p.k === "questions") i += p.q.length;
          }
          for (const p of parts) expect(bytes(JSON.stringify(p))).toBeLessThanOrEqual(MAX_EVENT_BYTES);
        },
      ),
      { seed: 28, numRuns: 30 },
    );
  });
});
