/**
 * @module The reconnect storm's figures (`--reconnect-storm`), pure: per-player resume times, the storm window in
 * the per-second series and the request latency inside it, and the check that no acknowledged attack's event was
 * lost on the way to its target.
 */
import { decodeHistogram, type LatencySummary, newHistogram, summarize } from "./histogram";

/** What one worker process saw of the storm. */
export interface StormCounts {
  /** Open sockets whose TCP connection was destroyed at the storm instant. */
  readonly dropped: number;
  /** Per dropped player: ms from the storm instant to its next welcome (resumed or continuity lost). */
  readonly resumeMs: readonly number[];
  /** Resumes with every missed frame (`continuity: "kept"`)… */
  readonly kept: number;
  /** …and those that got only a snapshot (`continuity: "lost"`). */
  readonly lost: number;
  /** Missed stream frames replayed to the resumed players. */
  readonly replayed: number;
  /** Dropped players whose session ended (4501–4504, refused upgrade) or ran out of reconnect attempts. */
  readonly gaveUp: number;
}

export interface StormReport {
  /** Seconds into the run (the per-second series' clock) when the sockets were dropped. */
  readonly atSec: number;
  readonly settleMs: number;
  readonly dropped: number;
  readonly resumed: number;
  /** Dropped and never back (gave up, or still away when the run ended). */
  readonly notResumed: number;
  readonly gaveUp: number;
  readonly kept: number;
  readonly lost: number;
  readonly replayed: number;
  /** Per-player resume time, ms (nearest rank). */
  readonly resumeMs: { readonly p50: number; readonly p99: number; readonly max: number };
  /** From the drop until the last player was back, ms; null if some never came back. */
  readonly allResumedMs: number | null;
  /**
   * Request latency over the storm window's seconds (the drop's second to the last resume's, plus
   * `STORM_TAIL_SEC`: a request sent while the crowd reconnects may be answered a few seconds later), merged.
   */
  readonly window: {
    readonly fromSec: number;
    readonly toSec: number;
    readonly latency: LatencySummary;
    /** The worst single second's p99 in the window. */
    readonly worstSecondP99: number;
    readonly failed: number;
  };
}

/** Seconds after the last resume still counted in the storm window (replies that queued behind the reconnects). */
export const STORM_TAIL_SEC = 5;

/** Nearest-rank percentile of ascending `sorted` (0 for none). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** One second of the per-second series: its merged latency histogram (encoded) and failures. */
export interface SecondSample {
  readonly hists: readonly string[];
  readonly failed: number;
}

/**
 * Folds the workers' storm counts and the per-second series into the report. `atSec`: the storm instant in the
 * series' clock (seconds since the run start, fractional).
 */
export function stormReport(
  counts: readonly StormCounts[],
  atSec: number,
  settleMs: number,
  seconds: ReadonlyMap<number, SecondSample>,
  tailSec = STORM_TAIL_SEC,
): StormReport {
  const times = counts.flatMap((c) => c.resumeMs).sort((a, b) => a - b);
  const sum = (f: (c: StormCounts) => number) => counts.reduce((a, c) => a + f(c), 0);
  const dropped = sum((c) => c.dropped);
  const resumed = times.length;
  const last = times.at(-1) ?? 0;
  // The series rounds to whole seconds: the window covers every second the storm touched.
  const fromSec = Math.floor(atSec);
  const toSec = Math.max(fromSec, Math.ceil(atSec + last / 1000)) + tailSec;
  const h = newHistogram();
  let worst = 0;
  let failed = 0;
  for (let s = fromSec; s <= toSec; s++) {
    const sample = seconds.get(s);
    if (!sample) continue;
    const one = newHistogram();
    for (const e of sample.hists) if (e) one.add(decodeHistogram(e));
    worst = Math.max(worst, summarize(one).p99);
    h.add(one);
    failed += sample.failed;
  }
  return {
    atSec,
    settleMs,
    dropped,
    resumed,
    notResumed: dropped - resumed,
    gaveUp: sum((c) => c.gaveUp),
    kept: sum((c) => c.kept),
    lost: sum((c) => c.lost),
    replayed: sum((c) => c.replayed),
    resumeMs: { p50: percentile(times, 50), p99: percentile(times, 99), max: last },
    allResumedMs: resumed === dropped ? last : null,
    window: { fromSec, toSec, latency: summarize(h), worstSecondP99: worst, failed },
  };
}

/** One player's view of the `attacked` events it should have got. */
export interface EventRecord {
  readonly participantId: number;
  /** `attacked` events received (the SDK drops a frame it saw before, by `seq`). */
  readonly attackedSeen: number;
  /**
   * Whether this player's stream is known whole: connected at the end, and no reconnect lost continuity or
   * ended the session (then missing events are expected, and flagged by the SDK, not lost silently).
   */
  readonly streamWhole: boolean;
}

export interface EventCheck {
  /** Players whose events were counted. */
  readonly checked: number;
  /** Players left out: stream not whole, or the target of an attack whose reply never came. */
  readonly excluded: number;
  /** Attacks acknowledged to their attackers, on the checked players. */
  readonly expected: number;
  /** Acknowledged attacks whose `attacked` event never reached its target. */
  readonly missing: number;
  /** `attacked` events beyond the acknowledged attacks (an event without an acknowledged attack). */
  readonly extra: number;
  /** Up to 20 players with a difference. */
  readonly examples: readonly { participantId: number; acknowledged: number; seen: number }[];
}

/**
 * Every attack an attacker saw acknowledged (`hits`: target → count, blocked ones included) must have reached its
 * target exactly once as an `attacked` event, across any number of drops and resumes.
 */
export function checkEvents(
  players: readonly EventRecord[],
  hits: ReadonlyMap<number, number>,
  unknownTargets: ReadonlySet<number>,
): EventCheck {
  let checked = 0;
  let excluded = 0;
  let expected = 0;
  let missing = 0;
  let extra = 0;
  const examples: { participantId: number; acknowledged: number; seen: number }[] = [];
  for (const p of players) {
    if (!p.streamWhole || unknownTargets.has(p.participantId)) {
      excluded++;
      continue;
    }
    checked++;
    const acknowledged = hits.get(p.participantId) ?? 0;
    expected += acknowledged;
    if (acknowledged === p.attackedSeen) continue;
    if (acknowledged > p.attackedSeen) missing += acknowledged - p.attackedSeen;
    else extra += p.attackedSeen - acknowledged;
    if (examples.length < 20)
      examples.push({ participantId: p.participantId, acknowledged, seen: p.attackedSeen });
  }
  return { checked, excluded, expected, missing, extra, examples };
}
