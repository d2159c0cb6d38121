// One `studio-jobs plan` in a process of its own, so its time and peak memory are its own.
// Prints {ms, maxRssMb, exitCode} as JSON on the last line.

import { run } from "../src/cli/run.js";

const [cwd, ...args] = process.argv.slice(2);
const started = performance.now();
let out = 0;
const code = await run(args, {
  stdout: { write: (t) => void (out += t.length) },
  stderr: { write: (t) => void process.stderr.write(t) },
  env: process.env,
  cwd: cwd ?? process.cwd(),
  interactive: false,
  prompt: () => Promise.resolve(""),
  signal: new AbortController().signal,
});
const ms = performance.now() - started;
process.stdout.write(`${JSON.stringify({ ms, maxRssMb: process.resourceUsage().maxRSS / 1024, exitCode: code, outputChars: out })}\n`);
process.exit(0);
