// The emulator's job lifecycle on an injected clock, its journal, and its faults.

import { appendFileSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createManualClock } from "../src/emulator/clock.js";
import { FaultInjector } from "../src/emulator/faults.js";
import { startEmulator } from "../src/emulator/index.js";
import { RemoteError } from "../src/errors.js";
import { rawCall, START, startTestStudio, type TestStudio } from "./helpers.js";

let studio: TestStudio | undefined;
afterEach(async () => {
  await studio?.close();
  studio = undefined;
});

async function statusOf(s: TestStudio, id: string): Promise<string | undefined> {
  const [job] = await s.client.listJobs("demo", { jobId: id });
  return job?.status;
}

describe("lifecycle", () => {
  it("moves a one-off job QUEUED -> RUNNING -> COMPLETE", async () => {
    studio = await startTestStudio();
    const job = await studio.client.createJob({
      query: "print(1)",
      query_type: "PYTHON",
      query_name: "once",
      team_name: "demo",
      environment: "",
    });
    expect(job.status).toBe("QUEUED");
    studio.clock.advance(2_000);
    expect(await statusOf(studio, job.id)).toBe("RUNNING");
    studio.clock.advance(30_000);
    // As the server says it: the client keeps only the fields the tool reads.
    const done = await rawCall(studio.emulator.url, "GET", `/api/datachain/jobs/?team_name=demo&job_id=${job.id}`);
    expect(done.body).toMatchObject([{ status: "COMPLETE", exit_code: 0, finished_at: "2026-11-01T00:00:32.000Z" }]);
  });

  it("keeps a cron job as a TASK that spawns runs with parent_job_id when due", async () => {
    studio = await startTestStudio();
    const task = await studio.client.createJob({
      query: "print(1)",
      query_type: "PYTHON",
      query_name: "hourly",
      team_name: "demo",
      environment: "A=1",
      cron_expression: "@hourly",
    });
    expect(task.status).toBe("TASK");
    studio.clock.advance(59 * 60_000);
    expect(await studio.client.listJobs("demo")).toHaveLength(1);
    studio.clock.advance(60_000);
    const [run, schedule] = await studio.client.listJobs("demo");
    expect(schedule).toMatchObject({ id: task.id, status: "TASK" });
    expect(run).toMatchObject({
      parent_job_id: task.id,
      status: "QUEUED",
      name: "hourly",
      created_at: "2026-11-01T01:00:00.000Z",
      environment: { A: "1" },
    });
    // A jump of three hours fires once more, not once per missed slot.
    studio.clock.advance(3 * 3_600_000);
    const jobs = await studio.client.listJobs("demo");
    expect(jobs.filter((j) => j.parent_job_id === task.id).map((j) => j.status)).toEqual(["QUEUED", "COMPLETE"]);
  });

  it("keeps a cron job with a future start_after a TASK that first fires at the first slot after it", async () => {
    studio = await startTestStudio();
    const task = await studio.client.createJob({
      query: "print(1)",
      query_type: "PYTHON",
      query_name: "later-hourly",
      team_name: "demo",
      environment: "",
      cron_expression: "@hourly",
      start_after: "2026-11-01T05:30:00Z",
    });
    expect(task.status).toBe("TASK");
    studio.clock.set(Date.parse("2026-11-01T05:59:00Z"));
    expect(await studio.client.listJobs("demo")).toHaveLength(1);
    studio.clock.set(Date.parse("2026-11-01T06:00:00Z"));
    const [run] = await studio.client.listJobs("demo");
    expect(run).toMatchObject({ parent_job_id: task.id, created_at: "2026-11-01T06:00:00.000Z" });
  });

  it("gives each schedule its own next firing, whatever was asked before for the same expression", async () => {
    studio = await startTestStudio();
    const base = { query: "print(1)", query_type: "PYTHON" as const, team_name: "demo", environment: "", cron_expression: "@hourly" };
    await studio.client.createJob({ ...base, query_name: "a" });
    studio.clock.set(Date.parse("2026-11-01T01:30:00Z")); // past a's first slot
    await studio.client.createJob({ ...base, query_name: "b" });
    studio.clock.set(Date.parse("2026-10-31T22:10:00Z")); // and back before it
    await studio.client.createJob({ ...base, query_name: "c" });
    const next = Object.fromEntries(
      studio.emulator.store
        .allJobs()
        .filter((j) => j.parent_job_id === null)
        .map((j) => [j.name, new Date(j.next_at ?? 0).toISOString()]),
    );
    // a was never looked at between 01:00 and the jump back, so it still waits for 01:00.
    expect(next).toEqual({ a: "2026-11-01T01:00:00.000Z", b: "2026-11-01T02:00:00.000Z", c: "2026-10-31T23:00:00.000Z" });
  });

  it("holds a one-off job with a future start_after as SCHEDULED", async () => {
    studio = await startTestStudio();
    const job = await studio.client.createJob({
      query: "print(1)",
      query_type: "PYTHON",
      query_name: "later",
      team_name: "demo",
      environment: "",
      start_after: "2026-11-02T00:00:00Z",
    });
    expect(job.status).toBe("SCHEDULED");
    studio.clock.set(Date.parse("2026-11-02T00:00:00Z"));
    expect(await statusOf(studio, job.id)).toBe("QUEUED");
  });

  it("cancels through CANCELING / CANCELING_SCHEDULED to CANCELED; a finished job is a 400", async () => {
    studio = await startTestStudio();
    const base = { query: "print(1)", query_type: "PYTHON" as const, team_name: "demo", environment: "" };
    const once = await studio.client.createJob({ ...base, query_name: "once" });
    const task = await studio.client.createJob({ ...base, query_name: "cron", cron_expression: "0 3 * * *" });
    expect(await studio.client.cancelJob("demo", once.id)).toBe("Successfully canceled");
    expect(await studio.client.cancelJob("demo", task.id)).toBe("Successfully canceled");
    expect(await statusOf(studio, once.id)).toBe("CANCELING");
    expect(await statusOf(studio, task.id)).toBe("CANCELING_SCHEDULED");
    expect(await studio.client.cancelJob("demo", once.id)).toBe(`Job ${once.id} is already being canceled.`);
    studio.clock.advance(1_000);
    expect(await statusOf(studio, once.id)).toBe("CANCELED");
    expect(await statusOf(studio, task.id)).toBe("CANCELED");
    const error = await studio.client.cancelJob("demo", once.id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect((error as RemoteError).message).toBe(
      `[POST] /api/datachain/jobs/${once.id}/cancel: 400 Job ${once.id} has already finished with status CANCELED.`,
    );
  });

  it("moves the clock through the admin hook", async () => {
    studio = await startTestStudio();
    const reply = await rawCall(studio.emulator.url, "POST", "/_emulator/clock", { token: null, json: { advance_ms: 60_000 } });
    expect(reply).toMatchObject({ status: 200, body: { now: "2026-11-01T00:01:00.000Z" } });
  });
});

describe("persistence", () => {
  it("replays the journal after a restart, ignoring a torn last line", async () => {
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-journal-"));
    const data = join(dir, "journal.jsonl");
    const clock = createManualClock(START);
    const first = await startEmulator({ data, clock });
    const s1 = await startTestStudio({ data, clock }, {});
    await first.close();
    const a = await s1.client.createJob({
      query: "print(1)",
      query_type: "PYTHON",
      query_name: "a",
      team_name: "demo",
      environment: "K=V",
    });
    await s1.client.createJob({ query: "print(2)", query_type: "PYTHON", query_name: "b", team_name: "demo", environment: "" });
    await s1.client.cancelJob("demo", a.id);
    await s1.close();
    appendFileSync(data, '{"t":"job","r":{"seq":99,"id":"torn"'); // a write cut short by a crash

    studio = await startTestStudio({ data, clock });
    const jobs = await studio.client.listJobs("demo");
    expect(jobs.map((j) => [j.name, j.status, j.environment])).toEqual([
      ["b", "QUEUED", {}],
      ["a", "CANCELING", { K: "V" }],
    ]);
    // The torn line is gone, so new writes start on a clean line and survive the next restart.
    await studio.client.createJob({ query: "print(3)", query_type: "PYTHON", query_name: "c", team_name: "demo", environment: "" });
    await studio.close();
    expect(readFileSync(data, "utf8")).not.toContain('"torn"');
    studio = await startTestStudio({ data, clock });
    expect((await studio.client.listJobs("demo")).map((j) => j.name)).toEqual(["c", "b", "a"]);
  });
});

describe("faults", () => {
  const input = { query: "print(1)", query_type: "PYTHON" as const, query_name: "f", team_name: "demo", environment: "" };

  it("draws the same decisions from the same seed", () => {
    const sequence = (seed: number) => {
      const faults = new FaultInjector({ errorRate: 0.3, resetRate: 0.3, seed });
      return Array.from({ length: 50 }, () => faults.decide("GET", "/api/datachain/jobs/", Buffer.alloc(0), 0).kind);
    };
    expect(sequence(7)).toEqual(sequence(7));
    expect(sequence(7)).not.toEqual(sequence(8));
    expect(new Set(sequence(7))).toEqual(new Set(["none", "error", "reset-before", "reset-after"]));
  });

  it("answers 503 before acting at error-rate 1", async () => {
    studio = await startTestStudio({ faults: { errorRate: 1, seed: 3 } }, { retries: 0 });
    const error = (await studio.client.createJob(input).catch((e: unknown) => e)) as RemoteError;
    expect(error.message).toBe("[POST] /api/datachain/jobs/: 503 Service temporarily unavailable (injected).");
    expect(studio.emulator.store.allJobs()).toHaveLength(0);
  });

  it("drops the connection before acting, or after acting", async () => {
    studio = await startTestStudio({}, { retries: 0 });
    studio.emulator.faults.configure({}, [{ method: "POST", path: "/api/datachain/jobs/", kind: "reset-before" }]);
    const before = (await studio.client.createJob(input).catch((e: unknown) => e)) as RemoteError;
    expect(before.status).toBeUndefined();
    expect(before.ambiguous).toBe(true);
    expect(studio.emulator.store.allJobs()).toHaveLength(0);
    studio.emulator.faults.configure({}, [{ method: "POST", path: "/api/datachain/jobs/", kind: "reset-after" }]);
    const after = (await studio.client.createJob(input).catch((e: unknown) => e)) as RemoteError;
    expect(after.status).toBeUndefined();
    expect(studio.emulator.store.allJobs().map((j) => j.name)).toEqual(["f"]);
  });

  it("answers 429 with Retry-After past the rate limit", async () => {
    studio = await startTestStudio({ faults: { rateLimit: 2 } });
    const replies = [];
    for (let i = 0; i < 3; i++) replies.push(await rawCall(studio.emulator.url, "GET", "/api/datachain/jobs/?team_name=demo"));
    expect(replies.map((r) => r.status)).toEqual([200, 200, 429]);
    expect(replies[2]?.headers["retry-after"]).toBe("1");
    expect(replies[2]?.body).toEqual({ message: "Request was throttled." });
  });

  it("delays every reply by the injected latency", async () => {
    studio = await startTestStudio({ faults: { latencyMs: 150 } });
    const started = performance.now();
    await studio.client.listJobs("demo");
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
  });

  it("sets faults through the admin hook", async () => {
    studio = await startTestStudio();
    const set = await rawCall(studio.emulator.url, "POST", "/_emulator/faults", { token: null, json: { error_rate: 1, seed: 5 } });
    expect(set.body).toMatchObject({ errorRate: 1, seed: 5 });
    expect((await rawCall(studio.emulator.url, "GET", "/api/datachain/jobs/?team_name=demo")).status).toBe(503);
    await rawCall(studio.emulator.url, "POST", "/_emulator/reset", { token: null });
    expect((await rawCall(studio.emulator.url, "GET", "/api/datachain/jobs/?team_name=demo")).status).toBe(200);
  });

  it("refuses a non-loopback host with the default token", async () => {
    await expect(startEmulator({ host: "0.0.0.0" })).rejects.toThrow(
      'Refusing to listen on 0.0.0.0 with the well-known token "dev-token".',
    );
  });
});

describe("seeded faults over HTTP", () => {
  it("drops the same requests for the same seed", async () => {
    const outcomes = async (seed: number): Promise<string> => {
      const s = await startTestStudio({ faults: { resetRate: 0.5, seed } }, { retries: 0 });
      try {
        let pattern = "";
        for (let i = 0; i < 16; i++)
          pattern += await s.client.listJobs("demo").then(
            () => ".",
            () => "x",
          );
        return pattern;
      } finally {
        await s.close();
      }
    };
    const first = await outcomes(99);
    expect(first).toMatch(/x/);
    expect(first).toMatch(/\./);
    expect(await outcomes(99)).toBe(first);
  });
});
