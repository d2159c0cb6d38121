// `studio-jobs emulator`: run the local Studio until interrupted.

import { UsageError } from "../../errors.js";
import { startEmulator } from "../../emulator/index.js";
import type { CliIo } from "../io.js";

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
    throw new UsageError(`--${name} must be a size in bytes, or with a unit such as 512k, 16M or 1G, got "${value}".`);
  }
  return bytes;
}

export async function runEmulator(options: EmulatorCommandOptions, io: CliIo): Promise<number> {
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
    ...(options.config === undefined ? {} : { config: options.config }),
  });
  for (const warning of emulator.warnings) io.stderr.write(`Warning: ${warning}\n`);
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
