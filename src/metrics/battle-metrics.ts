/**
 * @module One battle object's metrics (pure). Counted on the request path by small integer codes only: a request's
 * action (`RequestKind`) and outcome (`outcomeIndex`: ok, or one per error code) index a typed array; handling times
 * and group-commit batches go into fixed-bucket histograms. Everything else (sockets, players, fan-out, socket
 * admissions, the persistence outbox) is read at scrape time by `collectBattle`. See docs/metrics.md.
 */
import { ErrorCode } from "../protocol/error-codes";
import { Counter, counterOf, type Family, gauge, Histogram } from "./registry";

/** A player request's action, as an index (socket frames and HTTP fallbacks alike). */
export const RequestKind = { ANSWER: 0, ATTACK: 1, LEADERBOARD: 2, PING: 3, INVALID: 4 } as const;
export type RequestKind = (typeof RequestKind)[keyof typeof RequestKind];
/** The `action` label of each `RequestKind` (`invalid`: a frame that did not parse, so has no action). */
export const REQUEST_ACTIONS = ["answer", "attack", "leaderboard", "ping", "invalid"] as const;

export function kindOf(type: "answer" | "attack" | "leaderboard" | "ping"): RequestKind {
  switch (type) {
    case "answer":
      return RequestKind.ANSWER;
    case "attack":
      return RequestKind.ATTACK;
    case "leaderboard":
      return RequestKind.LEADERBOARD;
    default:
      return RequestKind.PING;
  }
}

/** The `outcome` label: `ok`, then every error code (a refusal's code, `rate_limited`, `overloaded`, …). */
export const OUTCOMES: readonly string[] = ["ok", ...Object.values(ErrorCode)];
const CODES: readonly string[] = Object.values(ErrorCode);
const RATE_LIMITED = OUTCOMES.indexOf(ErrorCode.RATE_LIMITED);
const OVERLOADED = OUTCOMES.indexOf(ErrorCode.OVERLOADED);

/** 0 for ok, else 1 + the code's place in `ErrorCode` (a scan of ~30 interned constants, refusals only). */
export function outcomeIndex(code: ErrorCode | null): number {
  return code === null ? 0 : CODES.indexOf(code) + 1;
}

/**
 * `arena_requests_total{action, outcome}`: series `kind * OUTCOMES.length + outcome`. Listed always: every action's
 * `ok`, `rate_limited` and `overloaded` (so rates start from 0); any other outcome once it happened.
 */
export function requestCounter(): Counter {
  const series: string[][] = [];
  for (const action of REQUEST_ACTIONS) for (const outcome of OUTCOMES) series.push([action, outcome]);
  return new Counter(
    "arena_requests_total",
    "Player requests (socket frames and HTTP fallbacks) by action and outcome: ok, or the error code replied.",
    ["action", "outcome"],
    series,
    (i, value) => {
      const outcome = i % OUTCOMES.length;
      const kind = Math.floor(i / OUTCOMES.length);
      return (
        value > 0 ||
        (kind !== RequestKind.INVALID &&
          (outcome === 0 || outcome === RATE_LIMITED || outcome === OVERLOADED))
      );
    },
  );
}

/** Handling-time buckets (seconds): a reply normally waits one group commit (a few ms). */
export const DURATION_BOUNDS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Writes per committed batch. */
export const BATCH_BOUNDS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000];

export class BattleMetrics {
  /** Receipt of a request to its reply being sent (after the commit that holds its write), per action. */
  readonly handling = new Histogram(
    "arena_request_duration_seconds",
    "Time from a request's receipt to its reply being sent, commit wait included, by action (the object's clock).",
    DURATION_BOUNDS_S,
    ["action"],
    REQUEST_ACTIONS.map((a) => [a]),
  );
  readonly batchWrites = new Histogram(
    "arena_commit_batch_writes",
    "Writes per committed group-commit batch.",
    BATCH_BOUNDS,
  );
  readonly commitSeconds = new Histogram(
    "arena_commit_duration_seconds",
    "Time from a batch's first write being queued to its transaction committing.",
    DURATION_BOUNDS_S,
  );
  /** `JOIN_NEW`, `JOIN_REJOIN`, `JOIN_REFUSED`. */
  readonly joins = new Counter(
    "arena_joins_total",
    "Joins handled by this object: new players, proven rejoins, and refused joins (any error).",
    ["result"],
    [["new"], ["rejoin"], ["refused"]],
  );

  /** `ms`: receipt to reply on the object's clock. */
  handled(kind: RequestKind, ms: number): void {
    this.handling.observe(kind, ms / 1000);
  }

  /** A committed batch of `writes` (> 0), `ms` after its first write was queued. */
  committed(writes: number, ms: number): void {
    this.batchWrites.observe(0, writes);
    this.commitSeconds.observe(0, ms / 1000);
  }
}

export const JOIN_NEW = 0;
export const JOIN_REJOIN = 1;
export const JOIN_REFUSED = 2;

/** What a room reads at scrape time for `collectBattle`. */
export interface BattleGauges {
  readonly online: number;
  readonly players: number;
  readonly pushes: { readonly slices: number; readonly frames: number };
  readonly connects: { readonly admitted: number; readonly refused: number; readonly limited: number };
  readonly persistence: {
    readonly lastSeq: number;
    readonly sentThrough: number;
    readonly confirmed: { readonly d1: number; readonly pg: number };
    readonly depth: number;
    readonly oldestUnconfirmedAgeMs: number | null;
    readonly flusher: { readonly resends: number; readonly sendErrors: number };
  } | null;
  /**
   * The push freshness bound the fan-out budget can keep now (`battle/freshness.ts`), ms; null when fan-out has no
   * time share (`FANOUT=off`: no bound holds, the series is left out). Absent: not known to the caller.
   */
  readonly freshnessBoundMs?: number | null;
}

/** Every family of one battle object, in exposition order. */
export function collectBattle(metrics: BattleMetrics, requests: Counter, g: BattleGauges): Family[] {
  const out: Family[] = [
    requests.collect(),
    metrics.handling.collect(),
    metrics.batchWrites.collect(),
    metrics.commitSeconds.collect(),
    counterOf(
      "arena_push_frames_total",
      "Leaderboard and presence frames sent by the push fan-out.",
      g.pushes.frames,
    ),
    counterOf("arena_push_slices_total", "Push fan-out slices run.", g.pushes.slices),
    gauge("arena_sockets_online", "Open player sockets on this object.", g.online),
    gauge("arena_players", "Participants held by this object (a coordinator holds none).", g.players),
    metrics.joins.collect(),
    ...(g.freshnessBoundMs != null
      ? [
          gauge(
            "arena_push_freshness_bound_seconds",
            "How stale a changed view may get if every open socket's view changed at once, at the fan-out's measured cost and share.",
            g.freshnessBoundMs / 1000,
          ),
        ]
      : []),
    counterOf(
      "arena_socket_admissions_total",
      "Socket upgrades: admitted, refused by the battle's connect rate, refused by the per-player limit.",
      [
        { labels: ["admitted"], value: g.connects.admitted },
        { labels: ["refused"], value: g.connects.refused },
        { labels: ["limited"], value: g.connects.limited },
      ],
      ["result"],
    ),
  ];
  const p = g.persistence;
  if (p) {
    out.push(
      gauge(
        "arena_persist_last_seq",
        "Last persistence event seq written to this object's outbox.",
        p.lastSeq,
      ),
      gauge("arena_persist_sent_through", "Outbox seq sent to the event queue.", p.sentThrough),
      gauge(
        "arena_persist_confirmed_seq",
        "Seq each sink has confirmed holding (the outbox keeps everything above it).",
        [
          { labels: ["d1"], value: p.confirmed.d1 },
          { labels: ["pg"], value: p.confirmed.pg },
        ],
        ["sink"],
      ),
      gauge("arena_persist_outbox_depth", "Outbox rows not yet confirmed by both sinks.", p.depth),
      gauge(
        "arena_persist_oldest_unconfirmed_age_seconds",
        "Age of the oldest outbox row not yet confirmed (0 when none waits).",
        (p.oldestUnconfirmedAgeMs ?? 0) / 1000,
      ),
      counterOf(
        "arena_persist_resends_total",
        "Outbox resends from the watermark (confirmation stalled).",
        p.flusher.resends,
      ),
      counterOf("arena_persist_send_errors_total", "Failed sends to the event queue.", p.flusher.sendErrors),
    );
  }
  return out;
}
