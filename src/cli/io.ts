// What the CLI may touch of the outside world, handed in so that tests can run
// commands in-process and see exactly what a user would.

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
  /** Aborted when the process is asked to stop (SIGINT/SIGTERM). */
  signal: AbortSignal;
  /** The clock, for what a command sends dated "now"; Date.now when not given. */
  now?: () => number;
}

/** Colour only on a terminal, never with NO_COLOR or --no-color. */
export function useColor(stream: OutputStream, env: NodeJS.ProcessEnv, flag: boolean): boolean {
  if (!flag) return false;
  if (env["NO_COLOR"] !== undefined && env["NO_COLOR"] !== "") return false;
  if (env["FORCE_COLOR"] !== undefined && env["FORCE_COLOR"] !== "0") return true;
  return stream.isTTY === true;
}
