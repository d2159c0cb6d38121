// What the CLI may touch of the outside world, handed in so that tests can run
// commands in-process and see exactly what a user would.

import { printable } from "../invisible.js";
import type { Redactor } from "../redact.js";
import { withoutWorkflowCommands } from "../workflow-commands.js";

export interface OutputStream {
  write(text: string): void;
  readonly isTTY?: boolean;
}

export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Whether a person can answer a question: stdin and stderr are terminals. */
  interactive: boolean;
  /** Ask a question and return the answer; injected so tests can answer. */
  prompt: (question: string) => Promise<string>;
  /**
   * stdout for the workflow commands the tool means, `validate --format github`'s annotations,
   * whose text is escaped as commands need: redacted, but not kept from being commands as
   * every other line is (src/workflow-commands.ts). stdout itself when not given.
   */
  commands?: OutputStream;
  /** Aborted when the process is asked to stop (SIGINT/SIGTERM). */
  signal: AbortSignal;
  /** The clock, for what a command sends dated "now"; Date.now when not given. */
  now?: () => number;
  /**
   * The waits between tries of a request or a create, and their jitter; a real timer and
   * Math.random when not given. Tests pass a sleep that returns at once.
   */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  /**
   * The run's secrets: register each sensitive value as it becomes known. run() always sets
   * it, and passes stdout and stderr through it, so nothing printed can carry a secret.
   */
  secrets?: Redactor;
}

/** The io's waits and jitter, for the options of the client and of applyPlan: only those given. */
export function waitsOf(io: CliIo): Pick<CliIo, "sleep" | "random"> {
  return { ...(io.sleep === undefined ? {} : { sleep: io.sleep }), ...(io.random === undefined ? {} : { random: io.random }) };
}

/**
 * The same io, with every write to stdout and stderr redacted, and no line of it a CI
 * runner's command; `commands` is stdout only redacted.
 */
export function redactingIo(io: CliIo, secrets: Redactor): CliIo {
  const wrap = (stream: OutputStream, shown: (text: string) => string): OutputStream => ({
    write: (text) => stream.write(shown(secrets.redactOutput(text))),
    ...(stream.isTTY === undefined ? {} : { isTTY: stream.isTTY }),
  });
  const asIs = (text: string) => text;
  return {
    ...io,
    stdout: wrap(io.stdout, withoutWorkflowCommands),
    stderr: wrap(io.stderr, withoutWorkflowCommands),
    commands: wrap(io.commands ?? io.stdout, asIs),
    secrets,
  };
}

/**
 * Whether a stream is a terminal that takes colours and moves of the cursor (`\r\x1b[2K`).
 * One with TERM=dumb (Emacs' shell, some CI consoles) prints the escapes as text.
 */
export function isFullTerminal(stream: OutputStream, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && env["TERM"] !== "dumb";
}

/**
 * Colour only on a terminal (not TERM=dumb), never with NO_COLOR or --no-color; FORCE_COLOR
 * decides when set (0 and false: off).
 */
export function useColor(stream: OutputStream, env: NodeJS.ProcessEnv, flag: boolean): boolean {
  if (!flag) return false;
  if (env["NO_COLOR"] !== undefined && env["NO_COLOR"] !== "") return false;
  const force = env["FORCE_COLOR"];
  if (force !== undefined) return force !== "0" && force.toLowerCase() !== "false";
  return isFullTerminal(stream, env);
}

/** A plan's warnings and errors, a line each: what came from Studio in them is shown escaped. */
export function reportDiagnostics(plan: { warnings: readonly string[]; errors: readonly string[] }, io: Pick<CliIo, "stderr">): void {
  for (const warning of plan.warnings) io.stderr.write(`Warning: ${printable(warning)}\n`);
  for (const error of plan.errors) io.stderr.write(`Error: ${printable(error)}\n`);
}

/**
 * Whether a stop was asked for, once the event loop has turned: a signal that came while
 * work held the loop (making a large plan or spec) is heard only then. Asked before writing
 * a file the user named, which a stop leaves as it was. Two immediates: the first may run
 * before the loop's next poll, where a signal is read.
 */
export async function stopAsked(signal: AbortSignal): Promise<boolean> {
  for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
  return signal.aborted;
}

/**
 * Ask `question` on `output` and read one line of `input`, as the confirmations do. No answer
 * (the input ended, as Ctrl-D ends it, or `signal` aborted, as Ctrl-C does) is "", not a yes;
 * the line the question left open is then ended (by readline itself on a stop), so that what
 * is said next ("Apply cancelled; ...") starts a line of its own. On a terminal readline takes Ctrl-C itself:
 * `onInterrupt` is told.
 */
export async function askLine(
  input: NodeJS.ReadableStream,
  output: NodeJS.WritableStream,
  question: string,
  signal: AbortSignal,
  onInterrupt: () => void,
): Promise<string> {
  const { createInterface } = await import("node:readline/promises");
  const rl = createInterface({ input, output });
  rl.on("SIGINT", onInterrupt);
  try {
    return await rl.question(question, { signal });
  } catch {
    // A stop: readline ends the line itself. The input ended: it does not.
    if (!signal.aborted) output.write("\n");
    return "";
  } finally {
    rl.close();
  }
}
