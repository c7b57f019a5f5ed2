/**
 * @module A hibernatable WebSocket as the room's `Connection` (its info lives in the socket's attachment), and the
 * close that works from any event.
 */
import type { Connection, ConnectionInfo } from "../battle/connection";
import { CloseCode } from "../protocol";
import { closingJson } from "../room/frames";

/** How long a client asked to close (see `SocketConnection.close`) has before the server closes it itself. */
export const CLOSE_GRACE_MS = 1_000;

/** What a connection needs from its host. */
export interface SocketHost {
  readonly ctx: DurableObjectState;
  /** The socket whose message event is running now, if any. */
  inEventOf: WebSocket | null;
}

/** A hibernatable WebSocket as the room sees it; its info lives in the socket's attachment. */
export class SocketConnection implements Connection {
  lastSeen = 0;

  constructor(
    private readonly ws: WebSocket,
    readonly info: ConnectionInfo,
    private readonly host: SocketHost,
  ) {}

  /** A send failed: the socket is closed (`SEND_FAILED`, 1011) and every later send or close is a no-op. */
  private broken = false;

  send(frame: string): void {
    if (this.broken) return;
    try {
      this.ws.send(frame);
    } catch {
      // Close without a `closing` frame: that send would fail too, and calling `close` from here recursed
      // (send → close → send …) until the stack overflowed and the runtime reset the whole object, every
      // socket with it. Seen under load in the 10,000-player ramp ("Maximum call stack size exceeded").
      this.broken = true;
      closeQuietly(this.ws, CloseCode.SEND_FAILED, "send failed");
    }
  }

  /**
   * Within this socket's own event the close frame goes out at once. Anywhere else (an RPC, the alarm, another
   * socket's upgrade) workerd keeps a socket the server closed open until the object goes idle (measured: ~10 s
   * locally, and never under load) because the close reply arrives after the close was pumped; a close the client
   * starts is released at once. So the client is asked to close (`closing`), and closed by the server after
   * `CLOSE_GRACE_MS` if it has not.
   */
  close(code: CloseCode, reason: string): void {
    if (this.broken) return;
    if (this.host.inEventOf === this.ws) {
      closeQuietly(this.ws, code, reason);
      return;
    }
    this.send(closingJson(code, reason));
    setTimeout(() => closeQuietly(this.ws, code, reason), CLOSE_GRACE_MS);
  }

  pingedAt(): number {
    return this.host.ctx.getWebSocketAutoResponseTimestamp(this.ws)?.getTime() ?? 0;
  }
}

/** Closes `ws`, ignoring a socket already closed. */
export function closeQuietly(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason.slice(0, 120));
  } catch {
    // already closed
  }
}
