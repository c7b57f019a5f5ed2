/**
 * @module The Durable Object's hibernatable WebSockets as the room's connections: the upgrade (authorise, admit,
 * accept, connect), the runtime's message, close and error events, and one `SocketConnection` per socket.
 */
import type { Connection, ConnectionInfo } from "../battle/connection";
import { parseResume } from "../battle/player-streams";
import { CloseCode } from "../protocol";
import type { BattleRoom } from "../room/room";
import { closeQuietly, SocketConnection, type SocketHost } from "./socket-connection";
import { expectUpgrade, refuseUpgrade, tryAgainLater } from "./upgrade-refusals";

export class SocketGate {
  private readonly host: SocketHost;
  /** One connection per socket, so the attachment is deserialised once per wake (it copies on every call). */
  private readonly connections = new WeakMap<WebSocket, SocketConnection>();

  /** `room`: the room the sockets belong to (built after the gate, which lists its connections). */
  constructor(
    private readonly ctx: DurableObjectState,
    private readonly room: () => BattleRoom,
  ) {
    this.host = { ctx, inEventOf: null };
  }

  /** A socket upgrade: refused as every client can read it, or accepted and connected to the room. */
  async upgrade(request: Request): Promise<Response> {
    const notUpgrade = expectUpgrade(request);
    if (notUpgrade) return notUpgrade;
    const room = this.room();
    const participantId = Number(request.headers.get("x-arena-participant"));
    const session = request.headers.get("x-arena-session") ?? "";
    const auth = room.authorise(participantId, session);
    if (!auth.ok) return refuseUpgrade(auth.error.code, auth.error.message);
    const wait = room.admitConnection(participantId);
    if (wait > 0) return tryAgainLater(wait);
    const url = new URL(request.url);
    const from = parseResume(url.searchParams.get("seq"), url.searchParams.get("epoch"));
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server, [`p:${participantId}`]);
    const info: ConnectionInfo = { p: participantId, s: session, t: room.clock() };
    if (url.searchParams.get("push") === "2") Object.assign(info, { v: 2 });
    server.serializeAttachment(info);
    const conn = new SocketConnection(server, info, this.host);
    this.connections.set(server, conn);
    await room.connect(conn, from);
    return new Response(null, { status: 101, webSocket: client });
  }

  message(ws: WebSocket, frame: string | ArrayBuffer): void {
    const conn = this.connection(ws);
    if (!conn) {
      closeQuietly(ws, CloseCode.UNAUTHORIZED, "no session");
      return;
    }
    this.host.inEventOf = ws;
    try {
      this.room().message(conn, frame);
    } finally {
      this.host.inEventOf = null;
    }
  }

  closed(ws: WebSocket, code: number, reason: string): void {
    // Echo the close, or the client waits ~10 s for it and sees 1006 (1005/1006 cannot be sent).
    closeQuietly(ws, code === 1005 || code === 1006 ? 1000 : code, reason);
    const conn = this.connection(ws);
    if (conn) this.room().closed(conn);
  }

  failed(ws: WebSocket, error: unknown): void {
    this.room().log("webSocketError", error);
    const conn = this.connection(ws);
    if (conn) this.room().closed(conn);
  }

  /** The room's connection for `ws` (its attachment read once per wake); undefined for a socket without one. */
  connection(ws: WebSocket): SocketConnection | undefined {
    let conn = this.connections.get(ws);
    if (!conn) {
      const info = ws.deserializeAttachment() as ConnectionInfo | undefined;
      if (!info) return undefined;
      conn = new SocketConnection(ws, info, this.host);
      this.connections.set(ws, conn);
    }
    return conn;
  }

  /** The open connections (the room lists them once per wake). */
  *open(): Iterable<Connection> {
    for (const ws of this.ctx.getWebSockets()) {
      const conn = this.connection(ws);
      if (conn) yield conn;
    }
  }
}
