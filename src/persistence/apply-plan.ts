/**
 * @module What a consumer batch writes, computed once for both sinks (pure): the newest lifecycle row per battle,
 * one merged row per participant (the highest-seq state snapshot, the newest session, the join's username), the
 * answer and attack rows keyed by (battle, shard, seq), final standings rows and the applied seq ranges.
 * Every sink write is an idempotent upsert of these rows, so redelivery, reordering and resends change nothing.
 */
import type { BattleIndexView, FinalRow, PlayerState } from "./events";
import type { ParsedMessage } from "./message";

export interface BattleRow extends BattleIndexView {
  readonly seq: number;
  /** The public view as JSON (only on `ended`; without its questions when `qn` is set). */
  readonly view: string | null;
  /** How many `questions` rows complete the view (null: the view holds its questions, or there is none). */
  readonly qn: number | null;
}

/** One question of an ended battle's public view, as its JSON. */
export interface QuestionRow {
  readonly battle: string;
  readonly idx: number;
  readonly body: string;
}

export interface ParticipantRow {
  battle: string;
  id: number;
  username: string | null;
  joinedAt: number | null;
  session: string | null;
  sessionSeq: number;
  state: PlayerState;
  stateSeq: number;
  lastActivity: number;
}

export interface AnswerRow {
  readonly battle: string;
  readonly shard: number;
  readonly seq: number;
  readonly p: number;
  readonly q: string;
  readonly n: number;
  readonly a: string;
  readonly c: boolean;
  readonly pts: number;
  readonly bo: number;
  readonly at: number;
}

export interface AttackRow {
  readonly battle: string;
  readonly shard: number;
  readonly seq: number;
  readonly p: number;
  readonly x: number;
  readonly bl: boolean;
  readonly lost: number;
  readonly at: number;
}

export interface ResultRow {
  readonly battle: string;
  /** The seq of the `final` event that carried the row: an older one never overwrites a newer one. */
  readonly seq: number;
  readonly row: FinalRow;
  readonly total: number;
}

/** An event a sink refused, stored verbatim in that sink's quarantine (src/persistence/poison.ts). */
export interface QuarantineRow {
  readonly battle: string;
  readonly shard: number;
  readonly seq: number;
  /** The event's JSON text (escapes kept: storable whatever it holds). */
  readonly event: string;
  readonly error: string;
}

export interface QuarantineKey {
  readonly battle: string;
  readonly shard: number;
  readonly seq: number;
}

export interface RangeRow {
  readonly battle: string;
  readonly shard: number;
  readonly from: number;
  readonly to: number;
}

export interface ApplyPlan {
  readonly battles: BattleRow[];
  readonly participants: ParticipantRow[];
  readonly answers: AnswerRow[];
  readonly attacks: AttackRow[];
  readonly results: ResultRow[];
  readonly questions: QuestionRow[];
  /** Events of this batch that this sink refused (filled in by the consumer for one sink; empty from `planApply`). */
  readonly quarantine: QuarantineRow[];
  /**
   * Each battle's incarnation this write was routed for: the write fails (and is retried) if a sink's current
   * incarnation of that battle changed in between (src/persistence/incarnations.ts).
   */
  readonly guards: { readonly battle: string; readonly incarnation: string }[];
  /** Quarantined events this write re-applies (marked re-applied in the same transaction). */
  readonly reapplied: QuarantineKey[];
  readonly ranges: RangeRow[];
  /** The (battle, shard) pairs whose watermarks this batch may move, sorted (the lock order). */
  readonly keys: { readonly battle: string; readonly shard: number }[];
}

export function planApply(messages: readonly ParsedMessage[]): ApplyPlan {
  const battles = new Map<string, BattleRow>();
  const participants = new Map<string, ParticipantRow>();
  const answers = new Map<string, AnswerRow>();
  const attacks = new Map<string, AttackRow>();
  const results = new Map<string, ResultRow>();
  const questions = new Map<string, QuestionRow>();
  const ranges = new Map<string, RangeRow>();
  const keys = new Map<string, { battle: string; shard: number }>();
  const guards = new Map<string, string>();

  const participant = (battle: string, id: number): ParticipantRow => {
    const key = `${battle}\u0000${id}`;
    let row = participants.get(key);
    if (!row) {
      row = {
        battle,
        id,
        username: null,
        joinedAt: null,
        session: null,
        sessionSeq: 0,
        state: [0, 0, 0, 0, 0],
        stateSeq: 0,
        lastActivity: 0,
      };
      participants.set(key, row);
    }
    return row;
  };
  const setState = (row: ParticipantRow, seq: number, state: PlayerState, at: number) => {
    if (seq > row.stateSeq) {
      row.state = state;
      row.stateSeq = seq;
    }
    row.lastActivity = Math.max(row.lastActivity, at);
  };

  for (const m of messages) {
    const b = m.battle;
    keys.set(`${b}\u0000${m.shard}`, { battle: b, shard: m.shard });
    guards.set(b, m.incarnation);
    ranges.set(`${b}\u0000${m.shard}\u0000${m.from}\u0000${m.to}`, {
      battle: b,
      shard: m.shard,
      from: m.from,
      to: m.to,
    });
    for (const { seq, ev } of m.events) {
      const k = `${b}\u0000${m.shard}\u0000${seq}`;
      switch (ev.k) {
        case "battle": {
          const cur = battles.get(b);
          if (!cur || cur.seq < seq)
            battles.set(b, {
              ...ev.b,
              id: b,
              seq,
              view: ev.v ? JSON.stringify(ev.v) : null,
              qn: ev.qn ?? null,
            });
          break;
        }
        case "questions":
          ev.q.forEach((q, j) => {
            questions.set(`${b}\u0000${ev.i + j}`, { battle: b, idx: ev.i + j, body: JSON.stringify(q) });
          });
          break;
        case "join": {
          const row = participant(b, ev.p);
          row.username = ev.u;
          row.joinedAt = ev.at;
          if (seq > row.sessionSeq) {
            row.session = ev.s;
            row.sessionSeq = seq;
          }
          setState(row, seq, ev.st, ev.at);
          break;
        }
        case "state":
          setState(participant(b, ev.p), seq, ev.st, ev.at);
          break;
        case "session": {
          const row = participant(b, ev.p);
          if (seq > row.sessionSeq) {
            row.session = ev.s;
            row.sessionSeq = seq;
          }
          row.lastActivity = Math.max(row.lastActivity, ev.at);
          break;
        }
        case "answer":
          answers.set(k, {
            battle: b,
            shard: m.shard,
            seq,
            p: ev.p,
            q: ev.q,
            n: ev.n,
            a: ev.a,
            c: ev.c === 1,
            pts: ev.pts,
            bo: ev.bo,
            at: ev.at,
          });
          setState(participant(b, ev.p), seq, ev.st, ev.at);
          break;
        case "attack":
          attacks.set(k, {
            battle: b,
            shard: m.shard,
            seq,
            p: ev.p,
            x: ev.x,
            bl: ev.bl === 1,
            lost: ev.lost,
            at: ev.at,
          });
          if (ev.r !== 1) setState(participant(b, ev.p), seq, ev.st, ev.at);
          setState(participant(b, ev.x), seq, ev.xs, ev.at);
          break;
        case "final":
          for (const row of ev.rows) {
            const key = `${b}\u0000${row[1]}`;
            if ((results.get(key)?.seq ?? 0) < seq)
              results.set(key, { battle: b, seq, row, total: ev.total });
          }
          break;
      }
    }
  }
  const sortedKeys = [...keys.values()].sort((x, y) =>
    x.battle < y.battle ? -1 : x.battle > y.battle ? 1 : x.shard - y.shard,
  );
  return {
    battles: [...battles.values()],
    participants: [...participants.values()],
    answers: [...answers.values()],
    attacks: [...attacks.values()],
    results: [...results.values()],
    questions: [...questions.values()],
    quarantine: [],
    guards: [...guards].map(([battle, incarnation]) => ({ battle, incarnation })),
    reapplied: [],
    ranges: [...ranges.values()],
    keys: sortedKeys,
  };
}
