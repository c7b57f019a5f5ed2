/** @module Battle setup through the operator API: a question set with known keys, create, start, end. */
import { requestJson } from "@arena/client";
import type { QuestionPlan } from "./ipc";

export interface OperatorApi {
  readonly baseUrl: string;
  readonly token: string;
}

interface QuestionInput {
  id: string;
  text: string;
  choices?: string[];
  answer: number | string | string[];
}

/** Half multiple choice, half exact answers; returns what the server gets and what players may send. */
export function makeQuestions(
  n: number,
  rng: () => number,
): { input: QuestionInput[]; plan: QuestionPlan[] } {
  const input: QuestionInput[] = [];
  const plan: QuestionPlan[] = [];
  for (let i = 0; i < n; i++) {
    const id = `q${i}`;
    if (i % 2 === 0) {
      const right = Math.floor(rng() * 4);
      input.push({ id, text: `Question ${i}: pick ${right}`, choices: ["a", "b", "c", "d"], answer: right });
      plan.push({ id, right, wrong: (right + 1) % 4 });
    } else {
      input.push({ id, text: `Question ${i}: type word ${i}`, answer: [`Word ${i}`, `w${i}`] });
      plan.push({ id, right: `  word ${i} `, wrong: `nope ${i}` });
    }
  }
  return { input, plan };
}

function call<T>(api: OperatorApi, method: string, path: string, body?: unknown): Promise<T> {
  return requestJson<T>((u, i) => fetch(u, i), `${api.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${api.token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

export async function createAndStart(
  api: OperatorApi,
  /** `shards` is always sent: a load test measures the objects it asks for, not the automatic count for maxPlayers. */
  battle: { id: string; questions: QuestionInput[]; durationMs: number; maxPlayers: number; shards: number },
): Promise<void> {
  await call(api, "POST", "/api/admin/battles", {
    id: battle.id,
    title: `Load test ${battle.id}`,
    questions: battle.questions,
    points: 10,
    speedBonus: { max: 5, windowMs: battle.durationMs },
    durationMs: battle.durationMs,
    maxPlayers: battle.maxPlayers,
    leaderboardSize: 10,
    shards: battle.shards,
  });
  await call(api, "POST", `/api/admin/battles/${battle.id}/start`, {});
}

export interface CommitStats {
  readonly batches: number;
  readonly writes: number;
  readonly largest: number;
}

import type { PushStats } from "../src/battle/push-scheduler";

export type { PushStats as ServerPushStats } from "../src/battle/push-scheduler";

/**
 * The freshness bound the object reports now (`freshness.boundMs` of the admin view: how stale a changed view may
 * get at the fan-out's measured cost and share), or null when the server predates it or fan-out is off.
 */
export async function freshnessBound(api: OperatorApi, id: string): Promise<number | null> {
  const r = await call<{ battle: { freshness?: { boundMs: number | null } } }>(
    api,
    "GET",
    `/api/admin/battles/${id}`,
  );
  return r.battle.freshness?.boundMs ?? null;
}

/** Ends the battle; returns the object's group-commit and push counters (absent from servers that predate them). */
export async function endBattle(
  api: OperatorApi,
  id: string,
): Promise<{ commits: CommitStats | null; pushes: PushStats | null }> {
  const r = await call<{ battle: { commits?: CommitStats; pushes?: PushStats } }>(
    api,
    "POST",
    `/api/admin/battles/${id}/end`,
    {},
  );
  return { commits: r.battle.commits ?? null, pushes: r.battle.pushes ?? null };
}
