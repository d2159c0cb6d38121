// apply's progress on stderr: the same text as one write per event, written once per turn
// of the event loop, at once after a stop request, and all of it by the end.

import { describe, expect, it } from "vitest";
import type { ApplyEvent, StepResult } from "../src/apply/types.js";
import { createProgress } from "../src/cli/commands/apply.js";

function end(key: string, done: number, total: number): ApplyEvent {
  const result: StepResult = { step: "create", action: "create", key, team: "demo", status: "applied", jobId: `id-${key}` };
  return { type: "end", result, done, total };
}

function recorder(isTTY?: boolean): { writes: string[]; stderr: { write: (text: string) => void; isTTY?: boolean } } {
  const writes: string[] = [];
  return { writes, stderr: { write: (text) => writes.push(text), ...(isTTY === undefined ? {} : { isTTY }) } };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe("apply progress", () => {
  it("writes a turn's lines in one write at the end of the turn, and the rest at finish", async () => {
    const out = recorder();
    const stop = new AbortController();
    const progress = createProgress({ stderr: out.stderr, signal: stop.signal, env: {} }, { batch: true });
    progress.onEvent({ type: "start", total: 3 });
    progress.onEvent(end("a", 1, 3));
    progress.onEvent(end("b", 2, 3));
    expect(out.writes).toEqual([]);
    await turn();
    expect(out.writes).toEqual(["[1/3] create demo/a: done (job id-a)\n[2/3] create demo/b: done (job id-b)\n"]);
    progress.onEvent(end("c", 3, 3));
    progress.finish();
    expect(out.writes.join("")).toBe(
      "[1/3] create demo/a: done (job id-a)\n[2/3] create demo/b: done (job id-b)\n[3/3] create demo/c: done (job id-c)\n",
    );
    expect(out.writes).toHaveLength(2);
  });

  it("a stop request writes what is pending at once, and every line after it goes out as it comes", () => {
    const out = recorder();
    const stop = new AbortController();
    const progress = createProgress({ stderr: out.stderr, signal: stop.signal, env: {} }, { batch: true });
    progress.onEvent(end("a", 1, 2));
    expect(out.writes).toEqual([]);
    stop.abort("SIGINT");
    expect(out.writes).toEqual(["[1/2] create demo/a: done (job id-a)\n"]);
    progress.onEvent(end("b", 2, 2));
    expect(out.writes).toEqual(["[1/2] create demo/a: done (job id-a)\n", "[2/2] create demo/b: done (job id-b)\n"]);
    progress.finish();
    expect(out.writes).toHaveLength(2);
  });

  it("on a terminal, the live line's bytes are the same, cleared at finish", async () => {
    const out = recorder(true);
    const progress = createProgress({ stderr: out.stderr, signal: new AbortController().signal, env: {} }, { batch: true });
    progress.onEvent({ type: "begin", step: "create", key: "a", team: "demo", done: 0, total: 1 });
    progress.onEvent(end("a", 1, 1));
    await turn();
    progress.finish();
    expect(out.writes).toEqual(["\r\x1b[2K[1/1] create a\r\x1b[2K[1/1] create a", "\r\x1b[2K"]);
  });

  it("on a terminal, the live line shows a key's bidi override and zero-width space as escapes, as the lines without one do", async () => {
    // Found by applying a plan that cancels a job made by hand in Studio, named and keyed
    // "x\u202e ```": Studio's replies refuse control characters, not these, and the live
    // line wrote the override as itself, reversing the rest of the line.
    const out = recorder(true);
    const progress = createProgress({ stderr: out.stderr, signal: new AbortController().signal, env: {} }, { batch: true });
    const key = "x\u202ey\u200bz";
    progress.onEvent({ type: "begin", step: "cancel", key, team: "demo", done: 0, total: 1 });
    progress.onEvent({
      type: "end",
      result: { step: "cancel", action: "cancel", key, team: "demo", status: "applied" },
      done: 1,
      total: 1,
    });
    await turn();
    progress.finish();
    expect(out.writes).toEqual(["\r\x1b[2K[1/1] cancel x\\u202ey\\u200bz\r\x1b[2K[1/1] cancel x\\u202ey\\u200bz", "\r\x1b[2K"]);
  });

  it("without batch (--verbose), one write per event", () => {
    const out = recorder();
    const progress = createProgress({ stderr: out.stderr, signal: new AbortController().signal, env: {} }, { batch: false });
    progress.onEvent(end("a", 1, 2));
    progress.onEvent(end("b", 2, 2));
    expect(out.writes).toEqual(["[1/2] create demo/a: done (job id-a)\n", "[2/2] create demo/b: done (job id-b)\n"]);
    progress.finish();
    expect(out.writes).toHaveLength(2);
  });

  it("an exit before finish writes what is pending, then the steps under way and not started, and finish lets go of the exit", () => {
    const out = recorder();
    const atExit = new Set<() => void>();
    const exit = { on: (f: () => void) => void atExit.add(f), off: (f: () => void) => void atExit.delete(f) };
    const again = "Run apply again to finish: its plan shows what is left.";
    const progress = createProgress({ stderr: out.stderr, signal: new AbortController().signal, env: {} }, { batch: true, exit, again });
    progress.onEvent({ type: "start", total: 4 });
    progress.onEvent({ type: "begin", step: "create", key: "a", team: "demo", done: 0, total: 4 });
    progress.onEvent({ type: "begin", step: "create", key: "b", team: "demo", done: 0, total: 4 });
    progress.onEvent(end("a", 1, 4));
    expect(out.writes).toEqual([]);
    for (const flush of atExit) flush();
    expect(out.writes).toEqual([
      "[1/4] create demo/a: done (job id-a)\n",
      "Exited before the steps ended: only those said done above are known done.\n" +
        "Under way, and maybe carried out by Studio or maybe not: create demo/b.\n" +
        "Not started: 2 of 4 steps.\n" +
        `${again}\n`,
    ]);
    progress.finish();
    expect(out.writes).toHaveLength(2);
    expect(atExit.size).toBe(0);
  });

  it("an exit of a saved plan's apply with only uploads begun says to apply the plan again, not to make a new one", () => {
    // Found by review: one signal said so (an upload changes no job, so the plan is not
    // stale), a second one said the plan may be stale and to make a new one.
    const run = (steps: ("upload" | "create")[]) => {
      const out = recorder();
      const atExit = new Set<() => void>();
      const exit = { on: (f: () => void) => void atExit.add(f), off: (f: () => void) => void atExit.delete(f) };
      const progress = createProgress(
        { stderr: out.stderr, signal: new AbortController().signal, env: {} },
        { batch: true, exit, again: "plan.json may be stale now.", againUntouched: "No job was changed: apply plan.json again to finish." },
      );
      progress.onEvent({ type: "start", total: 3 });
      for (const step of steps) progress.onEvent({ type: "begin", step, key: "a", team: "demo", done: 0, total: 3 });
      for (const flush of atExit) flush();
      return out.writes.join("").split("\n").slice(-2)[0];
    };
    expect([run(["upload"]), run(["upload", "create"])]).toEqual([
      "No job was changed: apply plan.json again to finish.",
      "plan.json may be stale now.",
    ]);
  });
});
