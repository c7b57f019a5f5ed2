/**
 * @module A battle room in Node: the real `BattleRoom` and `BattleStore` over a real SQLite (sql.js, compiled to
 * WebAssembly) behind the `SqlStorage` surface the store uses, in-memory connections, a manual clock and timers.
 */
import initSqlJs, { type Database } from "sql.js";
import { BattleStore, type SqlDatabase } from "../../src/battle/battle-store";
import type { Connection, ConnectionInfo } from "../../src/battle/connection";
import { HistoryStore } from "../../src/battle/history-store";
import type { BattleEvent } from "../../src/persistence/events";
import { type EventMessage, parseMessage } from "../../src/persistence/message";
import type { ServerMessage } from "../../src/protocol";
import type { RoomPlatform } from "../../src/room/platform";
import { BattleRoom } from "../../src/room/room";
import type { ShardNetwork } from "../../src/sharding/protocol";
import { BattleTopology, type TopologyHooks } from "../../src/sharding/topology";

const SQL = await initSqlJs();

/** The part of workerd's `SqlStorage` that `BattleStore` uses, over sql.js. */
function sqlStorage(db: Database): SqlDatabase {
  const exec = (query: string, ...bindings: unknown[]) => {
    const stmt = db.prepare(query);
    const rows: Record<string, unknown>[] = [];
    try {
      stmt.bind(bindings as never);
      while (stmt.step()) rows.push(stmt.getAsObject());
    } finally {
      stmt.free();
    }
    return {
      toArray: () => rows,
      one: () => {
        if (rows.length !== 1) throw new Error(`expected one row, got ${rows.length}`);
        return rows[0];
      },
      [Symbol.iterator]: () => rows[Symbol.iterator](),
    };
  };
  return { exec } as unknown as SqlDatabase;
}

function transaction<T>(db: Database, fn: () => T): T {
  db.exec("SAVEPOINT tx");
  try {
    const r = fn();
    db.exec("RELEASE tx");
    return r;
  } catch (e) {
    db.exec("ROLLBACK TO tx");
    db.exec("RELEASE tx");
    throw e;
  }
}

/** A socket in memory: records what the room sent and how it was closed. */
export class MemoryConnection implements Connection {
  lastSeen = 0;
  pinged = 0;
  readonly sent: string[] = [];
  closed: { code: number; reason: string } | null = null;

  constructor(readonly info: ConnectionInfo) {}

  send(frame: string): void {
    if (!this.closed) this.sent.push(frame);
  }

  close(code: number, reason: string): void {
    this.closed ??= { code, reason };
  }

  pingedAt(): number {
    return this.pinged;
  }

  /** Every frame received so far, parsed. */
  get frames(): ServerMessage[] {
    return this.sent.map((f) => JSON.parse(f) as ServerMessage);
  }

  /** Frames of one type. */
  of<T extends ServerMessage["type"]>(type: T): Extract<ServerMessage, { type: T }>[] {
    return this.frames.filter((f) => f.type === type) as Extract<ServerMessage, { type: T }>[];
  }
}

interface PendingTimer {
  fn: () => void;
  at: number;
  id: number;
}

/** One object's storage, shared by the rooms built on it (a restart builds a new room over the same database). */
export class RoomWorld {
  readonly db: Database = new SQL.Database();
  now = 1_000_000;
  /** When the platform alarm is armed (null: disarmed). */
  alarmAt: number | null = null;
  alarmSets = 0;
  private timers: PendingTimer[] = [];
  private timerIds = 0;
  /** Connections the platform keeps open across a restart (hibernation keeps sockets). */
  readonly open = new Set<MemoryConnection>();
  /** The event queue: `sendEvents` throws while set. */
  queueFails = false;
  readonly sent: EventMessage[] = [];
  /** How this object reaches the other objects of a sharded battle (see shard-harness.ts). */
  network?: ShardNetwork;
  /** False: the store runs as with `PERSISTENCE=off` (no outbox rows). */
  persistence = true;

  platform(): RoomPlatform {
    const db = this.db;
    return {
      id: "memory",
      store: new BattleStore(sqlStorage(db), (fn) => transaction(db, fn), { persistence: this.persistence }),
      history: new HistoryStore(sqlStorage(db)),
      transaction: (run) => transaction(db, run),
      setTimer: (fn, ms) => {
        const t = { fn, at: this.now + ms, id: ++this.timerIds };
        this.timers.push(t);
        return t.id;
      },
      clearTimer: (id) => {
        this.timers = this.timers.filter((t) => t.id !== id);
      },
      setAlarm: (at) => {
        this.alarmAt = at;
        this.alarmSets++;
      },
      connections: () => [...this.open].filter((c) => !c.closed),
      sendEvents: async (batch) => {
        if (this.queueFails) throw new Error("queue down");
        this.sent.push(...batch);
      },
      abort: (reason) => {
        throw new Error(`aborted: ${reason}`);
      },
      ...(this.network ? { network: this.network } : {}),
    };
  }

  /** The events sent to the queue so far, in send order. */
  sentEvents(): { seq: number; ev: BattleEvent }[] {
    return this.sent.flatMap((m) => {
      const parsed = parseMessage(m.body);
      if (typeof parsed === "string") throw new Error(parsed);
      return parsed.events;
    });
  }

  /** Battle statuses the sent lifecycle events carried, repeats folded. */
  sentStatuses(): string[] {
    const out: string[] = [];
    for (const { ev } of this.sentEvents()) {
      if (ev.k === "battle" && out.at(-1) !== ev.b.status) out.push(ev.b.status);
    }
    return out;
  }

  /** A room on this storage, built as the Durable Object builds it (`hooks`: a coordinator's, see shard-harness.ts). */
  async room(hooks: TopologyHooks = {}): Promise<BattleRoom> {
    const room = new BattleRoom(this.platform(), BattleTopology.of(hooks));
    room.clock = () => this.now;
    await room.load();
    return room;
  }

  /** The object dies: its pending timers (queued writes, push slices, link reports) never run. */
  crash(): void {
    this.timers = [];
  }

  /** Runs every timer due by now (group commits, push slices), including ones they schedule. */
  runTimers(): void {
    for (;;) {
      const due = this.timers.filter((t) => t.at <= this.now).sort((a, b) => a.at - b.at || a.id - b.id);
      if (due.length === 0) return;
      const first = due[0]!;
      this.timers = this.timers.filter((t) => t !== first);
      first.fn();
    }
  }

  /** Moves the clock forward, running the timers due on the way. */
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      const next = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.now = Math.max(this.now, next.at);
      this.runTimers();
    }
    this.now = end;
  }

  /** Accepts a socket for a participant the way the host does after `authorise`. */
  async connect(
    room: BattleRoom,
    participantId: number,
    session: string,
    from?: { seq: number; epoch: string },
  ): Promise<MemoryConnection> {
    const auth = room.authorise(participantId, session);
    if (!auth.ok) throw new Error(`refused: ${auth.error.code}`);
    const conn = new MemoryConnection({ p: participantId, s: session, t: this.now });
    this.open.add(conn);
    let settled = false;
    const connecting = room.connect(conn, from).finally(() => {
      settled = true;
    });
    // A connect waits for the pending write batch to commit (the next turn): run that turn if it is waiting.
    await new Promise((r) => setTimeout(r, 0));
    if (!settled) this.runTimers();
    await connecting;
    return conn;
  }
}
