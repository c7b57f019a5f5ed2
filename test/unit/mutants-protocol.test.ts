/**
 * @module Protocol limits that mutation testing (docs/mutation.md) found unpinned: UTF-8 byte counts at every
 * encoding boundary (they size frames and queue messages), the frame size limit at exactly its byte count,
 * non-object JSON frames, the field limits the fast path must refuse exactly as the zod schema does, and which
 * close codes a client may reconnect after.
 */
import { describe, expect, it } from "vitest";
import { CloseCode, isReconnectable } from "../../src/protocol/close-codes";
import { type ParseResult, parseClientFrame } from "../../src/protocol/codec";
import { utf8Length } from "../../src/protocol/text";

const encoder = new TextEncoder();

function code(r: ParseResult): string {
  return r.ok ? "ok" : r.error.code;
}

describe("utf8Length", () => {
  it("equals the encoder's byte count at every encoding boundary and for every surrogate arrangement", () => {
    const cases = [
      "",
      "a",
      "\u007f",
      "\u0080",
      "\u07ff",
      "\u0800",
      "\ud7ff",
      "\ue000",
      "\uffff",
      "\u{1f600}",
      "\udbff\udfff",
      "a\ud800\udc00b",
      "\ud800", // lone high at the end
      "\ud800a", // lone high before ASCII
      "\ud800\ud800", // two highs
      "\ud800\u0800", // high before a 3-byte unit below the surrogates
      "\ud800\ue000", // high before a 3-byte unit above the surrogates
      "\udc00", // lone low
      "\udc00\udc00",
      "\u0800\udc00", // a 3-byte unit before a lone low
      "\ue000\udc00",
      "\ud800\udc00\ud800",
    ];
    for (const s of cases) {
      // The encoder writes a lone surrogate as U+FFFD (3 bytes), as the queue and the socket do.
      expect([s, utf8Length(s)]).toEqual([s, encoder.encode(s).length]);
    }
  });
});

describe("frame size limit", () => {
  it("accepts a frame of exactly the limit in bytes and refuses one byte more (ASCII)", () => {
    const frame = '{"type":"ping"}';
    expect(frame.length).toBe(15);
    expect(parseClientFrame(frame, 15)).toEqual({ ok: true, msg: { type: "ping" } });
    expect(code(parseClientFrame(frame, 14))).toBe("frame_too_large");
    expect(code(parseClientFrame(frame, 44))).toBe("ok");
  });

  it("counts multi-byte text in bytes: exactly the limit passes, one byte under refuses", () => {
    const frame = JSON.stringify({ type: "answer", id: 1, questionId: "q", answer: "ééé€" });
    const bytes = encoder.encode(frame).length;
    expect(bytes).toBe(frame.length + 3 + 2);
    expect(code(parseClientFrame(frame, bytes))).toBe("ok");
    expect(code(parseClientFrame(frame, bytes - 1))).toBe("frame_too_large");
  });
});

describe("frames that are JSON but not an object", () => {
  it("are bad_message, never unknown_type or a throw", () => {
    for (const frame of ["null", "5", '"ping"', "true", "[]", '[{"type":"ping"}]']) {
      const r = parseClientFrame(frame);
      expect([frame, code(r)]).toEqual([frame, "bad_message"]);
    }
  });
});

describe("field limits (fast path and zod agree)", () => {
  const answer = (fields: Record<string, unknown>) =>
    parseClientFrame(JSON.stringify({ type: "answer", id: 1, questionId: "q", answer: 0, ...fields }));
  const board = (fields: Record<string, unknown>) =>
    parseClientFrame(JSON.stringify({ type: "leaderboard", id: 1, ...fields }));

  it("a questionId is 1 to 64 characters", () => {
    expect(answer({ questionId: "q".repeat(64) })).toEqual({
      ok: true,
      msg: { type: "answer", id: 1, questionId: "q".repeat(64), answer: 0 },
    });
    expect(code(answer({ questionId: "q".repeat(65) }))).toBe("bad_message");
    expect(code(answer({ questionId: "" }))).toBe("bad_message");
  });

  it("a typed answer is at most 1024 characters", () => {
    expect(code(answer({ answer: "a".repeat(1024) }))).toBe("ok");
    expect(code(answer({ answer: "a".repeat(1025) }))).toBe("bad_message");
  });

  it("an answer is a string or an integer: fractions, null, booleans, objects and arrays are refused", () => {
    expect(answer({ answer: -3 })).toMatchObject({ ok: true, msg: { answer: -3 } });
    for (const bad of [1.5, null, true, {}, [], [1]]) {
      expect([bad, code(answer({ answer: bad }))]).toEqual([bad, "bad_message"]);
    }
  });

  it("a leaderboard page limit is an integer from 1 to 100", () => {
    expect(board({ limit: 1 })).toEqual({ ok: true, msg: { type: "leaderboard", id: 1, limit: 1 } });
    expect(board({ limit: 100, offset: 0 })).toEqual({
      ok: true,
      msg: { type: "leaderboard", id: 1, limit: 100, offset: 0 },
    });
    for (const bad of [0, -1, 101, 1.5, "5", null]) {
      expect([bad, code(board({ limit: bad }))]).toEqual([bad, "bad_message"]);
    }
  });

  it("a request id is 1 to 64 characters or an integer from 0 to 2^53 - 1", () => {
    const ping = (id: unknown) => parseClientFrame(JSON.stringify({ type: "ping", id }));
    expect(ping("i".repeat(64))).toEqual({ ok: true, msg: { type: "ping", id: "i".repeat(64) } });
    expect(ping(Number.MAX_SAFE_INTEGER)).toEqual({
      ok: true,
      msg: { type: "ping", id: Number.MAX_SAFE_INTEGER },
    });
    expect(ping(0)).toEqual({ ok: true, msg: { type: "ping", id: 0 } });
    for (const bad of ["i".repeat(65), "", -1, 1.5, 2 ** 53, true]) {
      expect([bad, code(ping(bad))]).toEqual([bad, "bad_message"]);
    }
  });
});

describe("close codes", () => {
  it("a client may reconnect below 4500 and from 5000 on, never after 4500 to 4999", () => {
    const codes = [1000, 1013, 4000, 4499, 4500, 4501, 4999, 5000, 5001];
    expect(codes.map((c) => [c, isReconnectable(c)])).toEqual([
      [1000, true],
      [1013, true],
      [4000, true],
      [4499, true],
      [4500, false],
      [4501, false],
      [4999, false],
      [5000, true],
      [5001, true],
    ]);
    expect(isReconnectable(CloseCode.GOING_AWAY)).toBe(true);
    expect(isReconnectable(CloseCode.SESSION_REPLACED)).toBe(false);
  });
});
