/**
 * @module The freshness bound the push fan-out can keep right now (pure), for the operator's view: how stale a
 * changed view may get if every open socket's view changed at once. The rotation reaches everyone once per
 * `PUSH_INTERVAL_MS` while the budget covers a frame per socket in that time; when it cannot, a sweep takes as long
 * as sending those frames at the measured cost within the time share fan-out is given. One slice is added either
 * way (`FRESHNESS_BOUND_MS` when the budget keeps up). Rank numbers alone have their own, longer bound (see
 * docs/rules.md), not shown here.
 */
import { PUSH_INTERVAL_MS, PUSH_SLICE_MS } from "./push-scheduler";

/**
 * `sockets`: open sockets; `perFrameMs`, `share`: the fan-out budget's measured cost per frame and AIMD share
 * (`PushStats`); `busyShare`: most of the time fan-out may take (`FanoutBudgetOptions`). Null when fan-out has no
 * time share (`FANOUT=off`): no bound holds.
 */
export function freshnessBoundMs(
  sockets: number,
  perFrameMs: number,
  share: number,
  busyShare: number,
): number | null {
  const rate = busyShare * share;
  if (!(rate > 0)) return null;
  return Math.max(PUSH_INTERVAL_MS, (sockets * perFrameMs) / rate) + PUSH_SLICE_MS;
}
