// Shared test set-up: an in-process emulator on a free port with a manual clock, and
// throw-away repositories to run the tool in.

import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { request } from "undici";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { stringify } from "yaml";
import { createManualClock, type AdjustableClock } from "../src/emulator/clock.js";
import { startEmulator, type EmulatorOptions, type RunningEmulator } from "../src/emulator/index.js";
import { MARKERS } from "../src/identity/markers.js";
import { createStudioClient, type StudioClient, type StudioClientOptions } from "../src/studio/client.js";
import { isLive, isRun } from "../src/studio/job-status.js";
import type { JobInput, JobOutput } from "../src/studio/types.js";

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

/**
 * A copy of an example as a repository of its own, to edit freely. It has its own .git,
 * so that the rule "paths may not leave the repository" has the same root whether the
 * tests run from a git checkout or from an unpacked archive.
 */
export function copyExample(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `studio-jobs-${name}-`));
  cpSync(new URL(name, EXAMPLES), dir, { recursive: true });
  mkdirSync(join(dir, ".git"));
  return dir;
}

/**
 * A stopwatch of the CPU time this process spends, in ms. A test that bounds how long some
 * work takes reads this rather than the wall clock, which a busy machine stretches: each
 * vitest worker is a process of its own (pool: forks) running one test at a time, so the
 * figure is the test's own work.
 */
export function startCpuClock(): () => number {
  const start = process.cpuUsage();
  return () => {
    const used = process.cpuUsage(start);
    return (used.user + used.system) / 1000;
  };
}

/** A fresh repository (a temporary directory with .git) holding `files`, by relative path. */
export function writeRepo(files: Record<string, string | Uint8Array>): string {
  const dir = mkdtempSync(join(tmpdir(), "studio-jobs-repo-"));
  mkdirSync(join(dir, ".git"));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

/** Write `dir`/studio-jobs.yaml: the given jobs of `stack`, in team demo unless a job says otherwise. */
export function writeSpec(dir: string, stack: string, jobs: Record<string, unknown>): void {
  writeFileSync(join(dir, "studio-jobs.yaml"), stringify({ version: 1, stack, defaults: { team: "demo" }, jobs }));
}

/** `count` daily jobs, `prefix`0 to `prefix`N, each with a query of its own. */
export function dailyJobs(count: number, prefix = "job-"): Record<string, unknown> {
  return Object.fromEntries(
    Array.from({ length: count }, (_, i) => [`${prefix}${i}`, { query: `print(${i})`, schedule: { cron: "@daily" } }]),
  );
}

/** A job as made by hand in Studio's UI: team demo, no markers, so no stack owns it. */
export function handMade(name: string, extra: Partial<JobInput> = {}): JobInput {
  return { query: "print(0)", query_type: "PYTHON", query_name: name, team_name: "demo", environment: "", ...extra };
}

/** The live records of `stack` (schedules and one-off jobs, not runs), by their key: as listed, or in the emulator's store. */
export function liveByKey<R extends Pick<JobOutput, "status" | "environment" | "parent_job_id">>(
  records: readonly R[],
  stack: string,
): Map<string, R[]> {
  const out = new Map<string, R[]>();
  for (const job of records) {
    if (isRun(job) || !isLive(job.status) || job.environment[MARKERS.stack] !== stack) continue;
    const key = job.environment[MARKERS.key] ?? "";
    out.set(key, [...(out.get(key) ?? []), job]);
  }
  return out;
}

/**
 * One emulator for a test file, emptied before each test, and the environment that
 * points the CLI at it (with `extraEnv`). The objects are filled in beforeAll: destructure
 * them at the top of the file, and read their fields inside tests.
 */
export function useStudio(extraEnv: NodeJS.ProcessEnv = {}): { studio: TestStudio; env: NodeJS.ProcessEnv } {
  const studio = {} as TestStudio;
  const env: NodeJS.ProcessEnv = {};
  beforeAll(async () => {
    Object.assign(studio, await startTestStudio());
    Object.assign(env, { DATACHAIN_STUDIO_URL: studio.emulator.url, DATACHAIN_STUDIO_TOKEN: "dev-token", ...extraEnv });
  });
  afterAll(() => studio.close());
  beforeEach(() => {
    studio.emulator.store.clear();
    studio.emulator.faults.configure({ latencyMs: 0, errorRate: 0, resetRate: 0, rateLimit: 0, seed: 1 }, []);
  });
  return { studio, env };
}

/** A job's record as the emulator writes it to its journal. */
export const JOURNAL_JOB = {
  seq: 1,
  id: "j",
  team: "demo",
  status: "QUEUED",
  name: "j",
  query: "x",
  query_type: "PYTHON",
  workers: 1,
  python_version: null,
  requirements: "",
  repository: null,
  environment: {},
  created_at: START,
  created_by: "dev",
  finished_at: null,
  exit_code: null,
  error_message: "",
  parent_job_id: null,
  cron_expression: null,
  start_after: null,
  priority: 5,
  cluster_id: 1,
  credentials_name: null,
  files: [],
  next_at: START + 2_000,
};

/** A file's record as the emulator writes it to its journal. */
export const JOURNAL_FILE = { id: 1, team: "demo", filename: "a.csv", size: 1, state: "pending", error: null, sha256: "0" };
