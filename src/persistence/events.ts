/**
 * @module The battle's persistence events: what the object writes to its outbox in the same transaction as each
 * state change, and what the queue consumer applies to D1 and Postgres. Compact JSON with short keys (one row per
 * write on the request path). Player state is carried as an absolute snapshot (`[score, arrows, shields, correct,
 * reachedAt]`), so a sink keeps the snapshot with the highest seq and redelivery or reordering cannot double-count.
 */
import type { BattleView, QuestionView } from "../protocol/server-messages";

/** `[score, arrows, shields, correct, reachedAt]` after the event. */
export type PlayerState = readonly [number, number, number, number, number];

/** `[rank, participantId, username, score, correct, arrows, shields]`. */
export type FinalRow = readonly [number, number, string, number, number, number, number];

export type BattleEvent =
  /** Created, scheduled, started or ended: the public view at that moment. */
  | {
      readonly k: "battle";
      readonly why: BattleChange;
      readonly at: number;
      readonly b: BattleIndexView;
      /** The public view, on `ended` (what /results serves from D1 from then on); see `qn`. */
      readonly v?: BattleView;
      /**
       * The view's questions travel in `questions` events (src/persistence/event-size.ts): `v.questions` is empty
       * and this many follow. Absent in events written before the split (their `v` holds the questions).
       */
      readonly qn?: number;
    }
  /** Questions `i`, `i+1`, … of the ended battle's view (public: texts and choices, never answer keys). */
  | { readonly k: "questions"; readonly i: number; readonly q: readonly QuestionView[] }
  | {
      readonly k: "join";
      readonly p: number;
      readonly u: string;
      readonly s: string;
      readonly at: number;
      readonly st: PlayerState;
    }
  /**
   * A player's state changed with no event of their own: the attacker's arrow of a cross-shard attack, spent (or
   * refunded) on the attacker's shard once the target's shard answered (the attack itself is in the target's).
   */
  | { readonly k: "state"; readonly p: number; readonly at: number; readonly st: PlayerState }
  /** The same username joined again: a new session replaces the old one. */
  | { readonly k: "session"; readonly p: number; readonly s: string; readonly at: number }
  | {
      readonly k: "answer";
      readonly p: number;
      readonly q: string;
      readonly n: number;
      readonly a: string;
      readonly c: 0 | 1;
      readonly pts: number;
      readonly bo: number;
      readonly at: number;
      readonly st: PlayerState;
    }
  | {
      readonly k: "attack";
      readonly p: number;
      readonly x: number;
      readonly bl: 0 | 1;
      readonly lost: number;
      readonly at: number;
      /** Attacker's state after. */
      readonly st: PlayerState;
      /** Target's state after. */
      readonly xs: PlayerState;
      /**
       * 1: a cross-shard attack written by the target's shard; the attacker lives in another shard's stream, so
       * `st` is not theirs to take (their arrows arrive with their own shard's next event).
       */
      readonly r?: 1;
    }
  /** One chunk of the final standings (written when the battle ends); `total` rows across all chunks. */
  | { readonly k: "final"; readonly total: number; readonly rows: readonly FinalRow[] };

export type BattleChange = "created" | "scheduled" | "started" | "ended";

/** The battle fields the sinks index (the public view without questions, whose text stays in the object). */
export type BattleIndexView = Pick<
  BattleView,
  "id" | "title" | "status" | "startsAt" | "endsAt" | "durationMs" | "maxPlayers"
> & { readonly createdAt: number };

export function playerState(p: {
  score: number;
  arrows: number;
  shields: number;
  correct: number;
  reachedAt: number;
}): PlayerState {
  return [p.score, p.arrows, p.shields, p.correct, p.reachedAt];
}
