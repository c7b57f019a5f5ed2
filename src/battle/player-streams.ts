/**
 * @module Per-player streams in memory: the next sequence number of each player's private frames, the request ids
 * recently answered (so a retried answer or attack gets its original reply), and what a reconnecting client is
 * owed. Frames and ids are stored through `HistoryStore` inside the group commit; this is the index over them.
 */
import type { ClientRequest, ErrorBody, RequestId } from "../protocol";
import { ErrorCode } from "../protocol";
import { asDuplicate, duplicateRefusalJson, withSeq } from "../room/frames";
import type { HistoryStore } from "./history-store";

/** Frames are kept (and replayable) this long. */
export const HISTORY_WINDOW_MS = 5 * 60_000;
/** How often old frames are pruned (a named timer). */
export const PRUNE_INTERVAL_MS = 60_000;
/** A reconnect owed more frames than this gets a snapshot and `continuity: "lost"` instead. */
export const REPLAY_MAX = 500;
/** Request ids remembered per player (the newest ones); a retry of an older one is treated as new. */
export const REQUEST_WINDOW = 16;
/** Refused requests remembered per player, in memory only (lost when the object restarts). */
export const REFUSAL_WINDOW = 8;

/**
 * Refusals that re-evaluating must not overturn: the request is answered for good. A retry of one gets the same
 * refusal, marked duplicate, even if it would now succeed (an arrow earned since, the target joined or scored).
 * Transient ones (`rate_limited`, `overloaded`, `internal`, `battle_not_live`) are not remembered: a retry is
 * what the client should do.
 */
export const FINAL_REFUSALS: ReadonlySet<string> = new Set([
  ErrorCode.ALREADY_ANSWERED,
  ErrorCode.NO_ARROWS,
  ErrorCode.UNKNOWN_TARGET,
  ErrorCode.TARGET_HAS_NO_POINTS,
  ErrorCode.SELF_ATTACK,
  ErrorCode.UNKNOWN_QUESTION,
  ErrorCode.BATTLE_ENDED,
]);

/**
 * What an answer or attack is remembered by: its id and what it asks. A new request that reuses an id (a reloaded
 * page's SDK counts from 1 again, a second device) is then evaluated, not mistaken for a retry of the old one.
 * The question and answer (up to ~1 KB) are kept as a 32-bit hash, so a key stays under ~80 characters in memory.
 */
export function requestKey(msg: ClientRequest): string | null {
  switch (msg.type) {
    case "answer": {
      // The answer's type counts too: 1 and "1" are different answers.
      let h = fnv1a(msg.questionId, typeof msg.answer === "number" ? 1 : 2);
      h = fnv1a(typeof msg.answer === "number" ? String(msg.answer) : msg.answer, h);
      return `${JSON.stringify(msg.id)}|a${h.toString(36)}`;
    }
    case "attack":
      return `${JSON.stringify(msg.id)}|t${msg.target}`;
    default:
      return null;
  }
}

/**
 * FNV-1a, 32 bits, over UTF-16 code units, continuing from `seed` (a separator value is folded in first): cheap,
 * and enough to tell two requests under one id apart.
 */
export function fnv1a(s: string, seed = 0): number {
  let h = Math.imul(0x811c9dc5 ^ seed, 0x01000193);
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** What a connecting client with `lastSeq`/`epoch` is owed. */
export type ResumePlan =
  | { readonly continuity: "new" | "lost"; readonly frames: readonly string[] }
  | { readonly continuity: "kept"; readonly frames: readonly string[] };

/** Queues a storage write in the current group-commit batch. */
export type QueueWrite = (op: () => void) => void;

interface Recent {
  readonly ids: string[];
  readonly seqs: number[];
  /** The reply while its batch has not committed yet (SQLite cannot return it before), then null. */
  readonly frames: (string | null)[];
  /**
   * Loaded ids include some stored by the previous release, which remembered the id alone (`JSON(id)`, no `|`):
   * a retry across the deploy that brings `requestKey` must still find them. Remove after one history window.
   */
  readonly legacy: boolean;
}

interface Refused {
  readonly keys: string[];
  readonly errors: ErrorBody[];
}

export class PlayerStreams {
  readonly epoch: string;
  private seqs: Map<number, number>;
  /** Recent request ids per player, loaded from storage on a player's first request after a wake. */
  private recent = new Map<number, Recent>();
  /** Final refusals per player (`FINAL_REFUSALS`), the newest `REFUSAL_WINDOW`; memory only. */
  private refusals = new Map<number, Refused>();

  constructor(
    private readonly store: HistoryStore,
    newEpoch: () => string,
  ) {
    this.epoch = store.epoch(newEpoch);
    this.seqs = store.seqs();
  }

  /** A write batch rolled back: forget what memory holds beyond storage. */
  reload(): void {
    this.seqs = this.store.seqs();
    this.recent.clear();
    this.refusals.clear();
  }

  seqOf(playerId: number): number {
    return this.seqs.get(playerId) ?? 0;
  }

  /**
   * Gives `frame` the player's next sequence number and queues it for storage; returns the frame to send once
   * the batch has committed. `requestId` (JSON of the client's id): the reply to that request, remembered.
   */
  record(playerId: number, frame: string, at: number, requestId: string | null, write: QueueWrite): string {
    // Looked up before the new seq is set, so a player with no stream yet costs no SQLite read.
    const r = requestId === null ? null : this.recentOf(playerId);
    const seq = this.seqOf(playerId) + 1;
    this.seqs.set(playerId, seq);
    if (r !== null && requestId !== null) {
      r.ids.push(requestId);
      r.seqs.push(seq);
      r.frames.push(frame);
      if (r.ids.length > REQUEST_WINDOW) {
        r.ids.shift();
        r.seqs.shift();
        r.frames.shift();
      }
      write(() => {
        this.store.append(playerId, seq, at, frame, requestId);
        // Written: from now on SQLite returns it (a rollback clears all of this memory).
        const i = r.seqs.lastIndexOf(seq);
        if (i >= 0) r.frames[i] = null;
      });
    } else write(() => this.store.append(playerId, seq, at, frame, requestId));
    return withSeq(frame, seq);
  }

  /** The same frame for every participant (a status change); send each `withSeq(frame, seqOf(id))` after commit. */
  recordForAll(playerIds: Iterable<number>, frame: string, at: number, write: QueueWrite): void {
    for (const id of playerIds) this.seqs.set(id, this.seqOf(id) + 1);
    write(() => this.store.appendToAll(at, frame));
  }

  /**
   * The earlier reply to the request `key` (see `requestKey`) with client id `id`, marked duplicate: the accepted
   * one if it is within the window, or a remembered final refusal; null if the request is new.
   */
  earlier(playerId: number, key: string, id: RequestId): string | null {
    const refused = this.refusals.get(playerId);
    if (refused !== undefined) {
      const i = refused.keys.lastIndexOf(key);
      if (i >= 0) return duplicateRefusalJson(id, refused.errors[i]!);
    }
    return this.original(playerId, key, id);
  }

  /** Remembers a refusal of the request `key` if its reason is final (`FINAL_REFUSALS`). */
  refused(playerId: number, key: string, error: ErrorBody): void {
    if (!FINAL_REFUSALS.has(error.code)) return;
    let r = this.refusals.get(playerId);
    if (r === undefined) {
      r = { keys: [], errors: [] };
      this.refusals.set(playerId, r);
    }
    r.keys.push(key);
    r.errors.push(error);
    if (r.keys.length > REFUSAL_WINDOW) {
      r.keys.shift();
      r.errors.shift();
    }
  }

  /** The original reply to `requestId` if this player's request was answered within the window. */
  original(playerId: number, requestId: string, id?: RequestId): string | null {
    const r = this.recentOf(playerId);
    let i = r.ids.lastIndexOf(requestId);
    if (i < 0 && r.legacy && id !== undefined) i = r.ids.lastIndexOf(JSON.stringify(id));
    if (i < 0) return null;
    const frame = r.frames[i] ?? this.store.frame(playerId, r.seqs[i]!);
    return frame === null ? null : asDuplicate(frame);
  }

  /**
   * What a client that saw `lastSeq` of stream `epoch` is owed, from what is committed (flush first): the missed
   * frames in order, or nothing and `lost` if they are no longer all here.
   */
  resume(playerId: number, lastSeq: number | null, epoch: string | null): ResumePlan {
    if (lastSeq === null) return { continuity: "new", frames: [] };
    const current = this.seqOf(playerId);
    if (epoch !== this.epoch || lastSeq > current) return { continuity: "lost", frames: [] };
    if (lastSeq === current) return { continuity: "kept", frames: [] };
    const { rows, oldest } = this.store.since(playerId, lastSeq, REPLAY_MAX + 1);
    const complete =
      rows.length === current - lastSeq &&
      rows.length <= REPLAY_MAX &&
      oldest !== null &&
      oldest <= lastSeq + 1;
    if (!complete) return { continuity: "lost", frames: [] };
    return { continuity: "kept", frames: rows.map((r) => withSeq(r.frame, r.seq)) };
  }

  /** Drops frames past the window. */
  prune(now: number): void {
    this.store.prune(now - HISTORY_WINDOW_MS);
  }

  private recentOf(playerId: number): Recent {
    let r = this.recent.get(playerId);
    if (!r) {
      // A player whose stream is empty (seq 0, e.g. every newcomer) has no remembered requests: skip the read.
      const rows =
        this.seqOf(playerId) === 0 ? [] : this.store.recentRequests(playerId, REQUEST_WINDOW).reverse();
      r = {
        ids: rows.map((x) => x.requestId),
        seqs: rows.map((x) => x.seq),
        frames: rows.map(() => null),
        legacy: rows.some((x) => !x.requestId.includes("|")),
      };
      this.recent.set(playerId, r);
    }
    return r;
  }
}

/**
 * Where a reconnecting client left its stream, from the upgrade's `?seq=&epoch=`; anything malformed counts as
 * no resume (a fresh welcome), never an error.
 */
export function parseResume(
  seq: string | null,
  epoch: string | null,
): { seq: number; epoch: string } | undefined {
  if (seq === null || epoch === null || epoch.length === 0 || epoch.length > 64) return undefined;
  if (!/^\d{1,15}$/.test(seq)) return undefined;
  return { seq: Number(seq), epoch };
}
