// Which jobs a stack may touch, against the emulator through the CLI: records that carry a
// stack's markers without being a job the tool made, and spec keys that would not stay the
// job's own in Studio.

import { describe, expect, it } from "vitest";
import { MARKERS } from "../src/identity/markers.js";
import { formatEnvironment } from "../src/identity/markers.js";
import type { JobOutput } from "../src/studio/types.js";
import { runCli } from "./cli-helpers.js";
import { handMade, rawCall, useStudio, writeRepo, writeSpec } from "./helpers.js";

const { studio, env } = useStudio();

const cli = (dir: string, args: string[]) => runCli(args, { cwd: dir, env });

const NIGHTLY = { query: 'print("nightly")', schedule: { cron: "0 3 * * *" } };

/** The names of the live records of team demo that are not runs (markers checked only on stack analytics's). */
async function liveNames(): Promise<string[]> {
  const records = await studio.client.listAllJobs("demo", { stack: "analytics" });
  return records
    .filter((r) => r.parent_job_id === null && ["TASK", "QUEUED", "RUNNING"].includes(r.status))
    .map((r) => r.name)
    .sort();
}

/** Stack analytics's nightly, applied, and a copy of it made as Studio's pages copy a job (the environment kept, markers included). */
async function nightlyAndCopy(
  name: string,
  fields: { query: string; cron_expression: string },
): Promise<{ dir: string; original: JobOutput; copy: JobOutput }> {
  const dir = writeRepo({});
  writeSpec(dir, "analytics", { nightly: NIGHTLY });
  expect((await cli(dir, ["apply", "--yes"])).code).toBe(0);
  const [original] = await studio.client.listAllJobs("demo");
  if (original === undefined) throw new Error("no job applied");
  const copy = await studio.client.createJob(handMade(name, { ...fields, environment: formatEnvironment(original.environment) }));
  return { dir, original, copy };
}

describe("a job copied in Studio with the stack's markers, under another name", () => {
  it("is left alone by plan, apply and destroy, and does not stand in for the job it was copied from", async () => {
    // Found by an adversarial tester: Studio's UI copies a job's environment, markers
    // included. The copy, renamed and edited, was cancelled as "demo/nightly ... a duplicate",
    // and once the original was cancelled the plan said "No changes" with no job named
    // nightly in Studio.
    const { dir, original, copy } = await nightlyAndCopy("nightly (copy)", {
      query: 'print("edited by hand")',
      cron_expression: "0 4 * * *",
    });
    expect(copy.environment[MARKERS.key]).toBe("nightly");

    const first = await cli(dir, ["plan", "--detailed-exitcode"]);
    expect(first.stdout).toBe("No changes. Studio matches the spec in team demo.\n");
    expect(first.code).toBe(0);
    expect(first.stderr).toBe(
      `Warning: Job ${copy.id} ("nightly (copy)") in team demo carries the markers of stack analytics's job "nightly" under another name: studio-jobs names every job it makes by its key, so it was copied or made by hand. It is left alone; cancel it in Studio if it is not wanted.\n`,
    );

    await studio.client.cancelJob("demo", original.id);
    const second = await cli(dir, ["plan", "--format", "json"]);
    const actions = (JSON.parse(second.stdout) as { actions: { kind: string; key: string }[] }).actions;
    expect(actions.map((a) => `${a.kind} ${a.key}`)).toEqual(["create nightly"]);
    expect((await cli(dir, ["apply", "--yes"])).code).toBe(0);
    expect(await liveNames()).toEqual(["nightly", "nightly (copy)"]);

    const destroyed = await cli(dir, ["destroy", "--yes"]);
    expect(destroyed.code).toBe(0);
    expect(await liveNames()).toEqual(["nightly (copy)"]);
  });
});

describe("a job copied in Studio with the stack's markers, named like another job of the spec", () => {
  it("conflicts with that job, as a job made by hand of its name does, and a saved plan with --adopt replaces it", async () => {
    // Found by an adversarial tester: a copy of nightly renamed "weekly" was only warned
    // about, and the plan created weekly beside it: two live jobs named weekly, one running
    // nightly's query.
    const { dir, copy } = await nightlyAndCopy("weekly", { query: NIGHTLY.query, cron_expression: "0 4 * * 1" });
    writeSpec(dir, "analytics", { nightly: NIGHTLY, weekly: { query: 'print("weekly")', schedule: { cron: "@weekly" } } });

    const planned = await cli(dir, ["plan"]);
    expect(planned.code).toBe(1);
    expect(planned.stderr).toContain(
      `Error: Job "weekly" in team demo conflicts with an existing job of the same name (${copy.id}) that carries the markers of stack analytics's job "nightly": it was copied in Studio or made by hand, not made by studio-jobs as "weekly". Pass --adopt to replace it with the spec's job, cancel it in Studio, or rename the job.\n`,
    );
    expect((await cli(dir, ["apply", "--yes"])).code).toBe(1);
    expect(await liveNames()).toEqual(["nightly", "weekly"]);

    expect((await cli(dir, ["plan", "--adopt", "--out", "plan.json"])).code).toBe(0);
    const applied = await cli(dir, ["apply", "plan.json"]);
    expect(applied.code).toBe(0);
    const live = (await studio.client.listAllJobs("demo", { stack: "analytics" })).filter((r) =>
      ["TASK", "QUEUED", "RUNNING"].includes(r.status),
    );
    expect(live.map((r) => [r.name, r.environment[MARKERS.key], r.id === copy.id]).sort()).toEqual([
      ["nightly", "nightly", false],
      ["weekly", "weekly", false],
    ]);
    const again = await cli(dir, ["plan", "--detailed-exitcode"]);
    expect([again.code, again.stdout]).toEqual([0, "No changes. Studio matches the spec in team demo.\n"]);
  });
});

describe("a stack renamed in its spec", () => {
  it("is said to leave the old stack's jobs running beside the new ones, in one warning that says what to do", async () => {
    // Found by an adversarial tester: after `stack: etl` became `stack: pipelines`, the plan
    // created every job again and said, job by job, only that stack etl "also has a live job"
    // of its name, "left alone": applied, every schedule ran twice.
    const dir = writeRepo({});
    const jobs = { nightly: NIGHTLY, hourly: { query: "print(2)", schedule: { cron: "@hourly" } }, once: { query: "print(3)" } };
    writeSpec(dir, "etl", jobs);
    expect((await cli(dir, ["apply", "--yes"])).code).toBe(0);
    writeSpec(dir, "pipelines", jobs);
    const renamed = await cli(dir, ["plan"]);
    expect(renamed.code).toBe(0);
    expect(renamed.stdout).toContain("Plan: 3 to create, 0 to replace, 0 to cancel, 0 unchanged.");
    expect(renamed.stderr).toMatch(
      /^Warning: Stack pipelines has no jobs in team demo, and stack etl runs 3 jobs of the names this plan creates there: demo\/hourly \(\S+\), demo\/nightly \(\S+\) and 1 more\. If etl was this spec's stack before, applying runs each of them twice: a stack never touches another stack's jobs\. Keep `stack: etl`, or retire them with `studio-jobs destroy` run on the spec with `stack: etl`\.\n$/,
    );

    // Another stack with jobs of its own that shares a name is told job by job, as before.
    const other = writeRepo({});
    writeSpec(other, "reports", { nightly: NIGHTLY, weekly: { query: "print(4)", schedule: { cron: "@weekly" } } });
    expect((await cli(other, ["apply", "--yes", "--target", "weekly"])).code).toBe(0);
    const shared = await cli(other, ["plan"]);
    expect(shared.stderr).toMatch(
      /^Warning: Stack etl also has a live job named "nightly" in team demo \(\S+\); it is left alone, and both run until stack etl's spec drops it and is applied, or it is cancelled in Studio\.\n$/,
    );
  });
});

describe("a job of another stack, or of none, with markers studio-jobs cannot read", () => {
  it("stops no plan, apply, status, destroy or import of a stack it is not marked for; its own stack's plan still refuses it", async () => {
    // Found by an adversarial tester: one job made by hand with `STUDIO_JOBS_STACK=` (empty),
    // then cancelled, stopped every plan, apply, status and destroy of every stack in the
    // team ("marker STUDIO_JOBS_STACK is empty ... If Studio's API has changed, please
    // report it"), for good: Studio deletes no job, and a cancelled one is listed forever.
    // Made over plain HTTP: the client refuses to read such a reply.
    const made = await rawCall(studio.emulator.url, "POST", "/api/datachain/jobs/", {
      json: handMade("note", { environment: `${MARKERS.stack}=` }),
    });
    await studio.client.cancelJob("demo", (made.body as { id: string }).id);
    await rawCall(studio.emulator.url, "POST", "/api/datachain/jobs/", {
      json: handMade("theirs", {
        environment: `${MARKERS.stack}=billing\n${MARKERS.key}=theirs\n${MARKERS.applied}=not-json`,
        cron_expression: "@daily",
      }),
    });
    const dir = writeRepo({});
    writeSpec(dir, "analytics", { nightly: NIGHTLY });
    const applied = await cli(dir, ["apply", "--yes"]);
    expect([applied.code, applied.stderr]).toEqual([0, expect.stringContaining("[1/1] create demo/nightly: done")]);
    const planned = await cli(dir, ["plan"]);
    expect([planned.code, planned.stdout, planned.stderr]).toEqual([0, "No changes. Studio matches the spec in team demo.\n", ""]);
    expect((await cli(dir, ["status"])).code).toBe(0);
    expect((await cli(dir, ["import", "--team", "demo"])).code).toBe(0);
    expect((await cli(dir, ["destroy", "--yes"])).code).toBe(0);
    expect(await liveNames()).toEqual(["theirs"]);

    // The stack the record is marked for acts on it, so its plan reads the markers, and stops.
    const billing = writeRepo({});
    writeSpec(billing, "billing", { theirs: { query: "print(0)", schedule: { cron: "@daily" } } });
    const refused = await cli(billing, ["plan"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`marker ${MARKERS.applied} is not base64url-encoded JSON`);
  });
});

describe("a job made by hand with the stack's markers, one of them mangled", () => {
  it("stops the stack's commands, naming the job, until it is cancelled; its runs and cancelled record then stop nothing", async () => {
    // Found by an adversarial tester: once such a job had run, or was cancelled as the error
    // said, its records (which Studio lists for good) still stopped every plan, status and
    // destroy of the stack, with no way out.
    const dir = writeRepo({});
    writeSpec(dir, "analytics", { nightly: NIGHTLY });
    expect((await cli(dir, ["apply", "--yes"])).code).toBe(0);
    const mangled = Buffer.from(JSON.stringify({ v: 1, query_type: "PYTHON", cron: 5 })).toString("base64url");
    const environment = formatEnvironment({ [MARKERS.stack]: "analytics", [MARKERS.key]: "hourly", [MARKERS.applied]: mangled });
    const made = await rawCall(studio.emulator.url, "POST", "/api/datachain/jobs/", {
      json: handMade("hourly", { cron_expression: "@hourly", environment }),
    });
    const hand = made.body as JobOutput;
    studio.clock.advance(3 * 3_600_000);
    const refused = await cli(dir, ["status"]);
    expect([refused.code, refused.stderr.split("\n")[1]]).toEqual([
      1,
      `studio-jobs acts on nothing it cannot read, so it stopped here. studio-jobs did not write these markers: if job ${hand.id} was made or copied by hand with them, cancel it in Studio and run this again; if not, please report it.`,
    ]);

    await studio.client.cancelJob("demo", hand.id);
    studio.clock.advance(60_000);
    const runs = studio.emulator.store.allJobs().filter((r) => r.parent_job_id === hand.id);
    expect(runs.map((r) => r.status)).toEqual(["COMPLETE"]);
    const status = await cli(dir, ["status"]);
    expect([status.code, status.stderr]).toEqual([0, ""]);
    expect(status.stdout).toMatch(/^demo\/nightly +\S+ +TASK +in-spec /m);
    expect(status.stdout).not.toContain("hourly");
    const plan = await cli(dir, ["plan"]);
    expect([plan.code, plan.stdout]).toEqual([0, "No changes. Studio matches the spec in team demo.\n"]);
    const destroyed = await cli(dir, ["destroy", "--yes"]);
    expect([destroyed.code, destroyed.stdout]).toEqual([0, expect.stringContaining("Destroy complete: 1 cancelled, 0 failed.")]);
    expect(await liveNames()).toEqual([]);
  });
});
