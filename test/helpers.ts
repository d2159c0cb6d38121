// Shared test set-up: an in-process emulator on a free port, with a manual clock.

import { cpSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { createManualClock, type AdjustableClock } from "../src/emulator/clock.js";
import { startEmulator, type EmulatorOptions, type RunningEmulator } from "../src/emulator/index.js";
import { createStudioClient, type StudioClient, type StudioClientOptions } from "../src/studio/client.js";

export const START = Date.parse("2026-11-01T00:00:00Z");

export interface TestStudio {
  emulator: RunningEmulator;
  clock: AdjustableClock;
  client: StudioClient;
  close(): Promise<void>;
}

export async function startTestStudio(
  options: EmulatorOptions = {},
  clientOptions: Partial<StudioClientOptions> = {},
): Promise<TestStudio> {
  const clock = options.clock ?? createManualClock(START);
  const emulator = await startEmulator({ admin: true, ...options, clock });
  const client = createStudioClient({
    url: emulator.url,
    token: "dev-token",
    backoff: { baseMs: 1, maxMs: 5 },
    ...clientOptions,
  });
  return {
    emulator,
    clock,
    client,
    async close() {
      await client.close();
      await emulator.close();
    },
  };
}

export interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** One plain HTTP call, for contract tests that must see exactly what the server says. */
export async function rawCall(
  baseUrl: string,
  method: string,
  path: string,
  options: { token?: string | null; scheme?: string; json?: unknown; body?: string } = {},
): Promise<RawReply> {
  const headers: Record<string, string> = {};
  if (options.token !== null) headers["authorization"] = `${options.scheme ?? "Bearer"} ${options.token ?? "dev-token"}`;
  let body: string | undefined = options.body;
  if (options.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(options.json);
  }
  const reply = await request(`${baseUrl}${path}`, { method: method as "GET", headers, body });
  const text = await reply.body.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // leave as text
  }
  return { status: reply.statusCode, headers: reply.headers, body: parsed };
}

const EXAMPLES = new URL("../examples/", import.meta.url);

/** A copy of an example as a repository of its own, to edit freely. */
export function copyExample(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `studio-jobs-${name}-`));
  cpSync(new URL(name, EXAMPLES), dir, { recursive: true });
  mkdirSync(join(dir, ".git"));
  return dir;
}

/**
 * One emulator for a test file, emptied before each test, and the environment that
 * points the CLI at it. Read the fields inside tests: they are set in beforeAll.
 */
export function useStudio(): { studio: TestStudio; env: NodeJS.ProcessEnv } {
  const shared = {} as { studio: TestStudio; env: NodeJS.ProcessEnv };
  beforeAll(async () => {
    shared.studio = await startTestStudio();
    shared.env = { DATACHAIN_STUDIO_URL: shared.studio.emulator.url, DATACHAIN_STUDIO_TOKEN: "dev-token" };
  });
  afterAll(() => shared.studio.close());
  beforeEach(() => {
    shared.studio.emulator.store.clear();
    shared.studio.emulator.faults.configure({ latencyMs: 0, errorRate: 0, resetRate: 0, rateLimit: 0, seed: 1 }, []);
  });
  return shared;
}
