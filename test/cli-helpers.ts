// Running the CLI: in-process through run(), or as a real process from dist/.

import { spawn, type ChildProcessByStdio } from "node:child_process";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { run } from "../src/cli/run.js";

export const CLI = fileURLToPath(new URL("../dist/bin/studio-jobs.cjs", import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  interactive?: boolean;
  answers?: string[];
  tty?: boolean;
  signal?: AbortSignal;
  /** The CLI's clock: give the emulator's, when a test moves it and watches jobs run. */
  now?: () => number;
  /**
   * The waits between retries (of the client and of apply's creates), and their jitter.
   * By default no wait at all, so that no test sleeps on a real timer for a retry.
   */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/** Run the CLI in this process with captured output and a scripted prompt. */
export async function runCli(argv: string[], options: CliOptions = {}): Promise<CliResult & { questions: string[] }> {
  let stdout = "";
  let stderr = "";
  const questions: string[] = [];
  const answers = [...(options.answers ?? [])];
  const code = await run(argv, {
    stdout: { write: (t) => void (stdout += t), isTTY: options.tty ?? false },
    stderr: { write: (t) => void (stderr += t), isTTY: options.tty ?? false },
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
    interactive: options.interactive ?? false,
    prompt: (question) => {
      questions.push(question);
      return Promise.resolve(answers.shift() ?? "");
    },
    signal: options.signal ?? new AbortController().signal,
    ...(options.now === undefined ? {} : { now: options.now }),
    sleep: options.sleep ?? (() => Promise.resolve()),
    ...(options.random === undefined ? {} : { random: options.random }),
  });
  return { code, stdout, stderr, questions };
}

/** A sleep that returns at once and records what it was asked to wait, for `runCli`'s `sleep`. */
export function recordingSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return {
    waits,
    sleep: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
  };
}

/** runCli in a directory, with `env` and a test's own variables over it. */
export function cliWith(env: NodeJS.ProcessEnv) {
  return (dir: string, args: string[], options: Omit<CliOptions, "cwd"> = {}) =>
    runCli(args, { ...options, cwd: dir, env: { ...env, ...options.env } });
}

/** Spawn the built CLI as a user would. */
export function spawnCli(argv: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return runProcess(process.execPath, [CLI, ...argv], {
    cwd: options.cwd ?? process.cwd(),
    env: { PATH: process.env["PATH"] ?? "", ...options.env },
  });
}

/** Run a command to its end with exactly `env`; resolves with its exit code and output. */
export function runProcess(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** The first line a process writes to stdout (the emulator's URL), once it has written it whole. */
export function firstLine(child: ChildProcessByStdio<null, Readable, Readable>): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("\n")) resolve(out.split("\n")[0] ?? "");
    });
    child.on("error", reject);
  });
}
