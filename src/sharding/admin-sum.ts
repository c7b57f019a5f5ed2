/**
 * @module The operator's view of a sharded battle (pure): the coordinator's own view (config, schedule, lifecycle)
 * with the counters of the objects that hold the players added in: stored rows, sockets, group commits, fan-out,
 * requests, socket admissions and handling times; the freshness bound is the worst object's. The coordinator holds
 * no players, so alone its counters read zero.
 */
import type { BattleAdminView } from "../battle/views";
import { sumDurations } from "../metrics/request-durations";

export function sumAdminViews(own: BattleAdminView, shards: readonly BattleAdminView[]): BattleAdminView {
  if (shards.length === 0) return own;
  const all = [own, ...shards];
  const sum = (pick: (v: BattleAdminView) => number) => all.reduce((n, v) => n + pick(v), 0);
  const measuredFrames = sum((v) => v.pushes.measuredFrames);
  return {
    ...own,
    stored: {
      participants: sum((v) => v.stored.participants),
      answers: sum((v) => v.stored.answers),
      attacks: sum((v) => v.stored.attacks),
    },
    online: sum((v) => v.online),
    commits: {
      batches: sum((v) => v.commits.batches),
      writes: sum((v) => v.commits.writes),
      largest: Math.max(...all.map((v) => v.commits.largest)),
    },
    pushes: {
      slices: sum((v) => v.pushes.slices),
      frames: sum((v) => v.pushes.frames),
      measuredFrames,
      measuredMs: sum((v) => v.pushes.measuredMs),
      // Per-frame cost and share: the shards' (the players' objects), weighted by the frames each measured.
      perFrameMs:
        measuredFrames > 0
          ? shards.reduce((n, v) => n + v.pushes.perFrameMs * v.pushes.measuredFrames, 0) /
            Math.max(
              1,
              shards.reduce((n, v) => n + v.pushes.measuredFrames, 0),
            )
          : own.pushes.perFrameMs,
      share: Math.min(...shards.map((v) => v.pushes.share)),
    },
    requests: {
      handled: sum((v) => v.requests.handled),
      rejected: sum((v) => v.requests.rejected),
      rateLimited: sum((v) => v.requests.rateLimited),
    },
    connects: {
      admitted: sum((v) => v.connects.admitted),
      refused: sum((v) => v.connects.refused),
      limited: sum((v) => v.connects.limited),
    },
    durations: sumDurations(all.map((v) => v.durations)),
    freshness: { targetMs: own.freshness.targetMs, boundMs: worstBound(all) },
  };
}

/** The stalest bound any object can keep (null only when none can keep one: fan-out off everywhere). */
function worstBound(views: readonly BattleAdminView[]): number | null {
  const known = views.map((v) => v.freshness.boundMs).filter((b): b is number => b !== null);
  return known.length > 0 ? Math.max(...known) : null;
}
