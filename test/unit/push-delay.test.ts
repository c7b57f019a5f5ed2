import { describe, expect, it } from "vitest";
import { PushDelayProbe, scoreAt, topOf } from "../../loadtest/push-delay";

const row = (id: number, score: number, rank = 1) =>
  `{"rank":${rank},"id":${id},"username":"u${id}","score":${score}}`;
const frame = (top: string[], around: string[]) =>
  `{"type":"leaderboard","total":9,"online":9,"top":[${top.join(",")}],"me":{"rank":1,"score":0},"around":[${around.join(",")}]}`;

describe("PushDelayProbe", () => {
  it("watches every player whose view showed the changed player, until a frame without the old score", () => {
    const got: number[] = [];
    const seenAround: boolean[] = [];
    const probe = new PushDelayProbe((ms, _steady, inAround) => {
      got.push(ms);
      seenAround.push(inAround);
    });
    const boards: [number, string, null][] = [
      [1, frame([row(7, 10)], []), null], // sees 7 in the top
      [2, frame([], [row(7, 10), row(2, 5)]), null], // sees 7 around
      [3, frame([], [row(3, 1)]), null], // does not see 7
      [7, frame([row(7, 10)], []), null], // 7 itself is not an observer
    ];
    probe.sample(7, 10, 20, 1_000, true, boards);
    expect(probe.counts).toEqual({ changes: 1, matched: 0, unmatched: 0, early: 0 });
    probe.onFrame(1, frame([row(7, 10)], []), 1_050); // built before the change: still the old score
    probe.onFrame(3, frame([], []), 1_060); // not watched
    probe.onFrame(1, frame([row(7, 20)], []), 1_200);
    probe.onFrame(2, frame([], [row(2, 5)]), 1_700); // 7 moved out of 2's view: that is the new view
    expect(got).toEqual([200, 700]);
    // The report's top-only split: observer 1 saw 7 only in its top, observer 2 around itself.
    expect(seenAround).toEqual([false, true]);
    expect(probe.counts).toEqual({ changes: 1, matched: 2, unmatched: 0, early: 0 });
  });

  it("counts pairs that never get a fresh frame as unmatched", () => {
    const probe = new PushDelayProbe(() => {}, 64, 100, 10_000);
    probe.sample(7, 10, 20, 0, false, [[1, frame([row(7, 10)], []), null]]);
    probe.expire(5_000);
    expect(probe.counts.unmatched).toBe(0);
    probe.expire(10_001);
    expect(probe.counts).toEqual({ changes: 1, matched: 0, unmatched: 1, early: 0 });
    probe.onFrame(1, frame([row(7, 20)], []), 10_002);
    expect(probe.counts.matched).toBe(0);
  });

  it("spreads at most maxObservers watched players evenly over everyone who sees a change", () => {
    const got: number[] = [];
    const probe = new PushDelayProbe((ms) => got.push(ms), 10);
    const boards: [number, string, null][] = [];
    for (let i = 100; i < 200; i++) boards.push([i, frame([row(7, 10)], []), null]);
    probe.sample(7, 10, 11, 0, true, boards);
    for (let i = 100; i < 200; i++) probe.onFrame(i, frame([row(7, 11)], []), i);
    expect(got).toEqual([100, 110, 120, 130, 140, 150, 160, 170, 180, 190]);
  });

  it("with compact frames, answers a player seen only in the top by a frame with the player or with a top", () => {
    const got: number[] = [];
    const probe = new PushDelayProbe((ms) => got.push(ms));
    const compact = (around: string[]) =>
      `{"type":"leaderboard","total":9,"online":9,"me":{"rank":4,"score":0},"around":[${around.join(",")}]}`;
    // Observer 1's latest frame is compact; 7 is in the top of an older one. Observer 2 has 7 around.
    probe.sample(7, 10, 20, 0, true, [
      [1, compact([row(1, 0)]), frame([row(7, 10)], [])],
      [2, compact([row(7, 10, 3), row(2, 0, 4)]), frame([row(9, 90)], [])],
    ]);
    expect(probe.counts.changes).toBe(1);
    probe.onFrame(1, compact([row(1, 0)]), 100); // no top, no 7: says nothing about 7
    probe.onFrame(2, compact([row(2, 0, 3)]), 150); // 7 left 2's neighbourhood: that is the new view
    probe.onFrame(1, frame([row(7, 20)], [row(1, 0)]), 300);
    expect(got).toEqual([150, 300]);
  });

  it("counts an observer that already shows the new score when the acknowledgement arrives as a delay of 0", () => {
    const got: [number, boolean][] = [];
    const probe = new PushDelayProbe((ms, _steady, inAround) => got.push([ms, inAround]));
    const compact = (around: string[]) =>
      `{"type":"leaderboard","total":9,"online":9,"me":{"rank":4,"score":0},"around":[${around.join(",")}]}`;
    // The push with 7's new top reached observer 1 before 7's reply reached its own client: the next frames are
    // compact (the server already sent this top), and waiting for a top would measure the next top change.
    probe.sample(7, 10, 20, 500, true, [
      [1, compact([row(1, 0)]), frame([row(7, 20)], [])],
      [2, frame([row(7, 10)], []), null],
    ]);
    expect(got).toEqual([[0, false]]);
    expect(probe.counts).toEqual({ changes: 1, matched: 1, unmatched: 0, early: 1 });
    probe.onFrame(1, compact([row(1, 0)]), 900);
    probe.onFrame(2, frame([row(7, 20)], []), 700);
    expect(got).toEqual([
      [0, false],
      [200, false],
    ]);
  });

  it("counts an older frame's top, never its around, as what a compact frame's observer sees", () => {
    const got: number[] = [];
    const probe = new PushDelayProbe((ms) => got.push(ms));
    const compact = (around: string[]) =>
      `{"type":"leaderboard","total":9,"online":9,"me":{"rank":4,"score":0},"around":[${around.join(",")}]}`;
    // Observer 1 had 7 around it when its last top came; 7 has moved away since (its latest frame is compact).
    probe.sample(7, 10, 20, 0, true, [[1, compact([row(1, 0)]), frame([row(9, 90)], [row(7, 10)])]]);
    expect(probe.counts.changes).toBe(0);
    expect(topOf(frame([row(9, 90)], [row(7, 10)]))).toBe(`"top":[${row(9, 90)}]`);
    expect(topOf(compact([row(7, 10)]))).toBe("");
  });

  it("reads a score after a row's id without parsing the frame", () => {
    const f = frame([row(1, 3), row(17, 5)], [row(7, 9)]);
    expect(scoreAt(f, '"id":7,')).toBe(9);
    expect(scoreAt(f, '"id":17,')).toBe(5);
    expect(scoreAt(f, '"id":8,')).toBeUndefined();
    expect(scoreAt(frame([row(7, -12)], []), '"id":7,')).toBe(-12);
  });

  it("reads a player's score from the top or around, and nothing from a bad frame or a username", () => {
    expect(scoreAt(frame([row(7, 4)], [row(7, 4)]), '"id":7,')).toBe(4);
    expect(scoreAt("{nope", '"id":7,')).toBeUndefined();
    // A username is a JSON string: its quotes are escaped, so it never reads as a row's id or score.
    const tricky = `{"rank":1,"id":3,"username":${JSON.stringify('"id":7,"score":99')},"score":1}`;
    expect(scoreAt(frame([tricky], [row(7, 5)]), '"id":7,')).toBe(5);
  });
});
