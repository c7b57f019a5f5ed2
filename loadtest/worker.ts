/**
 * @module A load-generator worker process: joins its share of the players on the global ramp, drives each over a
 * real WebSocket with the configured mix and seeded think times, and reports histograms and records.
 * Several run side by side because one process cannot hold more than ~19,000 sockets here.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import {
  ArenaHttpError,
  BattleConnection,
  carriesTop,
  join,
  type RequestOutcome,
  type WebSocketLike,
} from "@arena/client";
import WebSocket from "ws";
import type { AnswerResult, AttackResult, LeaderboardView } from "../src/protocol/server-messages";
import { encodeHistogram, type Histogram, newHistogram } from "./histogram";
import type {
  CoordinatorMessage,
  PlayerFinal,
  StatCounts,
  StatName,
  WorkerConfig,
  WorkerMessage,
} from "./ipc";
import { STAT_NAMES } from "./ipc";
import { mixThresholds, pickAction } from "./mix";
import { deriveSeed, exponential, mulberry32 } from "./prng";
import { isObserver, type ObserverFrames, PushDelayProbe } from "./push-delay";

/** Errors that mean the server did not do the work (as opposed to refusing it by a game rule). */
/** Sampling period of the event-loop delay monitor; its readings include it, so it is subtracted. */
const LOOP_RESOLUTION_MS = 2;

const SERVER_FAILURES = new Set(["rate_limited", "overloaded", "internal", "bad_message", "bad_json"]);

interface Player {
  readonly i: number;
  readonly username: string;
  pid: number;
  conn: BattleConnection | null;
  arrows: number;
  qNext: number;
  readonly qStart: number;
  attackInFlight: boolean;
  unknowable: boolean;
  answerPoints: number;
  score: number;
  open: boolean;
  timer: ReturnType<typeof setTimeout> | null;
  /** The current underlying socket (the storm destroys its TCP connection). */
  ws: WebSocket | null;
  /** Acknowledged correct answers. */
  correct: number;
  /** `attacked` events received (the SDK drops repeats by `seq`). */
  attackedSeen: number;
  /** A reconnect lost continuity, the session ended, or reconnecting gave up: events may be missing. */
  streamBroken: boolean;
  /** Dropped by the storm and not back yet. */
  stormAway: boolean;
  /** In the push-delay probe's uniform sample of observers: only their frames are kept and read. */
  readonly observer: boolean;
  /** The last leaderboard push this player got (a reference to the frame, not a copy)… */
  board: string | null;
  /** …and the last one that carried `top`, when that is an older one (compact frames). */
  topBoard: string | null;
}

function send(msg: WorkerMessage): void {
  process.send?.(msg);
}

function emptyCounts(): StatCounts {
  return { sent: 0, ok: 0, refused: 0, failed: 0, errors: {} };
}

class Worker {
  private readonly rng: () => number;
  private readonly stats = {} as Record<StatName, StatCounts>;
  private readonly hists = {} as Record<StatName, Histogram>;
  private readonly interval = newHistogram();
  private readonly pushDelay = newHistogram();
  /** Push delay of the samples taken after this generator's join ramp. */
  private readonly pushDelaySteady = newHistogram();
  /** Push delay of the samples whose observer saw the player only in its top N (everyone sees a top change). */
  private readonly pushDelayTop = newHistogram();
  private readonly probe = new PushDelayProbe((ms, steady, inAround) => {
    const v = Math.max(1, Math.round(ms * 1000));
    this.pushDelay.recordValue(v);
    if (steady) this.pushDelaySteady.recordValue(v);
    if (!inAround) this.pushDelayTop.recordValue(v);
  });
  private intervalCompleted = 0;
  private intervalFailed = 0;
  private readonly players: Player[] = [];
  private readonly byPid = new Map<number, Player>();
  private readonly joinedPids: number[] = [];
  private readonly losses = new Map<number, number>();
  /** Acknowledged attacks per target (blocked ones too): each must reach its target as one `attacked` event. */
  private readonly hits = new Map<number, number>();
  private readonly unknownTargets = new Set<number>();
  private pushesReceived = 0;
  private invalidFrames = 0;
  private sampleEvery: number;
  private answersSinceSample = 0;
  private open = 0;
  private peakOpen = 0;
  private readonly closes: Record<string, number> = {};
  private readonly thresholds: [number, number];
  private nextJoin = 0;
  private stopping = false;
  private readonly startedAt = Date.now();
  private lastCpu = process.cpuUsage();
  private readonly loopDelay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  /** The reconnect storm as this worker saw it. */
  private storm = { dropped: 0, resumeMs: [] as number[], kept: 0, lost: 0, replayed: 0, gaveUp: 0 };

  constructor(private readonly cfg: WorkerConfig) {
    this.rng = mulberry32(deriveSeed(cfg.seed, cfg.index));
    for (const n of STAT_NAMES) {
      this.stats[n] = emptyCounts();
      this.hists[n] = newHistogram();
    }
    this.thresholds = mixThresholds(cfg.mix);
    for (let i = cfg.index; i < cfg.players; i += cfg.workers) {
      this.players.push({
        i,
        username: `${cfg.usernamePrefix}${i}`,
        pid: -1,
        conn: null,
        arrows: 0,
        qNext: 0,
        qStart: Math.floor(this.rng() * cfg.questions.length),
        attackInFlight: false,
        unknowable: false,
        answerPoints: 0,
        score: 0,
        open: false,
        timer: null,
        ws: null,
        correct: 0,
        attackedSeen: 0,
        streamBroken: false,
        stormAway: false,
        observer: isObserver(i, cfg.players, cfg.observers, cfg.seed),
        board: null,
        topBoard: null,
      });
    }
    // Answers this worker sends per second once everyone is in, to pace the push-delay samples.
    const answerShare = cfg.mix.answer / (cfg.mix.answer + cfg.mix.leaderboard + cfg.mix.attack);
    const answersPerSec = (this.players.length * 1000 * answerShare) / cfg.meanThinkMs;
    this.sampleEvery = Math.max(1, Math.round(answersPerSec / Math.max(0.1, cfg.pushSamplesPerSec)));
  }

  start(): void {
    this.loopDelay.enable();
    const ramp = setInterval(() => {
      const now = Date.now();
      while (this.nextJoin < this.players.length) {
        const p = this.players[this.nextJoin]!;
        if (this.cfg.startAt + (p.i * 1000) / this.cfg.joinPerSec > now) break;
        this.nextJoin++;
        if (now < this.cfg.endAt) void this.join(p);
      }
      if (this.nextJoin >= this.players.length) clearInterval(ramp);
    }, 5);
    const ticker = setInterval(() => this.tick(), 1000);
    const end = setTimeout(() => this.stop(ticker), Math.max(0, this.cfg.endAt - Date.now()));
    void end;
    const stormAt = this.cfg.stormAt;
    if (stormAt !== null) setTimeout(() => this.dropAll(), Math.max(0, stormAt - Date.now()));
  }

  /**
   * The reconnect storm: every open socket's TCP connection is destroyed at once (a reset, no close frame), as when
   * a network path or a load balancer dies. The SDK sees 1006, backs off and resumes on its own.
   */
  private dropAll(): void {
    let dropped = 0;
    for (const p of this.players) {
      if (!p.open || p.ws === null) continue;
      p.stormAway = true;
      dropped++;
      const raw = (p.ws as unknown as { _socket?: { resetAndDestroy?: () => void } })._socket;
      if (raw?.resetAndDestroy) raw.resetAndDestroy();
      else p.ws.terminate();
    }
    this.storm.dropped = dropped;
    send({ type: "log", msg: `storm: destroyed ${dropped} TCP connections` });
  }

  /** A dropped player's next welcome: how long it took from the storm instant. */
  private stormBack(p: Player, continuity: "kept" | "lost", replayed: number): void {
    if (!p.stormAway) return;
    p.stormAway = false;
    this.storm.resumeMs.push(Math.max(0, Date.now() - (this.cfg.stormAt ?? 0)));
    if (continuity === "kept") {
      this.storm.kept++;
      this.storm.replayed += replayed;
    } else this.storm.lost++;
  }

  private async join(p: Player): Promise<void> {
    const st = this.stats.join;
    st.sent++;
    const t0 = performance.now();
    try {
      const joined = await join(this.cfg.baseUrl, this.cfg.battleId, p.username);
      this.record("join", t0, true);
      st.ok++;
      p.pid = joined.participantId;
      this.byPid.set(p.pid, p);
      this.joinedPids.push(p.pid);
      this.connect(p, this.direct(joined.wsUrl));
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code;
      const code = e instanceof ArenaHttpError ? e.code : `network_${cause ?? "error"}`;
      this.fail("join", code);
    }
  }

  /** The socket URL with wrangler's proxy swapped for the runtime's own entry (see `wsOrigins`). */
  private direct(wsUrl: string): string {
    const url = new URL(wsUrl);
    const origin = this.cfg.wsOrigins[url.host];
    if (origin === undefined) return wsUrl;
    url.host = new URL(origin).host;
    return url.toString();
  }

  private connect(p: Player, wsUrl: string): void {
    const conn = new BattleConnection(wsUrl, {
      socketFactory: (url) => {
        const ws = new WebSocket(url, {
          perMessageDeflate: false,
          skipUTF8Validation: true,
          handshakeTimeout: this.cfg.upgradeTimeoutMs,
        });
        p.ws = ws;
        return ws as unknown as WebSocketLike;
      },
      requestTimeoutMs: this.cfg.requestTimeoutMs,
      heartbeatMs: this.cfg.heartbeatMs,
      rng: this.rng,
      maxReconnectAttempts: this.cfg.stormAt === null ? 5 : 8,
    });
    p.conn = conn;
    const st = this.stats.connect;
    st.sent++;
    let t0 = performance.now();
    let first = true;
    conn.handlers = {
      welcome: (w) => {
        if (first) {
          this.record("connect", t0, true);
          st.ok++;
          first = false;
        }
        p.arrows = w.you.arrows;
        p.score = w.you.score;
        if (!p.open) {
          p.open = true;
          this.open++;
          if (this.open > this.peakOpen) this.peakOpen = this.open;
        }
        if (p.timer === null && !this.stopping) this.schedule(p);
      },
      leaderboardRaw: (frame) => this.onBoard(p, frame),
      attacked: () => {
        p.attackedSeen++;
      },
      resumed: (stream) => this.stormBack(p, "kept", stream.replayed),
      continuityLost: () => {
        p.streamBroken = true;
        this.stormBack(p, "lost", 0);
      },
      sessionEnded: () => {
        p.streamBroken = true;
      },
      invalidFrame: (frame) => {
        this.invalidFrames++;
        if (this.invalidFrames <= 3)
          send({ type: "log", msg: `invalid JSON from server: ${frame.slice(0, 300)}` });
      },
      pong: (rtt) => {
        const h = this.stats.heartbeat;
        h.sent++;
        h.ok++;
        this.hists.heartbeat.recordValue(Math.max(1, Math.round(rtt * 1000)));
      },
      close: (code, _reason, reconnecting) => {
        const key = String(code);
        this.closes[key] = (this.closes[key] ?? 0) + 1;
        if (p.open) {
          p.open = false;
          this.open--;
        }
        // A 1013 is the object pacing sockets: the SDK comes back at its slot, so the connect is not failed yet
        // and its time runs on (the wait is part of it).
        const paced = code === 1013 && reconnecting;
        if (first && !paced) {
          this.fail("connect", `close_${code}`);
          first = false;
        }
        if (reconnecting) {
          if (!paced) t0 = performance.now();
        } else if (!this.stopping) {
          p.streamBroken = true;
          if (p.stormAway) {
            p.stormAway = false;
            this.storm.gaveUp++;
          }
        }
      },
    };
    conn.connect().catch(() => {
      // Counted in the close handler.
    });
  }

  private schedule(p: Player): void {
    const delay = exponential(this.rng, this.cfg.meanThinkMs);
    p.timer = setTimeout(() => this.act(p), delay);
  }

  private act(p: Player): void {
    p.timer = null;
    if (this.stopping || Date.now() >= this.cfg.endAt) return;
    const conn = p.conn;
    if (conn === null || !p.open) return;
    this.schedule(p);
    let action = pickAction(this.rng(), this.thresholds);
    const qs = this.cfg.questions;
    if (action === "attack" && (p.arrows <= 0 || p.attackInFlight)) action = "answer";
    if (action === "answer" && p.qNext >= qs.length) action = "leaderboard";
    if (action === "attack") {
      const target = this.pickTarget(p);
      if (target < 0) action = p.qNext < qs.length ? "answer" : "leaderboard";
      else {
        this.attack(p, conn, target);
        return;
      }
    }
    if (action === "answer") {
      this.answer(p, conn);
      return;
    }
    const st = this.stats.leaderboard;
    st.sent++;
    const t0 = performance.now();
    conn.send({ type: "leaderboard" }, (o) => this.outcome("leaderboard", t0, o));
  }

  private answer(p: Player, conn: BattleConnection): void {
    const qs = this.cfg.questions;
    const q = qs[(p.qStart + p.qNext) % qs.length]!;
    p.qNext++;
    const right = this.rng() < this.cfg.rightRatio;
    this.stats.answer.sent++;
    const t0 = performance.now();
    conn.send({ type: "answer", questionId: q.id, answer: right ? q.right : q.wrong }, (o) => {
      this.outcome("answer", t0, o);
      if (o.type === "failure") {
        if (o.code !== "not_open") p.unknowable = true;
        return;
      }
      if (!o.ok) return;
      const r = o.data as AnswerResult;
      p.answerPoints += r.points;
      if (r.correct) p.correct++;
      p.arrows = r.arrows;
      if (r.points !== 0) {
        const old = p.score;
        p.score = r.score;
        if (++this.answersSinceSample >= this.sampleEvery) {
          this.answersSinceSample = 0;
          const steady = this.nextJoin >= this.players.length;
          this.probe.sample(p.pid, old, r.score, performance.now(), steady, this.boards());
        }
      }
    });
  }

  private attack(p: Player, conn: BattleConnection, target: number): void {
    p.attackInFlight = true;
    this.stats.attack.sent++;
    const t0 = performance.now();
    conn.send({ type: "attack", target }, (o) => {
      p.attackInFlight = false;
      this.outcome("attack", t0, o);
      if (o.type === "failure") {
        if (o.code !== "not_open") this.unknownTargets.add(target);
        return;
      }
      if (!o.ok) {
        if (o.error.code === "no_arrows") p.arrows = 0;
        return;
      }
      const r = o.data as AttackResult;
      p.arrows = r.arrows;
      this.hits.set(target, (this.hits.get(target) ?? 0) + 1);
      if (r.pointsLost !== 0) {
        this.losses.set(target, (this.losses.get(target) ?? 0) + r.pointsLost);
        const local = this.byPid.get(target);
        if (local) local.score -= r.pointsLost;
      }
    });
  }

  /** Half the time someone near me on the board, half the time a random player, always one with points. */
  private pickTarget(p: Player): number {
    if (this.rng() < 0.5) {
      const board: LeaderboardView | null = p.conn?.latestLeaderboard() ?? null;
      if (board) {
        const list = board.around.length > 1 ? board.around : board.top;
        const start = Math.floor(this.rng() * list.length);
        for (let k = 0; k < list.length; k++) {
          const e = list[(start + k) % list.length]!;
          if (e.id !== p.pid && e.score > 1) return e.id;
        }
      }
    }
    const n = this.joinedPids.length;
    for (let k = 0; k < 8 && n > 1; k++) {
      const pid = this.joinedPids[Math.floor(this.rng() * n)]!;
      const t = this.byPid.get(pid);
      if (pid !== p.pid && t && t.score > 1) return pid;
    }
    return -1;
  }

  /** Every local player's last leaderboard push, for the push-delay probe. */
  private *boards(): Iterable<ObserverFrames> {
    for (const q of this.players) if (q.board !== null && q.pid >= 0) yield [q.pid, q.board, q.topBoard];
  }

  private onBoard(receiver: Player, frame: string): void {
    this.pushesReceived++;
    if (!receiver.observer) return;
    if (carriesTop(frame)) receiver.topBoard = null;
    else if (receiver.board !== null && receiver.topBoard === null) receiver.topBoard = receiver.board;
    receiver.board = frame;
    this.probe.onFrame(receiver.pid, frame, performance.now());
  }

  private outcome(name: StatName, t0: number, o: RequestOutcome): void {
    if (o.type === "failure") {
      this.fail(name, o.code);
      return;
    }
    const st = this.stats[name];
    if (o.ok) {
      st.ok++;
    } else {
      const code = o.error.code;
      st.errors[code] = (st.errors[code] ?? 0) + 1;
      if (SERVER_FAILURES.has(code)) {
        st.failed++;
        this.intervalFailed++;
      } else st.refused++;
    }
    this.record(name, t0, false);
  }

  private record(name: StatName, t0: number, _http: boolean): void {
    const us = Math.max(1, Math.round((performance.now() - t0) * 1000));
    this.hists[name].recordValue(us);
    this.interval.recordValue(us);
    this.intervalCompleted++;
  }

  private fail(name: StatName, code: string): void {
    const st = this.stats[name];
    st.failed++;
    st.errors[code] = (st.errors[code] ?? 0) + 1;
    this.intervalFailed++;
  }

  private tick(): void {
    this.probe.expire(performance.now());
    const cpu = process.cpuUsage(this.lastCpu);
    this.lastCpu = process.cpuUsage();
    send({
      type: "tick",
      worker: this.cfg.index,
      sec: Math.round((Date.now() - this.cfg.startAt) / 1000),
      completed: this.intervalCompleted,
      failed: this.intervalFailed,
      hist: encodeHistogram(this.interval),
      open: this.open,
      cpuUs: cpu.user + cpu.system,
    });
    this.interval.reset();
    this.intervalCompleted = 0;
    this.intervalFailed = 0;
  }

  private stop(ticker: ReturnType<typeof setInterval>): void {
    this.stopping = true;
    for (const p of this.players) {
      if (p.timer !== null) clearTimeout(p.timer);
      p.timer = null;
    }
    const deadline = Date.now() + this.cfg.requestTimeoutMs + 1000;
    const wait = setInterval(() => {
      let inFlight = 0;
      for (const p of this.players) inFlight += p.conn?.inFlight ?? 0;
      if (inFlight > 0 && Date.now() < deadline) return;
      clearInterval(wait);
      this.tick();
      clearInterval(ticker);
      // The coordinator asks for the final report once every worker is drained, so the `attacked` events of the
      // last acknowledged attacks (sent before their replies) have reached their targets in other workers.
      this.drained = true;
      if (this.reportAsked) this.final();
      else send({ type: "drained" });
    }, 100);
  }

  private drained = false;
  private reportAsked = false;

  /** The coordinator's go for the final report. */
  report(): void {
    this.reportAsked = true;
    if (this.drained) this.final();
  }

  private final(): void {
    this.probe.expire(Number.POSITIVE_INFINITY);
    const players: PlayerFinal[] = [];
    let reconnects = 0;
    for (const p of this.players) {
      reconnects += p.conn?.reconnects ?? 0;
      if (p.pid < 0) continue;
      players.push({
        username: p.username,
        participantId: p.pid,
        answerPoints: p.answerPoints,
        correct: p.correct,
        unknowable: p.unknowable,
        attackedSeen: p.attackedSeen,
        streamWhole: p.open && !p.streamBroken,
      });
    }
    const hists = {} as Record<StatName, string>;
    for (const n of STAT_NAMES) hists[n] = encodeHistogram(this.hists[n]);
    const cpu = process.cpuUsage();
    void this.startedAt;
    send({
      type: "final",
      worker: this.cfg.index,
      stats: this.stats,
      hists,
      pushDelay: encodeHistogram(this.pushDelay),
      pushDelaySteady: encodeHistogram(this.pushDelaySteady),
      pushDelayTop: encodeHistogram(this.pushDelayTop),
      pushSamples: this.probe.counts,
      observers: this.players.reduce((n, p) => n + (p.observer ? 1 : 0), 0),
      pushesReceived: this.pushesReceived,
      invalidFrames: this.invalidFrames,
      players,
      losses: [...this.losses],
      hits: [...this.hits],
      storm: this.cfg.stormAt === null ? null : this.storm,
      unknownTargets: [...this.unknownTargets],
      cpu,
      loopDelayMs: {
        p50: Math.max(0, this.loopDelay.percentile(50) / 1e6 - LOOP_RESOLUTION_MS),
        p99: Math.max(0, this.loopDelay.percentile(99) / 1e6 - LOOP_RESOLUTION_MS),
        max: Math.max(0, this.loopDelay.max / 1e6 - LOOP_RESOLUTION_MS),
      },
      peakOpen: this.peakOpen,
      reconnects,
      closes: this.closes,
    });
  }

  closeAll(): void {
    for (const p of this.players) p.conn?.close(1000, "load test over");
  }
}

let worker: Worker | null = null;
process.on("message", (m: CoordinatorMessage) => {
  if (m.type === "init") {
    worker = new Worker(m.config);
    worker.start();
  } else if (m.type === "report") {
    worker?.report();
  } else if (m.type === "close") {
    worker?.closeAll();
    setTimeout(() => process.exit(0), 500);
  }
});
send({ type: "ready" });
