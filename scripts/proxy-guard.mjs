/**
 * @module Preloaded into `wrangler dev` (NODE_OPTIONS=--import) by `npm start`, the load tester and the e2e tests.
 * wrangler 4.86's local Hyperdrive proxy pipes Postgres sockets without error handlers (workers-sdk #15768), so a
 * Postgres connection that times out, is refused or reset (a busy machine, a restarted Postgres) killed the whole
 * dev server: seen in 3,000-player load runs on a loaded machine (`CONNECT_TIMEOUT … hyperdrive.local`, then
 * `read ECONNRESET` and every socket gone). A socket error nobody listens for is logged and the socket destroyed
 * instead of becoming an uncaught exception (wrangler's own handler exits on those); the persistence consumer
 * retries the write and the outbox resends, as with production Hyperdrive's errors. Sockets with an `error`
 * listener, and every other error, behave as before.
 */
import net from "node:net";

const TOLERATED = new Set(["ECONNRESET", "EPIPE", "ECONNREFUSED", "ETIMEDOUT"]);
const emit = net.Socket.prototype.emit;

net.Socket.prototype.emit = function guardedEmit(event, ...args) {
  const e = args[0];
  if (event === "error" && this.listenerCount("error") === 0 && e && TOLERATED.has(e.code)) {
    console.error(
      `local Hyperdrive proxy: ${e.code} on ${e.syscall ?? "a socket"} ignored (workers-sdk #15768)`,
    );
    this.destroy();
    return true;
  }
  return emit.call(this, event, ...args);
};
