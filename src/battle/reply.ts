/** @module Reply frames to a player's requests, shared by the socket and HTTP paths of the battle room. */
import type { ClientRequest } from "../protocol";
import type { Outcome } from "./outcome";

/** Whether handling `msg` queued a write (an accepted answer or attack). */
export function wrote(msg: ClientRequest, result: Outcome<unknown>): boolean {
  return result.ok && (msg.type === "answer" || msg.type === "attack");
}

/** A reply body that is already JSON (leaderboard views, built from cached strings). */
export class RawJson {
  constructor(readonly json: string) {}
}

/** A reply that is already a whole frame (the stored original of a retried request). */
export class RawFrame {
  constructor(readonly frame: string) {}
}
