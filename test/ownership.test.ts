// Which jobs a stack may touch, against the emulator through the CLI: records that carry a
// stack's markers without being a job the tool made, and spec keys that would not stay the
// job's own in Studio.

import { describe, expect, it } from "vitest";
import { MARKERS } from "../src/identity/markers.js";
import { formatEnvironment } from "../src/identity/markers.js";
import { runCli } from "./cli-helpers.js";
import { handMade, useStudio, writeRepo, writeSpec } from "./helpers.js";

const { studio, env } = useStudio();

const cli = (dir: string, args: string[]) => runCli(args, { cwd: dir, env });

const NIGHTLY = { query: 'print("nightly")', schedule: { cron: "0 3 * * *" } };

/** The live records of team demo that are not runs, as `name status` lines. */
async function liveNames(): Promise<string[]> {
  const records = await studio.client.listAllJobs("demo");
  return records
    .filter((r) => r.parent_job_id === null && ["TASK", "QUEUED", "RUNNING"].includes(r.status))
    .map((r) => r.name)
    .sort();
}

describe("a job copied in Studio with the stack's markers, under another name", () => {
  it("is left alone by plan, apply and destroy, and does not stand in for the job it was copied from", async () => {
    // Found by an adversarial tester: Studio's UI copies a job's environment, markers
    // included. The copy, renamed and edited, was cancelled as "demo/nightly ... a duplicate",
    // and once the original was cancelled the plan said "No changes" with no job named
    // nightly in Studio.
    const dir = writeRepo({});
    writeSpec(dir, "analytics", { nightly: NIGHTLY });
    expect((await cli(dir, ["apply", "--yes"])).code).toBe(0);
    const [original] = await studio.client.listAllJobs("demo");
    if (original === undefined) throw new Error("no job applied");
    const copy = await studio.client.createJob(
      handMade("nightly (copy)", {
        query: 'print("edited by hand")',
        cron_expression: "0 4 * * *",
        environment: formatEnvironment(original.environment),
      }),
    );
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
