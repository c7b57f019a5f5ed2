/** @module The room's open connections: listed from the platform once per wake, then kept in memory. */
import type { Connection } from "../battle/connection";
import { SocketSet } from "../battle/socket-set";
import type { CloseCode } from "../protocol";

export class RoomSockets {
  /** Open connections, listed from the platform once per wake and kept in memory after that. */
  private open: SocketSet<Connection> | null = null;
  /** Connections already accounted as closed (a server close is followed by the runtime's close event). */
  private readonly gone = new WeakSet<Connection>();

  /** `changed`: a socket went away (presence and the online count change). */
  constructor(
    private readonly list: () => Iterable<Connection>,
    private readonly changed: () => void,
  ) {}

  /** The open connections; after a wake they are listed from the platform once. */
  get set(): SocketSet<Connection> {
    if (!this.open) {
      this.open = new SocketSet<Connection>((conn, frame) => conn.send(frame));
      for (const conn of this.list()) {
        if (!this.gone.has(conn)) this.open.add(conn, conn.info.p, conn.info.v === 2);
      }
    }
    return this.open;
  }

  /** Whether this connection closed (or was closed) already. */
  isGone(conn: Connection): boolean {
    return this.gone.has(conn);
  }

  /** The client closed, or the socket failed: forget it. */
  forget(conn: Connection): void {
    if (this.gone.has(conn)) return;
    this.gone.add(conn);
    this.set.remove(conn);
    this.changed();
  }

  /** Closes a connection from the server side and forgets it at once. */
  close(conn: Connection, code: CloseCode, reason: string): void {
    conn.close(code, reason);
    this.forget(conn);
  }
}
