/**
 * @module Player requests in the room, over a socket (`message`) and over HTTP (`request`): authorisation, the
 * per-player meter and strikes, the overload refusal, then the action (`actions.ts`, or the shard side for a
 * cross-shard attack), and the reply once its write has committed.
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
import type { ShardSide } from "../sharding/shard-side";
import type { Actions } from "./actions";
import type { RoomCore } from "./core";
import { duplicateOutcome, internalErrorJson, rawReplyJson, refusalJson, replyJson } from "./frames";
import type { Sessions } from "./sessions";

/** A group-commit turn running later than this means the object is behind: requests get `overloaded`. */
export const OVERLOAD_LAG_MS = 1_000;
/** A lag measurement counts for this long (a quiet object takes no new measurements). */
const LAG_MEMORY_MS = 1_000;
const MAX_OVERLOAD_RETRY_MS = 5_000;

export class Requests {
  /** Per-player frame budget and strikes; never reset by a reconnect. */
  private readonly meter = new FrameMeter();

  constructor(
    private readonly core: RoomCore,
    private readonly sessions: Sessions,
    private readonly actions: Actions,
    private readonly shard: ShardSide,
  ) {}

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
        : wait > 0
          ? { code: ErrorCode.RATE_LIMITED, message: "too many messages; slow down", retryAfterMs: wait }
          : parsed.msg.type === "ping"
            ? null
            : this.overloaded(now);
      if (refusal) {
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
        this.reply(
          conn,
          msg.id === undefined ? HEARTBEAT_RESPONSE : replyJson(msg.id, ok({ pong: true })),
          undefined,
          RequestKind.PING,
          now,
        );
        return;
      }
      const kind = kindOf(msg.type);
      const requestId = JSON.stringify(msg.id);
      const key = requestKey(msg);
      if (msg.type === "attack" && this.core.link && !this.core.game!.players.has(msg.target)) {
        // Its reply goes out from the shard side (after an RPC, then its commit): timed once that commit is done.
        void this.shard
          .replyRemoteAttack(conn, att.p, msg.id, msg.target, key)
          .then(() =>
            this.core.commit.after(() => this.core.instruments.handled(kind, this.core.now() - now)),
          );
        return;
      }
      const result = this.actions.handle(att.p, msg, key);
      this.core.counters.count(result, kind);
      // A refused attack is a strike like a refused frame: attacks are the requests that cost others something.
      if (msg.type === "attack" && !result.ok && result.error.code !== ErrorCode.INTERNAL) {
        this.reply(conn, replyJson(msg.id, result), undefined, kind, now);
        this.strike(conn, att.p);
        return;
      }
      if (result.ok && result.value instanceof RawFrame) {
        this.reply(conn, result.value.frame, undefined, kind, now);
      } else if (result.ok && result.value instanceof RawJson) {
        this.reply(conn, rawReplyJson(requestId, result.value.json), undefined, kind, now);
      } else if (wrote(msg, result)) {
        // An accepted write: its reply joins the player's stream (replayed on resume, returned to a retry).
        const frame = this.core.streams.record(
          att.p,
          replyJson(msg.id, result as Outcome<ReplyData>),
          this.core.now(),
          key,
          (op) => this.core.commit.write(op),
        );
        this.reply(conn, frame, msg.id, kind, now);
      } else {
        this.reply(conn, replyJson(msg.id, result as Outcome<ReplyData>), undefined, kind, now);
      }
    } catch (e) {
      this.core.log("message failed", e);
      conn.send(internalErrorJson());
    }
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
    const wait = this.meter.admit(participantId, now);
    const refusal =
      wait > 0
        ? { code: ErrorCode.RATE_LIMITED, message: "too many messages; slow down", retryAfterMs: wait }
        : this.overloaded(now);
    const kind = kindOf(msg.type);
    if (refusal) {
      this.core.counters.refused(kind, refusal);
      this.core.instruments.handled(kind, this.core.now() - now);
      return { ok: false, error: refusal };
    }
    const key = keyed ? requestKey(msg) : null;
    if (msg.type === "attack" && this.core.link && !this.core.game!.players.has(msg.target)) {
      const remote = await this.shard.requestRemoteAttack(participantId, msg, key);
      this.core.instruments.handled(kind, this.core.now() - now);
      return remote;
    }
    const result = this.actions.handle(participantId, msg, key);
    this.core.counters.count(result, kind);
    if (key !== null && wrote(msg, result) && !(result.ok && result.value instanceof RawFrame)) {
      this.core.streams.record(
        participantId,
        replyJson(msg.id, result as Outcome<ReplyData>),
        now,
        key,
        (op) => this.core.commit.write(op),
      );
    }
    const committed = await new Promise<boolean>((resolve) => this.core.commit.after(resolve));
    this.core.instruments.handled(kind, this.core.now() - now);
    if (!committed && wrote(msg, result)) return err(ErrorCode.INTERNAL, "the write failed; try again");
    if (result.ok && result.value instanceof RawJson) return ok(JSON.parse(result.value.json) as ReplyData);
    // The earlier reply to the same key: returned as it was, marked.
    if (result.ok && result.value instanceof RawFrame) return duplicateOutcome(result.value.frame);
    return result as Outcome<ReplyData>;
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
    if (!this.core.commit.pending) {
      conn.send(frame);
      if (kind !== -1) this.core.instruments.handled(kind, this.core.now() - at);
      return;
    }
    this.core.commit.after((committed) => {
      conn.send(
        committed || writeId === undefined
          ? frame
          : replyJson(writeId, err(ErrorCode.INTERNAL, "the write failed; try again")),
      );
      if (kind !== -1) this.core.instruments.handled(kind, this.core.now() - at);
    });
  }

  /** A strike against the player for a refused request; out of strikes, this socket is closed with 4001. */
  strike(conn: Connection, playerId: number): void {
    if (this.meter.strike(playerId, this.core.now()))
      this.core.sockets.close(conn, CloseCode.TOO_MANY_ERRORS, "too many bad or excess frames");
  }

  /**
   * `overloaded` with a retry delay while the object's event loop runs behind (its last group-commit turn ran more
   * than `OVERLOAD_LAG_MS` late, measured within the last second), so clients back off instead of timing out.
   */
  private overloaded(now: number): ErrorBody | null {
    if (this.core.lag.ms <= OVERLOAD_LAG_MS || now - this.core.lag.at > LAG_MEMORY_MS) return null;
    return {
      code: ErrorCode.OVERLOADED,
      message: "the battle is busy; retry shortly",
      retryAfterMs: Math.min(MAX_OVERLOAD_RETRY_MS, Math.max(500, this.core.lag.ms)),
    };
  }
}
