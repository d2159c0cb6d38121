// The emulator's job lifecycle on an injected clock, its journal, and its faults.

import { spawn } from "node:child_process";
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { createManualClock } from "../src/emulator/clock.js";
import { FaultInjector } from "../src/emulator/faults.js";
import { loadEmulatorConfig, startEmulator, type EmulatorConfig } from "../src/emulator/index.js";
import { PersistError, type JobRecord } from "../src/emulator/store.js";
import { RemoteError, UsageError } from "../src/errors.js";
import { firstLine, runCli } from "./cli-helpers.js";
import { JOURNAL_FILE, JOURNAL_JOB, rawCall, START, startCpuClock, startTestStudio, type TestStudio } from "./helpers.js";

let studio: TestStudio | undefined;
afterEach(async () => {
  await studio?.close();
  studio = undefined;
});

async function statusOf(s: TestStudio, id: string): Promise<string | undefined> {
  const [job] = await s.client.listJobs("demo", { jobId: id });
  return job?.status;
}

/** A job made in team demo, as a test's Studio client sends it. */
function createIn(s: TestStudio, name: string, extra: { cron_expression?: string } = {}) {
  return s.client.createJob({ query: "print(1)", query_type: "PYTHON", query_name: name, team_name: "demo", environment: "", ...extra });
}

describe("lifecycle", () => {
  it("moves a one-off job QUEUED -> RUNNING -> COMPLETE", async () => {
    studio = await startTestStudio();
    const job = await createIn(studio, "once");
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

  it("catches a schedule up a year behind at once, at its latest slot, without walking every slot", async () => {
    // Found by an adversarial tester: each missed slot was one step, so a minutely schedule a
    // year behind took 4.6 s of CPU, with every other request waiting.
    studio = await startTestStudio();
    const task = await createIn(studio, "minutely", { cron_expression: "* * * * *" });
    studio.clock.advance(365 * 86_400_000 + 30_000);
    const cpu = startCpuClock();
    const runs = (await studio.client.listJobs("demo")).filter((j) => j.parent_job_id === task.id);
    expect(cpu()).toBeLessThan(1_000);
    expect(runs.map((j) => j.created_at)).toEqual(["2027-11-01T00:00:00.000Z"]);
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
    // Found by an adversarial tester: 1e20 ms moved the clock past what a Date holds before
    // failing, and every later create and listing answered 500, even after a restart.
    const clock = (json: unknown) => rawCall(studio!.emulator.url, "POST", "/_emulator/clock", { token: null, json });
    expect(await clock({ advance_ms: 1e20 })).toMatchObject({
      status: 400,
      body: { message: "the clock must stay between 1970 and 9999-12-31T00:00:00.000Z" },
    });
    expect(await clock({ advance_ms: -1 })).toMatchObject({
      status: 400,
      body: { message: "advance_ms must be a number of milliseconds of at least 0: the clock moves forward" },
    });
    expect(await clock(null)).toMatchObject({ status: 400, body: { message: "the body must be a JSON object" } });
    // A reviewer: set right at the end of what a Date holds, the running clock passed it a moment later.
    expect(await clock({ set: "+275760-09-13T00:00:00.000Z" })).toMatchObject({ status: 400 });
    expect(studio.clock.now()).toBe(Date.parse("2026-11-01T00:01:00.000Z"));
    expect((await rawCall(studio.emulator.url, "GET", "/api/datachain/jobs/?team_name=demo")).status).toBe(200);
  });
});

describe("persistence", () => {
  it("replays the journal after a restart, ignoring a torn last line", async () => {
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-journal-"));
    const data = join(dir, "journal.jsonl");
    const clock = createManualClock(START);
    const first = await startEmulator({ data, clock });
    await first.close();
    // It holds every job's environment: readable by its owner only (it was 0644).
    expect(statSync(data).mode & 0o777).toBe(0o600);
    const s1 = await startTestStudio({ data, clock }, {});
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

  it("keeps a whole last entry that lacks its newline, and forgets everything after a reset, across restarts", async () => {
    // Found by an adversarial tester: such a line (an editor's last line) was truncated away,
    // and a reset came undone at the next start, with seq numbers used twice.
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-journal-"));
    const data = join(dir, "journal.jsonl");
    const clock = createManualClock(START);
    const s1 = await startTestStudio({ data, clock }, {});
    await s1.client.createJob({ query: "print(1)", query_type: "PYTHON", query_name: "kept", team_name: "demo", environment: "" });
    await s1.close();
    writeFileSync(data, readFileSync(data, "utf8").trimEnd());
    const s2 = await startTestStudio({ data, clock }, {});
    expect((await s2.client.listJobs("demo")).map((j) => j.name)).toEqual(["kept"]);
    await s2.client.createJob({ query: "print(2)", query_type: "PYTHON", query_name: "next", team_name: "demo", environment: "" });
    s2.emulator.store.clear();
    await s2.client.createJob({ query: "print(3)", query_type: "PYTHON", query_name: "after-reset", team_name: "demo", environment: "" });
    await s2.close();
    studio = await startTestStudio({ data, clock });
    expect(studio.emulator.store.allJobs().map((j) => [j.seq, j.name])).toEqual([[1, "after-reset"]]);
  });

  it("makes no change its journal refuses (a full disk): the request is a 507, and a refused step is taken again once the journal takes it", async () => {
    // Found by an adversarial tester: a create the journal could not write was kept in memory
    // and answered 500 "emulator bug"; a step it could not write left the store's next due
    // time past every record, and the jobs stayed QUEUED even once the disk had room again.
    studio = await startTestStudio();
    const { url } = studio.emulator;
    const schedule = await createIn(studio, "schedule", { cron_expression: "*/5 * * * *" });
    const queued = await createIn(studio, "queued");
    let refuse = true;
    const told: JobRecord[][] = [];
    const full = () => {
      if (refuse) throw new PersistError("The emulator could not write its journal j.jsonl: ENOSPC: no space left on device, write");
    };
    studio.emulator.store.setListener({
      job: (...records) => {
        told.push(records);
        full();
      },
      file: full,
    });
    const refusal = {
      status: 507,
      body: {
        message:
          "The emulator could not write its journal j.jsonl: ENOSPC: no space left on device, write. Nothing was changed; make room for the journal and try again.",
      },
    };
    const job = { query: "print(1)", query_type: "PYTHON", query_name: "refused", team_name: "demo" };
    expect(await rawCall(url, "POST", "/api/datachain/jobs/", { json: job })).toMatchObject(refusal);
    expect(await rawCall(url, "POST", `/api/datachain/jobs/${queued.id}/cancel`, { json: { team_name: "demo" } })).toMatchObject(refusal);
    expect(() => studio?.emulator.store.addFile("demo", "f.csv", 1, "0")).toThrow(PersistError);
    // Past the queued job's start and the schedule's first firing: a listing would take both steps.
    studio.clock.set(START + 5 * 60_000);
    expect(await rawCall(url, "GET", "/api/datachain/jobs/?team_name=demo")).toMatchObject(refusal);
    // The firing and the run it makes are written together, or neither is kept.
    expect(
      told.some((records) => records.length === 2 && records[0]?.parent_job_id === schedule.id && records[1]?.id === schedule.id),
    ).toBe(true);
    expect(studio.emulator.store.allFiles()).toEqual([]);
    refuse = false;
    expect(studio.emulator.store.allJobs().map((j) => [j.name, j.status, j.parent_job_id])).toEqual([
      ["schedule", "TASK", null],
      ["queued", "COMPLETE", null],
      ["schedule", "QUEUED", schedule.id],
    ]);
    studio.emulator.store.setListener(undefined);
  });

  it("lets one emulator at a time use a journal, and takes over a lock left by a process that is gone", async () => {
    // Found by an adversarial tester: two emulators on one journal each gave out file id 1,
    // and after a restart one team's job pointed at the other team's file.
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-journal-"));
    const data = join(dir, "journal.jsonl");
    const first = await startEmulator({ data });
    try {
      await expect(startEmulator({ data })).rejects.toThrow(
        new UsageError(
          `Emulator journal ${data} is in use by another emulator (process ${process.pid}).`,
          `Stop that one, or give this one another --data. If no emulator is running, remove ${data}.lock.`,
        ),
      );
    } finally {
      await first.close();
    }
    expect(existsSync(`${data}.lock`)).toBe(false);
    writeFileSync(`${data}.lock`, "2147483646"); // a process id no process has
    const second = await startEmulator({ data });
    expect(readFileSync(`${data}.lock`, "utf8")).toBe(String(process.pid));
    await second.close();
  });

  it("refuses a port out of range before taking the journal, which a failed start left locked by this process", async () => {
    // Found by calling the library: startEmulator({ data, port: 70000 }) threw Node's RangeError and kept the
    // journal's lock, so the next start on it said "in use by another emulator (process <this one>)".
    const data = join(mkdtempSync(join(tmpdir(), "studio-jobs-journal-")), "journal.jsonl");
    for (const port of [70000, -1, Number.NaN, 1.5]) {
      await expect(startEmulator({ data, port })).rejects.toThrow(
        new UsageError(`The emulator's port must be a whole number from 0 to 65535 (0 picks a free one), not ${String(port)}.`),
      );
    }
    expect(existsSync(`${data}.lock`)).toBe(false);
    const next = await startEmulator({ data, port: "0" as unknown as number }); // process.env.PORT, as listen() takes it
    await next.close();
  });

  it("takes over a lock left by an emulator that was killed and not yet reaped by its parent", async () => {
    // Found by an adversarial tester: an emulator killed with kill -9 under a parent that had
    // not read its exit status yet (a zombie) still answers signal 0, and a restart on its
    // journal was refused as "in use by another emulator" until the parent reaped it.
    // A zombie to stand in for it: sh's child exits once sh has become a sleep, which never
    // reaps it (a child that exits before the exec may be reaped by sh itself).
    const child = 'until grep -q sleep "/proc/$PPID/comm"; do sleep 0.01; done';
    const parent = spawn("sh", ["-c", `sh -c '${child}' & echo $!; exec sleep 30`], { stdio: ["ignore", "pipe", "pipe"] });
    try {
      const zombie = Number(await firstLine(parent));
      while (!readFileSync(`/proc/${zombie}/stat`, "utf8").includes(") Z")) await new Promise((resolve) => setTimeout(resolve, 5));
      const dir = mkdtempSync(join(tmpdir(), "studio-jobs-journal-"));
      const data = join(dir, "journal.jsonl");
      writeFileSync(`${data}.lock`, String(zombie));
      const emulator = await startEmulator({ data });
      expect(readFileSync(`${data}.lock`, "utf8")).toBe(String(process.pid));
      await emulator.close();
    } finally {
      parent.kill("SIGKILL");
    }
  });

  it("takes over a lock naming its own process id when it holds no such lock: one left by an emulator restarted in a container", async () => {
    // Found by an adversarial tester: an emulator killed in a container and started again
    // there had the same process id (often 1) as the one that left the lock, and was refused
    // as "in use by another emulator" on every start.
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-journal-"));
    const data = join(dir, "journal.jsonl");
    writeFileSync(`${data}.lock`, String(process.pid));
    const first = await startEmulator({ data });
    try {
      // Its own lock, held: a second emulator of this process is refused still.
      await expect(startEmulator({ data })).rejects.toThrow(
        `Emulator journal ${data} is in use by another emulator (process ${process.pid}).`,
      );
    } finally {
      await first.close();
    }
    expect(readdirSync(dir)).toEqual(["journal.jsonl"]);
  });

  it("gives a journal to one of three emulators started on it at once, a stale lock there or not", async () => {
    // Found by an adversarial tester: a lock was empty for a moment after it was made, and an
    // emulator starting then read it as stale and removed it; two emulators taking a stale lock
    // over at once each removed it. Either way two or three emulators ran on one journal.
    const index = pathToFileURL(join(import.meta.dirname, "../dist/src/emulator/index.js")).href;
    // Each child starts an emulator on the journal a line names, at once, says how it went, and
    // closes it on an empty line.
    const script = `
      const { startEmulator } = await import(${JSON.stringify(index)});
      const { createInterface } = await import("node:readline");
      let running;
      process.stdout.write("ready\\n");
      for await (const line of createInterface({ input: process.stdin })) {
        if (line === "") {
          await running?.close();
          running = undefined;
          process.stdout.write("closed\\n");
          continue;
        }
        try {
          running = await startEmulator({ data: line });
          process.stdout.write("started\\n");
        } catch (error) {
          process.stdout.write(error.message.includes("is in use by another emulator") ? "refused\\n" : error.message + "\\n");
        }
      }`;
    const children = [0, 1, 2].map(() => spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: "pipe" }));
    const lines = children.map((child) => createInterface({ input: child.stdout })[Symbol.asyncIterator]());
    const next = async () => Promise.all(lines.map(async (it) => String((await it.next()).value)));
    try {
      expect(await next()).toEqual(["ready", "ready", "ready"]);
      for (let round = 0; round < 100; round++) {
        const data = join(mkdtempSync(join(tmpdir(), "studio-jobs-journal-")), "journal.jsonl");
        if (round % 2 === 0) writeFileSync(`${data}.lock`, "2147483646"); // a process id no process has
        for (const child of children) child.stdin.write(`${data}\n`);
        expect((await next()).sort(), `round ${round}`).toEqual(["refused", "refused", "started"]);
        for (const child of children) child.stdin.write("\n");
        expect(await next()).toEqual(["closed", "closed", "closed"]);
      }
    } finally {
      // Killed, not asked to stop: a failed round leaves one of them holding an emulator open.
      for (const child of children) child.kill();
    }
  });

  it("takes a journal whose name is as long as a name may be but for the lock's five bytes", async () => {
    // Found by an adversarial tester: the lock was first written to a file named after it and
    // more, which passed the 255 bytes a name may have: such a journal could not be opened.
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-journal-"));
    const data = join(dir, "j".repeat(250));
    const emulator = await startEmulator({ data });
    expect(readdirSync(dir).sort()).toEqual(["j".repeat(250), `${"j".repeat(250)}.lock`]);
    await emulator.close();
    expect(readdirSync(dir)).toEqual(["j".repeat(250)]);
  });

  it("locks a journal once, whatever name it is reached by: a symbolic link to it is the same journal", async () => {
    // Found by an adversarial tester: the lock lay beside the name given, so an emulator on the
    // journal and one on a link to it both ran.
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-journal-"));
    const data = join(dir, "journal.jsonl");
    const link = join(dir, "link.jsonl");
    writeFileSync(data, "");
    symlinkSync(data, link);
    const first = await startEmulator({ data });
    try {
      await expect(startEmulator({ data: link })).rejects.toThrow(
        new UsageError(
          `Emulator journal ${link} is in use by another emulator (process ${process.pid}).`,
          `Stop that one, or give this one another --data. If no emulator is running, remove ${realpathSync(data)}.lock.`,
        ),
      );
    } finally {
      await first.close();
    }
    const second = await startEmulator({ data: link });
    expect(existsSync(`${data}.lock`)).toBe(true);
    await second.close();
  });

  it("closes once however often close() is called: a second call does not close the journal of the emulator started after it", async () => {
    // Found by an adversarial tester: a second close() closed the journal's file descriptor
    // again (by then another emulator's journal) and removed the newer emulator's lock.
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-journal-"));
    const data = join(dir, "journal.jsonl");
    const first = await startEmulator({ data });
    await first.close();
    studio = await startTestStudio({ data });
    await Promise.all([first.close(), first.close()]);
    expect(existsSync(`${data}.lock`)).toBe(true);
    await createIn(studio, "kept");
    expect(readFileSync(data, "utf8")).toContain('"name":"kept"');
  });

  it("opens the journal only once every option is checked: a refused start leaves it free", async () => {
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-journal-"));
    const data = join(dir, "journal.jsonl");
    await expect(startEmulator({ data, limits: { jsonBytes: -1 } })).rejects.toThrow(
      "Emulator body limit jsonBytes must be a whole number of bytes, got -1.",
    );
    expect(existsSync(`${data}.lock`)).toBe(false);
    const next = await startEmulator({ data, port: "0" as unknown as number }); // process.env.PORT, as listen() takes it
    await next.close();
  });

  it("leaves the config it is given as it was", async () => {
    const grant = { token: "token-of-mine", teams: ["demo"], scopes: ["JOB_READ" as const] };
    const config = { tokens: [grant] };
    const emulator = await startEmulator({ config });
    await emulator.close();
    expect(config).toEqual({ tokens: [{ token: "token-of-mine", teams: ["demo"], scopes: ["JOB_READ"] }] });
  });

  it("refuses a journal line it did not write, a FIFO and a missing directory, as a usage error naming the place", async () => {
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-journal-"));
    const refused = (data: string) =>
      startEmulator({ data }).then(
        () => "started",
        (error: unknown) => (error instanceof UsageError ? error.message : `not a usage error: ${String(error)}`),
      );
    for (const [line, what] of [
      ["null", "is not an object"],
      ['{"t":"job"}', 'has no record "r"'],
      ['{"t":"zzz","r":{}}', 'has no "t" of "job" or "file"'],
      [`{"t":"file","r":${JSON.stringify({ ...JOURNAL_FILE, id: "x" })}}`, 'is a file whose "id" is not a whole number'],
      [`{"t":"file","r":${JSON.stringify({ ...JOURNAL_FILE, size: undefined })}}`, 'is a file without "size"'],
      ['{"t":"job","r":{"id":"j","team":"demo"}}', 'is a job without "seq"'],
      // A reviewer: a NaN next_at stopped every schedule; a bad finished_at failed every listing.
      [
        `{"t":"job","r":${JSON.stringify({ ...JOURNAL_JOB, next_at: "x" })}}`,
        'is a job whose "next_at" is not a time in milliseconds or null',
      ],
      [
        `{"t":"job","r":${JSON.stringify({ ...JOURNAL_JOB, finished_at: "x" })}}`,
        'is a job whose "finished_at" is not a time in milliseconds or null',
      ],
      // Found by an adversarial tester: a job given a name of 5 by hand was taken, and every
      // listing of its team then refused by the client, as a reply from Studio it could not read.
      [`{"t":"job","r":${JSON.stringify({ ...JOURNAL_JOB, name: 5 })}}`, 'is a job whose "name" is not a string'],
      [`{"t":"job","r":${JSON.stringify({ ...JOURNAL_JOB, workers: "2" })}}`, 'is a job whose "workers" is not a whole number'],
      [`{"t":"job","r":${JSON.stringify({ ...JOURNAL_JOB, files: [1] })}}`, 'is a job whose "files" is not a list of strings'],
      [
        `{"t":"job","r":${JSON.stringify({ ...JOURNAL_JOB, environment: { A: 1 } })}}`,
        'is a job whose "environment" is not an object of strings',
      ],
    ]) {
      const data = join(dir, `bad-${Math.random()}.jsonl`);
      writeFileSync(data, `${line}\n`);
      expect(await refused(data)).toBe(`Emulator journal ${data}, line 1, ${what}: this emulator did not write it so.`);
    }
    expect(await refused(dir)).toBe(`Emulator journal ${dir} is not a regular file.`);
    // The lock's side file, which the emulator names, is not named to the user.
    expect(await refused(join(dir, "missing", "journal.jsonl"))).toBe(
      `Cannot open emulator journal ${join(dir, "missing", "journal.jsonl")}: ENOENT: no such file or directory`,
    );
  });

  it("refuses a journal line that is not UTF-8, or that gives a record another team, rather than read it otherwise", async () => {
    // Found by an adversarial tester: a byte that is not UTF-8 became U+FFFD in the job's query,
    // unsaid; a later line giving a job another team left it in the first team's listing,
    // showing the other team, and out of its own.
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-journal-"));
    const job = (extra: Record<string, unknown> = {}) => JSON.stringify({ t: "job", r: { ...JOURNAL_JOB, ...extra } });
    const file = (team: string) => JSON.stringify({ t: "file", r: { ...JOURNAL_FILE, team } });
    const refused = async (...lines: (string | Buffer)[]) => {
      const data = join(dir, `journal-${Math.random()}.jsonl`);
      writeFileSync(data, Buffer.concat(lines.map((line) => (typeof line === "string" ? Buffer.from(line) : line))));
      return startEmulator({ data }).then(
        async (emulator) => {
          await emulator.close();
          return "started";
        },
        (error: unknown) => (error instanceof UsageError ? error.message.replace(`Emulator journal ${data}, `, "") : String(error)),
      );
    };
    const suffix = ": this emulator did not write it so.";
    // "café" in Latin-1: its é is a byte that is not UTF-8.
    const latin1 = Buffer.from(`${job({ query: "café" })}\n`, "latin1");
    expect(await refused(latin1, `${job({ id: "k", seq: 2 })}\n`)).toBe(
      `line 1, is not UTF-8 (not the last line, so not a torn write)${suffix}`,
    );
    expect(await refused(`${job()}\n`, latin1)).toBe(`line 2, is not UTF-8${suffix}`);
    expect(await refused(`${job()}\n`, `${job({ team: "other" })}\n`)).toBe(
      `line 2, gives job j another team, seq or created_at than line 1 did${suffix}`,
    );
    expect(await refused(`${job()}\n`, `${job({ status: "RUNNING" })}\n`, `${job({ seq: 7, status: "COMPLETE" })}\n`)).toBe(
      `line 3, gives job j another team, seq or created_at than line 1 did${suffix}`,
    );
    expect(await refused(`${file("demo")}\n`, `${file("other")}\n`)).toBe(`line 2, gives file 1 another team than line 1 did${suffix}`);
    // A write cut short inside a character is still a torn last line: dropped, and the start goes on.
    const torn = Buffer.from(job({ id: "k", seq: 2, query: "café" }));
    expect(await refused(`${job({ status: "RUNNING" })}\n`, torn.subarray(0, torn.indexOf("é") + 1))).toBe("started");
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

  it("delays refusals by the injected latency too, and not the admin hooks", async () => {
    // Found by an audit of --latency, which delays every reply: a 401, a 403 told from
    // the headers, a malformed path and a 413 were answered at once, only the rest waited.
    // A second: far past what a busy machine stalls an admin hook's reply by.
    studio = await startTestStudio({ faults: { latencyMs: 1000 } });
    const url = studio.emulator.url;
    const timed = async (call: Promise<{ status: number }>) => {
      const started = performance.now();
      const { status } = await call;
      return { status, slow: performance.now() - started >= 990 };
    };
    const replies = await Promise.all([
      timed(rawCall(url, "GET", "/api/datachain/jobs/?team_name=demo", { token: null })),
      timed(rawCall(url, "GET", "/api/datachain/jobs/?team_name=demo", { token: "wrong" })),
      timed(rawCall(url, "POST", "/api/datachain/jobs/files?team_name=other", { body: "x" })),
      timed(rawCall(url, "GET", "/api/datachain/jobs/%zz")),
      timed(rawCall(url, "GET", "/api/datachain/jobs/?team_name=demo&team_name=demo")),
      timed(rawCall(url, "POST", "/api/datachain/jobs/", { body: "x".repeat(17 * 1024 * 1024) })),
    ]);
    expect(replies).toEqual([401, 401, 403, 400, 400, 413].map((status) => ({ status, slow: true })));
    const admin = await timed(rawCall(url, "GET", "/_emulator/state", { token: null }));
    expect(admin).toEqual({ status: 200, slow: false });
  });

  it("sets faults through the admin hook", async () => {
    studio = await startTestStudio();
    const set = await rawCall(studio.emulator.url, "POST", "/_emulator/faults", { token: null, json: { error_rate: 1, seed: 5 } });
    expect(set.body).toMatchObject({ errorRate: 1, seed: 5 });
    expect((await rawCall(studio.emulator.url, "GET", "/api/datachain/jobs/?team_name=demo")).status).toBe(503);
    await rawCall(studio.emulator.url, "POST", "/_emulator/reset", { token: null });
    expect((await rawCall(studio.emulator.url, "GET", "/api/datachain/jobs/?team_name=demo")).status).toBe(200);
  });

  it("refuses fault settings it cannot apply, and keeps answering the API", async () => {
    // Found by an adversarial tester: a scripted fault without a method made every /api
    // request answer 500; a rate of -5 and an unknown kind were taken.
    studio = await startTestStudio();
    const faults = (json: unknown) => rawCall(studio!.emulator.url, "POST", "/_emulator/faults", { token: null, json });
    expect(await faults({ scripted: [{ path: "/zzz", kind: "error" }] })).toMatchObject({
      status: 400,
      body: { message: "scripted[0]: method: must be an HTTP method, such as POST" },
    });
    expect(await faults({ scripted: [null] })).toMatchObject({ status: 400, body: { message: "scripted[0]: must be an object" } });
    expect(await faults({ scripted: [{ method: "POST", path: "/", kind: "explode" }] })).toMatchObject({
      status: 400,
      body: { message: "scripted[0]: kind: must be one of error, reset-before, reset-after, rate-limit" },
    });
    expect(await faults({ error_rate: -5 })).toMatchObject({ status: 400, body: { message: "error_rate: must be a chance from 0 to 1" } });
    expect(await faults({ reset_rate: "x" })).toMatchObject({ status: 400, body: { message: "reset_rate: must be a number" } });
    expect(await faults({ latency_ms: 1e12 })).toMatchObject({ status: 400 });
    expect(await faults({ seed: 1.7 })).toMatchObject({
      status: 400,
      body: { message: "seed: must be a whole number from 0 to 4294967295" },
    });
    expect(await faults({ seed: 2 ** 32 - 1 })).toMatchObject({ status: 200, body: { seed: 2 ** 32 - 1 } });
    // Found by an audit: the generator keeps 32 bits, so the seed 2^32 drew the sequence of the seed 0.
    expect(await faults({ seed: 2 ** 32 })).toMatchObject({
      status: 400,
      body: { message: "seed: must be a whole number from 0 to 4294967295" },
    });
    expect((await rawCall(studio.emulator.url, "GET", "/api/datachain/jobs/?team_name=demo")).status).toBe(200);
    expect(studio.emulator.faults.current()).toMatchObject({ errorRate: 0, resetRate: 0, scripted: [] });
  });

  it("refuses a setting the admin hooks do not know, or two ways to move the clock, rather than answer 200 and change nothing", async () => {
    // The state hook names the faults latencyMs, errorRate...: sent back so, they were taken and ignored.
    studio = await startTestStudio();
    const hook = (path: string, json: unknown) => rawCall(studio!.emulator.url, "POST", path, { token: null, json });
    expect(await hook("/_emulator/faults", { errorRate: 1 })).toMatchObject({
      status: 400,
      body: { message: "errorRate: not a fault setting; give latency_ms, error_rate, rate_limit, reset_rate, seed or scripted" },
    });
    expect((await rawCall(studio.emulator.url, "GET", "/api/datachain/jobs/?team_name=demo")).status).toBe(200);
    const before = studio.clock.now();
    expect(await hook("/_emulator/clock", { advance_ms: 1000, set: "2030-01-01T00:00:00Z" })).toMatchObject({
      status: 400,
      body: { message: "give advance_ms or set, not both" },
    });
    expect(await hook("/_emulator/clock", { advance: 1000 })).toMatchObject({
      status: 400,
      body: { message: "advance: not a clock setting; give advance_ms or set" },
    });
    expect(studio.clock.now()).toBe(before);
  });

  it("refuses a config it cannot use as a usage error naming what is wrong, not an internal error", async () => {
    // Found by an adversarial tester: a token without scopes, tokens that are not a list, or a
    // file holding null crashed with "TypeError: ... is not iterable".
    const cases: [unknown, string][] = [
      [null, "Emulator config: expected a JSON object with tokens and clusters."],
      [[], "Emulator config: expected a JSON object with tokens and clusters."],
      [{ tokens: { token: "t" } }, "Emulator config: tokens must be a list."],
      [{ tokens: [null] }, "Emulator config: tokens[0] must be an object with token, teams and scopes."],
      [{ tokens: [{ teams: ["a"] }] }, "Emulator config: every token needs a non-empty token and a list of teams."],
      [
        { tokens: [{ token: "t", teams: [1] }] },
        "Emulator config: tokens[0].teams[0], 1, must be a team name without spaces, commas, control or invisible characters.",
      ],
      // Taken before: an empty team name, no teams or no tokens at all (every call refused), a
      // token no client can send, and an unknown key (a typo of user or of a cluster's field).
      [
        { tokens: [{ token: "t", teams: ["a", ""], scopes: ["JOB_READ"] }] },
        'Emulator config: tokens[0].teams[1], "", must be a team name without spaces, commas, control or invisible characters.',
      ],
      [
        { tokens: [{ token: "t", teams: [], scopes: ["JOB_READ"] }] },
        "Emulator config: tokens[0].teams is empty: give the teams the token may call for.",
      ],
      [{ tokens: [] }, "Emulator config: tokens is empty, so every call would be refused: give at least one token."],
      [
        { tokens: [{ token: "tökén", teams: ["a"], scopes: ["JOB_READ"] }] },
        "Emulator config: tokens[0]: a token holds only printable ASCII, as studio-jobs sends no other: this one could never be given.",
      ],
      [{ tokns: [] }, "Emulator config: tokns is not a config key; give tokens or clusters."],
      [
        { tokens: [{ token: "t", teams: ["a"], scopes: ["JOB_READ"], usr: "me" }] },
        "Emulator config: tokens[0].usr is not a token's key; give token, user, teams or scopes.",
      ],
      [
        { clusters: [{ id: 1, name: "a", is_active: true, default: true, max_workers: 1, credentials: "aws" }] },
        "Emulator config: clusters[0].credentials is not a cluster's key; give id, name, status, cloud_provider, cloud_credentials, is_active, default or max_workers.",
      ],
      // A token is named by its place, never by its text (it printed the token).
      [{ tokens: [{ token: "t", teams: ["a"] }] }, "Emulator config: tokens[0] needs a list of scopes: JOB_READ, JOB_WRITE."],
      [
        {
          tokens: [
            { token: "t", teams: ["a"], scopes: ["JOB_READ"] },
            { token: "S3cr3t-EMU-abcdef999", teams: ["a"], scopes: ["JOB_READ"], user: 5 },
          ],
        },
        "Emulator config: tokens[1]: user must be a string.",
      ],
      // An unknown scope was named without quotes or place: one string holding both scopes read as the list repeated,
      // "unknown scope JOB_READ, JOB_WRITE; use JOB_READ, JOB_WRITE.", and an object as "[object Object]".
      [
        { tokens: [{ token: "t", teams: ["a"], scopes: ["JOB_READ", "JOB_READ, JOB_WRITE"] }] },
        'Emulator config: tokens[0].scopes[1], "JOB_READ, JOB_WRITE", is no scope; use JOB_READ or JOB_WRITE.',
      ],
      [
        { tokens: [{ token: "t", teams: ["a"], scopes: [{ name: "JOB_READ" }] }] },
        "Emulator config: tokens[0].scopes[0], an object, is no scope; use JOB_READ or JOB_WRITE.",
      ],
      // The second grant of a token was never used (the first was found), so its teams were a 403;
      // a token holding a blank can be carried by no Authorization header, so every call was a 401.
      [
        {
          tokens: [
            { token: "t", teams: ["a"], scopes: ["JOB_READ"] },
            { token: "t", teams: ["b"], scopes: ["JOB_READ", "JOB_WRITE"] },
          ],
        },
        "Emulator config: tokens[1] is the same token as tokens[0]; give each token once, with all its teams and scopes.",
      ],
      [
        { tokens: [{ token: "my token", teams: ["a"], scopes: ["JOB_READ"] }] },
        "Emulator config: tokens[0]: a token cannot hold spaces or other blanks, as no Authorization header could carry it.",
      ],
      // A create naming the second of two clusters of one id or name ran on the first, which the listing showed beside it.
      [
        {
          clusters: [
            { id: 1, name: "a", is_active: true, default: true, max_workers: 1 },
            { id: 1, name: "b", is_active: true, default: false, max_workers: 9 },
          ],
        },
        "Emulator config: clusters[1] has the id 1 of clusters[0]; give each cluster its own id and name.",
      ],
      [
        {
          clusters: [
            { id: 1, name: "a", is_active: true, default: true, max_workers: 1 },
            { id: 2, name: "a", is_active: true, default: false, max_workers: 9 },
          ],
        },
        'Emulator config: clusters[1] has the name "a" of clusters[0]; give each cluster its own id and name.',
      ],
      [
        {
          clusters: [
            { id: 1, name: "a", is_active: true, default: true, max_workers: 1 },
            { id: 2, name: "b", is_active: true, default: false, max_workers: 1 },
            { id: 3, name: "c", is_active: true, default: true, max_workers: 9 },
          ],
        },
        "Emulator config: clusters[2] is the default, and so is clusters[0]; make one cluster the default.",
      ],
      [{ clusters: "gpu" }, "Emulator config: clusters: expected a list of clusters (a JSON array), got a string"],
      [{ clusters: [{ id: 1, name: "c" }] }, 'Emulator config: clusters: cluster 1: field "is_active" is missing'],
    ];
    for (const [config, expected] of cases) {
      await expect(startEmulator({ config: config as EmulatorConfig })).rejects.toThrow(new UsageError(expected));
    }
  });

  it("says where in a --config file a mistake is, as file:line:column, exit 1 and no stack", async () => {
    // Found by an audit: a syntax error said "at position 52", and a mistake past the syntax where it was not at all.
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-config-"));
    const file = join(dir, "config.json");
    const token = '{"token": "S3cr3t-EMU-abcdef999", "teams": ["demo"], "scopes": ["JOB_READ"]}';
    const cases: [string, string][] = [
      [
        `{\n  "tokens": [\n    ${token.replace("]}", "],, }")}\n  ]\n}\n`,
        '3:81: the config is not valid JSON: expected a key in double quotes ("name").',
      ],
      [`{\n  "tokens": [\n    ${token}`, "3:81: the config is not valid JSON: expected ',' or ']' after the item, but the file ends."],
      [
        "",
        "1:1: the config is not valid JSON: expected a value: a string in double quotes, a number, true, false, null, a list [...] or an object {...}, but the file ends.",
      ],
      [`{"tokens": [${token}],\n "tokens": []}`, "2:2: this key is given twice in one object (first at line 1, column 2): give it once."],
      [`{"tokens": [${token},]}`, "1:90: the config is not valid JSON: a ',' before ']': JSON takes no trailing comma; remove it."],
      [
        `{\n  "tokens": [\n    ${token.replace('"demo"', '"demo", ""')}\n  ]\n}`,
        '3:57: tokens[0].teams[1], "", must be a team name without spaces, commas, control or invisible characters.',
      ],
      [
        `{\n  "tokens": [\n    ${token.replace("]}", '], "usr": "me"}')}\n  ]\n}`,
        "3:82: tokens[0].usr is not a token's key; give token, user, teams or scopes.",
      ],
      [`{\n  "tokens": "abc"\n}`, "2:13: tokens must be a list."],
      [
        `{"clusters": [\n  {"id": 1, "name": "a", "is_active": true, "default": true, "max_workers": "8"}\n]}`,
        '2:77: clusters: cluster 1: field "max_workers" must be a whole number of at least 0, got a string',
      ],
      // Found by a secrets hunt: a token written in the wrong place (as a key, a config mapping tokens to
      // grants; as a scope; inside an object in teams) was quoted.
      [
        `{"S3cr3t-EMU-abcdef999": {"teams": ["demo"]}}`,
        "1:2: a key of the config (not shown here, as it may be a token) is not a config key; give tokens or clusters.",
      ],
      [
        `{"tokens": [{"S3cr3t-EMU-abcdef999": {"teams": ["demo"], "scopes": ["JOB_READ"]}}]}`,
        "1:14: a key of tokens[0] (not shown here, as it may be a token) is not a token's key; give token, user, teams or scopes.",
      ],
      [
        `{"tokens": [{"token": "demo", "teams": ["demo"], "scopes": ["S3cr3t-EMU-abcdef999"]}]}`,
        "1:61: tokens[0].scopes[0], a text not shown here, as it may be a token, is no scope; use JOB_READ or JOB_WRITE.",
      ],
      [
        `{"tokens": [{"token": "demo", "teams": [{"token": "S3cr3t-EMU-abcdef999"}], "scopes": ["JOB_READ"]}]}`,
        "1:41: tokens[0].teams[0], an object, must be a team name without spaces, commas, control or invisible characters.",
      ],
      // Each mistake at the value it is about: a scope, the user, the token, the empty teams, the list of scopes, the second default.
      [
        `{\n  "tokens": [\n    ${token.replace('"JOB_READ"', '"JOB_READ", "JOB_RUN"')}\n  ]\n}`,
        '3:81: tokens[0].scopes[1], "JOB_RUN", is no scope; use JOB_READ or JOB_WRITE.',
      ],
      [`{\n  "tokens": [\n    ${token.replace("]}", '], "user": 7}')}\n  ]\n}`, "3:90: tokens[0]: user must be a string."],
      [
        `{\n  "tokens": [\n    ${token.replace("-EMU-", " EMU ")}\n  ]\n}`,
        "3:15: tokens[0]: a token cannot hold spaces or other blanks, as no Authorization header could carry it.",
      ],
      [
        `{\n  "tokens": [\n    ${token.replace("-EMU-", "-EMü-")}\n  ]\n}`,
        "3:15: tokens[0]: a token holds only printable ASCII, as studio-jobs sends no other: this one could never be given.",
      ],
      [
        `{\n  "tokens": [\n    ${token.replace('["demo"]', "[]")}\n  ]\n}`,
        "3:48: tokens[0].teams is empty: give the teams the token may call for.",
      ],
      [
        `{\n  "tokens": [\n    ${token.replace('["JOB_READ"]', '"JOB_READ"')}\n  ]\n}`,
        "3:68: tokens[0] needs a list of scopes: JOB_READ, JOB_WRITE.",
      ],
      [
        `{"clusters": [\n  {"id": 1, "name": "a", "is_active": true, "default": true, "max_workers": 1},\n  {"id": 2, "name": "b", "is_active": true, "default": true, "max_workers": 1}\n]}`,
        "3:56: clusters[1] is the default, and so is clusters[0]; make one cluster the default.",
      ],
      [
        `{"clusters": [\n  {"id": 1, "name": "a", "is_active": true, "default": true, "max_workers": 1},\n  {"id": 1, "name": "b", "is_active": true, "default": false, "max_workers": 1}\n]}`,
        "3:3: clusters[1] has the id 1 of clusters[0]; give each cluster its own id and name.",
      ],
    ];
    for (const [text, expected] of cases) {
      writeFileSync(file, text);
      const result = await runCli(["emulator", "--port", "0", "--config", file]);
      expect(result).toMatchObject({
        code: 1,
        stdout: "",
        stderr: `Error: ${file}:${expected}\nGive --config a JSON file of tokens, teams, scopes and clusters (see the README, "The emulator").\n`,
      });
      expect(result.stderr).not.toContain("S3cr3t");
    }
    // A byte order mark, as some editors write, is not part of the text: the file is taken.
    writeFileSync(file, `\ufeff{"tokens": [${token}]}`);
    const started = await startEmulator({ config: file });
    await started.close();
    // A token may hold any printable ASCII but the space: each can be sent.
    const printable = Array.from({ length: 94 }, (_, n) => String.fromCharCode(33 + n)).join("");
    const any = await startEmulator({ config: { tokens: [{ token: printable, teams: ["demo"], scopes: ["JOB_READ"] }] } });
    try {
      expect((await rawCall(any.url, "GET", "/api/datachain/jobs/?team_name=demo", { token: printable })).status).toBe(200);
    } finally {
      await any.close();
    }
  });

  it("does not quote a config that is not JSON: the text V8 quotes may be a token", async () => {
    // Found by a secrets hunt: a token written unquoted printed "...[{"token":S3cr3t-EMU"...".
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-config-"));
    const file = join(dir, "config.json");
    writeFileSync(file, '{"tokens":[{"token":S3cr3t-EMU-abcdef999, "teams":["demo"],"scopes":["JOB_READ"]}]}');
    const refused = await startEmulator({ config: file }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(UsageError);
    expect((refused as UsageError).message).toBe(
      `${file}:1:21: the config is not valid JSON: expected a value: a string in double quotes, a number, true, false, null, a list [...] or an object {...}.`,
    );
    writeFileSync(file, '{"tokens": [1 2]}');
    await expect(startEmulator({ config: file })).rejects.toThrow(
      `${file}:1:15: the config is not valid JSON: expected ',' or ']' after the item.`,
    );
  });

  it("refuses a non-loopback host with the default token", async () => {
    // An IPv6 address with a zone is link-local, never loopback: the URL parser cannot read it.
    await expect(startEmulator({ host: "fe80::1%lo" })).rejects.toThrow(
      'Refusing to listen on fe80::1%lo with the well-known token "dev-token".',
    );
    await expect(startEmulator({ host: "0.0.0.0" })).rejects.toThrow(
      'Refusing to listen on 0.0.0.0 with the well-known token "dev-token".',
    );
    // The hint named only --config, where one --token before `emulator` is the short way
    // (found by a new user following the README's emulator table).
    expect(await runCli(["emulator", "--host", "0.0.0.0"])).toMatchObject({
      code: 1,
      stdout: "",
      stderr:
        'Error: Refusing to listen on 0.0.0.0 with the well-known token "dev-token".\n' +
        "Give a token of your own (`studio-jobs --token T --team TEAM emulator ...`) or several with --config, or listen on 127.0.0.1.\n",
    });
    // Found by an adversarial tester: the hooks take no token, and showed every job's
    // environment to anyone on the network.
    const own = { tokens: [{ token: "own-token-1234", user: "u", teams: ["demo"], scopes: ["JOB_READ" as const] }] };
    await expect(startEmulator({ host: "0.0.0.0", config: own, admin: true })).rejects.toThrow(
      "Refusing --admin on 0.0.0.0: the test hooks take no token",
    );
    // Nor on a name under localhost, which listen() would ask DNS about: only the client resolves those as localhost.
    await expect(startEmulator({ host: "studio.localhost", config: own, admin: true })).rejects.toThrow(
      "Refusing --admin on studio.localhost: the test hooks take no token",
    );
    // 127.0.0.1 written as an IPv4-mapped IPv6 address is this machine (found by review: refused as another host).
    const mapped = await startEmulator({ host: "::ffff:127.0.0.1", admin: true });
    try {
      expect((await rawCall(mapped.url, "GET", "/_emulator/state", { token: null })).status).toBe(200);
    } finally {
      await mapped.close();
    }
    // A port in use is a usage error, not an internal one.
    const taken = await startEmulator();
    try {
      const port = Number(new URL(taken.url).port);
      const refused = await startEmulator({ port }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(UsageError);
      // With what to do (a newcomer's walk-through: it said EADDRINUSE, and nothing more).
      expect([(refused as UsageError).message, (refused as UsageError).hint]).toEqual([
        `The emulator cannot listen on 127.0.0.1 port ${port}: listen EADDRINUSE: address already in use 127.0.0.1:${port}`,
        "Another process listens there: stop it, or give another --port (--port 0 picks a free one).",
      ]);
      // A directory given as --config is said with what --config takes.
      expect(() => loadEmulatorConfig(tmpdir())).toThrow(
        expect.objectContaining({
          hint: 'Give --config a JSON file of tokens, teams, scopes and clusters (see the README, "The emulator").',
        }),
      );
    } finally {
      await taken.close();
    }
    // An address no interface has (TEST-NET-1), said with what to give instead. Found by
    // mutation testing: this hint, dropped, left every test green.
    const nowhere = await startEmulator({ host: "192.0.2.1", config: own }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect([(nowhere as UsageError).message, (nowhere as UsageError).hint]).toEqual([
      "The emulator cannot listen on 192.0.2.1 port 0: listen EADDRNOTAVAIL: address not available 192.0.2.1",
      "No interface of this machine has that address: give --host 127.0.0.1, or an address it has.",
    ]);
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
