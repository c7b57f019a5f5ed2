/**
 * @module A Durable Object that measures what one push frame costs inside workerd: it holds the bench's sockets
 * and a battle of N players in memory, and on request sends every socket `rounds` frames, built the way the
 * battle builds them or shared. The bench (`bench/workerd-push.bench.ts`) reads workerd's CPU from /proc around
 * each blast, so the runtime's own write path is in the figure, not only the JavaScript. It also answers every
 * socket message the way the battle's cheapest request would be answered, minus the game: parse the frame, send a
 * one-line reply (the echo floor, what the runtime charges per request before any of our logic).
 */
import { DurableObject } from "cloudflare:workers";
import { mulberry32 } from "../../loadtest/prng";
import { LeaderboardJson } from "../../src/battle/leaderboard-json";
import { BENCH_QUESTIONS, joinedBattle } from "../joined-battle";

interface Env {
  BENCH: DurableObjectNamespace<FanoutBench>;
}

export class FanoutBench extends DurableObject<Env> {
  private json: LeaderboardJson | null = null;
  private sink = 0;
  /** Sockets accepted with `accept()` (not hibernatable), for the `?plain=1` comparison. */
  private readonly plain: { ws: WebSocket; p: number }[] = [];

  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (request.headers.get("Upgrade") === "websocket") {
      const pair = new WebSocketPair();
      const id = Number(url.searchParams.get("p") ?? "1");
      if (url.searchParams.get("plain") === "1") {
        pair[1].accept();
        const ws = pair[1];
        ws.addEventListener("message", (e) => this.echo(ws, e.data));
        this.plain.push({ ws, p: id });
      } else {
        this.ctx.acceptWebSocket(pair[1], [`p:${id}`]);
        pair[1].serializeAttachment({ p: id });
      }
      return new Response(null, { status: 101, webSocket: pair[0] });
    }
    if (url.pathname === "/setup") return Response.json(this.setup(Number(url.searchParams.get("players"))));
    if (url.pathname === "/blast") {
      const mode = url.searchParams.get("mode") ?? "shared";
      const rounds = Number(url.searchParams.get("rounds") ?? "1");
      return Response.json(this.blast(mode, rounds));
    }
    return new Response("not found", { status: 404 });
  }

  override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    this.echo(ws, message);
  }

  /** The echo floor: parse a small request frame, send a one-line reply carrying its id. */
  private echo(ws: WebSocket, message: string | ArrayBuffer): void {
    const m = JSON.parse(typeof message === "string" ? message : new TextDecoder().decode(message)) as {
      id: number;
    };
    ws.send(`{"type":"reply","id":${m.id},"ok":true}`);
  }

  /** A live battle of `players` with seeded scores, so personal views differ. */
  private setup(players: number): { players: number } {
    const game = joinedBattle(players);
    const rand = mulberry32(7);
    for (let n = 0; n < players * 3; n++) {
      const id = 1 + Math.floor(rand() * players);
      const q = Math.floor(rand() * BENCH_QUESTIONS.length);
      const plan = game.planAnswer(id, `q${q}`, `a${q}`, n);
      if (plan.ok) game.applyAnswer(plan.value);
    }
    this.json = new LeaderboardJson(game);
    return { players };
  }

  /**
   * `shared`: one prebuilt frame of a typical size to every socket (send + the runtime's write);
   * `personal`: each socket's own frame built as the push path builds it, then sent;
   * `build`: the same frames built but not sent (the JavaScript part alone);
   * `shared-bytes`: the shared frame encoded once and sent as the same bytes (a binary frame) to every socket.
   */
  private blast(mode: string, rounds: number): { frames: number } {
    const json = this.json;
    if (!json) throw new Error("setup first");
    const hibernatable = this.ctx.getWebSockets();
    const sockets = this.plain.length > 0 ? this.plain.map((s) => s.ws) : hibernatable;
    const ids =
      this.plain.length > 0
        ? this.plain.map((s) => s.p)
        : hibernatable.map((ws) => (ws.deserializeAttachment() as { p: number }).p);
    const head = `{"type":"leaderboard","total":${json.game.board.size},"online":${sockets.length},`;
    const shared = `${head}"top":${json.top()},${json.personal(1)}}`;
    const sharedBytes = new TextEncoder().encode(shared);
    let frames = 0;
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < sockets.length; i++) {
        if (mode === "shared") sockets[i]!.send(shared);
        else if (mode === "shared-bytes") sockets[i]!.send(sharedBytes);
        else {
          const frame = `${head}${json.personal(ids[i]!)}}`;
          if (mode === "personal") sockets[i]!.send(frame);
          else this.sink += frame.length;
        }
        frames++;
      }
    }
    return { frames };
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    if (new URL(request.url).pathname === "/health") return Response.json({ ok: true });
    return env.BENCH.get(env.BENCH.idFromName("bench")).fetch(request);
  },
};
