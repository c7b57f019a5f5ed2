/**
 * @module What one answer's rows cost inside workerd's Durable Object SQLite, without the rest of the object: a
 * Durable Object (Miniflare, the same workerd) runs 20,000 answers' four statements (outbox row, answer row,
 * participant update, stream frame) in transactions of `batch` answers, against tables already holding 400,000
 * history and outbox rows, one statement at a time (`single`) or one multi-row statement per table (`multi`), next to
 * four no-op statements (`noop`, the binding's own cost). Time from outside, per answer. `npm run bench:sqlite`.
 */
import { existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Miniflare } from "miniflare";

const script = `
export class D {
  constructor(ctx){ this.ctx=ctx; this.sql=ctx.storage.sql;
    this.sql.exec("CREATE TABLE IF NOT EXISTS answers (participant_id INTEGER, question_id TEXT, attempt INTEGER, answer TEXT, correct INTEGER, points INTEGER, at INTEGER, PRIMARY KEY (participant_id, question_id, attempt))");
    this.sql.exec("CREATE TABLE IF NOT EXISTS participants (id INTEGER PRIMARY KEY, score INTEGER, reached_at INTEGER, arrows INTEGER, shields INTEGER, correct INTEGER)");
    this.sql.exec("CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY, at INTEGER, body TEXT)");
    this.sql.exec("CREATE TABLE IF NOT EXISTS history (player_id INTEGER, seq INTEGER, at INTEGER, request_id TEXT, frame TEXT, PRIMARY KEY (player_id, seq))");
    this.seq=0; this.n=0;
  }
  async fetch(req){
    const u=new URL(req.url); const mode=u.searchParams.get("mode"); const n=Number(u.searchParams.get("n")); const batch=Number(u.searchParams.get("batch")||5);
    if (mode==="setup"){ this.ctx.storage.transactionSync(()=>{for(let i=0;i<10000;i++) this.sql.exec("INSERT OR REPLACE INTO participants VALUES (?,0,0,3,3,0)", i);});
      const frame = JSON.stringify({type:"reply",id:"r-123456",ok:true,value:{correct:true,points:100,score:1200,arrows:3,shields:2}});
      for (let k=0;k<40;k++) this.ctx.storage.transactionSync(()=>{for(let i=0;i<10000;i++){ const s=++this.seq; this.sql.exec("INSERT INTO history (player_id, seq, at, request_id, frame) VALUES (?, ?, ?, ?, ?)", i, s, 1, "r", frame); this.sql.exec("INSERT INTO outbox (seq, at, body) VALUES (?, ?, ?)", s, 1, frame);} }); return new Response("ok"); }
    const body = JSON.stringify({k:"answer",b:"lt-xyz",p:1234,q:"q7",n:1,a:"42",c:true,pts:100,at:Date.now()});
    const frame = JSON.stringify({type:"reply",id:"r-123456",ok:true,value:{correct:true,points:100,score:1200,arrows:3,shields:2}});
    for (let b=0;b<n;b+=batch){
      this.ctx.storage.transactionSync(()=>{
        if (mode==="single") {
          for (let j=0;j<batch;j++){ const p=Math.floor(Math.random()*10000); this.n++; const s=++this.seq;
            this.sql.exec("INSERT INTO outbox (seq, at, body) VALUES (?, ?, ?)", s, 1, body);
            this.sql.exec("INSERT INTO answers (participant_id, question_id, attempt, answer, correct, points, at) VALUES (?, ?, ?, ?, ?, ?, ?)", p, "q"+s, 1, "42", 1, 100, 1);
            this.sql.exec("UPDATE participants SET score = ?, reached_at = ?, arrows = ?, shields = ?, correct = ? WHERE id = ?", s, 1, 3, 3, 1, p);
            this.sql.exec("INSERT INTO history (player_id, seq, at, request_id, frame) VALUES (?, ?, ?, ?, ?)", p, s, 1, "r", frame);
          }
        } else if (mode==="noop") {
          for (let j=0;j<batch;j++){ this.sql.exec("SELECT 1"); this.sql.exec("SELECT 1"); this.sql.exec("SELECT 1"); this.sql.exec("SELECT 1"); }
        } else if (mode==="multi") {
          const ob=[], an=[], pa=[], hi=[];
          for (let j=0;j<batch;j++){ const p=Math.floor(Math.random()*10000); this.n++; const s=++this.seq;
            ob.push(s,1,body); an.push(p,"q"+s,1,"42",1,100,1); pa.push(p,s,1,3,3,1); hi.push(p,s,1,"r",frame); }
          const rep=(k,w)=>Array.from({length:k},()=>"("+Array(w).fill("?").join(",")+")").join(",");
          this.sql.exec("INSERT INTO outbox (seq, at, body) VALUES "+rep(batch,3), ...ob);
          this.sql.exec("INSERT INTO answers (participant_id, question_id, attempt, answer, correct, points, at) VALUES "+rep(batch,7), ...an);
          this.sql.exec("INSERT INTO participants (id, score, reached_at, arrows, shields, correct) VALUES "+rep(batch,6)+" ON CONFLICT(id) DO UPDATE SET score=excluded.score, reached_at=excluded.reached_at, arrows=excluded.arrows, shields=excluded.shields, correct=excluded.correct", ...pa);
          this.sql.exec("INSERT INTO history (player_id, seq, at, request_id, frame) VALUES "+rep(batch,5), ...hi);
        }
      });
    }
    return new Response("done");
  }
}
export default { fetch(req, env){ return env.D.get(env.D.idFromName("x")).fetch(req); } };
`;
// On tmpfs where there is one, as the load tester keeps its server state (memory, not the disk, is what it measures).
const dir = join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), `arena-sqlite-bench-${process.pid}`);
const mf = new Miniflare({
  modules: true,
  script,
  compatibilityDate: "2025-04-01",
  durableObjects: { D: { className: "D", useSQLite: true } },
  durableObjectsPersist: dir,
});
/** One request to the object; a failed run (the object threw) stops the bench instead of printing a time. */
async function run(query) {
  const res = await mf.dispatchFetch(`http://x/?${query}`);
  const body = await res.text();
  if (!res.ok) throw new Error(`${query}: HTTP ${res.status} ${body.slice(0, 300)}`);
}
await run("mode=setup&n=0");
for (const batch of [5, 1])
  for (const mode of ["noop", "single", "multi", "single", "multi"]) {
    const n = 20000;
    const t = performance.now();
    await run(`mode=${mode}&n=${n}&batch=${batch}`);
    const us = ((performance.now() - t) * 1000) / n;
    console.log(`batch ${batch} ${mode}: ${us.toFixed(1)} µs per answer (4 statements)`);
  }
await mf.dispose();
rmSync(dir, { recursive: true, force: true });
