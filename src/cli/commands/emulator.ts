// `studio-jobs emulator`: run the local Studio until interrupted.

import { UsageError } from "../../errors.js";
import { printable, quoted } from "../../invisible.js";
import { DEFAULT_TEAM, DEFAULT_TOKEN } from "../../emulator/auth.js";
import { startEmulator, type EmulatorConfig } from "../../emulator/index.js";
import { isTeamName, TEAM_NAME_RULE } from "../../studio/team-name.js";
import { checkToken } from "../../studio/token.js";
import type { CliIo } from "../io.js";
import type { GlobalOptions } from "../connect.js";

/** Numbers arrive parsed and range-checked by the option definitions. */
export interface EmulatorCommandOptions {
  host: string;
  port: number;
  data?: string;
  config?: string;
  admin: boolean;
  latency?: number;
  errorRate?: number;
  rateLimit?: number;
  resetRate?: number;
  seed?: number;
  maxJsonSize?: string;
  maxUploadSize?: string;
}

const SIZE_UNITS: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** A size in bytes, or with a binary unit: 512k, 16M, 1G. */
function size(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d+)\s*([kmg]?)(?:i?b)?$/i.exec(value.trim());
  const bytes = match === null ? Number.NaN : Number(match[1]) * (SIZE_UNITS[(match[2] ?? "").toLowerCase()] ?? Number.NaN);
  if (!Number.isSafeInteger(bytes)) {
    throw new UsageError(`--${name} must be a size in bytes, or with a unit such as 512k, 16M or 1G, got ${quoted(value)}.`);
  }
  return bytes;
}

/**
 * The tokens the emulator takes: its `--config` file's, or one token for one team from the
 * global `--token` and `--team` (each defaulting to dev-token and demo), which were silently
 * ignored. Not from DATACHAIN_STUDIO_*: those say what a client sends, to any Studio.
 */
function tokensFrom(options: EmulatorCommandOptions, globals: GlobalOptions): string | EmulatorConfig | undefined {
  if (globals.url !== undefined) {
    throw new UsageError("--url is the Studio a command talks to; the emulator prints its own URL.", "Choose it with --host and --port.");
  }
  if (globals.token === undefined && globals.team === undefined) return options.config;
  if (options.config !== undefined) {
    throw new UsageError(
      "--token and --team give the emulator one token for one team, and --config gives its tokens: give one or the other.",
    );
  }
  checkToken(globals.token, "--token");
  if (globals.token === "") throw new UsageError("--token is empty: give the token the emulator is to take.");
  if (globals.team !== undefined && !isTeamName(globals.team)) {
    throw new UsageError(`--team must be ${TEAM_NAME_RULE}.`);
  }
  return {
    tokens: [{ token: globals.token ?? DEFAULT_TOKEN, teams: [globals.team ?? DEFAULT_TEAM], scopes: ["JOB_READ", "JOB_WRITE"] }],
  };
}

/** An empty --host listened on every interface, and an empty --config or --data was said as "no such file ''". */
const EMPTY_FLAG_HINTS: readonly ["host" | "config" | "data", string][] = [
  ["host", "Give an address to listen on: 127.0.0.1 (the default), or 0.0.0.0 for every interface."],
  ["config", "Give the path of a JSON file of tokens, teams, scopes and clusters, or leave --config out."],
  ["data", "Give the path of the journal file, or leave --data out to keep jobs in memory."],
];

export async function runEmulator(options: EmulatorCommandOptions, globals: GlobalOptions, io: CliIo): Promise<number> {
  for (const [name, hint] of EMPTY_FLAG_HINTS) {
    if (options[name] !== undefined && options[name].trim() === "") throw new UsageError(`--${name} is empty.`, hint);
  }
  const config = tokensFrom(options, globals);
  const port = options.port;
  const faults = {
    latencyMs: options.latency ?? 0,
    errorRate: options.errorRate ?? 0,
    rateLimit: options.rateLimit ?? 0,
    resetRate: options.resetRate ?? 0,
    seed: options.seed ?? 1,
  };
  const jsonBytes = size("max-json-size", options.maxJsonSize);
  const uploadBytes = size("max-upload-size", options.maxUploadSize);
  const emulator = await startEmulator({
    host: options.host,
    port,
    admin: options.admin,
    faults,
    limits: { ...(jsonBytes === undefined ? {} : { jsonBytes }), ...(uploadBytes === undefined ? {} : { uploadBytes }) },
    ...(options.data === undefined ? {} : { data: options.data }),
    ...(config === undefined ? {} : { config }),
  }).catch((error: unknown) => {
    // Its refusals quote --host, --data and --config as given, and a line break in one would
    // start a line of its own: each shown escaped, as a path is (^J), every refusal being one line.
    if (!(error instanceof UsageError)) throw error;
    throw new UsageError(printable(error.message), error.hint === undefined ? undefined : printable(error.hint));
  });
  for (const warning of emulator.warnings) io.stderr.write(`Warning: ${warning}\n`);
  io.stdout.write(`${emulator.url}\n`);
  io.stderr.write(
    `Studio emulator listening on ${emulator.url}${options.data === undefined ? " (in memory)" : ` (journal ${printable(options.data)})`}` +
      `${options.admin ? ", admin hooks on" : ""}. Press Ctrl-C to stop.\n`,
  );
  // Run by npm, the emulator also stops when its parent has gone (see startedByNpm).
  const parent = startedByNpm(io.env) ? process.ppid : undefined;
  let watch: NodeJS.Timeout | undefined;
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve();
    io.signal.addEventListener("abort", () => resolve(), { once: true });
    if (parent === undefined) return;
    watch = setInterval(() => {
      if (process.ppid === parent) return;
      io.stderr.write("Studio emulator: npm, which started it, has exited: stopping.\n");
      resolve();
    }, PARENT_CHECK_MS);
  });
  clearInterval(watch);
  await emulator.close();
  return 0;
}

/** How often an emulator run by npm looks whether its parent is still there. */
const PARENT_CHECK_MS = 500;

/**
 * Whether npm ran this command: `npx studio-jobs emulator`, `npm exec`, or a package.json
 * script that starts with it. npm runs it through a shell, and a SIGINT or SIGTERM sent to
 * npm alone (a process manager, `kill` of its pid, a CI step's cancel) reaches that shell
 * only, which exits without passing it on: the emulator ran on, holding its port, for no
 * one. So run by npm it stops when its parent goes. Started otherwise (`&` from a shell
 * that then exits, included) it runs until signalled, as before.
 */
export function startedByNpm(env: NodeJS.ProcessEnv): boolean {
  return /^['"]?(?:\S*\/)?studio-jobs(?:\.cjs)?['"]?(?:\s|$)/.test(env["npm_lifecycle_script"] ?? "");
}
