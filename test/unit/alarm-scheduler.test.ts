import { describe, expect, it } from "vitest";
import { AlarmScheduler, type TimerStore } from "../../src/battle/alarm-scheduler";

function harness(stored = new Map<string, number>()) {
  const store: TimerStore = {
    loadTimers: () => new Map(stored),
    saveTimer: (name, at) => {
      if (at === null) stored.delete(name);
      else stored.set(name, at);
    },
  };
  const alarm = { at: null as number | null, sets: 0 };
  const scheduler = new AlarmScheduler(store, {
    setAlarm: (at) => {
      alarm.at = at;
      alarm.sets++;
    },
    log: () => {},
  });
  return { scheduler, alarm, stored };
}

describe("AlarmScheduler", () => {
  it("arms the single alarm only when a timer is sooner than the armed one", async () => {
    const { scheduler, alarm } = harness();
    await scheduler.set("end", 10_000);
    expect(alarm.at).toBe(10_000);
    await scheduler.set("sweep", 5_000);
    expect(alarm.at).toBe(5_000);
    await scheduler.set("retry", 7_000);
    expect(alarm.at).toBe(5_000);
    expect(alarm.sets).toBe(2);
  });

  it("runs every due timer when the alarm fires and re-arms for the soonest left", async () => {
    const { scheduler, alarm } = harness();
    const ran: string[] = [];
    scheduler.register("sweep", (now) => {
      ran.push(`sweep@${now}`);
      return scheduler.set("sweep", now + 1_000);
    });
    scheduler.register("end", () => void ran.push("end"));
    await scheduler.set("end", 10_000);
    await scheduler.set("sweep", 1_000);
    await scheduler.fire(1_000);
    expect(ran).toEqual(["sweep@1000"]);
    expect(alarm.at).toBe(2_000);
    await scheduler.fire(10_500);
    expect(ran).toEqual(["sweep@1000", "sweep@10500", "end"]);
    expect(alarm.at).toBe(11_500);
    expect(scheduler.dueAt("end")).toBeNull();
  });

  it("keeps timers in storage, so a restarted object runs them (and re-arms on load)", async () => {
    const first = harness();
    await first.scheduler.set("flush", 3_000);
    const second = harness(first.stored);
    const ran: number[] = [];
    second.scheduler.register("flush", (now) => void ran.push(now));
    await second.scheduler.ensureArmed();
    expect(second.alarm.at).toBe(3_000);
    await second.scheduler.fire(3_000);
    expect(ran).toEqual([3_000]);
    expect(first.stored.size).toBe(0);
  });

  it("a cleared timer does not run when the alarm fires, and a failing one does not stop the others", async () => {
    const { scheduler } = harness();
    const ran: string[] = [];
    scheduler.register("a", () => {
      throw new Error("boom");
    });
    scheduler.register("b", () => void ran.push("b"));
    scheduler.register("c", () => void ran.push("c"));
    await scheduler.set("a", 1);
    await scheduler.set("b", 2);
    await scheduler.set("c", 3);
    scheduler.clear("c");
    await scheduler.fire(10);
    expect(ran).toEqual(["b"]);
  });
});
