// The throttle shared by a client's calls: unbounded until a 429, then a shared wait and a
// window halved once per burst, widened again by each try that gets through.

import { setMaxListeners } from "node:events";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Throttle, type Ticket } from "./throttle.js";

/** A throttle on a clock that moves only when its sleep is called, recording each sleep. */
function virtual(stop?: AbortSignal): { throttle: Throttle; sleeps: number[]; settle: () => Promise<void> } {
  let now = 1_000;
  const sleeps: number[] = [];
  const throttle = new Throttle(
    () => now,
    (ms) => {
      sleeps.push(ms);
      return Promise.resolve().then(() => {
        now += ms;
      });
    },
    stop,
  );
  return { throttle, sleeps, settle: () => new Promise((resolve) => setImmediate(resolve)) };
}

/** Each call's number: later calls, higher numbers. */
let calls = 100;

function out(throttle: Throttle, count: number): Ticket[] {
  const tickets: Ticket[] = [];
  for (let i = 0; i < count; i++) {
    const ticket = throttle.enterNow();
    if (ticket === undefined) throw new Error(`try ${i} was held`);
    tickets.push(ticket);
  }
  return tickets;
}

describe("Throttle", () => {
  it("lets every try out at once until Studio answers 429", () => {
    const { throttle } = virtual();
    expect(out(throttle, 500)).toHaveLength(500);
    for (let i = 0; i < 500; i++) throttle.passed();
    expect(out(throttle, 500)).toHaveLength(500);
  });

  it("after a 429 holds every try for the wait, then lets half of what was out go, oldest first", async () => {
    const { throttle, sleeps, settle } = virtual();
    const tickets = out(throttle, 20);
    throttle.passed();
    throttle.passed();
    // The whole burst is answered 429: one cut, one wait.
    for (const ticket of tickets.slice(2)) throttle.throttled(ticket, 1_000);
    expect(throttle.enterNow()).toBeUndefined();
    const order: number[] = [];
    const turns = Array.from({ length: 18 }, (_, i) => throttle.enter(i).then(() => order.push(i)));
    await settle();
    expect(sleeps).toEqual([1_000]);
    // 18 were out at the first 429: 9 go, in the order they asked.
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    // Each that gets through makes room for one more, and widens the window by a ninth.
    throttle.passed();
    await settle();
    expect(order).toHaveLength(10);
    for (let i = 0; i < 8; i++) throttle.passed();
    await settle();
    expect(order).toHaveLength(18);
    await Promise.all(turns);
  });

  it("cuts the window again for a 429 to a try sent after the last cut, and never below one", async () => {
    const { throttle, settle } = virtual();
    let tickets = out(throttle, 8);
    for (const ticket of tickets) throttle.throttled(ticket, 100);
    const first = await Promise.all([throttle.enter(calls++), throttle.enter(calls++), throttle.enter(calls++), throttle.enter(calls++)]);
    // 8 out: 4 may go; they were sent after the cut.
    expect(throttle.enterNow()).toBeUndefined();
    for (const ticket of first as Ticket[]) throttle.throttled(ticket, 100);
    const waiting = [throttle.enter(calls++), throttle.enter(calls++), throttle.enter(calls++)];
    await settle();
    tickets = (await Promise.all(waiting.slice(0, 2))) as Ticket[];
    expect(tickets).toHaveLength(2);
    for (const ticket of tickets) throttle.throttled(ticket, 100);
    const one = (await waiting[2]) as Ticket;
    throttle.throttled(one, 100);
    const last = throttle.enter(calls++);
    await settle();
    // 1 out at the cut: it stays at 1.
    expect(typeof (await last)).toBe("number");
  });

  it("grows back by about one per window of tries that got through, to no limit at all", async () => {
    const { throttle } = virtual();
    const [ticket] = out(throttle, 2);
    throttle.throttled(ticket!, 0);
    throttle.ended();
    await throttle.enter(calls++);
    throttle.passed();
    const windows: number[] = [];
    for (let round = 0; round < 5_000; round++) {
      let size = 0;
      while (size < 10_000 && throttle.enterNow() !== undefined) size += 1;
      windows.push(size);
      if (size === 10_000) break;
      for (let i = 0; i < size; i++) throttle.passed();
    }
    expect(windows.slice(0, 12)).toEqual([2, 2, 3, 4, 5, 6, 7, 7, 8, 9, 10, 11]);
    expect(windows.every((size, i) => i === 0 || size - windows[i - 1]! <= 1 || size === 10_000)).toBe(true);
    // Past 1,024 at once it is no limit at all.
    expect(windows.slice(-2)).toEqual([1_023, 10_000]);
  });

  it("waits once for a 429 that came during the wait, only for what it adds", async () => {
    let now = 0;
    const sleeps: number[] = [];
    let wake: () => void = () => undefined;
    const throttle = new Throttle(
      () => now,
      (ms) => {
        sleeps.push(ms);
        return new Promise((resolve) => (wake = () => resolve()));
      },
      undefined,
    );
    const [a, b] = out(throttle, 2);
    expect(throttle.throttled(a!, 1_000)).toBe("began");
    now = 300;
    expect(throttle.throttled(b!, 1_000)).toBe("joined");
    const turn = throttle.enter(calls++);
    now = 1_000;
    wake();
    await new Promise((resolve) => setImmediate(resolve));
    expect(sleeps).toEqual([1_000, 300]);
    now = 1_300;
    wake();
    expect(typeof (await turn)).toBe("number");
  });

  it("answers a try waiting for its turn 'stopped' when the command is stopped, and lets no other out", async () => {
    const stop = new AbortController();
    const { throttle } = virtual(stop.signal);
    const [ticket] = out(throttle, 1);
    throttle.throttled(ticket!, 60_000);
    const turns = [throttle.enter(calls++), throttle.enter(calls++)];
    stop.abort("SIGINT");
    expect(await Promise.all(turns)).toEqual(["stopped", "stopped"]);
    expect(await throttle.enter(calls++)).toBe("stopped");
  });

  it("lets a call turned away go before calls that started after it", async () => {
    const { throttle, settle } = virtual();
    const tickets = out(throttle, 2);
    throttle.throttled(tickets[0]!, 1_000);
    const order: string[] = [];
    void throttle.enter(7).then(() => order.push("call 7"));
    void throttle.enter(8).then(() => order.push("call 8"));
    // Call 3 was turned away again: it goes first, then the others in their order.
    throttle.throttled(tickets[1]!, 1_000);
    void throttle.enter(3).then(() => order.push("call 3"));
    await settle();
    expect(order).toEqual(["call 3"]);
    throttle.passed();
    await settle();
    expect(order).toEqual(["call 3", "call 7", "call 8"]);
  });

  it("says how long Studio has answered 429 and let no try through, until one gets through", () => {
    let now = 0;
    const throttle = new Throttle(() => now, undefined, undefined);
    const [a, , c] = out(throttle, 3);
    expect(throttle.refusingFor()).toBe(0);
    throttle.throttled(a!, undefined);
    now = 1_000;
    throttle.ended();
    throttle.throttled(c!, undefined);
    now = 1_500;
    // From the first 429: a try that ended otherwise says nothing about the rate.
    expect(throttle.refusingFor()).toBe(1_500);
    throttle.passed();
    expect(throttle.refusingFor()).toBe(0);
  });

  it("does not wait when the call that got the 429 gives up", () => {
    const { throttle, sleeps } = virtual();
    const [ticket] = out(throttle, 4);
    expect(throttle.throttled(ticket!, undefined)).toBe("none");
    expect(sleeps).toEqual([]);
    // 4 were out: 2 may be, and 3 still are.
    expect(throttle.enterNow()).toBeUndefined();
  });

  it("lets every call end, whatever its tries meet, and holds nothing once they have", async () => {
    /** What one try meets: it gets through, fails otherwise, or is answered 429 with a wait (undefined: given up). */
    const outcome = fc.oneof(
      fc.constant<"passed">("passed"),
      fc.constant<"ended">("ended"),
      fc.record({ delayMs: fc.option(fc.integer({ min: 0, max: 3_000 }), { nil: undefined }) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(outcome, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 20 }),
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 30 }),
        fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined }),
        async (calls, latencies, stopAtStep) => {
          let now = 0;
          const timers: { at: number; wake: () => void }[] = [];
          const stop = new AbortController();
          // Each call waiting its turn listens for the stop, as in the client (call.ts).
          setMaxListeners(0, stop.signal);
          const throttle = new Throttle(
            () => now,
            (ms) => new Promise((wake) => timers.push({ at: now + ms, wake })),
            stop.signal,
          );
          const tick = () => new Promise((resolve) => setImmediate(resolve));
          let latency = 0;
          // Each call as call.ts makes it: a turn, a try, and what the try met told the throttle.
          const run = async (tries: (typeof calls)[number], order: number): Promise<string> => {
            for (let attempt = 0; ; attempt++) {
              if (stop.signal.aborted) return "stopped";
              const ticket = throttle.enterNow() ?? (await throttle.enter(order));
              if (ticket === "stopped") return "stopped";
              for (let i = latencies[latency++ % latencies.length]!; i > 0; i--) await tick();
              const met = tries[Math.min(attempt, tries.length - 1)]!;
              if (met === "passed" || met === "ended") {
                throttle[met]();
                return met;
              }
              // The last try of a call gives up.
              const delayMs = attempt < tries.length - 1 ? met.delayMs : undefined;
              throttle.throttled(ticket, delayMs);
              if (delayMs === undefined) return "given up";
            }
          };
          const ended: string[] = [];
          const all = calls.map((tries, order) => run(tries, order).then((how) => ended.push(how)));
          for (let step = 0; step < 3_000 && ended.length < calls.length; step++) {
            await tick();
            if (step === stopAtStep) stop.abort("SIGINT");
            // The clock moves to the next wake-up once nothing else can happen first.
            if (timers.length > 0) {
              now = Math.max(now, Math.min(...timers.map((t) => t.at)));
              for (const due of timers.filter((t) => t.at <= now)) {
                timers.splice(timers.indexOf(due), 1);
                due.wake();
              }
            }
          }
          expect(ended).toHaveLength(calls.length);
          await Promise.all(all);
          if (stop.signal.aborted) return;
          // Nothing out, no wait under way: the next try goes at once.
          expect(throttle.pauseLeft()).toBe(0);
          expect(typeof throttle.enterNow()).toBe("number");
        },
      ),
      { numRuns: 300, seed: 20261130 },
    );
  });
});
