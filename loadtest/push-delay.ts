/**
 * @module Leaderboard push delay, per observer: when a sampled player's score change is acknowledged, every
 * player of this generator whose last leaderboard frame showed that player (their view has now changed) is
 * watched until a frame reaches them that no longer shows the old score. Each (change, observer) pair is one
 * sample; pairs that get no such frame within `expireMs` are counted as unmatched, not dropped. This measures the
 * freshness every player gets, not how soon the fastest of them saw it. Compact frames (protocol 3) leave `top`
 * out when it did not change, so an observer that saw the player only in its top is answered only by a frame that
 * shows the player or carries a top.
 */
import { carriesTop } from "@arena/client";
import { deriveSeed } from "./prng";

/** Observers sampled when `--observers` is not given: enough for a p99 over thousands of pairs. */
export const DEFAULT_OBSERVERS = 2_000;

/**
 * Whether player `i` of `players` is one of the ~`observers` whose frames the probe reads: a uniform sample drawn
 * from the run seed and the player's index alone, so it does not depend on how players are spread over workers.
 * Everyone when `observers` ≥ `players`. The others' frames are counted and dropped without being read.
 */
export function isObserver(i: number, players: number, observers: number, seed: number): boolean {
  if (observers >= players) return true;
  return deriveSeed(seed, 0x0b5e, i) / 4294967296 < observers / players;
}

export interface Observation {
  readonly needle: string;
  readonly pid: number;
  readonly oldScore: number;
  readonly at: number;
  readonly steady: boolean;
}

interface Pair {
  readonly o: Observation;
  /** The observer saw the player in its `around` (so a frame without the player shows they moved away). */
  readonly inAround: boolean;
}

/** What one observer last got: its latest leaderboard frame, and the latest one with `top` if that is older. */
export type ObserverFrames = readonly [observer: number, latest: string, latestWithTop: string | null];

export interface PushDelayCounts {
  /** Score changes sampled. */
  readonly changes: number;
  /** (change, observer) pairs answered by a frame, and those that expired or were left when the run ended. */
  readonly matched: number;
  readonly unmatched: number;
  /** Of `matched`: observers whose frames showed the new score before the acknowledgement arrived (delay 0). */
  readonly early: number;
}

/**
 * The score in the first row of `frame` holding `needle` (`"id":<pid>,`), without parsing the frame: rows are
 * `{"rank":…,"id":…,"username":…,"score":…}` and a username, a JSON string, cannot hold an unescaped `"score":`.
 */
export function scoreAt(frame: string, needle: string): number | undefined {
  const at = frame.indexOf(needle);
  if (at < 0) return undefined;
  const key = frame.indexOf('"score":', at + needle.length);
  if (key < 0) return undefined;
  const n = Number.parseInt(frame.slice(key + 8, key + 30), 10);
  return Number.isNaN(n) ? undefined : n;
}

/** The `top` array of a frame that carries one (empty when it does not). */
export function topOf(frame: string): string {
  const start = frame.indexOf('"top":[');
  if (start < 0) return "";
  const end = frame.indexOf('],"me"', start);
  return frame.slice(start, end < 0 ? undefined : end + 1);
}

export class PushDelayProbe {
  private readonly watching = new Map<number, Pair[]>();
  private pairs = 0;
  private changes = 0;
  private matched = 0;
  private unmatched = 0;
  private early = 0;

  /**
   * @param record called with (delay ms, steady, whether the observer saw the player in its `around` rather than
   *   only in its top) for every matched pair
   * @param maxObservers per change at most this many observers are watched (evenly spread over those who see
   *   the player), so a change in the top N, which everyone sees, does not outweigh all the others
   * @param maxPairs watched pairs at most at once; a change beyond it is not sampled
   */
  constructor(
    private readonly record: (delayMs: number, steady: boolean, inAround: boolean) => void,
    private readonly maxObservers = 64,
    private readonly maxPairs = 20_000,
    private readonly expireMs = 10_000,
  ) {}

  /**
   * `pid`'s score moved from `oldScore` to `newScore` (acknowledged at `at`); `frames` are what the observers last
   * got. An observer whose frames already show `newScore` got the change before the acknowledgement reached this
   * process (the reply and the push travel on different sockets): a delay of 0. Left waiting, a compact frame's
   * observer would be answered only by the next change of the top, seconds later, a delay the player never saw.
   */
  sample(
    pid: number,
    oldScore: number,
    newScore: number,
    at: number,
    steady: boolean,
    frames: Iterable<ObserverFrames>,
  ): void {
    if (this.pairs >= this.maxPairs) return;
    const needle = `"id":${pid},`;
    const seeing: { observer: number; inAround: boolean; early: boolean }[] = [];
    for (const [observer, latest, withTop] of frames) {
      if (observer === pid) continue;
      const around = latest.indexOf('"around":[');
      const inAround = around >= 0 && latest.indexOf(needle, around) >= 0;
      // The top the observer has now: the latest frame's, or (a compact latest frame) the last one that carried a
      // top. Only that frame's top counts: its `around` is an old view (counting it made players who had moved
      // away "top-only" pairs, answered only by the next change of the top, seconds later).
      const topFrame = carriesTop(latest) ? latest : withTop;
      const inTop = topFrame !== null && topOf(topFrame).includes(needle);
      const shown = inAround ? latest : inTop ? topFrame : null;
      if (shown === null) continue;
      const early = newScore !== oldScore && scoreAt(shown, needle) === newScore;
      seeing.push({ observer, inAround, early });
    }
    if (seeing.length === 0) return;
    this.changes++;
    const step = Math.max(1, seeing.length / this.maxObservers);
    const o: Observation = { needle, pid, oldScore, at, steady };
    for (let k = 0; k < seeing.length && this.pairs < this.maxPairs; k += step) {
      const { observer, inAround, early } = seeing[Math.floor(k)]!;
      if (early) {
        this.record(0, steady, inAround);
        this.matched++;
        this.early++;
        continue;
      }
      const list = this.watching.get(observer);
      const pair = { o, inAround };
      if (list) list.push(pair);
      else this.watching.set(observer, [pair]);
      this.pairs++;
    }
  }

  /** A leaderboard frame reached `observer` at `now`. */
  onFrame(observer: number, frame: string, now: number): void {
    const list = this.watching.get(observer);
    if (!list) return;
    let top: boolean | undefined;
    for (let k = list.length - 1; k >= 0; k--) {
      const { o, inAround } = list[k]!;
      if (frame.includes(o.needle)) {
        // Still the old score: a frame built before the change; keep waiting.
        if (scoreAt(frame, o.needle) === o.oldScore) continue;
      } else if (!inAround) {
        // Seen only in the top: a compact frame without a top says nothing about it.
        top ??= carriesTop(frame);
        if (!top) continue;
      }
      this.record(now - o.at, o.steady, inAround);
      this.matched++;
      this.pairs--;
      list.splice(k, 1);
    }
    if (list.length === 0) this.watching.delete(observer);
  }

  /** Pairs older than `expireMs` (or all of them with `now` = Infinity) become unmatched. */
  expire(now: number): void {
    for (const [observer, list] of this.watching) {
      const keep = list.filter((p) => now - p.o.at <= this.expireMs);
      const gone = list.length - keep.length;
      if (gone === 0) continue;
      this.unmatched += gone;
      this.pairs -= gone;
      if (keep.length === 0) this.watching.delete(observer);
      else this.watching.set(observer, keep);
    }
  }

  get counts(): PushDelayCounts {
    return { changes: this.changes, matched: this.matched, unmatched: this.unmatched, early: this.early };
  }
}
