/** @module The stored answers and attacks as reconciliation compares them in the objects and in Postgres. */
import type { FinalStanding } from "../protocol/http-messages";

/** One stored answer or attack as reconciliation compares it (`key`: where the next page starts). */
export type StoredRecord =
  | {
      readonly kind: "answer";
      readonly key: readonly (string | number)[];
      readonly p: number;
      readonly q: string;
      readonly n: number;
      readonly a: string;
      readonly c: boolean;
      readonly pts: number;
    }
  | {
      readonly kind: "attack";
      readonly key: readonly (string | number)[];
      readonly p: number;
      readonly x: number;
      readonly bl: boolean;
      readonly lost: number;
      readonly at: number;
    };

/** A battle's rows in Postgres as reconciliation reads them. */
export interface PgBattleRows {
  readonly participants: Omit<FinalStanding, "rank">[];
  readonly results: FinalStanding[];
  readonly answers: number;
  readonly attacks: number;
}
