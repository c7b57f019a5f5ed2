/**
 * @module Player requests in the room, one pipeline for every origin: admission (authorisation, the per-player
 * meter, the overload refusal), idempotency and the action (`actions.ts`; an attack on another object's player
 * through the room's seam), then `settle` (count; with a key, remember the refusal or record the accepted reply in
 * the player's stream) and the reply once its write has committed. A socket's frame (`message`) and an HTTP request
 * (`request`) are thin encoders around these steps.
 */
import type { Connection } from "../battle/connection";
import { FrameMeter } from "../battle/frame-meter";
import { err, type HttpOutcome, type Outcome, ok } from "../battle/outcome";
import { requestKey } from "../battle/player-streams";
import { RawFrame, RawJson, wrote } from "../battle/reply";
import { kindOf, RequestKind } from "../metrics/battle-metrics";
import {
  type ClientRequest,
  CloseCode,
  type ErrorBody,
  ErrorCode,
  HEARTBEAT_RESPONSE,
  parseClientFrame,
  type ReplyData,
} from "../protocol";
import type { Actions, Handled } from "./actions";
import type { RoomCore } from "./core";
import { duplicateOutcome, internalErrorJson, rawReplyJson, refusalJson, replyJson } from "./frames";
import type { Sessions } from "./sessions";

export class Requests {
  /** Per-player frame budget and strikes; never reset by a reconnect. */
  private readonly meter = new FrameMeter();
  /** The reply the last `settle` recorded in the player's stream (an accepted write with a key), else null. */
  private recorded: string | null = null;

  constructor(
    private readonly core: RoomCore,
    private readonly sessions: Sessions,
    private readonly actions: Actions,
  ) {}

  /** A socket's frame: refusals and strikes as frames, the reply once its write has committed. */
  message(conn: Connection, frame: string | ArrayBuffer): void {
    try {
      const att = conn.info;
      const now = this.core.now();
      conn.lastSeen = now;
      const auth = this.sessions.authorise(att.p, att.s);
      if (!auth.ok) {
        const code =
          auth.error.code === ErrorCode.SESSION_REPLACED
            ? CloseCode.SESSION_REPLACED
            : CloseCode.UNAUTHORIZED;
        this.core.sockets.close(conn, code, auth.error.message);
        return;
      }
      // Every frame is metered before it is looked at, bad ones too; a bad or refused frame is also a strike.
      const wait = this.meter.admit(att.p, now);
      const parsed = parseClientFrame(frame);
      if ((wait > 0 || !parsed.ok) && this.meter.strike(att.p, now)) {
        this.core.sockets.close(conn, CloseCode.TOO_MANY_ERRORS, "too many bad or excess frames");
        return;
      }
      const refusal: ErrorBody | null = !parsed.ok
        ? parsed.error
        : wait <= 0 && parsed.msg.type === "ping"
          ? null
          : this.refusal(wait, now);
      if (refusal) {
        if (!parsed.ok) this.core.badFrame(att.p, refusal.code, frame);
        const kind = parsed.ok ? kindOf(parsed.msg.type) : RequestKind.INVALID;
        this.core.counters.refused(kind, refusal);
        const id = parsed.ok ? parsed.msg.id : parsed.id;
        this.reply(conn, refusalJson(id, refusal), undefined, kind, now);
        return;
      }
      if (!parsed.ok) return;
      const msg = parsed.msg;
      if (msg.type === "ping") {
        this.core.counters.pinged();
        const pong = msg.id === undefined ? HEARTBEAT_RESPONSE : replyJson(msg.id, ok({ pong: true }));
        this.reply(conn, pong, undefined, RequestKind.PING, now);
        return;
      }
      const kind = kindOf(msg.type);
      const key = requestKey(msg);
      if (msg.type === "attack" && this.remote(msg.target)) {
        void this.core.seam.attack(att.p, msg.id, msg.target, key, (result) =>
          this.answer(conn, att.p, msg, key, result, kind, now),
        );
        return;
      }
      this.answer(conn, att.p, msg, key, this.actions.handle(att.p, msg, key), kind, now);
    } catch (e) {
      this.core.log("message failed", e);
      conn.send(internalErrorJson());
    }
  }

  /** The socket's encoder: the handled request settled and its reply framed (a refused attack is a strike). */
  private answer(
    conn: Connection,
    playerId: number,
    msg: ClientRequest,
    key: string | null,
    result: Handled,
    kind: RequestKind,
    now: number,
  ): void {
    this.settle(playerId, msg, key, result, kind);
    if (!result.ok) {
      this.reply(conn, replyJson(msg.id, result), undefined, kind, now);
      // A refused attack is a strike like a refused frame: attacks are the requests that cost others something.
      if (msg.type === "attack" && result.error.code !== ErrorCode.INTERNAL) this.strike(conn, playerId);
      return;
    }
    const value = result.value;
    if (value instanceof RawFrame) this.reply(conn, value.frame, undefined, kind, now);
    else if (value instanceof RawJson)
      this.reply(conn, rawReplyJson(JSON.stringify(msg.id), value.json), undefined, kind, now);
    // An accepted write: its reply joined the player's stream (replayed on resume, returned to a retry).
    else if (this.recorded !== null) this.reply(conn, this.recorded, msg.id, kind, now);
    else this.reply(conn, replyJson(msg.id, result as Outcome<ReplyData>), undefined, kind, now);
  }

  /**
   * A player request over HTTP (the fallback for clients without a socket): same rules, same limits. `keyed`: the
   * client gave the request an id (`Idempotency-Key`, in `msg.id`), so it is deduplicated through the same
   * per-player window as socket requests, and an accepted one joins the player's stream.
   */
  async request(
    participantId: number,
    session: string,
    msg: ClientRequest,
    keyed = false,
  ): Promise<HttpOutcome> {
    const auth = this.sessions.authorise(participantId, session);
    if (!auth.ok) return auth;
    const now = this.core.now();
    const refusal = this.refusal(this.meter.admit(participantId, now), now);
    const kind = kindOf(msg.type);
    if (refusal) {
      this.core.counters.refused(kind, refusal);
      this.core.instruments.handled(kind, this.core.now() - now);
      return { ok: false, error: refusal };
    }
    const key = keyed ? requestKey(msg) : null;
    let out: HttpOutcome | undefined;
    if (msg.type === "attack" && this.remote(msg.target)) {
      await this.core.seam.attack(participantId, msg.id, msg.target, key, async (result) => {
        out = await this.encode(participantId, msg, key, result, kind, true);
      });
    } else
      out = await this.encode(participantId, msg, key, this.actions.handle(participantId, msg, key), kind);
    this.core.instruments.handled(kind, this.core.now() - now);
    return out!;
  }

  /**
   * The HTTP encoder: the handled request settled, then its answer once committed. An attack on another object's
   * player had its own writes committed by the seam: it waits only for the reply it recorded.
   */
  private encode(
    playerId: number,
    msg: ClientRequest,
    key: string | null,
    result: Handled,
    kind: RequestKind,
    remote = false,
  ): Promise<HttpOutcome> {
    this.settle(playerId, msg, key, result, kind);
    if (remote && this.recorded === null) return Promise.resolve(httpOutcome(result));
    return new Promise((resolve) =>
      this.core.commit.after((committed) =>
        resolve(
          committed || !wrote(msg, result)
            ? httpOutcome(result)
            : err(ErrorCode.INTERNAL, "the write failed; try again"),
        ),
      ),
    );
  }

  /** Whether `target` is a participant held by another object (the attack goes through the seam). */
  private remote(target: number): boolean {
    return this.core.seam.elsewhere(this.core.game!, target);
  }

  /** Every handled request, whatever its origin: counted, and with a key remembered (`Actions.remember`). */
  private settle(player: number, msg: ClientRequest, key: string | null, result: Handled, kind: RequestKind) {
    this.core.counters.count(result, kind);
    this.recorded =
      key === null ? null : this.actions.remember(player, msg.id, key, result, msg.type !== "leaderboard");
  }

  /**
   * Sends `frame` once the writes queued so far have committed (at once if there are none), so no reply overtakes
   * an earlier one. `writeId`: the id of a request whose own write is in the batch; if the batch rolls back, that
   * request is answered `internal` instead. `kind` and `at`: the request's action and receipt time, for its handling
   * time (`arena_request_duration_seconds`); -1 for a frame that is no request's reply.
   */
  reply(
    conn: Connection,
    frame: string,
    writeId?: string | number,
    kind: RequestKind | -1 = -1,
    at = 0,
  ): void {
    const core = this.core;
    if (!core.commit.pending) {
      conn.send(frame);
      if (kind !== -1) core.instruments.handled(kind, core.now() - at);
      return;
    }
    core.commit.after((committed) => {
      conn.send(
        committed || writeId === undefined
          ? frame
          : replyJson(writeId, err(ErrorCode.INTERNAL, "the write failed; try again")),
      );
      if (kind !== -1) core.instruments.handled(kind, core.now() - at);
    });
  }

  /** A strike against the player for a refused request; out of strikes, this socket is closed with 4001. */
  private strike(conn: Connection, playerId: number): void {
    if (this.meter.strike(playerId, this.core.now()))
      this.core.sockets.close(conn, CloseCode.TOO_MANY_ERRORS, "too many bad or excess frames");
  }

  /** Admission after authorisation: `rate_limited` while the player's meter says wait, else `core.overloaded`. */
  private refusal(wait: number, now: number): ErrorBody | null {
    return wait > 0
      ? { code: ErrorCode.RATE_LIMITED, message: "too many messages; slow down", retryAfterMs: wait }
      : this.core.overloaded(now);
  }
}

/** The HTTP answer to a handled request: a leaderboard view parsed back, a remembered reply returned as it was, marked. */
function httpOutcome(result: Handled): HttpOutcome {
  if (!result.ok) return result;
  if (result.value instanceof RawJson) return ok(JSON.parse(result.value.json) as ReplyData);
  if (result.value instanceof RawFrame) return duplicateOutcome(result.value.frame);
  return result as Outcome<ReplyData>;
}
