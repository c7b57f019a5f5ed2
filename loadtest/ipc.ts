/** @module Messages between the load-test coordinator and its worker processes. */
import type { ActionType } from "./mix";
import type { PushDelayCounts } from "./push-delay";
import type { StormCounts } from "./storm";
import type { PlayerRecord } from "./verify";

export type StatName = ActionType | "join" | "connect" | "heartbeat";
export const STAT_NAMES: readonly StatName[] = [
  "join",
  "connect",
  "answer",
  "leaderboard",
  "attack",
  "heartbeat",
];

export interface QuestionPlan {
  readonly id: string;
  readonly right: string | number;
  readonly wrong: string | number;
}

export interface WorkerConfig {
  readonly index: number;
  readonly workers: number;
  readonly baseUrl: string;
  readonly battleId: string;
  readonly usernamePrefix: string;
  readonly players: number;
  /** Epoch ms of the first join; player i joins at `startAt + i / joinPerSec`. */
  readonly startAt: number;
  readonly joinPerSec: number;
  /** Epoch ms after which no new request is sent. */
  readonly endAt: number;
  readonly meanThinkMs: number;
  readonly mix: Readonly<Record<ActionType, number>>;
  readonly heartbeatMs: number;
  readonly requestTimeoutMs: number;
  /** A WebSocket upgrade not answered within this is abandoned (the player retries through the SDK's backoff). */
  readonly upgradeTimeoutMs: number;
  readonly seed: number;
  readonly rightRatio: number;
  readonly questions: readonly QuestionPlan[];
  /** Aim for about this many leaderboard-delay samples a second in this worker. */
  readonly pushSamplesPerSec: number;
  /** How many players, over the whole run, the push-delay probe watches (a uniform sample, see `isObserver`). */
  readonly observers: number;
  /** `--reconnect-storm`: epoch ms at which every open socket's TCP connection is destroyed; null for none. */
  readonly stormAt: number | null;
  /** `host:port` of a socket URL the server hands out → the runtime's own entry origin to use instead. */
  readonly wsOrigins: Readonly<Record<string, string>>;
}

/** A player's record for the end-of-run checks. */
export interface PlayerFinal extends PlayerRecord {
  readonly attackedSeen: number;
  readonly streamWhole: boolean;
}

export interface StatCounts {
  sent: number;
  ok: number;
  /** Replies that refused by a game rule (no_arrows, target_has_no_points…): the server worked. */
  refused: number;
  /** No reply (timeout, closed), or an error that means the server did not serve it (rate_limited, internal…). */
  failed: number;
  errors: Record<string, number>;
}

export interface Tick {
  readonly type: "tick";
  readonly worker: number;
  /** Seconds since the run start (rounded). */
  readonly sec: number;
  readonly completed: number;
  readonly failed: number;
  readonly hist: string;
  readonly open: number;
  readonly cpuUs: number;
}

export interface Final {
  readonly type: "final";
  readonly worker: number;
  readonly stats: Record<StatName, StatCounts>;
  readonly hists: Record<StatName, string>;
  readonly pushDelay: string;
  /** The same, only samples taken after this worker's join ramp. */
  readonly pushDelaySteady: string;
  /** The pairs whose observer saw the player only in its top N. */
  readonly pushDelayTop: string;
  readonly pushSamples: PushDelayCounts;
  /** Players of this worker in the observer sample. */
  readonly observers: number;
  /** Leaderboard pushes received by all players of this worker. */
  readonly pushesReceived: number;
  /** Frames from the server that were not valid JSON. */
  readonly invalidFrames: number;
  readonly players: PlayerFinal[];
  readonly losses: [number, number][];
  /** Acknowledged attacks per target. */
  readonly hits: [number, number][];
  readonly storm: StormCounts | null;
  readonly unknownTargets: number[];
  readonly cpu: { user: number; system: number };
  /** This process's event-loop delay (ms): it is part of every latency the process measures. */
  readonly loopDelayMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly peakOpen: number;
  readonly reconnects: number;
  readonly closes: Record<string, number>;
}

export type WorkerMessage =
  | Tick
  | Final
  | { readonly type: "ready" }
  | { readonly type: "drained" }
  | { readonly type: "log"; msg: string };
export type CoordinatorMessage =
  | { readonly type: "init"; readonly config: WorkerConfig }
  | { readonly type: "report" }
  | { readonly type: "close" };
