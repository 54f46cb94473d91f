import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type BusEvent, EventBus, EventLog } from "../../src/events/index.js";

const tmp = () => join(mkdtempSync(join(tmpdir(), "planvec-events-")), "events.db");
const storeError = (n: number) => ({ operation: `op-${n}`, code: "io", message: `failure ${n}` });

describe("EventBus", () => {
  it("delivers typed events asynchronously, in order, to matching subscribers only", async () => {
    const bus = new EventBus();
    const got: string[] = [];
    const all: string[] = [];
    bus.subscribe("store.error", (event) => {
      got.push(event.payload.operation);
    });
    bus.subscribe("*", (event) => {
      all.push(event.topic);
    });
    bus.publish("store.error", storeError(1));
    bus.publish("task.changed", { file: "a.md", line: 1, id: null, title: "t", status: "done" });
    bus.publish("store.error", storeError(2));
    expect(got).toEqual([]); // publish never runs handlers synchronously
    await bus.drain();
    expect(got).toEqual(["op-1", "op-2"]);
    expect(all).toEqual(["store.error", "task.changed", "store.error"]);
    bus.close();
  });

  it("a throwing subscriber does not break others and keeps receiving", async () => {
    const errors: string[] = [];
    const bus = new EventBus({
      onError: (error, _event, name) => errors.push(`${name}: ${(error as Error).message}`),
    });
    const good: number[] = [];
    let calls = 0;
    const bad = bus.subscribe(
      "store.error",
      (event) => {
        calls++;
        if (event.payload.operation === "op-1") throw new Error("boom");
        return Promise.reject(new Error("async boom"));
      },
      { name: "bad" },
    );
    bus.subscribe("store.error", (event) => {
      good.push(Number(event.payload.operation.slice(3)));
    });
    for (let i = 1; i <= 3; i++) bus.publish("store.error", storeError(i));
    await bus.drain();
    expect(good).toEqual([1, 2, 3]);
    expect(calls).toBe(3);
    expect(bad.stats()).toMatchObject({ failed: 3, delivered: 0 });
    expect(errors).toEqual(["bad: boom", "bad: async boom", "bad: async boom"]);
    bus.close();
  });

  it("a slow subscriber does not block publishers or other subscribers", async () => {
    const bus = new EventBus();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slowSeen: number[] = [];
    bus.subscribe("store.error", async (event) => {
      await gate;
      slowSeen.push(Number(event.payload.operation.slice(3)));
    });
    const fast: number[] = [];
    const fastSub = bus.subscribe("store.error", (event) => {
      fast.push(Number(event.payload.operation.slice(3)));
    });
    for (let i = 0; i < 50; i++) bus.publish("store.error", storeError(i));
    // Let the fast subscriber run while the slow one is stuck on its first event.
    for (let i = 0; i < 5 && fast.length < 50; i++) await new Promise((r) => setTimeout(r, 10));
    expect(fast).toHaveLength(50);
    expect(fastSub.stats().depth).toBe(0);
    expect(slowSeen).toEqual([]);
    expect(bus.queueDepth()).toBeGreaterThan(40);
    release();
    await bus.drain();
    expect(slowSeen).toHaveLength(50);
    bus.close();
  });

  it("bounded queue drops the oldest events on overflow and counts them", async () => {
    const bus = new EventBus({ queueSize: 10 });
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const seen: number[] = [];
    const sub = bus.subscribe("store.error", async (event) => {
      await gate;
      seen.push(Number(event.payload.operation.slice(3)));
    });
    for (let i = 0; i < 100; i++) bus.publish("store.error", storeError(i));
    expect(sub.stats().depth).toBe(10);
    expect(sub.stats().dropped).toBe(90);
    release();
    await bus.drain();
    // Newest 10 kept (the first may already be in the handler when overflow began).
    expect(seen.slice(-10)).toEqual([90, 91, 92, 93, 94, 95, 96, 97, 98, 99]);
    expect(sub.stats().dropped + sub.stats().delivered).toBe(100);
    bus.close();
  });

  it("persists critical events in SQLite and replays them to late subscribers, then live ones", async () => {
    const path = tmp();
    const first = new EventBus({ log: path });
    first.publish("store.error", storeError(1));
    first.publish("migration.progress", { jobId: "j", read: 1, written: 1, failed: 0 }); // not critical
    first.publish("plan.indexed", { files: 2, changed: 1, records: 10, durationMs: 5 });
    first.close();

    // A new process (new bus, same file) with a late subscriber.
    const second = new EventBus({ log: path });
    const replayed: BusEvent[] = [];
    second.subscribe(
      "*",
      (event) => {
        replayed.push(event);
      },
      { since: 0 },
    );
    second.publish("store.error", storeError(2));
    await second.drain();
    expect(replayed.map((e) => e.topic)).toEqual(["store.error", "plan.indexed", "store.error"]);
    expect(replayed.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(replayed[0]?.payload).toMatchObject({ operation: "op-1" });

    const onlyNew: number[] = [];
    second.subscribe(
      "store.error",
      (event) => {
        onlyNew.push(event.seq ?? -1);
      },
      { since: 2 },
    );
    await second.drain();
    expect(onlyNew).toEqual([3]);
    second.close();

    const log = EventLog.open(path);
    expect(log.lastSeq()).toBe(3);
    expect(log.prune(1)).toBe(2);
    expect(log.read(null, 0, 10).map((e) => e.seq)).toEqual([3]);
    log.close();
  });

  it("unsubscribe stops delivery", async () => {
    const bus = new EventBus();
    const seen: number[] = [];
    const sub = bus.subscribe("store.error", (event) => {
      seen.push(Number(event.payload.operation.slice(3)));
    });
    bus.publish("store.error", storeError(1));
    await bus.drain();
    sub.unsubscribe();
    bus.publish("store.error", storeError(2));
    await bus.drain();
    expect(seen).toEqual([1]);
    bus.close();
  });
});
