/**
 * @module Stream incarnations. Streams are keyed by (battle, shard) and each creation of a battle carries an
 * incarnation id (its creation time, then random bits: later creations sort later). A sink holds one current
 * incarnation per battle id. When messages of a newer incarnation arrive, the rows of the current one are renamed
 * to `<id>~<incarnation>` (`<id>~legacy` for a battle created before incarnations) in one transaction, and the new
 * battle starts clean under `<id>`: a battle id created again after its object's state is gone never merges with,
 * or is dropped against, the earlier battle's rows. Late messages of an older incarnation land under its archived
 * id. Every write checks, inside its transaction, that the battle's incarnation is still the one it was routed for
 * (an archive in between makes it retry), so no row crosses from one battle to the other.
 */
import type { ParsedMessage } from "./message";

/** The id an incarnation's rows have once a newer creation of the battle id took over. */
export function archivedId(battle: string, incarnation: string): string {
  return `${battle}~${incarnation === "" ? "legacy" : incarnation}`;
}

/** A sink's incarnation store. `undefined`: the sink has no row of this battle at all (a first creation). */
export interface IncarnationStore {
  current(battles: readonly string[]): Promise<Map<string, string | undefined>>;
  /**
   * Makes `next` the battle's incarnation if it still is `expected` (archiving the current rows when there are
   * any); false when another consumer changed it first.
   */
  adopt(battle: string, expected: string | undefined, next: string): Promise<boolean>;
}

/**
 * Routes messages to the stream they belong to in this sink: the newest incarnation of each battle is adopted
 * (archiving the older one's rows), messages of the current incarnation keep their battle id, older ones go to
 * their archived id (as incarnation "", so the write's check expects no incarnation row there).
 */
export async function routeIncarnations(
  store: IncarnationStore,
  messages: readonly ParsedMessage[],
): Promise<ParsedMessage[]> {
  const newest = new Map<string, string>();
  for (const m of messages) {
    const n = newest.get(m.battle);
    if (n === undefined || m.incarnation > n) newest.set(m.battle, m.incarnation);
  }
  const battles = [...newest.keys()];
  for (let round = 0; round < 3; round++) {
    const current = await store.current(battles);
    let moved = false;
    for (const [battle, inc] of newest) {
      const cur = current.get(battle);
      if (cur === undefined ? inc !== "" : inc > cur) {
        await store.adopt(battle, cur, inc);
        moved = true;
      }
    }
    if (moved) continue;
    return messages.map((m) =>
      m.incarnation === (current.get(m.battle) ?? "")
        ? m
        : { ...m, battle: archivedId(m.battle, m.incarnation), incarnation: "" },
    );
  }
  throw new Error("the battle's incarnation kept changing; retrying later");
}

/** The Postgres tables whose rows belong to a battle (column `battle_id`; `battles` by `id`). */
export const PG_BATTLE_TABLES = [
  "participants",
  "answers",
  "attacks",
  "final_results",
  "watermarks",
  "applied_ranges",
  "battle_questions",
  "quarantine",
] as const;

/** The D1 tables whose rows belong to a battle (column `battle_id`; `battles` by `id`). */
export const D1_BATTLE_TABLES = [
  "results",
  "watermarks",
  "applied_ranges",
  "battle_questions",
  "quarantine",
] as const;
