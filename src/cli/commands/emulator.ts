// `studio-jobs emulator`: run the local Studio until interrupted.

import { UsageError } from "../../errors.js";
import { startEmulator } from "../../emulator/index.js";
import type { CliIo } from "../io.js";

export interface EmulatorCommandOptions {
  host: string;
  port: string;
  data?: string;
  config?: string;
  admin: boolean;
  latency?: string;
  errorRate?: string;
  rateLimit?: string;
  resetRate?: string;
  seed?: string;
}

function number(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min || parsed > max) {
    throw new UsageError(`--${name} must be a number from ${min} to ${max}, got "${value}".`);
  }
  return parsed;
}

export async function runEmulator(options: EmulatorCommandOptions, io: CliIo): Promise<number> {
  const port = number("port", options.port, 0, 65535) ?? 0;
  const faults = {
    latencyMs: number("latency", options.latency, 0, 600_000) ?? 0,
    errorRate: number("error-rate", options.errorRate, 0, 1) ?? 0,
    rateLimit: number("rate-limit", options.rateLimit, 0, 1_000_000) ?? 0,
    resetRate: number("reset-rate", options.resetRate, 0, 1) ?? 0,
    seed: number("seed", options.seed, 0, 2 ** 32) ?? 1,
  };
  const emulator = await startEmulator({
    host: options.host,
    port,
    admin: options.admin,
    faults,
    ...(options.data === undefined ? {} : { data: options.data }),
    ...(options.config === undefined ? {} : { config: options.config }),
  });
  io.stdout.write(`${emulator.url}\n`);
  io.stderr.write(
    `Studio emulator listening on ${emulator.url}${options.data === undefined ? " (in memory)" : ` (journal ${options.data})`}` +
      `${options.admin ? ", admin hooks on" : ""}. Press Ctrl-C to stop.\n`,
  );
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve();
    io.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  await emulator.close();
  return 0;
}
