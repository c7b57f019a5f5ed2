/**
 * @module A TCP proxy in front of `wrangler dev` that a test can cut: `cut()` drops every open connection
 * (the browser sees its WebSocket die, code 1006) and refuses new ones until `restore()`. A real network
 * failure for the page, with no hook inside it.
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";

export interface CuttableProxy {
  readonly port: number;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

/** Listens on the first free port of `candidates` (tried in random order). */
async function listenOnFree(server: Server, candidates: readonly number[]): Promise<number> {
  const order = [...candidates].sort(() => Math.random() - 0.5);
  for (const port of order) {
    const ok = await new Promise<boolean>((resolve) => {
      const onError = () => resolve(false);
      server.once("error", onError);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", onError);
        resolve(true);
      });
    });
    if (ok) return port;
  }
  throw new Error(`no free port in ${candidates[0]}-${candidates[candidates.length - 1]}`);
}

/** A port of `candidates` that is free right now (for a server another process will bind). */
export async function freePort(candidates: readonly number[]): Promise<number> {
  const probe = createServer();
  const port = await listenOnFree(probe, candidates);
  await new Promise((r) => probe.close(r));
  return port;
}

export async function startProxy(candidates: readonly number[], targetPort: number): Promise<CuttableProxy> {
  const open = new Set<Socket>();
  let refusing = false;
  const server: Server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = createConnection({ host: "127.0.0.1", port: targetPort });
    open.add(client);
    open.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const port = await listenOnFree(server, candidates);
  return {
    port,
    cut() {
      refusing = true;
      for (const s of open) s.destroy();
      open.clear();
    },
    restore() {
      refusing = false;
    },
    close() {
      for (const s of open) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}
