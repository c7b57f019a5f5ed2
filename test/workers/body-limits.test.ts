/**
 * @module Request bodies and frames are bounded before they are read whole (issue 27): a declared
 * `Content-Length` over the byte limit is refused unread, a streamed body is cut off as soon as it passes the
 * limit, a body over the character limit is 413, and an oversized socket frame gets `frame_too_large` while the
 * socket stays open.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MAX_BODY_BYTES, MAX_BODY_CHARS } from "../../src/http/errors";
import { MAX_FRAME_BYTES } from "../../src/protocol/version";
import { connect, createBattle, freshIp, join, OPERATOR, startBattle } from "./helpers";

async function post(path: string, body: BodyInit, headers: Record<string, string> = {}) {
  const res = await SELF.fetch(`http://arena.test${path}`, {
    method: "POST",
    headers: { "CF-Connecting-IP": freshIp(), ...OPERATOR, ...headers },
    body,
    // @ts-expect-error workerd needs it for a streamed body
    duplex: "half",
  });
  return { status: res.status, json: (await res.json()) as any };
}

describe("body and frame limits", () => {
  it("refuses a body over the limits with 413, without reading it whole", async () => {
    // Over the character limit (ASCII: under the byte limit).
    const chars = await post("/api/admin/battles", `"${"x".repeat(MAX_BODY_CHARS)}"`);
    expect([chars.status, chars.json.error.code]).toEqual([413, "frame_too_large"]);
    // Exactly at the character limit is read (and then refused as a bad battle, not as too large).
    const at = await post("/api/admin/battles", `"${"x".repeat(MAX_BODY_CHARS - 2)}"`);
    expect([at.status, at.json.error.code]).toEqual([400, "bad_message"]);
    // A streamed body with no length is cut off once it passes the byte limit.
    let sent = 0;
    const chunk = new TextEncoder().encode("ł".repeat(32_768));
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > MAX_BODY_BYTES * 4) controller.close();
        else {
          sent += chunk.byteLength;
          controller.enqueue(chunk);
        }
      },
    });
    const streamed = await post("/api/admin/battles", stream);
    expect([streamed.status, streamed.json.error.code]).toEqual([413, "frame_too_large"]);
    expect(sent).toBeLessThan(MAX_BODY_BYTES * 4);
  });

  it("answers an oversized frame with frame_too_large by its length, and the socket keeps serving", async () => {
    const id = await createBattle();
    await startBattle(id);
    const ws = await connect(await join(id, "alice"));
    ws.send(`{"type":"answer","id":1,"questionId":"q1","answer":"${"ł".repeat(MAX_FRAME_BYTES)}"}`);
    expect(await ws.next((m) => m.type === "error" || m.type === "reply")).toMatchObject({
      type: "error",
      error: { code: "frame_too_large" },
    });
    // 3,000 two-byte characters: under 8 KiB as UTF-16 units, over it as UTF-8 bytes.
    ws.send(`{"type":"answer","id":2,"questionId":"q1","answer":"${"ł".repeat(4_200)}"}`);
    expect(await ws.next((m) => m.type === "error" || m.type === "reply")).toMatchObject({
      error: { code: "frame_too_large" },
    });
    expect((await ws.request({ type: "answer", id: 3, questionId: "q1", answer: 1 })).ok).toBe(true);
  });
});
