// `studio-jobs emulator`: run the local Studio until interrupted.

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
