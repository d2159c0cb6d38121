#!/usr/bin/env node
// The executable: wires the real process into run() and owns process.exit.
// No top-level await: the build bundles this entry as CommonJS (see docs/architecture.md,
// "The built CLI"), which starts faster than an ES module.

import { isatty } from "node:tty";
import { nodeTooOld } from "./node-version.js";

// A write to stderr that fails (its reader went away: `2>&1 | tee log` with tee killed, a CI
// log pipe closed) cannot be said anywhere, and must not end the command: without a listener
// the failure was an uncaught exception, and an apply exited 1 with its first creates under
// way and the rest never started. The command goes on and exits as it would have; what it
// had to say on stderr (progress, warnings, errors) is lost, its exit code is not.
process.stderr.on("error", () => undefined);

const argv = process.argv.slice(2);
// First, on an older Node, what it needs: not the syntax or missing API error of whatever
// it loaded next. `engines` alone is a warning an install gives once, if it is seen.
const tooOld = nodeTooOld(process.versions.node);
if (tooOld !== undefined) {
  process.stderr.write(tooOld);
  process.exitCode = 1;
} else if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
  // The one answer that needs nothing else, asked for by scripts that check the tool is
  // there: the command-line parser and every command are left unloaded. The same output
  // as commander's own --version, which answers any other form (`--no-color --version`).
  void import("../version.js").then(({ toolVersion }) =>
    process.stdout.write(`${toolVersion()}\n`, (error) => {
      if (error == null) return;
      process.stderr.write(`${cutShort(error)}\n`);
      process.exitCode = 1;
    }),
  );
  process.stdout.on("error", () => undefined); // said by the write's callback
} else {
  void main(argv);
}

async function main(argv: string[]): Promise<void> {
  const [{ createRedactor }, { run, withoutWorkflowCommands }] = await Promise.all([import("../redact.js"), import("./run.js")]);
  const secrets = createRedactor();

  // The first SIGINT/SIGTERM (what CI runners send on cancel) asks the command to stop: no new
  // request or apply step starts, reads in flight are dropped, writes get a moment to finish,
  // and the command reports and exits 1 within a few seconds. A second one exits at once.
  const controller = new AbortController();
  let signalled = 0;
  for (const name of ["SIGINT", "SIGTERM"] as const) {
    process.on(name, () => {
      signalled += 1;
      if (signalled > 1) {
        process.stderr.write(`\nInterrupted again by ${name}: exiting now.\n`);
        process.exit(name === "SIGINT" ? 130 : 143);
      }
      controller.abort(name);
    });
  }

  // Whatever escapes run() is a bug, but its text still must not carry a secret out.
  for (const event of ["uncaughtException", "unhandledRejection"] as const) {
    process.on(event, (error: unknown) => {
      const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
      // As every other line (src/cli/io.ts): no secret, and no CI runner's command.
      process.stderr.write(
        withoutWorkflowCommands(secrets.redact(`Internal error: this is a bug in studio-jobs, please report it.\n${text}\n`)),
      );
      process.exit(1);
    });
  }

  // A write to stdout that fails (a full disk, /dev/full, a reader that went away) leaves the
  // output cut short: a plan, a saved spec or JSON a program reads. That is a failure of the
  // command, whatever it found: said on stderr, exit 1. Without a listener the failure would
  // either pass unseen or end the process as an internal error.
  let stdoutFailure: Error | undefined;
  process.stdout.on("error", (error: Error) => {
    stdoutFailure ??= error;
  });
  const leave = (code: number, error: Error | null | undefined): void => {
    const failure = error ?? stdoutFailure;
    // Help read by `| head` is read as far as wanted: nothing a program acts on is cut short.
    if (failure === undefined || (asksForHelp(argv) && (failure as NodeJS.ErrnoException).code === "EPIPE")) process.exit(code);
    process.stderr.write(secrets.redact(`${cutShort(failure)} ${howItEnded(code)}\n`), () => process.exit(1));
  };

  const code = await run(argv, {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    // What process.stdin.isTTY would say, without creating stdin's stream (a few ms) for a
    // command that never reads it.
    interactive: isatty(0) && isatty(2),
    prompt: async (question) =>
      (await import("./io.js")).askLine(process.stdin, process.stderr, question, controller.signal, () => {
        signalled += 1;
        controller.abort("SIGINT");
      }),
    signal: controller.signal,
    secrets,
  });
  process.exitCode = code;
  // Let stdout and stderr drain, then leave even if a keep-alive socket lingers. A pipe
  // takes what it holds at once and the rest later: process.exit drops what is still
  // queued, of stderr as of stdout (the end of a long list of spec problems).
  let stdoutError: Error | null | undefined;
  let pending = 2;
  const drained = (): void => {
    pending -= 1;
    if (pending === 0) leave(code, stdoutError);
  };
  process.stdout.write("", (error) => {
    stdoutError = error;
    drained();
  });
  process.stderr.write("", drained);
}

/** `--help`, `-h` or `help` anywhere a command takes them, or nothing at all: help is printed. */
function asksForHelp(argv: readonly string[]): boolean {
  return argv.length === 0 || argv[0] === "help" || argv.includes("--help") || argv.includes("-h");
}

/** What is said when stdout could not take the whole output: the command fails, exit 1. */
function cutShort(failure: Error): string {
  const why = (failure as NodeJS.ErrnoException).code === "EPIPE" ? "the reader closed the pipe" : failure.message;
  return `Error: the output could not be written in full (${why}); what was printed is cut short.`;
}

/**
 * How the command ended but for its output, said after cutShort: exit 1 alone does not tell
 * an apply that made every change (its summary was on the lost stdout) from one that failed.
 */
function howItEnded(code: number): string {
  if (code === 0) return "The command itself succeeded, and would have exited 0.";
  if (code === 2) return "The command itself succeeded, and would have exited 2 (changes pending).";
  if (code === 1) return "The command itself failed as well.";
  return `The command itself would have exited ${code}.`;
}
