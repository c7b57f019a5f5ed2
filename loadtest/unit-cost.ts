/**
 * @module What the server's runtime spends per unit of work: its CPU (from /proc, every workerd thread) over the
 * run, divided among the requests it answered and the push frames it sent. One run cannot split the CPU between
 * the two, so the report gives the request cost when fan-out is off (`--fanout off`: a push slice sends one frame)
 * and, given that cost (`--request-cost-us`, from a fan-out-off run of the same sitting), the frame cost of a run
 * with fan-out on: (CPU − requests × request cost) ÷ frames.
 */

export interface UnitCost {
  /** Runtime CPU over the run, core-seconds. */
  readonly cpuSec: number;
  readonly requests: number;
  /** Push frames the object sent (server-side count), or null when it was not read. */
  readonly frames: number | null;
  /** CPU ÷ requests: the request cost with fan-out off, an upper bound with it on. */
  readonly usPerRequest: number;
  /** (CPU − requests × the given request cost) ÷ frames, when a request cost was given and frames were counted. */
  readonly usPerFrame: number | null;
  /** The request cost used for `usPerFrame`. */
  readonly requestCostUs: number | null;
}

/**
 * @param cpuPctPerSecond the runtime's CPU in each second of the run, % of one core
 * @param requestCostUs a request's cost measured with fan-out off, to price the frames of a fan-out-on run
 */
export function unitCost(
  cpuPctPerSecond: readonly number[],
  requests: number,
  frames: number | null,
  requestCostUs: number | null,
): UnitCost {
  const cpuSec = cpuPctPerSecond.reduce((a, p) => a + p, 0) / 100;
  const usPerRequest = requests > 0 ? (cpuSec * 1e6) / requests : 0;
  const usPerFrame =
    requestCostUs !== null && frames !== null && frames > 0
      ? Math.max(0, cpuSec * 1e6 - requests * requestCostUs) / frames
      : null;
  return { cpuSec, requests, frames, usPerRequest, usPerFrame, requestCostUs };
}

/** One report line. */
export function unitCostLine(u: UnitCost, fanoutOff: boolean): string {
  const per = `${u.usPerRequest.toFixed(0)} µs per request`;
  const head = `- runtime CPU per unit: ${u.cpuSec.toFixed(1)} core-s for ${u.requests} requests${
    u.frames === null ? "" : ` and ${u.frames} frames`
  }`;
  if (fanoutOff) return `${head}: ${per} (fan-out off: the request path alone)`;
  if (u.usPerFrame === null)
    return `${head}: ${per} if frames were free (give --request-cost-us from a --fanout off run to price a frame)`;
  return `${head}: at ${u.requestCostUs} µs per request (--request-cost-us), ${u.usPerFrame.toFixed(1)} µs per frame`;
}

/**
 * The report line for the steady state (after the join ramp): joins and socket upgrades cost the runtime far more
 * than a request, so the whole-run figure is mostly the ramp's; this one is a request's cost once everyone is in
 * (with fan-out on, an upper bound: the frames of the same seconds are in it).
 */
export function steadyCostLine(u: UnitCost, fanoutOff: boolean): string {
  return `- runtime CPU in the steady state: ${u.cpuSec.toFixed(1)} core-s for ${u.requests} requests: ${u.usPerRequest.toFixed(0)} µs per request${
    fanoutOff ? " (fan-out off: the request path alone)" : " (frames included: an upper bound)"
  }`;
}
