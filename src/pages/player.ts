/**
 * @module The player page (`/` and `/b/<battle>`): join, answer, attack from the live leaderboard, toasts when
 * attacked, connection state, countdown and the final rank. Talks to the server only through the client SDK.
 */
import {
  ArenaClient,
  ArenaHttpError,
  type AttackedMessage,
  type BattleConnection,
  type BattleStatusMessage,
  globalSocketFactory,
  RequestError,
  StorageKeyStore,
  type WelcomeMessage,
} from "@arena/client";
import type { AnswerResult, BattleView, LeaderboardView } from "../protocol/server-messages";
import { byId, clock, setText, toast } from "./dom";
import { LeaderboardTable } from "./leaderboard-view";
import { QuestionList } from "./questions-view";

type ConnState = "idle" | "connecting" | "connected" | "reconnecting" | "resumed" | "disconnected";

const CONN_TEXT: Record<ConnState, string> = {
  idle: "not connected",
  connecting: "connecting…",
  connected: "connected",
  reconnecting: "reconnecting…",
  resumed: "resumed",
  disconnected: "disconnected",
};

interface Me {
  id: number;
  username: string;
  score: number;
  rank: number;
  arrows: number;
  shields: number;
}

const client = new ArenaClient({
  baseUrl: location.origin,
  socketFactory: globalSocketFactory(),
  // A page reconnects sooner than the SDK's default 30 s ceiling: one player, and they are watching.
  backoff: { baseMs: 500, maxMs: 5_000 },
  // The player key of each name joined from this browser, so a reload rejoins as the same player (the SDK stores
  // the new key every join reply carries: a rejoin rotates it).
  playerKeys: new StorageKeyStore(localStorage),
});

let battleId = "";
let conn: BattleConnection | null = null;
let me: Me | null = null;
let battle: Pick<BattleView, "status" | "startsAt" | "endsAt" | "title"> | null = null;
/** Server clock minus local clock, from the welcome. */
let clockOffset = 0;
let board: LeaderboardView | null = null;
let finished = false;

const table = new LeaderboardTable(
  byId<HTMLTableSectionElement>("board-rows"),
  (t, name) => void attack(t, name),
);
const questions = new QuestionList(byId<HTMLOListElement>("questions"), answer);

/** Why a session ended for good, by close code (docs/protocol.md: close codes). */
const SESSION_ENDED: Record<number, string> = {
  4501: "you joined from another tab or device",
  4502: "this tab was replaced by a newer connection",
  4503: "your session expired; join again",
  4504: "this battle does not exist",
};

function setConn(state: ConnState, detail = ""): void {
  const c = byId("conn");
  c.dataset.state = state;
  setText(c, detail ? `${CONN_TEXT[state]} (${detail})` : CONN_TEXT[state]);
}

function battleFromPath(): string | null {
  const m = /^\/b\/([^/]+)\/?$/.exec(location.pathname);
  if (!m?.[1]) return null;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return null;
  }
}

async function init(): Promise<void> {
  const fromPath = battleFromPath();
  const codeInput = byId<HTMLInputElement>("battle-code");
  if (fromPath) {
    codeInput.value = fromPath;
    byId("code-field").hidden = true;
    try {
      const b = await client.battle(fromPath);
      setText(byId("title"), b.title);
      setText(byId("join-hint"), `Battle “${b.title}” · ${b.status} · ${b.players} player(s)`);
    } catch (e) {
      setText(byId("join-error"), `This battle cannot be joined: ${describe(e)}`);
    }
  }
  byId<HTMLFormElement>("join-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    void joinFromForm();
  });
  setInterval(tick, 1000);
}

async function joinFromForm(): Promise<void> {
  const code = byId<HTMLInputElement>("battle-code").value.trim();
  const username = byId<HTMLInputElement>("username").value;
  const error = byId("join-error");
  const button = byId<HTMLButtonElement>("join-button");
  setText(error, "");
  if (code === "") return setText(error, "Enter the battle code.");
  if (username.trim() === "") return setText(error, "Enter a username.");
  button.disabled = true;
  try {
    const joined = await client.join(code, username);
    battleId = code;
    me = { id: joined.participantId, username: joined.username, score: 0, rank: 0, arrows: 0, shields: 0 };
    if (location.pathname !== `/b/${encodeURIComponent(code)}`)
      history.replaceState(null, "", `/b/${encodeURIComponent(code)}`);
    conn = client.connection(joined);
    wire(conn);
    setConn("connecting");
    await conn.connect();
    byId("join-view").hidden = true;
    byId("game-view").hidden = false;
    byId("game-view").focus();
  } catch (e) {
    setConn("idle");
    setText(error, `Could not join as “${username}”: ${describe(e)}`);
    button.disabled = false;
  }
}

function wire(c: BattleConnection): void {
  c.handlers = {
    welcome: onWelcome,
    leaderboard: (m) => {
      board = m;
      const online = (m as LeaderboardView & { online?: number }).online;
      if (typeof online === "number") setOnline(online);
      if (me && m.me) {
        me.score = m.me.score;
        me.rank = m.me.rank;
      }
      renderAll();
    },
    attacked: onAttacked,
    presence: setOnline,
    battle: (m) => void onBattle(m),
    close: (code, reason, reconnecting) => {
      if (reconnecting) setConn("reconnecting");
      else if (!finished)
        setConn("disconnected", code === 4501 ? "you joined from another tab or device" : reason);
    },
    // The missed frames were already delivered to the handlers above (toasts included) before this.
    resumed: (stream) =>
      setConn("resumed", `${stream.replayed} missed event${stream.replayed === 1 ? "" : "s"} replayed`),
    continuityLost: () => setConn("resumed", "some events were missed; the view was refreshed"),
    sessionEnded: (code, reason) => {
      if (!finished) setConn("disconnected", SESSION_ENDED[code] ?? reason);
    },
  };
}

function onWelcome(w: WelcomeMessage): void {
  clockOffset = w.serverTime - Date.now();
  me = {
    id: w.you.id,
    username: w.you.username,
    score: w.you.score,
    rank: w.you.rank,
    arrows: w.you.arrows,
    shields: w.you.shields,
  };
  battle = w.battle;
  board = w.leaderboard;
  setText(byId("title"), w.battle.title);
  setText(byId("me-name"), w.you.username);
  setOnline(w.online);
  questions.show(w.battle.questions, w.you.done);
  setConn(conn && conn.reconnects > 0 ? "resumed" : "connected");
  renderAll();
  if (w.battle.status === "ended") void finish();
}

function onAttacked(m: AttackedMessage): void {
  if (me) {
    me.score = m.score;
    me.shields = m.shields;
  }
  const who = m.attacker.username;
  if (m.blocked) toast(`${who} attacked you — your shield blocked it.`, "blocked");
  else toast(`${who} attacked you: −${m.pointsLost} point${m.pointsLost === 1 ? "" : "s"}.`, "hit");
  renderAll();
}

async function onBattle(m: BattleStatusMessage): Promise<void> {
  battle = { ...(battle ?? { title: "" }), status: m.status, startsAt: m.startsAt, endsAt: m.endsAt };
  renderAll();
  if (m.status === "live" && questions.size === 0) {
    try {
      const view = await client.battle(battleId);
      questions.show(view.questions, []);
      renderAll();
    } catch (e) {
      toast(`Could not load the questions: ${describe(e)}`, "error");
    }
  }
  if (m.status === "ended") await finish();
}

async function answer(questionId: string, value: string | number): Promise<AnswerResult | string> {
  if (!conn) return "not connected";
  try {
    const r = await conn.request({ type: "answer", questionId, answer: value });
    if (!r.ok) return r.error.message;
    if (me) {
      me.score = r.data.score;
      me.arrows = r.data.arrows;
      me.shields = r.data.shields;
    }
    renderAll();
    return r.data;
  } catch (e) {
    return e instanceof RequestError ? "No connection right now; try again in a moment." : describe(e);
  }
}

async function attack(target: number, username: string): Promise<void> {
  if (!conn) return;
  try {
    const r = await conn.request({ type: "attack", target });
    if (!r.ok) {
      toast(`Attack on ${username} failed: ${r.error.message}`, "error");
      return;
    }
    if (me) me.arrows = r.data.arrows;
    if (r.data.blocked) toast(`${username}'s shield blocked your arrow.`, "blocked");
    else
      toast(`You hit ${username}: −${r.data.pointsLost} point${r.data.pointsLost === 1 ? "" : "s"}.`, "info");
    renderAll();
  } catch (e) {
    toast(
      e instanceof RequestError ? "No connection right now; try again in a moment." : describe(e),
      "error",
    );
  }
}

async function finish(): Promise<void> {
  if (finished) return;
  finished = true;
  questions.setLocked(true);
  renderAll();
  const box = byId("final");
  box.hidden = false;
  const line = byId("final-rank");
  setText(line, me ? `Your final rank: ${me.rank} · score ${me.score}` : "The battle is over.");
  try {
    const r = await client.results(battleId);
    const mine = me ? r.standings.find((s) => s.id === me!.id) : undefined;
    if (mine) setText(line, `Your final rank: ${mine.rank} of ${r.standings.length} · score ${mine.score}`);
    const winner = r.standings[0];
    if (winner) setText(byId("final-winner"), `Winner: ${winner.username} with ${winner.score} points`);
  } catch {
    // The pushed rank above stands; results appear a moment after the end.
  }
  conn?.close(1000, "battle over");
  setConn("disconnected", "battle over");
}

function setOnline(n: number): void {
  setText(byId("online"), `${n} online`);
}

function renderAll(): void {
  if (me) {
    setText(byId("my-score"), String(me.score));
    setText(byId("my-rank"), me.rank > 0 ? String(me.rank) : "–");
    setText(byId("my-arrows"), String(me.arrows));
    setText(byId("my-shields"), String(me.shields));
  }
  if (board && me) {
    setText(byId("board-total"), `${board.total} player${board.total === 1 ? "" : "s"}`);
    table.render(board, { myId: me.id, canAttack: battle?.status === "live" && me.arrows > 0 && !finished });
  }
  questions.setLocked(battle?.status !== "live" || finished);
  byId("no-questions").hidden = questions.size > 0;
  tick();
}

function tick(): void {
  if (!battle) return;
  const now = Date.now() + clockOffset;
  let text = "";
  if (battle.status === "scheduled")
    text = battle.startsAt === null ? "Waiting for the start" : `Starts in ${clock(battle.startsAt - now)}`;
  else if (battle.status === "live")
    text = battle.endsAt === null ? "Live" : `Ends in ${clock(battle.endsAt - now)}`;
  else text = "Ended";
  setText(byId("countdown"), text);
}

function describe(e: unknown): string {
  if (e instanceof ArenaHttpError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}

void init();
