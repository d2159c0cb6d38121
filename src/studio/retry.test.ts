// The backoff shared by the client's retries and apply's create attempts, and the real
// wait behind them, which a stop request must cut short.

import { describe, expect, it } from "vitest";
import { formatDuration } from "./reply-text.js";
import { backoffDelay, pauseUnlessStopped, sleep } from "./retry.js";

describe("backoffDelay", () => {
  it("doubles its ceiling each attempt up to the maximum, and scales it by the jitter", () => {
    const options = { baseMs: 200, maxMs: 2_000 };
    expect([0, 1, 2, 3, 4, 5].map((attempt) => backoffDelay(attempt, options, () => 1))).toEqual([200, 400, 800, 1600, 2000, 2000]);
    expect(backoffDelay(3, options, () => 0.25)).toBe(400);
    expect(backoffDelay(3, options, () => 0)).toBe(0);
  });
});

describe("formatDuration", () => {
  it("writes tenths of a second under a minute, then minutes and whole seconds", () => {
    expect([0, 40, 6_200, 12_345, 59_949, 59_950, 60_000, 301_400, 3_600_000].map(formatDuration)).toEqual([
      "0 s",
      "0 s",
      "6.2 s",
      "12.3 s",
      "59.9 s",
      "1 min",
      "1 min",
      "5 min 1 s",
      "60 min",
    ]);
  });
});

describe("sleep", () => {
  it("ends early when the stop signal aborts, and at once when it already has", async () => {
    const controller = new AbortController();
    const started = performance.now();
    const waiting = sleep(60_000, controller.signal);
    setTimeout(() => controller.abort(), 20);
    await waiting;
    await sleep(60_000, controller.signal);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it("waits the time asked when nothing stops it", async () => {
    const started = performance.now();
    await sleep(30);
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
  });
});

describe("waiting between tries", () => {
  it("waits with the injected sleep, for the delay asked", async () => {
    const asked: number[] = [];
    const sleep = (ms: number) => {
      asked.push(ms);
      return Promise.resolve();
    };
    expect(await pauseUnlessStopped(1_234, new AbortController().signal, sleep)).toBe("waited");
    expect(asked).toEqual([1_234]);
  });

  it("ends a long wait as soon as the command is stopped, and does not start one after", async () => {
    const controller = new AbortController();
    const waiting = pauseUnlessStopped(600_000, controller.signal);
    controller.abort("SIGTERM");
    expect(await waiting).toBe("stopped");
    let slept = false;
    const sleep = () => {
      slept = true;
      return Promise.resolve();
    };
    expect(await pauseUnlessStopped(10, controller.signal, sleep)).toBe("stopped");
    expect(slept).toBe(false);
  });

  it("backs off exponentially with full jitter, up to the maximum", () => {
    const options = { baseMs: 100, maxMs: 2_000 };
    expect([1, 2, 3, 4, 5, 6].map((attempt) => backoffDelay(attempt, options, () => 1))).toEqual([200, 400, 800, 1600, 2000, 2000]);
    expect(backoffDelay(3, options, () => 0.5)).toBe(400);
    expect(backoffDelay(3, options, () => 0)).toBe(0);
  });
});
