// Plans limited by --target, against the emulator: they touch only the jobs named, and say
// that they are partial, in every format and in a saved plan.

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cliWith } from "./cli-helpers.js";
import { dailyJobs, liveByKey, useStudio, writeRepo, writeSpec } from "./helpers.js";

const { studio, env } = useStudio();
const cli = cliWith(env);

describe("--target", () => {
  it("says the plan is partial: its counts and its 'No changes' are of the targeted jobs only", async () => {
    // Found by an adversarial tester: `plan --target job-0` with four more jobs of the spec not
    // in Studio said "No changes. Studio matches the spec in team demo." and counted
    // "0 unchanged": nothing in the text, the Markdown comment or `show` said that the rest of
    // the stack was not planned at all.
    const dir = writeRepo({});
    writeSpec(dir, "partial", dailyJobs(1));
    expect((await cli(dir, ["apply", ".", "--yes"])).code).toBe(0);
    writeSpec(dir, "partial", dailyJobs(5));
    const note = (keys: string) =>
      `Only the jobs --target names were planned (${keys}): the counts leave out the stack's other jobs, which are left as they are.`;

    const empty = await cli(dir, ["plan", ".", "--target", "job-0", "--detailed-exitcode"]);
    expect(empty).toMatchObject({ code: 0, stderr: "", stdout: `No changes to the targeted jobs in team demo.\n${note("job-0")}\n` });
    const markdown = await cli(dir, ["plan", ".", "--target", "job-0", "--format", "markdown"]);
    expect(markdown.stdout).toBe(
      [
        "<!-- studio-jobs-plan: partial -->",
        "### studio-jobs plan for stack <code>partial</code>, team <code>demo</code>",
        "",
        "No changes to the targeted jobs.",
        "",
        `_${note("<code>job-0</code>")}_`,
        "",
      ].join("\n"),
    );

    const some = await cli(dir, ["plan", ".", "--target", "job-2", "--target", "job-1", "--out", "plan.json"]);
    expect(some.code).toBe(0);
    expect(some.stdout.split("\n").slice(-3)).toEqual([
      "Plan: 2 to create, 0 to replace, 0 to cancel, 0 unchanged.",
      note("job-1, job-2"),
      "",
    ]);
    const shown = await cli(dir, ["show", "plan.json"]);
    expect(shown.stdout.split("\n").slice(-3)).toEqual([
      "Plan: 2 to create, 0 to replace, 0 to cancel, 0 unchanged.",
      note("job-1, job-2"),
      "",
    ]);
    const applied = await cli(dir, ["apply", "plan.json"]);
    expect(applied.code).toBe(0);
    // Said where it is carried out too: applying it changes none of the stack's other jobs.
    expect(applied.stderr.split("\n").slice(0, 2)).toEqual([
      expect.stringMatching(/^Applying the saved plan plan\.json /),
      note("job-1, job-2"),
    ]);
    expect(applied.stdout).toContain("Apply complete: 2 created, 0 replaced, 0 cancelled, 0 failed.");
    const live = liveByKey(await studio.client.listAllJobs("demo"), "partial");
    expect([...live.keys()].sort()).toEqual(["job-0", "job-1", "job-2"]);

    // Without --target, the plan says nothing of the kind.
    const whole = await cli(dir, ["plan", "."]);
    expect(whole.stdout).not.toContain("--target");
    expect(whole.stdout).toContain("Plan: 2 to create, 0 to replace, 0 to cancel, 3 unchanged.");
  });

  it("names a --target given twice once", async () => {
    // Found by an adversarial tester: `--target nightly --target nightly` was said as
    // "(nightly, nightly)".
    const dir = writeRepo({});
    writeSpec(dir, "twice", dailyJobs(2));
    const twice = await cli(dir, ["plan", ".", "--target", "job-1", "--target", "job-1", "--format", "json"]);
    expect(twice.code).toBe(0);
    const doc = JSON.parse(twice.stdout) as { targets: string[]; actions: { key: string }[] };
    expect(doc.targets).toEqual(["job-1"]);
    expect(doc.actions.map((action) => action.key)).toEqual(["job-1"]);
    expect(await studio.client.listAllJobs("demo")).toEqual([]);
  });

  it("names the job a --target differs from only in case, for plan and destroy", async () => {
    // Found by an adversarial tester: `plan --target Nightly` for the job nightly said only
    // "matches no job of the spec", though it names the job differently only in case, which
    // Studio's job names tell apart.
    const dir = writeRepo({});
    writeSpec(dir, "cased", { nightly: { query: "print(1)", schedule: { cron: "@daily" } } });
    expect((await cli(dir, ["apply", ".", "--yes"])).code).toBe(0);
    const plan = await cli(dir, ["plan", ".", "--target", "Nightly"]);
    expect(plan.code).toBe(1);
    expect(plan.stderr).toBe(
      'Error: --target "Nightly" matches no job of the spec and no live job of stack cased; the job "nightly" differs from it only in case (job names are case-sensitive): give --target exactly that name.\n',
    );
    const destroy = await cli(dir, ["destroy", ".", "--yes", "--target", "NIGHTLY"]);
    expect(destroy.code).toBe(1);
    expect(destroy.stderr).toBe(
      'Error: --target "NIGHTLY" matches no job of stack cased in Studio; the job "nightly" differs from it only in case (job names are case-sensitive): give --target exactly that name.\n',
    );
    expect([...liveByKey(await studio.client.listAllJobs("demo"), "cased").keys()]).toEqual(["nightly"]);
  });

  it("a spec whose every job was removed: `jobs:` left empty is told to be `jobs: {}`, which --allow-empty then plans", async () => {
    // Found by an adversarial tester: commenting out every job left `jobs:` with nothing under
    // it, refused as "must be a mapping, got null": nothing said how to write no jobs at all.
    const dir = writeRepo({});
    writeSpec(dir, "emptied", dailyJobs(2));
    expect((await cli(dir, ["apply", ".", "--yes"])).code).toBe(0);
    writeFileSync(join(dir, "studio-jobs.yaml"), "version: 1\nstack: emptied\nteams: [demo]\njobs:\n  # job-0: {}\n");
    const blank = await cli(dir, ["plan", "."]);
    expect(blank).toMatchObject({ code: 1, stdout: "" });
    expect(blank.stderr).toBe(
      "Error: studio-jobs.yaml:4:6: must be a mapping of job names to their settings (`jobs: {}` for none), got null (at jobs)\n1 problem found in the spec.\n",
    );
    writeFileSync(join(dir, "studio-jobs.yaml"), "version: 1\nstack: emptied\nteams: [demo]\njobs: {}\n");
    const none = await cli(dir, ["plan", "."]);
    expect(none.code).toBe(1);
    // The destroy it suggests names the paths given: run bare, it would read ./studio-jobs.yaml.
    expect(none.stderr).toContain(
      "The plan would cancel every job of stack emptied (2) and keep none: is the spec empty or the path wrong? To retire the stack, run `studio-jobs destroy .`;",
    );
    const named = await cli(dir, ["plan", "studio-jobs.yaml"]);
    expect(named.stderr).toContain("To retire the stack, run `studio-jobs destroy`;");
    expect(await cli(dir, ["plan", ".", "--allow-empty"])).toMatchObject({ code: 0, stderr: "" });
    expect([...liveByKey(await studio.client.listAllJobs("demo"), "emptied").keys()].sort()).toEqual(["job-0", "job-1"]);
  });

  it("the destroy it suggests hides a secret the spec path holds, in every format", async () => {
    // Found hunting secrets: a spec under a directory named by STUDIO_JOBS_PLAN_KEY, which holds
    // a quote, was named shell-quoted ('pk'\''Ab12...'), and escaped again in the plan's JSON
    // and Markdown: spellings the redactor did not know.
    const key = "pk'Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56";
    const dir = writeRepo({});
    mkdirSync(join(dir, key));
    writeSpec(join(dir, key), "keyed", dailyJobs(1));
    const keyed = { env: { STUDIO_JOBS_PLAN_KEY: key } };
    expect((await cli(dir, ["apply", key, "--yes"], keyed)).code).toBe(0);
    writeFileSync(join(dir, key, "studio-jobs.yaml"), "version: 1\nstack: keyed\nteams: [demo]\njobs: {}\n");
    const said = "To retire the stack, run `studio-jobs destroy '***'`;";
    const text = await cli(dir, ["plan", key], keyed);
    expect(text.stderr).toContain(said);
    const json = await cli(dir, ["plan", key, "--format", "json"], keyed);
    expect((JSON.parse(json.stdout) as { errors: string[] }).errors[0]).toContain(said);
    const markdown = await cli(dir, ["plan", key, "--format", "markdown"], keyed);
    expect(markdown.stdout).toContain("destroy '&#42;&#42;&#42;'&#96;;");
    for (const { code, stdout, stderr } of [text, json, markdown])
      expect([code, `${stdout}${stderr}`.includes("Ab12Cd34")]).toEqual([1, false]);
  });
});
