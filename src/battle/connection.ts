/**
 * @module What the battle room knows of a socket: a small interface the Durable Object host implements over a
 * hibernatable WebSocket and tests implement in memory, so the room runs the same in workerd and in Node.
 */
import type { CloseCode } from "../protocol";

/** Who a connection belongs to; stored with the socket so it survives hibernation (keep it small). */
export interface ConnectionInfo {
  /** Participant id. */
  readonly p: number;
  /** Session id. */
  readonly s: string;
  /** Connected at (server ms). */
  readonly t: number;
  /** Leaderboard frame version the client asked for with `?push=2` (compact frames); absent: full frames. */
  readonly v?: number;
}

export interface Connection {
  readonly info: ConnectionInfo;
  /** Last frame from the client (server ms); the room sets it on every message. */
  lastSeen: number;
  /** Sends a frame; a failure closes this socket (1011) and never throws. */
  send(frame: string): void;
  /** Closes the socket with a code and a reason; never throws (closing a closed socket is a no-op). */
  close(code: CloseCode, reason: string): void;
  /** When the platform last answered this socket's heartbeat on its own (0 if never or unknown). */
  pingedAt(): number;
}
