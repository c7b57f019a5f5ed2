/**
 * @module The room's operator and read-only views: the admin view (config, schedule, storage, sockets, commits,
 * pushes, requests, admissions), the public view with its ETag, metrics, the outbox's state and stored records.
 */
import { FANOUT_BUDGET } from "../battle/fanout-budget";
import { freshnessBoundMs } from "../battle/freshness";
import type { BattleGame } from "../battle/game";
import { noSuchBattle, type Outcome, ok } from "../battle/outcome";
import { FRESHNESS_BOUND_MS, type PushStats } from "../battle/push-scheduler";
import type { BattleAdminView, PublicView } from "../battle/views";
import { collectBattle } from "../metrics/battle-metrics";
import type { Family } from "../metrics/registry";
import { requestDurations } from "../metrics/request-durations";
import type { Confirmed } from "../persistence/outbox";
import type { OutboxStatus } from "../persistence/outbox-host";
import type { StoredRecord } from "../persistence/records";
import type { BattleView } from "../protocol";
import type { RoomCore } from "./core";
import type { Sessions } from "./sessions";

export class Admin {
  private viewCache: PublicView | null = null;

  constructor(
    private readonly core: RoomCore,
    private readonly sessions: Sessions,
  ) {}

  info(): Outcome<BattleAdminView> {
    const game = this.core.game;
    return game ? ok(this.adminView(game)) : noSuchBattle();
  }

  adminView(game: BattleGame): BattleAdminView {
    const core = this.core;
    core.commit.flush();
    const now = core.now();
    const online = core.sockets.set.size;
    const pushes = core.pushes.stats;
    return {
      ...game.battleView(now),
      config: game.config,
      schedule: { ...game.schedule },
      stored: core.platform.store.counts(),
      online,
      commits: { ...core.commit.stats },
      pushes,
      requests: core.counters.view(),
      connects: this.sessions.connectStats(),
      durations: requestDurations(core.instruments.handling),
      freshness: { targetMs: FRESHNESS_BOUND_MS, boundMs: this.freshnessBound(online, pushes) },
    };
  }

  /** How stale a changed view may get now (`freshness.ts`), from the fan-out's measured cost and share. */
  private freshnessBound(online: number, pushes: PushStats): number | null {
    const busyShare = (this.core.platform.fanout ?? FANOUT_BUDGET).busyShare;
    return freshnessBoundMs(online, pushes.perFrameMs, pushes.share, busyShare);
  }

  view(): Outcome<BattleView> {
    const game = this.core.game;
    return game ? ok(game.battleView(this.core.now())) : noSuchBattle();
  }

  /**
   * The public view as a prebuilt `{"battle":…}` body with its ETag, rebuilt only when what it shows changed
   * (status, schedule, player count; the config of one creation never changes): an anonymous reader costs a
   * string, not the whole question list each call.
   */
  publicView(): Outcome<PublicView> {
    const game = this.core.game;
    if (!game) return noSuchBattle();
    const now = this.core.now();
    const s = game.schedule;
    const tag = `"${game.config.incarnation ?? game.config.createdAt}.${game.status(now)}.${s.startsAt}.${s.endedAt ?? s.endsAt}.${game.board.size}"`;
    if (this.viewCache?.etag !== tag)
      this.viewCache = { etag: tag, body: JSON.stringify({ battle: game.battleView(now) }) };
    return ok(this.viewCache);
  }

  /**
   * This object's metric families (requests, handling times, commits, fan-out, sockets, joins, admissions, the
   * outbox), read now; null before the battle exists. The Worker labels and writes them (`src/http/metrics.ts`).
   */
  metrics(): Family[] | null {
    const core = this.core;
    const game = core.game;
    if (!game) return null;
    const online = core.sockets.set.size;
    const pushes = core.pushes.stats;
    return collectBattle(core.instruments, core.counters.byOutcome, {
      online,
      players: game.players.size,
      pushes,
      connects: this.sessions.connectStats(),
      persistence: core.persist.status(),
      freshnessBoundMs: this.freshnessBound(online, pushes),
    });
  }

  /** The sinks' watermarks, reported by the queue consumer after it applied a batch. */
  confirmPersisted(marks: Partial<Confirmed>): void {
    this.core.persist.confirm(marks);
  }

  /** The pipeline's state as this object sees it (for operators). */
  persistence(): Outcome<OutboxStatus> {
    return this.core.game ? ok(this.core.persist.status()) : noSuchBattle();
  }

  /** A page of stored answers or attacks (what reconciliation compares with the sinks). */
  records(
    kind: "answers" | "attacks",
    after: readonly (string | number)[] | null,
    limit: number,
  ): StoredRecord[] {
    if (!this.core.game) return [];
    this.core.commit.flush();
    return this.core.platform.store.records(kind, after, limit);
  }
}
