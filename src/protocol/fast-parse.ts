/**
 * @module The common, well-formed client messages recognised without zod: a frame is parsed on every request, and
 * zod's discriminated union was ~4% of the battle object's time in the 10,000-player profile. Accepts only what
 * the zod schema (`ClientMessage`) accepts and returns the same value; anything else returns null and goes to
 * zod, which also writes the error message. `test/unit/fast-parse.test.ts` and `test/unit/text-hygiene.test.ts`
 * check the two agree. Strings get the same single-line `isSafeText` test as the schema's `safeText()`, so a control
 * character or lone surrogate goes to zod, which names the field.
 */
import type { ClientMessage } from "./client-messages";
import { isSafeText } from "./text";

const MAX_ID = 2 ** 53;

function isId(v: unknown): v is string | number {
  return typeof v === "string"
    ? v.length >= 1 && v.length <= 64 && isSafeText(v)
    : typeof v === "number" && Number.isSafeInteger(v) && v >= 0 && v <= MAX_ID;
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

/** Own enumerable keys, all of them in `allowed`, and the required ones present. */
function onlyKeys(obj: object, allowed: readonly string[], required: number): boolean {
  let n = 0;
  for (const k in obj) {
    if (!Object.hasOwn(obj, k)) continue;
    if (!allowed.includes(k)) return false;
    n++;
  }
  return n >= required;
}

const ANSWER = ["type", "id", "questionId", "answer"];
const ATTACK = ["type", "id", "target"];
const LEADERBOARD = ["type", "id", "offset", "limit"];
const PING = ["type", "id"];

export function fastParse(obj: Record<string, unknown>): ClientMessage | null {
  switch (obj.type) {
    case "answer": {
      const { id, questionId, answer } = obj;
      if (!onlyKeys(obj, ANSWER, 4) || !isId(id)) return null;
      if (typeof questionId !== "string" || questionId.length < 1 || questionId.length > 64) return null;
      if (!isSafeText(questionId)) return null;
      if (
        typeof answer === "string"
          ? answer.length > 1024 || !isSafeText(answer)
          : !Number.isSafeInteger(answer)
      )
        return null;
      return { type: "answer", id, questionId, answer: answer as string | number };
    }
    case "attack": {
      const { id, target } = obj;
      if (!onlyKeys(obj, ATTACK, 3) || !isId(id) || !isCount(target)) return null;
      return { type: "attack", id, target };
    }
    case "leaderboard": {
      const { id, offset, limit } = obj;
      if (!onlyKeys(obj, LEADERBOARD, 2) || !isId(id)) return null;
      if (offset !== undefined && !isCount(offset)) return null;
      if (limit !== undefined && !(isCount(limit) && limit >= 1 && limit <= 100)) return null;
      const msg: ClientMessage = { type: "leaderboard", id };
      if (offset !== undefined) msg.offset = offset;
      if (limit !== undefined) msg.limit = limit;
      return msg;
    }
    case "ping": {
      const { id } = obj;
      if (!onlyKeys(obj, PING, 1)) return null;
      if (id === undefined) return "id" in obj ? null : { type: "ping" };
      return isId(id) ? { type: "ping", id } : null;
    }
    default:
      return null;
  }
}
