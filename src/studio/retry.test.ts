import { describe, expect, it } from "vitest";
import { backoffDelay, pauseUnlessStopped } from "./retry.js";

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
