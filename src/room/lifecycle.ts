/**
 * @module The battle's lifecycle in the room: creation, start, end (operator calls, or the schedule another object of
 * the battle holds), the status announcement to every player's stream, the timers that follow the schedule
 * (the lifecycle timer and pruning of the streams) and the standings.
 */
import type { BattleConfig } from "../battle/config";
import { newIncarnation } from "../battle/config";
import type { BattleGame } from "../battle/game";
import { err, noSuchBattle, type Outcome, ok } from "../battle/outcome";
import { HISTORY_WINDOW_MS, PRUNE_INTERVAL_MS } from "../battle/player-streams";
import { endedAt, nextTransition, type Schedule } from "../battle/schedule";
import type { BattleAdminView, StandingsPage } from "../battle/views";
import { finalEvents } from "../persistence/event-size";
import { ErrorCode } from "../protocol";
import type { BattleResults } from "../protocol/http-messages";
import { battleEvent } from "./battle-event";
import { type RoomCore, Timer } from "./core";
import { battleJson, withSeq } from "./frames";
import { SWEEP_INTERVAL_MS } from "./sessions";
import { standings } from "./standings";

export class Lifecycle {
  constructor(
    private readonly core: RoomCore,
    private readonly adminView: (game: BattleGame) => BattleAdminView,
  ) {}

  async create(input: BattleConfig): Promise<Outcome<BattleAdminView>> {
    const core = this.core;
    if (core.game) return err(ErrorCode.BATTLE_EXISTS, `battle ${input.id} already exists`);
    const config = input.incarnation ? input : { ...input, incarnation: newIncarnation(input.createdAt) };
    const schedule: Schedule = { startsAt: null, endsAt: null, endedAt: null };
    if (config.startsAt !== undefined) {
      schedule.startsAt = Math.max(config.startsAt, core.now());
      schedule.endsAt = schedule.startsAt + config.durationMs;
    }
    const now = core.now();
    const created = core.seam.writesLifecycle(config) ? battleEvent("created", config, schedule, now) : null;
    core.platform.store.create(config, schedule, created, now);
    core.persist.kick();
    core.setGame(core.platform.store.load());
    await this.sync();
    return ok(this.adminView(core.game!));
  }

  /** Starts the battle at `at` (default now); ends `durationMs` later unless `endsAt` is given. */
  async start(at?: number, endsAt?: number): Promise<Outcome<BattleAdminView>> {
    const core = this.core;
    const game = core.game;
    if (!game) return noSuchBattle();
    const now = core.now();
    const status = game.status(now);
    if (status === "ended") return err(ErrorCode.BATTLE_ENDED, "the battle has ended");
    if (status === "live") return err(ErrorCode.INVALID_SCHEDULE, "the battle is already live");
    const startsAt = Math.max(at ?? now, now);
    const end = endsAt ?? startsAt + game.config.durationMs;
    if (end <= startsAt) return err(ErrorCode.INVALID_SCHEDULE, "endsAt must be after the start");
    game.schedule.startsAt = startsAt;
    game.schedule.endsAt = end;
    const why = game.status(now) === "live" ? "started" : "scheduled";
    const event = core.seam.writesLifecycle(game.config)
      ? battleEvent(why, game.config, game.schedule, now)
      : null;
    core.platform.store.saveSchedule(game.schedule, event, now);
    core.persist.kick();
    await this.sync();
    return ok(this.adminView(game));
  }

  async end(): Promise<Outcome<BattleAdminView>> {
    const core = this.core;
    const game = core.game;
    if (!game) return noSuchBattle();
    const now = core.now();
    if (game.status(now) !== "ended") {
      game.schedule.endedAt = now;
      // Pending writes first, so every answer precedes the end in seq order.
      core.commit.flush();
      const event = core.seam.writesLifecycle(game.config)
        ? battleEvent("ended", game.config, game.schedule, now, game)
        : null;
      core.platform.store.saveSchedule(game.schedule, event, now);
      core.persist.kick();
      await this.sync();
    }
    return ok(this.adminView(game));
  }

  /** An object that missed a start or end call takes the battle's schedule (as the call would have set it). */
  async adoptSchedule(schedule: Schedule): Promise<void> {
    const core = this.core;
    const game = core.game;
    if (!game) return;
    const mine = game.schedule;
    if (
      mine.startsAt === schedule.startsAt &&
      mine.endsAt === schedule.endsAt &&
      (mine.endedAt === null) === (schedule.endedAt === null)
    )
      return;
    mine.startsAt = schedule.startsAt;
    mine.endsAt = schedule.endsAt;
    if (schedule.endedAt !== null && mine.endedAt === null) {
      mine.endedAt = core.now();
      core.commit.flush();
    }
    core.platform.store.saveSchedule(mine, null, core.now());
    await this.sync();
  }

  /** Announces a status change to every socket, then sets the lifecycle timer for the next transition. */
  async sync(): Promise<void> {
    const core = this.core;
    const game = core.game;
    if (!game) return;
    const store = core.platform.store;
    const now = core.now();
    const status = game.status(now);
    if (store.announced() !== status) {
      // The seam may need the rest of the battle first, so the final standings are exact.
      const first = status === "ended" ? core.seam.ending() : null;
      if (first) await first;
      // Pending writes first, so the final standings follow every answer in seq order.
      core.commit.flush();
      const why = status === "live" ? "started" : status;
      const writes = core.seam.writesLifecycle(game.config);
      const events = writes ? [battleEvent(why, game.config, game.schedule, now, game)] : [];
      if (status === "ended" && writes) events.push(...finalEvents(finalRows(game)));
      store.saveAnnounced(status, events, now);
      core.persist.kick();
      const frame = battleJson(status, game.schedule);
      // Every participant's stream gets it (one batch, committed now), so a player away at the start learns it.
      core.streams.recordForAll(game.players.keys(), frame, now, (op) => core.commit.write(op));
      core.commit.after((committed) => {
        if (!committed) return;
        for (const t of core.sockets.set.targets) t.send(withSeq(frame, core.streams.seqOf(t.playerId)));
      });
      core.commit.flush();
      if (status !== "scheduled") {
        // Questions are revealed at the start; the final standings go out at the end.
        core.markChanged();
        core.pushes.sliceNow();
      }
      if (status === "live") core.seam.live();
    }
    const next = nextTransition(game.schedule, now);
    if (next === null) core.timers.clear(Timer.LIFECYCLE);
    else await core.timers.set(Timer.LIFECYCLE, next);
    if (status !== "ended" && core.timers.dueAt(Timer.HISTORY) === null) {
      await core.timers.set(Timer.HISTORY, now + PRUNE_INTERVAL_MS);
    }
    if (core.sockets.set.size > 0 && core.timers.dueAt(Timer.SWEEP) === null) {
      await core.timers.set(Timer.SWEEP, now + SWEEP_INTERVAL_MS);
    }
  }

  /** Drops stream frames past the replay window; runs every `PRUNE_INTERVAL_MS` until the window after the end. */
  async pruneHistory(now: number): Promise<void> {
    const core = this.core;
    core.commit.flush();
    core.streams.prune(now);
    const game = core.game;
    const ended = game ? endedAt(game.schedule) : null;
    if (game && (ended === null || now < ended + HISTORY_WINDOW_MS + PRUNE_INTERVAL_MS)) {
      await core.timers.set(Timer.HISTORY, now + PRUNE_INTERVAL_MS);
    }
  }

  /** The public results: refused while the battle runs, before any standings are built. */
  finalResults(page?: StandingsPage): Outcome<BattleResults> {
    const game = this.core.game;
    if (!game) return noSuchBattle();
    if (game.status(this.core.now()) !== "ended")
      return err(ErrorCode.BATTLE_NOT_ENDED, "results are published when the battle ends");
    return this.results(page);
  }

  /** The standings now (all of them, or one page: the work is the page's, not the battle's). */
  results(page?: StandingsPage): Outcome<BattleResults> {
    this.core.commit.flush();
    const game = this.core.game;
    if (!game) return noSuchBattle();
    const now = this.core.now();
    return ok({
      battle: game.battleView(now),
      final: game.status(now) === "ended",
      total: game.board.size,
      standings: standings(game, page),
    });
  }
}

/** The final standings as the outbox's `final` rows. */
function finalRows(game: BattleGame) {
  return standings(game).map(
    (s) => [s.rank, s.id, s.username, s.score, s.correct, s.arrows, s.shields] as const,
  );
}
