/**
 * @module The players' sockets in the room: who may connect (authorise, admission), the resume and welcome of a
 * new socket, closes, the heartbeat sweep and the online count.
 */
import { ConnectAdmission, connectAdmissionOptions } from "../battle/connect-admission";
import type { Connection } from "../battle/connection";
import { FixedWindow } from "../battle/fixed-window";
import type { BattleGame } from "../battle/game";
import { err, noSuchBattle, type Outcome, ok } from "../battle/outcome";
import { playerView } from "../battle/player";
import { CloseCode, ErrorCode } from "../protocol";
import { type RoomCore, Timer } from "./core";
import { welcomeJson } from "./frames";

/** A socket with no heartbeat or message for this long is closed (4000) so presence stays honest. */
export const HEARTBEAT_TIMEOUT_MS = 90_000;
/** How often a battle with sockets checks for silent ones (a named timer; heartbeats never wake the object). */
export const SWEEP_INTERVAL_MS = 60_000;
/** At most this many sockets per participant; a new one closes the oldest (4502). */
export const MAX_SOCKETS_PER_PLAYER = 3;
/** Sockets one participant may open per minute (a player reconnects a few times; a script reusing a token more). */
export const CONNECTS_PER_PLAYER_PER_MINUTE = 20;

/** Where a reconnecting client left its stream (from the upgrade request). */
export interface ResumeFrom {
  readonly seq: number;
  readonly epoch: string;
}

export class Sessions {
  /** New sockets are admitted at a steady rate; refused ones are told their own later slot. */
  private readonly admission: ConnectAdmission;
  /** Sockets each participant opened this minute: one token cannot spend the battle's admission budget. */
  private readonly connectWindow = new FixedWindow(60_000);
  private connectsLimited = 0;

  constructor(private readonly core: RoomCore) {
    this.admission = new ConnectAdmission(connectAdmissionOptions(core.platform.connectsPerSecond));
  }

  /** Sockets admitted and refused since the object woke (for operators and metrics). */
  connectStats() {
    return { ...this.admission.stats, limited: this.connectsLimited };
  }

  /** Whether this participant and session may open a socket (checked before the upgrade is accepted). */
  authorise(participantId: number, session: string): Outcome<BattleGame> {
    const game = this.core.game;
    if (!game) return noSuchBattle();
    const p = game.players.get(participantId);
    if (!p) return err(ErrorCode.UNAUTHORIZED, "unknown participant");
    if (p.session !== session)
      return err(ErrorCode.SESSION_REPLACED, "this session was replaced by a newer login");
    return ok(game);
  }

  /**
   * Whether a new socket may be accepted now (after `authorise`): 0, or how long (ms) this one should wait before
   * it comes back (each refused socket gets its own slot, so a crowd that reconnects at once returns evenly).
   */
  admitConnection(participantId: number): number {
    const now = this.core.now();
    const own = this.connectWindow.take(String(participantId), CONNECTS_PER_PLAYER_PER_MINUTE, now);
    if (own > 0) {
      this.connectsLimited++;
      return own;
    }
    return this.admission.admit(now);
  }

  /**
   * A socket the host accepted after `authorise`: the frames it missed (if it resumes), then the welcome (a fresh
   * snapshot with where its stream stands), and the heartbeat sweep armed. A player's oldest socket beyond
   * `MAX_SOCKETS_PER_PLAYER` is closed.
   */
  async connect(conn: Connection, from?: ResumeFrom): Promise<void> {
    const core = this.core;
    const game = core.game!;
    const participantId = conn.info.p;
    // Everything owed is committed (so it is in the history) before the replay is read: the socket waits for the
    // pending batch's commit (the next turn) instead of forcing one, so the connects of a join ramp or a reconnect
    // storm share the requests' commits (each connect forced its own before). It joins the sockets only then, so
    // a frame of that batch reaches it once, by the replay, not also live.
    if (core.commit.pending) await new Promise<boolean>((resolve) => core.commit.after(resolve));
    if (core.sockets.isGone(conn)) return; // it closed while waiting
    core.commit.flush();
    const sockets = core.sockets.set;
    const mine = sockets.socketsOf(participantId);
    for (let i = 0; i <= mine.length - MAX_SOCKETS_PER_PLAYER; i++) {
      core.sockets.close(mine[i]!, CloseCode.SUPERSEDED, "superseded by a newer connection");
    }
    const plan = core.streams.resume(participantId, from?.seq ?? null, from?.epoch ?? null);
    sockets.add(conn, participantId, conn.info.v === 2);
    const now = core.now();
    conn.lastSeen = now;
    for (const frame of plan.frames) conn.send(frame);
    const leaderboard = game.leaderboardView(participantId);
    const you = playerView(
      game.players.get(participantId)!,
      leaderboard.me?.rank ?? 0,
      game.config.rules.maxAttempts,
    );
    const stream = {
      epoch: core.streams.epoch,
      seq: core.streams.seqOf(participantId),
      continuity: plan.continuity,
      replayed: plan.frames.length,
    };
    conn.send(welcomeJson(now, you, game.battleView(now), leaderboard, core.onlineCount(), stream));
    core.pushes.schedule();
    if (core.timers.dueAt(Timer.SWEEP) === null) {
      await core.timers.set(Timer.SWEEP, now + SWEEP_INTERVAL_MS);
    }
  }

  /**
   * Closes sockets silent past the heartbeat timeout; runs every `SWEEP_INTERVAL_MS` while anyone is online, after
   * the end too (tokens still connect to read the final standings, and a silent socket holds a descriptor).
   */
  async sweep(now: number): Promise<void> {
    const core = this.core;
    if (!core.game) return;
    for (const conn of core.sockets.set.sockets()) {
      const last = Math.max(conn.pingedAt(), conn.lastSeen, conn.info.t);
      if (now - last > HEARTBEAT_TIMEOUT_MS) core.sockets.close(conn, CloseCode.GOING_AWAY, "no heartbeat");
    }
    if (core.sockets.set.size > 0) await core.timers.set(Timer.SWEEP, now + SWEEP_INTERVAL_MS);
  }
}
