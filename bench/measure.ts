// Whole-process measurement: spawn `node [hook] args...`, time it from spawn to exit
// as seen from here, and read its peak RSS from the preloaded hook. Subjects and floors
// are measured the same way, so what the measurement itself costs cancels in a ratio.

import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const PEAK_RSS_HOOK = fileURLToPath(new URL("./peak-rss.cjs", import.meta.url));
/** The child's fd on which the hook writes its peak RSS. */
const RSS_FD = 3;

export interface Measured {
  ms: number;
  /** Peak resident set size of the process, MB. */
  rssMb: number;
  code: number;
  stdout: string;
  stderr: string;
}

export interface Command {
  /** Arguments to node, after the hook: a script and its arguments, or `-e 0`. */
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Exit codes that mean the command did what was asked; anything else stops the row. */
  expect?: readonly number[];
  /** Extra node flags (profiling), put before the script. */
  nodeFlags?: readonly string[];
  /** A process still running after this long is killed and the row fails (default 5 minutes). */
  timeoutMs?: number;
}

export async function measure(command: Command): Promise<Measured> {
  const args = [...(command.nodeFlags ?? []), "--require", PEAK_RSS_HOOK, ...command.args];
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: command.cwd,
    env: { ...command.env, BENCH_PEAK_RSS_FD: String(RSS_FD) },
    stdio: ["ignore", "pipe", "pipe", "pipe"],
  });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  let rss = "";
  // With a fourth pipe the typings no longer know which are readable: they all are.
  const pipe = (fd: number): NodeJS.ReadableStream => child.stdio[fd] as NodeJS.ReadableStream;
  pipe(1).on("data", (d: Buffer) => stdout.push(d));
  pipe(2).on("data", (d: Buffer) => stderr.push(d));
  pipe(RSS_FD).on("data", (d: Buffer) => (rss += d.toString()));
  let ms = 0;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, command.timeoutMs ?? 300_000);
  const code = await new Promise<number>((resolve, reject) => {
    child.on("error", reject);
    // Time at exit, not at close: draining the pipes afterwards is the harness's cost.
    child.on("exit", () => (ms = performance.now() - started));
    child.on("close", (exitCode, signal) => resolve(exitCode ?? (signal === null ? -1 : 128)));
  }).finally(() => clearTimeout(timer));
  if (timedOut) throw new Error(`\`node ${command.args.join(" ")}\` was still running after ${Math.round(ms / 1000)} s: killed`);
  const result: Measured = {
    ms,
    rssMb: Number(rss.trim()) / 1024,
    code,
    stdout: Buffer.concat(stdout).toString("utf8"),
    stderr: Buffer.concat(stderr).toString("utf8"),
  };
  const expect = command.expect ?? [0];
  if (!expect.includes(code)) {
    const tail = result.stderr.trim().split("\n").slice(-3).join(" / ");
    throw new Error(`\`node ${command.args.join(" ")}\` exited ${code}, expected ${expect.join(" or ")}: ${tail}`);
  }
  if (!Number.isFinite(result.rssMb) || result.rssMb <= 0) throw new Error(`\`node ${command.args.join(" ")}\` reported no peak RSS`);
  return result;
}

export interface Stats {
  runs: number[];
  median: number;
  min: number;
  max: number;
}

export function statsOf(values: readonly number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  return { runs: [...values], median, min: sorted[0] ?? 0, max: sorted[sorted.length - 1] ?? 0 };
}

export interface Pair {
  subject: () => Promise<Measured>;
  /** Absent when the floor is a computed bound. */
  floor?: () => Promise<Measured>;
}

export interface PairedRuns {
  subject: Measured[];
  floor: Measured[];
}

/**
 * `count` runs of subject and floor, interleaved, alternating which goes first, so a
 * burst of load from elsewhere on the machine hits both and the order does not favour
 * either. `prepare(i)` sets up run i (a fresh team, say) outside the timed part.
 */
export async function runPairs(count: number, prepare: (run: number) => Promise<Pair>): Promise<PairedRuns> {
  const out: PairedRuns = { subject: [], floor: [] };
  for (let run = 0; run < count; run++) {
    const pair = await prepare(run);
    if (pair.floor !== undefined && run % 2 === 0) out.floor.push(await pair.floor());
    out.subject.push(await pair.subject());
    if (pair.floor !== undefined && run % 2 === 1) out.floor.push(await pair.floor());
  }
  return out;
}
