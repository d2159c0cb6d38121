// Crash safety, end to end: an apply killed with SIGKILL part-way, or whose steps failed,
// then run again, converges with no duplicates and nothing wrongly cancelled.

import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { MARKERS } from "../src/identity/markers.js";
import { isCancelled, isRun } from "../src/studio/job-status.js";
import { CLI, runCli } from "./cli-helpers.js";
import { liveByKey, startTestStudio, writeSpec, type TestStudio } from "./helpers.js";

let studio: TestStudio;
beforeAll(async () => {
  studio = await startTestStudio();
});
afterAll(() => studio.close());

function writeVersion(dir: string, version: string, count: number): void {
  const jobs: Record<string, unknown> = {};
  for (let i = 0; i < count; i++) {
    // Every other job changes between versions: a replace for those.
    const query = i % 2 === 0 ? `print(${i}, "${version}")` : `print(${i})`;
    jobs[`job-${String(i).padStart(2, "0")}`] = { query, schedule: { cron: "@daily" } };
  }
  writeSpec(dir, "crash", jobs);
}

/** Start an apply and SIGKILL it once `after` steps have finished. */
function killPartWay(dir: string, env: NodeJS.ProcessEnv, after: number): Promise<{ finishedSteps: number; signal: string | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, "apply", ".", "--yes", "--parallelism", "2", "--max-cancel", "100"], {
      cwd: dir,
      env: { PATH: process.env["PATH"] ?? "", ...env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let finished = 0;
    child.stderr.on("data", (chunk: Buffer) => {
      finished += chunk
        .toString()
        .split("\n")
        .filter((line) => /^\[\d+\/\d+\]/.test(line)).length;
      if (finished >= after && child.exitCode === null) child.kill("SIGKILL");
    });
    child.on("error", reject);
    child.on("close", (_code, signal) => resolve({ finishedSteps: finished, signal }));
  });
}

it("converges after an apply is killed part-way, with no duplicates and nothing wrongly cancelled", async () => {
  const dir = mkdtempSync(join(tmpdir(), "studio-jobs-crash-"));
  const env = { DATACHAIN_STUDIO_URL: studio.emulator.url, DATACHAIN_STUDIO_TOKEN: "dev-token" };
  const count = 40;
  writeVersion(dir, "v1", count);
  expect((await runCli(["apply", ".", "--yes"], { cwd: dir, env })).code).toBe(0);

  writeVersion(dir, "v2", count);
  studio.emulator.faults.configure({ latencyMs: 15 });
  const killed = await killPartWay(dir, env, 12);
  expect(killed.signal).toBe("SIGKILL");
  expect(killed.finishedSteps).toBeGreaterThanOrEqual(12);
  expect(killed.finishedSteps).toBeLessThan(count); // 20 creates and 20 cancels in all: it died part-way
  studio.emulator.faults.configure({ latencyMs: 0 });

  // Only the apply that is killed needs a process of its own; the rest runs in-process.
  const again = await runCli(["apply", ".", "--yes", "--max-cancel", "100"], { cwd: dir, env });
  expect(again.stderr).not.toContain("FAILED");
  expect(again.code).toBe(0);
  const plan = await runCli(["plan", ".", "--detailed-exitcode"], { cwd: dir, env });
  expect(plan).toMatchObject({ code: 0, stdout: "No changes. Studio matches the spec in team demo.\n" });

  const jobs = (await studio.client.listAllJobs("demo")).filter((j) => !isRun(j) && j.environment[MARKERS.stack] === "crash");
  const live = liveByKey(jobs, "crash");
  expect(live.size).toBe(count);
  for (const [, records] of live) expect(records).toHaveLength(1);
  // Nothing wrongly cancelled: every cancelled record is an old version, never the one that is wanted now.
  const wanted = new Set([...live.values()].flat().map((job) => job.environment[MARKERS.fingerprint] ?? ""));
  const cancelled = jobs.filter((j) => isCancelled(j.status));
  expect(cancelled.length).toBeGreaterThanOrEqual(count / 2);
  for (const job of cancelled) expect(wanted.has(job.environment[MARKERS.fingerprint] ?? "")).toBe(false);
});

it("converges after an apply whose cancels failed, once the new versions of one-off jobs have run", async () => {
  // Found by an adversarial tester: one-off jobs waiting for their start (or running long)
  // were replaced by versions that run at once, and Studio failed every cancel. Once the new
  // versions had run, the re-run called each old version "a later version than the spec's,
  // which already ran", counted it as removed from the spec, and refused the plan by
  // --max-cancel: the apply that had made the new versions was allowed without the flag.
  const dir = mkdtempSync(join(tmpdir(), "studio-jobs-crash-once-"));
  const env = { DATACHAIN_STUDIO_URL: studio.emulator.url, DATACHAIN_STUDIO_TOKEN: "dev-token" };
  const write = (version: string, schedule: Record<string, unknown>) => {
    const jobs: Record<string, unknown> = {};
    for (let i = 0; i < 11; i++) jobs[`once-${String(i).padStart(2, "0")}`] = { query: `print(${i}, "${version}")`, schedule };
    writeSpec(dir, "crash-once", jobs);
  };
  write("v1", { start_after: "2030-01-01T00:00:00Z" });
  expect((await runCli(["apply", ".", "--yes"], { cwd: dir, env })).code).toBe(0);
  const waiting = (await studio.client.listAllJobs("demo")).filter((j) => j.environment[MARKERS.stack] === "crash-once");
  expect(waiting.map((j) => j.status)).toEqual(Array(11).fill("SCHEDULED"));

  write("v2", {});
  studio.clock.advance(1_000); // the new versions are made after the old ones
  studio.emulator.faults.configure({}, [{ method: "POST", path: "/cancel", kind: "error", times: 1000 }]);
  const failed = await runCli(["apply", ".", "--yes"], { cwd: dir, env });
  studio.emulator.faults.configure({}, []);
  expect(failed.stdout).toContain("Apply finished with failures: 0 created, 0 replaced, 0 cancelled, 11 failed; 11 replacements half done");
  expect(failed.code).toBe(1);
  studio.clock.advance(60_000); // the new versions run and finish; the old ones still wait for 2030

  const again = await runCli(["apply", ".", "--yes"], { cwd: dir, env });
  expect(again.stdout).toContain(
    `  -   demo/once-00  cancel job ${waiting.find((j) => j.name === "once-00")?.id.slice(0, 8)} (another live job of this key, beside the one kept)`,
  );
  expect(again.stderr).not.toContain("Error");
  expect(again.code).toBe(0);
  const plan = await runCli(["plan", ".", "--detailed-exitcode"], { cwd: dir, env });
  expect(plan).toMatchObject({ code: 0, stdout: "No changes. Studio matches the spec in team demo.\n" });
  const after = (await studio.client.listAllJobs("demo")).filter((j) => j.environment[MARKERS.stack] === "crash-once");
  expect(after.filter((j) => waiting.some((w) => w.id === j.id)).map((j) => isCancelled(j.status))).toEqual(Array(11).fill(true));
  expect(after.filter((j) => !waiting.some((w) => w.id === j.id)).map((j) => j.status)).toEqual(Array(11).fill("COMPLETE"));
});

it("a second SIGINT exits at once, naming the steps under way (Studio may have done them) and how many were not started", async () => {
  // Found by a chaos tester: exit 130 said only "Interrupted again by SIGINT: exiting now.",
  // after the lines of the steps done. Of a create Studio had carried out, whose reply had not
  // come, and of the steps never started, nothing was said, nor to run apply again.
  const dir = mkdtempSync(join(tmpdir(), "studio-jobs-crash-again-"));
  const env = { DATACHAIN_STUDIO_URL: studio.emulator.url, DATACHAIN_STUDIO_TOKEN: "dev-token", DATACHAIN_STUDIO_TEAM: "demo" };
  writeSpec(dir, "crash-again", {
    a: { query: "print(1)", schedule: { cron: "@daily" } },
    b: { query: "print(2)", schedule: { cron: "@daily" } },
  });
  const child = spawn(process.execPath, [CLI, "apply", ".", "--yes", "--parallelism", "1"], {
    cwd: dir,
    env: { PATH: process.env["PATH"] ?? "", ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  // The first create is made, and its reply held: it is under way when both signals come.
  studio.emulator.store.setListener({
    job: () => {
      studio.emulator.store.setListener(undefined);
      studio.emulator.faults.configure({ latencyMs: 10_000 });
      setTimeout(() => child.kill("SIGINT"), 50);
      setTimeout(() => child.kill("SIGINT"), 250);
    },
    file: () => undefined,
  });
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  studio.emulator.faults.configure({ latencyMs: 0 });
  expect([code, stderr.slice(stderr.indexOf("\nInterrupted again"))]).toEqual([
    130,
    "\nInterrupted again by SIGINT: exiting now.\n" +
      "Exited before the steps ended: only those said done above are known done.\n" +
      "Under way, and maybe carried out by Studio or maybe not: create demo/a.\n" +
      "Not started: 1 of 2 steps.\n" +
      "Run apply again to finish: its plan shows what is left.\n",
  ]);
  const made = (await studio.client.listAllJobs("demo")).filter((j) => j.environment[MARKERS.stack] === "crash-again");
  expect(made.map((j) => j.name)).toEqual(["a"]); // Studio did carry it out
  const again = await runCli(["apply", ".", "--yes"], { cwd: dir, env });
  expect(again.stdout).toContain("\nApply complete: 1 created, 0 replaced, 0 cancelled, 0 failed.\n");
  expect(again.code).toBe(0);
});
