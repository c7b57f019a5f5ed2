/** @module The battle's lifecycle events for the outbox. */
import type { BattleConfig } from "../battle/config";
import type { BattleGame } from "../battle/game";
import { type Schedule, statusAt } from "../battle/schedule";
import type { BattleChange, BattleEvent } from "../persistence/events";

/** A lifecycle event for the outbox: the battle's indexed fields after the change (its full view at the end). */
export function battleEvent(
  why: BattleChange,
  config: BattleConfig,
  schedule: Schedule,
  now: number,
  game?: BattleGame,
): BattleEvent {
  const b = {
    id: config.id,
    title: config.title,
    status: statusAt(schedule, now),
    startsAt: schedule.startsAt,
    endsAt: schedule.endedAt ?? schedule.endsAt,
    durationMs: config.durationMs,
    maxPlayers: config.maxPlayers,
    createdAt: config.createdAt,
  };
  return why === "ended" && game
    ? { k: "battle", why, at: now, b, v: game.battleView(now) }
    : { k: "battle", why, at: now, b };
}
