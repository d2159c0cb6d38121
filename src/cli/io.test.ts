// The confirmation's question: one line read, and no answer said on a line of its own.

import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { askLine } from "./io.js";

function streams() {
  const input = new PassThrough();
  const output = new PassThrough();
  let written = "";
  output.on("data", (chunk: Buffer) => (written += chunk.toString("utf8")));
  return { input, output, written: () => written };
}

describe("askLine", () => {
  it("answers the line typed, and leaves the line as the typing ended it", async () => {
    const { input, output, written } = streams();
    const answer = askLine(input, output, "Apply? ", new AbortController().signal, () => undefined);
    input.write("yes\n");
    expect([await answer, written()]).toEqual(["yes", "Apply? "]);
  });

  it("takes an input that ends (Ctrl-D) or a stop (Ctrl-C) as no answer, and ends the question's line", async () => {
    // Found by an adversarial tester: Ctrl-D at destroy's question printed "Destroy
    // cancelled; nothing was changed." on the question's line.
    // On a terminal, as the question is only asked there: Ctrl-D is a keystroke readline reads.
    const ended = streams();
    Object.assign(ended.output, { isTTY: true, columns: 80 });
    const eof = askLine(ended.input, ended.output, "Destroy? ", new AbortController().signal, () => undefined);
    ended.input.write("\x04");
    const answer = await eof;
    // After the question (and readline's cursor moves), a line break.
    expect([answer, ended.written().includes("Destroy? "), ended.written().slice(ended.written().lastIndexOf("Destroy? "))]).toEqual([
      "",
      true,
      "Destroy? \x1b[10G\n",
    ]);
    const stopped = streams();
    const controller = new AbortController();
    const interrupted = askLine(stopped.input, stopped.output, "Apply? ", controller.signal, () => undefined);
    while (!stopped.written().includes("Apply? ")) await new Promise((resolve) => setImmediate(resolve));
    controller.abort("SIGINT");
    // One line break after the question, readline's own: not a blank line besides.
    expect([await interrupted, /^Apply\? \r?\n$/.test(stopped.written())]).toEqual(["", true]);
  });

  it("hands Ctrl-C typed at the question to onInterrupt, which decides what it stops", async () => {
    // On a terminal readline reads Ctrl-C as a keystroke, and stops nothing by itself.
    const typed = streams();
    Object.assign(typed.output, { isTTY: true, columns: 80 });
    const controller = new AbortController();
    const interrupts: string[] = [];
    const answer = askLine(typed.input, typed.output, "Apply? ", controller.signal, () => {
      interrupts.push("SIGINT");
      controller.abort("SIGINT");
    });
    while (!typed.written().includes("Apply? ")) await new Promise((resolve) => setImmediate(resolve));
    typed.input.write("\x03");
    expect([await answer, interrupts]).toEqual(["", ["SIGINT"]]);
  });
});
