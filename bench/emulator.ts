// The emulator in a process of its own, started as a user starts it
// (`studio-jobs emulator --port 0 ...`), so it never shares an event loop with what is
// measured. Plus the few calls the harness makes to it outside the timed parts:
// admin hooks to seed, and listings to check that a run did what it should.

import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

export const TOKEN = "dev-token";

export interface EmulatorProcess {
  url: string;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
// However the harness ends, no emulator outlives it.
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));

/** A config file granting the token every team the rows use: a fresh team is an empty emulator. */
export function writeEmulatorConfig(dir: string, teams: readonly string[]): string {
  const path = join(dir, "emulator-config.json");
  const config = { tokens: [{ token: TOKEN, user: "bench", teams, scopes: ["JOB_READ", "JOB_WRITE"] }] };
  writeFileSync(path, JSON.stringify(config));
  return path;
}

export async function startEmulatorProcess(cli: string, args: readonly string[], cwd: string): Promise<EmulatorProcess> {
  return startServerProcess([cli, "emulator", "--host", "127.0.0.1", "--port", "0", ...args], cwd, "the emulator");
}

/**
 * A server in a process of its own: `node ...args`, which prints its URL
 * (http://127.0.0.1:PORT) on its first line of stdout and stops on SIGTERM.
 */
export async function startServerProcess(args: readonly string[], cwd: string, what: string): Promise<EmulatorProcess> {
  const child = spawn(process.execPath, args, {
    cwd,
    env: { PATH: process.env["PATH"] ?? "", NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  // Only the tail, for the error message: a chatty emulator must not grow the harness.
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2_000)));
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const match = /http:\/\/127\.0\.0\.1:\d+/.exec(out);
      if (match !== null) resolve(match[0]);
    });
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`${what} exited ${code} before printing its URL: ${stderr.trim()}`)));
  });
  return {
    url,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
      running.delete(child);
    },
  };
}

async function call(url: string, init: RequestInit): Promise<unknown> {
  const response = await fetch(url, { ...init, headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" } });
  const text = await response.text();
  if (!response.ok) throw new Error(`${init.method ?? "GET"} ${new URL(url).pathname}: ${response.status} ${text.slice(0, 200)}`);
  return JSON.parse(text) as unknown;
}

/** A test hook under /_emulator/ (the emulator runs with --admin). */
export async function postAdmin(base: string, path: string, body: unknown): Promise<unknown> {
  return call(`${base}/_emulator/${path}`, { method: "POST", body: JSON.stringify(body) });
}

export interface ListedJob {
  id: string;
  name: string;
  status: string;
  parent_job_id: string | null;
  environment: Record<string, string>;
}

/** Every job of a team, as the API lists it (a bare array, or the older `{"jobs": [...]}`). */
export async function listTeamJobs(base: string, team: string): Promise<ListedJob[]> {
  const reply = await call(`${base}/api/datachain/jobs/?team_name=${encodeURIComponent(team)}&limit=10000000`, { method: "GET" });
  const jobs = Array.isArray(reply) ? reply : (reply as { jobs?: unknown }).jobs;
  if (!Array.isArray(jobs)) throw new Error("the job listing is not a list");
  return jobs as ListedJob[];
}
