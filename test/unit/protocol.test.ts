import { describe, expect, it } from "vitest";
import { MAX_FRAME_BYTES, parseClientFrame } from "../../src/protocol";
import { isReconnectable } from "../../src/protocol/close-codes";

describe("protocol codec", () => {
  it("parses every client message type", () => {
    expect(parseClientFrame('{"type":"answer","id":1,"questionId":"q1","answer":2}')).toEqual({
      ok: true,
      msg: { type: "answer", id: 1, questionId: "q1", answer: 2 },
    });
    expect(parseClientFrame('{"type":"attack","id":"a","target":3}').ok).toBe(true);
    expect(parseClientFrame('{"type":"leaderboard","id":2,"offset":10,"limit":5}').ok).toBe(true);
    expect(parseClientFrame('{"type":"ping"}').ok).toBe(true);
  });

  it("returns typed errors, keeping the request id when it can be read", () => {
    expect(parseClientFrame("{oops")).toMatchObject({ ok: false, error: { code: "bad_json" } });
    expect(parseClientFrame("[1,2]")).toMatchObject({ ok: false, error: { code: "bad_message" } });
    expect(parseClientFrame('{"type":"fly","id":7}')).toEqual({
      ok: false,
      id: 7,
      error: { code: "unknown_type", message: 'unknown message type "fly"' },
    });
    expect(parseClientFrame('{"type":"attack","id":8,"target":-1}')).toMatchObject({
      ok: false,
      id: 8,
      error: { code: "bad_message" },
    });
    expect(parseClientFrame('{"type":"answer","questionId":"q","answer":1}')).toMatchObject({
      ok: false,
      error: { code: "bad_message" },
    });
    expect(parseClientFrame('{"type":"attack","id":9,"target":1,"extra":true}')).toMatchObject({
      ok: false,
      id: 9,
    });
    expect(parseClientFrame(new ArrayBuffer(4))).toMatchObject({ ok: false, error: { code: "bad_message" } });
  });

  it("refuses frames over the limit, counting UTF-8 bytes", () => {
    const ascii = JSON.stringify({
      type: "answer",
      id: 1,
      questionId: "q",
      answer: "a".repeat(MAX_FRAME_BYTES),
    });
    expect(parseClientFrame(ascii)).toMatchObject({ ok: false, error: { code: "frame_too_large" } });
    const wide = JSON.stringify({
      type: "answer",
      id: 1,
      questionId: "q",
      answer: "é".repeat(MAX_FRAME_BYTES / 2),
    });
    expect(parseClientFrame(wide)).toMatchObject({ ok: false, error: { code: "frame_too_large" } });
  });

  it("splits close codes into reconnectable and final", () => {
    expect(isReconnectable(4000)).toBe(true);
    expect(isReconnectable(1006)).toBe(true);
    expect(isReconnectable(4501)).toBe(false);
  });
});
