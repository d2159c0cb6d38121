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
  maxJsonSize?: string;
  maxUploadSize?: string;
}

function number(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min || parsed > max) {
    throw new UsageError(`--${name} must be a number from ${min} to ${max}, got "${value}".`);
  }
  return parsed;
}

const SIZE_UNITS: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** A size in bytes, or with a binary unit: 512k, 16M, 1G. */
function size(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d+)\s*([kmg]?)(?:i?b)?$/i.exec(value.trim());
  const bytes = match === null ? Number.NaN : Number(match[1]) * (SIZE_UNITS[(match[2] ?? "").toLowerCase()] ?? Number.NaN);
  if (!Number.isSafeInteger(bytes)) {
    throw new UsageError(`--${name} must be a size in bytes, or with a unit such as 512k, 16M or 1G, got "${value}".`);
  }
  return bytes;
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
  const jsonBytes = size("max-json-size", options.maxJsonSize);
  const uploadBytes = size("max-upload-size", options.maxUploadSize);
  const emulator = await startEmulator({
    host: options.host,
    port,
    admin: options.admin,
    faults,
    limits: { ...(jsonBytes === undefined ? {} : { jsonBytes }), ...(uploadBytes === undefined ? {} : { uploadBytes }) },
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
