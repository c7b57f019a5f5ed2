/**
 * @module End-of-run correctness: recompute every player's score from what the generator saw acknowledged
 * (answer points, attack pointsLost against them) and compare with the server's final standings.
 */

export interface PlayerRecord {
  readonly username: string;
  readonly participantId: number;
  /** Sum of `points` over this player's acknowledged answers. */
  readonly answerPoints: number;
  /** Acknowledged answers that were correct (the server's `correct` must match). */
  readonly correct?: number;
  /** A request of theirs (answer) never got a reply, so their score cannot be known. */
  readonly unknowable: boolean;
}

export interface Mismatch {
  readonly username: string;
  readonly participantId: number;
  readonly expected: number;
  readonly actual: number | null;
  /** Set when the score matched but the count of correct answers did not. */
  readonly field?: "correct";
}

export interface Verification {
  readonly checked: number;
  readonly excluded: number;
  readonly mismatches: readonly Mismatch[];
  /** Participants on the server the generator has no record of (e.g. a join whose reply was lost). */
  readonly unknownOnServer: number;
}

/**
 * `losses` maps a target's participant id to the points acknowledged attacks took from them; `unknownTargets`
 * are targets of attacks whose reply never came.
 */
export function verifyScores(
  players: readonly PlayerRecord[],
  losses: ReadonlyMap<number, number>,
  unknownTargets: ReadonlySet<number>,
  standings: readonly { readonly id: number; readonly score: number; readonly correct?: number }[],
): Verification {
  const actual = new Map<number, number>();
  const correct = new Map<number, number>();
  for (const s of standings) {
    actual.set(s.id, s.score);
    if (s.correct !== undefined) correct.set(s.id, s.correct);
  }
  const mismatches: Mismatch[] = [];
  let checked = 0;
  let excluded = 0;
  const known = new Set<number>();
  for (const p of players) {
    known.add(p.participantId);
    if (p.unknowable || unknownTargets.has(p.participantId)) {
      excluded++;
      continue;
    }
    checked++;
    const expected = p.answerPoints - (losses.get(p.participantId) ?? 0);
    const got = actual.get(p.participantId);
    if (got !== expected) {
      mismatches.push({
        username: p.username,
        participantId: p.participantId,
        expected,
        actual: got ?? null,
      });
    } else if (
      p.correct !== undefined &&
      correct.has(p.participantId) &&
      correct.get(p.participantId) !== p.correct
    ) {
      // Same score, different count of correct answers: an acknowledged answer was lost and another counted twice.
      mismatches.push({
        username: p.username,
        participantId: p.participantId,
        expected: p.correct,
        actual: correct.get(p.participantId) ?? null,
        field: "correct",
      });
    }
  }
  let unknownOnServer = 0;
  for (const s of standings) if (!known.has(s.id)) unknownOnServer++;
  return { checked, excluded, mismatches, unknownOnServer };
}
