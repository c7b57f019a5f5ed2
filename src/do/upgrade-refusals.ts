/**
 * @module Refused socket upgrades, in the form every client can read (browsers never see an HTTP status on an
 * upgrade): accepted, then closed with a code that says why.
 */
import { CloseCode, ErrorCode } from "../protocol";

/** A 426 for a request that is no WebSocket upgrade, else null. */
export function expectUpgrade(request: Request): Response | null {
  if (request.headers.get("Upgrade")?.toLowerCase() === "websocket") return null;
  return jsonError(426, ErrorCode.BAD_MESSAGE, "expected a WebSocket upgrade");
}

/**
 * A socket pair for a refusal, its server end accepted (not hibernatable) and closed by the caller. (Locally,
 * workerd logs an uncaught "Network connection lost" for each refused socket once its client goes away; listeners
 * on the server end do not silence it.)
 */
function refusalPair(): [WebSocket, WebSocket] {
  const pair = new WebSocketPair();
  const [client, server] = [pair[0], pair[1]];
  server.accept();
  return [client, server];
}

/**
 * Refuses an upgrade the way every client can read, browsers included (they never see an HTTP status): accept,
 * then close with a 45xx code (4501 session replaced, 4503 unauthorized, 4504 no such battle). The socket is not
 * hibernatable, so its close is released at once.
 */
export function refuseUpgrade(code: string, message: string): Response {
  const [client, server] = refusalPair();
  const close =
    code === ErrorCode.SESSION_REPLACED
      ? CloseCode.SESSION_REPLACED
      : code === ErrorCode.NOT_FOUND
        ? CloseCode.NOT_FOUND
        : CloseCode.UNAUTHORIZED;
  server.close(close, message.slice(0, 120));
  return new Response(null, { status: 101, webSocket: client });
}

/**
 * Refuses a socket for now, readable by every client: accept, then close 1013 ("Try Again Later") with the wait
 * as JSON in the reason. Cheap next to a connect (no replay, no welcome, no hibernatable socket).
 */
export function tryAgainLater(retryAfterMs: number): Response {
  const [client, server] = refusalPair();
  server.close(CloseCode.TRY_AGAIN_LATER, JSON.stringify({ code: ErrorCode.OVERLOADED, retryAfterMs }));
  return new Response(null, { status: 101, webSocket: client });
}

function jsonError(status: number, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, { status });
}
