/**
 * Coordinator cost per shard report (Node, the real `Coordinator` over a real coordinator `BattleRoom` on sql.js):
 * a battle of PLAYERS players on SHARDS shards, every shard reporting ENTRIES conflated changes per report in
 * turn; prints CPU per report and per entry, i.e. how many shards one coordinator carries at 25 reports/s each.
 *
 *   npm run bench:sharding [-- players shards entries]
 */
import { ok } from "../src/battle/outcome";
import { Coordinator } from "../src/sharding/coordinator";
import type { ShardNetwork, ShardPeer, SyncEntry } from "../src/sharding/protocol";
import { battleConfig } from "../test/unit/fixtures";
import { RoomWorld } from "../test/unit/room-harness";

const [players = 20_000, shards = 8, entries = 50] = process.argv.slice(2).map(Number);
const REPORTS = 4_000;

const peer = {
  createShard: async () => ok(null),
  start: async () => ok(null),
  end: async () => ok(null),
  snapshot: async () => null,
} as unknown as ShardPeer;
const network: ShardNetwork = { coordinator: () => ({ sync: async () => never() }), shard: () => peer };
function never(): never {
  throw new Error("unused");
}

const world = new RoomWorld();
const room = await world.room({ beforeFinal: () => coordinator.pullAll() });
const coordinator = new Coordinator(room, network, () => "epoch");
await coordinator.create({ ...battleConfig(), shards });

let rnd = 12345;
const next = () => {
  rnd = (rnd * 1103515245 + 12345) & 0x7fffffff;
  return rnd;
};
const state = new Map<number, [number, number]>();
const owner = (id: number) => id % shards;
const entry = (id: number): SyncEntry => {
  const [score, at] = state.get(id)!;
  return [id, score, at, 3, 1, 0, `player-${id}`, owner(id)];
};
const cursors = new Array(shards).fill(0);
const batches = new Array(shards).fill(0);
const report = (shard: number, list: SyncEntry[]) => {
  const reply = coordinator.sync({
    shard,
    incarnation: `s${shard}`,
    since: 0,
    batch: ++batches[shard],
    online: 0,
    entries: list,
    epoch: "epoch",
    cursor: cursors[shard],
  });
  cursors[shard] = reply.cursor;
  return reply.entries.length;
};

// Everyone joins (one big report per shard), then every shard catches up once.
for (let id = 1; id <= players; id++) state.set(id, [0, id]);
for (let k = 0; k < shards; k++) {
  const mine: SyncEntry[] = [];
  for (let id = 1; id <= players; id++) if (owner(id) === k) mine.push(entry(id));
  report(k, mine);
}
for (let k = 0; k < shards; k++) report(k, []);

let now = players + 1;
let received = 0;
const start = process.cpuUsage();
const t0 = performance.now();
for (let r = 0; r < REPORTS; r++) {
  const k = r % shards;
  const list: SyncEntry[] = [];
  for (let i = 0; i < entries; i++) {
    let id = 1 + (next() % players);
    while (owner(id) !== k) id = 1 + (id % players);
    const [score] = state.get(id)!;
    state.set(id, [score + 1 + (next() % 15), ++now]);
    list.push(entry(id));
  }
  received += report(k, list);
}
const wall = performance.now() - t0;
const cpu = process.cpuUsage(start);
const cpuMs = (cpu.user + cpu.system) / 1000;
const perReport = cpuMs / REPORTS;
console.log(
  `coordinator: ${players} players, ${shards} shards, ${entries} changes per report: ` +
    `${(perReport * 1000).toFixed(0)} µs CPU per report (${((1000 * perReport) / entries).toFixed(1)} µs per entry in, ` +
    `${(received / REPORTS).toFixed(0)} entries out per reply), wall ${(wall / REPORTS).toFixed(3)} ms/report; ` +
    `at 25 reports/s per shard one core carries ${Math.floor(1000 / (perReport * 25))} shards`,
);
