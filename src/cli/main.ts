#!/usr/bin/env node
// The executable: wires the real process into run() and owns process.exit.

import { createInterface } from "node:readline/promises";
import { run } from "./run.js";

const controller = new AbortController();
let signalled = 0;
for (const name of ["SIGINT", "SIGTERM"] as const) {
  process.on(name, () => {
    signalled += 1;
    if (signalled > 1) process.exit(130);
    controller.abort();
  });
}

const code = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  interactive: process.stdin.isTTY === true && process.stderr.isTTY === true,
  prompt: async (question) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return await rl.question(question);
    } finally {
      rl.close();
    }
  },
  signal: controller.signal,
});
process.exitCode = code;
// Let stdout drain, then leave even if a keep-alive socket lingers.
process.stdout.write("", () => process.exit(code));
