/**
 * @module Every frame the battle sends on a socket, built in one place and typed against `ServerMessage`. Frames
 * built as objects are checked by their type; the prebuilt ones (strings spliced from cached JSON on the hot paths)
 * declare the fields they write as `Prebuilt<type, fields>`, which fails to compile if a field is not one of that
 * frame's in `ServerMessage`.
 */
import type { HttpOutcome, Outcome } from "../battle/outcome";
import type {
  BattleStatus,
  BattleView,
  CloseCode,
  ErrorBody,
  LeaderboardView,
  PlayerView,
  ReplyData,
  RequestId,
  ServerMessage,
  StreamState,
} from "../protocol";
import { ErrorCode } from "../protocol/error-codes";
import { PROTOCOL_VERSION } from "../protocol/version";

type Frame<T extends ServerMessage["type"]> = Extract<ServerMessage, { readonly type: T }>;
/** Every field of the `T` frame (of any of its variants). */
type FieldOf<T extends ServerMessage["type"]> =
  Frame<T> extends infer U ? (U extends unknown ? keyof U & string : never) : never;

/**
 * A frame written as a string: the `T` frame of `ServerMessage`, writing the fields `F` (a field that is not one of
 * that frame's is a compile error). Still a plain string at run time.
 */
export type Prebuilt<T extends ServerMessage["type"], F extends FieldOf<T>> = string & {
  readonly __frame?: T;
  readonly __fields?: F;
};

/** The reply frame to request `id`. */
export function replyFrame(id: RequestId, result: Outcome<ReplyData>): Frame<"reply"> {
  return result.ok
    ? { type: "reply", id, ok: true, data: result.value }
    : { type: "reply", id, ok: false, error: result.error };
}

/** The reply to request `id`, as sent. */
export function replyJson(id: RequestId, result: Outcome<ReplyData>): string {
  return JSON.stringify(replyFrame(id, result));
}

/** An accepted reply whose data is already JSON (`idJson`: the request id as JSON). */
export function rawReplyJson(
  idJson: string,
  dataJson: string,
): Prebuilt<"reply", "type" | "id" | "ok" | "data"> {
  return `{"type":"reply","id":${idJson},"ok":true,"data":${dataJson}}`;
}

/** A refused frame: the reply to its request id, or an `error` frame when it has none (unparseable). */
export function refusalJson(id: RequestId | undefined, error: ErrorBody): string {
  const frame: ServerMessage =
    id === undefined ? { type: "error", error } : { type: "reply", id, ok: false, error };
  return JSON.stringify(frame);
}

/** A frame that failed inside the server. */
export function internalErrorJson(): string {
  const frame: ServerMessage = {
    type: "error",
    error: { code: ErrorCode.INTERNAL, message: "internal error" },
  };
  return JSON.stringify(frame);
}

/** The earlier refusal of a retried request, marked (no `seq`: it is not new). */
export function duplicateRefusalJson(id: RequestId, error: ErrorBody): string {
  const frame: ServerMessage = { type: "reply", id, ok: false, error, duplicate: true };
  return JSON.stringify(frame);
}

/** A stream frame as sent: the stored frame with its sequence number added at the end. */
export function withSeq(frame: string, seq: number): Prebuilt<"reply" | "attacked" | "battle", "seq"> {
  return `${frame.slice(0, -1)},"seq":${seq}}`;
}

/** The reply to a retried request: the original one, marked, without a sequence number (it is not new). */
export function asDuplicate(frame: string): Prebuilt<"reply", "duplicate"> {
  return `${frame.slice(0, -1)},"duplicate":true}`;
}

/** A status change (stored in every participant's stream); `endsAt` is when it ended, once it has. */
export function battleJson(
  status: BattleStatus,
  schedule: { startsAt: number | null; endsAt: number | null; endedAt: number | null },
): string {
  const { startsAt, endsAt, endedAt } = schedule;
  const frame: ServerMessage = { type: "battle", status, startsAt, endsAt: endedAt ?? endsAt };
  return JSON.stringify(frame);
}

/** What the target of an attack is told (stored in their stream): the hit, and their score and shields after it. */
export function attackedJson(
  attackerId: number,
  attackerName: string,
  hit: {
    readonly blocked: boolean;
    readonly pointsLost: number;
    readonly at: number;
    readonly targetScore: number;
    readonly targetShields: number;
  },
): string {
  const frame: ServerMessage = {
    type: "attacked",
    attacker: { id: attackerId, username: attackerName },
    blocked: hit.blocked,
    pointsLost: hit.pointsLost,
    at: hit.at,
    score: hit.targetScore,
    shields: hit.targetShields,
  };
  return JSON.stringify(frame);
}

/** The server asks the client to close with `code` (see `SocketConnection.close`). */
export function closingJson(code: CloseCode, reason: string): string {
  const frame: ServerMessage = { type: "closing", code, reason };
  return JSON.stringify(frame);
}

/** The start of a pushed leaderboard: the rest (`top`, `me`, `around`) follows from cached JSON. */
export function leaderboardHead(
  total: number,
  online: number,
): Prebuilt<"leaderboard", "type" | "total" | "online"> {
  return `{"type":"leaderboard","total":${total},"online":${online},`;
}

/** A pushed leaderboard's `top` field after its head (`topJson`: cached JSON). */
export function withTop(head: string, topJson: string): Prebuilt<"leaderboard", "top"> {
  return `${head}"top":${topJson},`;
}

/** Who is online (`playersJson`: the list's cached JSON entries, comma-separated). */
export function presenceJson(
  online: number,
  playersJson: string,
): Prebuilt<"presence", "type" | "online" | "players"> {
  return `{"type":"presence","online":${online},"players":[${playersJson}]}`;
}

/** One entry of the presence list (`nameJson`: the username as JSON). */
export function presenceEntry(id: number, nameJson: string): string {
  return `{"id":${id},"username":${nameJson}}`;
}

/** The welcome: a fresh snapshot for a socket just connected, with where its stream stands. */
export function welcomeJson(
  serverTime: number,
  you: PlayerView,
  battle: BattleView,
  leaderboard: LeaderboardView,
  online: number,
  stream: StreamState,
): string {
  const frame: ServerMessage = {
    type: "welcome",
    protocol: PROTOCOL_VERSION,
    serverTime,
    you,
    battle,
    leaderboard,
    online,
    stream,
  };
  return JSON.stringify(frame);
}

/** An earlier reply frame (the original of a retried request) as an HTTP answer, marked duplicate. */
export function duplicateOutcome(frame: string): HttpOutcome {
  const earlier = JSON.parse(frame) as { ok: boolean; data?: ReplyData; error?: ErrorBody };
  return earlier.ok
    ? { ok: true, value: earlier.data!, duplicate: true }
    : { ok: false, error: earlier.error!, duplicate: true };
}
