/**
 * @module Conflated pushes: leaderboard and presence frames, built once per tick.
 *
 * The shared part (top N) is serialised once per tick and reused. A player gets a frame only when what
 * they would see (top, their rank and score, ±5 around them, the online count) differs from their last
 * frame. Fan-out is the big cost at scale, so a tick sends at most `budget` frames: players whose own
 * score just changed go first, then the rest in a rotating order, so with N players and a budget B every
 * view is at most ⌈N/B⌉ ticks stale and one tick's cost is bounded whatever the battle's size.
 */
import { leaderboardHead, presenceEntry, presenceJson, withTop } from "../room/frames";
import type { LeaderboardJson } from "./leaderboard-json";

export interface PushTarget {
  readonly playerId: number;
  /**
   * The client asked for compact frames (protocol 3, `?push=2`: push frame format 2): `top` is left out of a leaderboard frame when it
   * is the same as in the last frame this player got, so most frames carry only the personal part.
   */
  readonly compact?: boolean;
  send(frame: string): void;
}

export interface TickOptions {
  /** Battles with at most this many sockets get presence frames listing who is online. */
  readonly listMax?: number;
  /** Most leaderboard frames one tick may send. */
  readonly budget?: number;
  /**
   * Most players the rotation visits in one tick (default 2 × budget). The budget also covers players served
   * ahead of the rotation; letting the rotation use all of it made it visit everyone every tick.
   */
  readonly pace?: number;
  /** The targets of one player, so hot players are found without scanning every target. */
  readonly byPlayer?: (playerId: number) => readonly PushTarget[];
  /** The clock, for `minGapMs`. */
  readonly now?: number;
  /** A player gets at most one leaderboard frame (and a battle one presence frame) this often. */
  readonly minGapMs?: number;
  /** The online count frames carry (default: the targets; a shard passes its whole battle's). */
  readonly online?: number;
  /** A shard: the players online on the other shards (null: too many or not known, so no list). */
  readonly remotePresent?: readonly number[] | null;
  /**
   * A view whose only change is rank numbers (players elsewhere on the board passed each other; the player's score,
   * who is around them, their scores, the top N and the online count are as last sent) gets a frame once its last
   * one is this old (default 0: like any change). Nearly every view's ranks move within a push interval in a busy
   * battle, so this spares ~40% of the frames (`npm run bench:churn`).
   */
  readonly rankDriftMs?: number;
}

interface SentView {
  personal: string;
  /** `LeaderboardJson.content` of `personal`: what it shows apart from rank numbers. */
  content: number;
  topVersion: number;
  online: number;
  at: number;
}

/**
 * Whether the online count moved enough to be worth a frame on its own: any change up to 100 online, then 1%.
 * Frames always carry the exact count; during a join ramp this spares a full fan-out per join.
 */
function onlineMoved(before: number, now: number): boolean {
  return Math.abs(now - before) >= Math.max(1, Math.floor(now / 100));
}

/** How long a player waits between frames, and for a change of rank numbers alone. */
interface Gaps {
  readonly minGap: number;
  readonly drift: number;
}

/** The start of this tick's leaderboard frames: without and with the top N. */
interface Prefix {
  readonly head: string;
  readonly withTop: string;
}

const SENT = 0;
const SAME = 1;
const TOO_SOON = 2;
/** Only rank numbers changed, and the last frame is newer than `rankDriftMs`: a later sweep sends it. */
const DRIFTING = 3;
type Served = typeof SENT | typeof SAME | typeof TOO_SOON | typeof DRIFTING;

export class LeaderboardPush {
  private top = "[]";
  private topVersion = 0;
  private online = -1;
  /** The online count when the current sweep started. */
  private sweepOnline = -1;
  private lastPresence = "";
  /** What each socket last got: per socket, so a player's new socket is served even while a stale one lingers. */
  private readonly sent = new WeakMap<PushTarget, SentView>();
  /** Players whose own score changed since the last tick; served first. */
  private hot = new Set<number>();
  /** Players whose view changed too soon after their last frame; they are hot on a later tick. */
  private deferred = new Set<number>();
  /**
   * Players whose view shows someone whose score just changed (their neighbours around that player's old and new
   * place): served after the hot ones and before the rotation, kept until served. A player whose only change is
   * their rank number (someone far away passed someone else) waits for the rotation instead.
   */
  private warmIds = new Set<number>();
  private presenceAt = Number.NEGATIVE_INFINITY;
  /** A presence change is waiting for `minGapMs` to pass. */
  private presenceWaiting = false;
  /** Rotation position in the targets and how many players the current sweep has still to look at. */
  private cursor = 0;
  private remaining = 0;
  /** Sockets whose view shows stale rank numbers (`rankDriftMs`): while any does, sweeps go on. */
  private readonly drifting = new Set<PushTarget>();

  /** Forget what a socket last saw, so its next frame is a full one (a closed socket is forgotten with it). */
  forget(target: PushTarget): void {
    this.sent.delete(target);
    this.drifting.delete(target);
  }

  /** The player's own score changed: their next frame should not wait for the rotation. */
  touch(playerId: number): void {
    this.hot.add(playerId);
  }

  /** These players now see a changed score: their next frame should not wait for the rotation. */
  warm(playerIds: Iterable<number>): void {
    for (const id of playerIds) this.warmIds.add(id);
  }

  /** Players waiting to be served ahead of the rotation (own score changed, view shows a change, or deferred). */
  get queued(): number {
    return this.hot.size + this.deferred.size + this.warmIds.size;
  }

  /** True while a sweep is unfinished (the caller should tick again). */
  get pending(): boolean {
    return (
      this.remaining > 0 ||
      this.drifting.size > 0 ||
      this.hot.size > 0 ||
      this.deferred.size > 0 ||
      this.warmIds.size > 0 ||
      this.presenceWaiting
    );
  }

  /** Sends what changed; returns the number of frames sent. */
  tick(
    json: LeaderboardJson,
    targets: readonly PushTarget[],
    boardChanged: boolean,
    opts: TickOptions = {},
  ): number {
    const budget = opts.budget ?? Number.POSITIVE_INFINITY;
    const now = opts.now ?? 0;
    const minGap = opts.minGapMs ?? 0;
    const gaps: Gaps = { minGap, drift: opts.rankDriftMs ?? 0 };
    let sent = this.sendPresence(json, targets, opts.listMax ?? 50, now, minGap, opts.remotePresent);
    if (boardChanged) {
      const top = json.top();
      if (top !== this.top) {
        this.top = top;
        this.topVersion++;
      }
    }
    this.online = opts.online ?? targets.length;
    // A sweep starts on a change, or when the board went quiet with ranks still stale somewhere. Every sweep visits
    // everyone, so the stale-rank list starts afresh: the sweep sends those now due and lists again those not yet
    // (a socket closed meanwhile is not listed again, however long the board keeps changing).
    if (
      boardChanged ||
      onlineMoved(this.sweepOnline, this.online) ||
      (this.remaining === 0 && this.drifting.size > 0)
    ) {
      this.remaining = targets.length;
      this.sweepOnline = this.online;
      this.drifting.clear();
    }
    const head = leaderboardHead(json.game.board.size, this.online);
    const prefix: Prefix = { head, withTop: withTop(head, this.top) };
    let visits = 0;
    const maxVisits = 2 * budget;
    const spent = () => sent >= budget || visits >= maxVisits;
    const byPlayer = opts.byPlayer ?? ((id: number) => targets.filter((t) => t.playerId === id));
    const waiting = this.deferred;
    const fresh = this.hot;
    this.deferred = new Set();
    this.hot = new Set();
    /** Serves one player's sockets; a too-early check is a lookup, so it does not count as a visit. */
    const serveHot = (id: number) => {
      for (const t of byPlayer(id)) {
        const r = this.serve(json, t, prefix, now, gaps);
        if (r === TOO_SOON) this.deferred.add(id);
        else visits++;
        if (r === SENT) sent++;
      }
    };
    // First whoever was deferred (their change has not been sent; the rotation has passed them), kept for the
    // next slice when this one is spent; then players whose own score changed. Those this slice cannot serve are
    // left to the rotation, which the change restarted (carrying them over let scorers starve everyone else).
    for (const id of waiting) {
      if (spent()) this.deferred.add(id);
      else serveHot(id);
    }
    for (const id of fresh) {
      if (spent()) break;
      serveHot(id);
    }
    // Then whoever sees a changed score, within two thirds of the budget so the rotation (top changes, rank drift)
    // keeps moving; the rest stay warm for the next slice.
    const warmUntil = sent + Math.ceil((2 * Math.max(0, budget - sent)) / 3);
    for (const id of this.warmIds) {
      if (spent() || sent >= warmUntil) break;
      this.warmIds.delete(id);
      if (!fresh.has(id)) serveHot(id);
    }
    const n = targets.length;
    const pace = opts.pace ?? maxVisits;
    let rotated = 0;
    while (this.remaining > 0 && sent < budget && visits < maxVisits && rotated < pace && n > 0) {
      if (this.cursor >= n) this.cursor = 0;
      const t = targets[this.cursor++]!;
      this.remaining--;
      visits++; // too-early ones count here, so the rotation keeps its pace
      rotated++;
      const r = this.serve(json, t, prefix, now, gaps);
      if (r === TOO_SOON) this.deferred.add(t.playerId);
      else if (r === SENT) sent++;
    }
    if (n === 0) this.remaining = 0;
    return sent;
  }

  /**
   * Sends the player their view if it changed and their last frame is `minGap` old. "Too soon" is decided before
   * the view is built, so a deferred player costs a lookup per slice and one view when due. (Building first, for
   * the rotation, built a changed view twice: once to find it too soon, once when due; the bench counted 10 views
   * per frame at 2,000 players with the rotation unbounded, and ~2 with it bounded.)
   */
  private serve(json: LeaderboardJson, t: PushTarget, prefix: Prefix, now: number, gaps: Gaps): Served {
    const last = this.sent.get(t);
    if (last !== undefined && now - last.at < gaps.minGap) return TOO_SOON;
    const personal = json.personal(t.playerId);
    const content = json.content;
    // Numbers first: comparing the personal strings flattens them, the costliest part of a visit.
    if (last && last.topVersion === this.topVersion && !onlineMoved(last.online, this.online)) {
      if (last.personal === personal) {
        this.drifting.delete(t);
        return SAME;
      }
      if (last.content === content && now - last.at < gaps.drift) {
        this.drifting.add(t);
        return DRIFTING;
      }
    }
    this.drifting.delete(t);
    const start = t.compact && last?.topVersion === this.topVersion ? prefix.head : prefix.withTop;
    // Kept until the player's next visit: flatten the rope of ~40 concatenated pieces into one string. Measured
    // with 2,000 players before the code is optimised: 3.8 KB a player as a rope, 0.9 KB flat. Converting a
    // string to a number flattens it in V8 (the `flatstr` trick); the result is unused.
    Number(personal);
    if (last) {
      last.personal = personal;
      last.content = content;
      last.topVersion = this.topVersion;
      last.online = this.online;
      last.at = now;
    } else {
      this.sent.set(t, { personal, content, topVersion: this.topVersion, online: this.online, at: now });
    }
    t.send(`${start}${personal}}`);
    return SENT;
  }

  private sendPresence(
    json: LeaderboardJson,
    targets: readonly PushTarget[],
    listMax: number,
    now: number,
    minGap: number,
    remote?: readonly number[] | null,
  ): number {
    this.presenceWaiting = false;
    if (remote === null || targets.length + (remote?.length ?? 0) > listMax) return 0;
    const ids = [...new Set([...targets.map((t) => t.playerId), ...(remote ?? [])])].sort((a, b) => a - b);
    const list = ids.map((id) => presenceEntry(id, json.name(id))).join(",");
    const online = remote ? ids.length : targets.length;
    const frame = presenceJson(online, list);
    if (frame === this.lastPresence) return 0;
    if (now - this.presenceAt < minGap) {
      this.presenceWaiting = true;
      return 0;
    }
    this.lastPresence = frame;
    this.presenceAt = now;
    for (const t of targets) t.send(frame);
    return targets.length;
  }
}
