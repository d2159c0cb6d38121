// show (a saved plan, offline), destroy (retire a stack), saved plans handed to commands
// that read specs, and status times.

import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MARKERS } from "../src/identity/markers.js";
import { isLive, isRun } from "../src/studio/job-status.js";
import { cliWith, runCli } from "./cli-helpers.js";
import { copyExample, useStudio, writeSpec } from "./helpers.js";

const { studio, env } = useStudio();
const cli = cliWith(env);

/** Nowhere to connect to, and no token: a command that tries to reach Studio fails. */
const OFFLINE = { DATACHAIN_STUDIO_URL: "http://127.0.0.1:9", DATACHAIN_STUDIO_TOKEN: "" };

const liveKeys = async (stack: string) =>
  (await studio.client.listAllJobs("demo"))
    .filter((job) => !isRun(job) && isLive(job.status) && job.environment[MARKERS.stack] === stack)
    .map((job) => job.environment[MARKERS.key])
    .sort();

/** Applied, then one job changed, one removed and one added: a plan with every kind of change. */
async function changedExample(): Promise<string> {
  const dir = copyExample("analytics");
  expect((await cli(dir, ["apply", ".", "--yes"])).code).toBe(0);
  writeFileSync(join(dir, "queries/metrics.py"), "print('metrics, changed')\n");
  const spec = readFileSync(join(dir, "studio-jobs.yaml"), "utf8");
  writeFileSync(
    join(dir, "studio-jobs.yaml"),
    spec
      .replace(/ {2}weekly-cleanup:[\s\S]*?(?= {2}backfill-2026:)/, "")
      .replace("jobs:\n", "jobs:\n  fresh:\n    query: print('new')\n\n"),
  );
  return dir;
}

describe("show", () => {
  it("renders a saved plan exactly as plan printed it, in each format, without contacting Studio", async () => {
    const dir = await changedExample();
    const text = await cli(dir, ["--no-color", "plan", ".", "--out", "plan.json"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("Plan: 1 to create, 1 to replace, 1 to cancel, 2 unchanged.");
    const markdown = await cli(dir, ["plan", ".", "--format", "markdown", "--out", "plan-md.json"]);
    expect(markdown.code).toBe(0);

    // Offline, with the token the plan was sealed with: the seal is checked, silently.
    const shown = await cli(dir, ["--no-color", "show", "plan.json"], { env: { DATACHAIN_STUDIO_URL: OFFLINE.DATACHAIN_STUDIO_URL } });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toBe(text.stdout);
    const saved = JSON.parse(readFileSync(join(dir, "plan.json"), "utf8")) as Record<string, unknown>;
    // Which Studio it is for, as whoever approves it needs to see (found by the saved-plan attacker).
    expect(saved["studio"]).toBe(studio.emulator.url.replace(/\/$/, ""));
    expect(shown.stderr).toBe(
      `Saved plan of stack analytics for ${String(saved["studio"])}, made ${String(saved["created_at"])} by studio-jobs 0.1.0. Apply it with: studio-jobs apply plan.json\n`,
    );

    // Without a token the seal cannot be checked: shown, and said; with the token's variable
    // set but empty, said so (it said "not set here", though a config held one).
    const shownMarkdown = await cli(dir, ["show", "plan-md.json", "--format", "markdown"], {
      env: { ...OFFLINE, DATACHAIN_STUDIO_TOKEN: undefined },
    });
    expect(shownMarkdown).toMatchObject({
      code: 0,
      stdout: markdown.stdout,
      stderr:
        "Note: the seal of plan-md.json was not checked: it was sealed with the Studio token, which is not set here. apply checks it before it acts.\n",
    });
    const emptyToken = await cli(dir, ["show", "plan-md.json", "--format", "markdown"], { env: OFFLINE });
    expect(emptyToken.stderr).toBe(
      "Note: the seal of plan-md.json was not checked: it was sealed with the Studio token, which could not be read here: DATACHAIN_STUDIO_TOKEN is set but empty (a CI secret that is not set, or not given to this run?). apply checks it before it acts.\n",
    );

    // Sealed with the plan key, the token it could not read is not the reason: the plan key is.
    const planKey = "plan-key-0123456789abcdef0123456789";
    expect((await cli(dir, ["plan", ".", "--out", "keyed.json"], { env: { STUDIO_JOBS_PLAN_KEY: planKey } })).code).toBe(0);
    expect((await cli(dir, ["show", "keyed.json"], { env: OFFLINE })).stderr).toContain(
      "Note: the seal of keyed.json was not checked: it was sealed with STUDIO_JOBS_PLAN_KEY, which is not set here. apply checks it before it acts.\n",
    );

    const json = await cli(dir, ["show", "plan.json", "--format", "json"], { env: OFFLINE });
    const { jobs: _jobs, ...plan } = saved;
    expect(JSON.parse(json.stdout)).toEqual(plan);
    expect((JSON.parse(json.stdout) as { actions: { kind: string }[] }).actions.map((a) => a.kind).sort()).toEqual([
      "cancel",
      "create",
      "noop",
      "noop",
      "replace",
    ]);
  });

  it("prints the plan's warnings, as plan did, and so does apply of the saved plan", async () => {
    // Found by a reviewer: the warning that a replace runs a one-off job again reached only
    // the terminal of whoever ran plan, not the approval step nor the apply.
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-show-"));
    mkdirSync(join(dir, ".git"));
    writeSpec(dir, "once", { backfill: { query: "print(1)" } });
    expect((await cli(dir, ["apply", ".", "--yes"])).code).toBe(0);
    studio.clock.advance(5_000); // the one-off job starts running
    writeSpec(dir, "once", { backfill: { query: "print(2)" } });
    const planned = await cli(dir, ["--no-color", "plan", ".", "--out", "plan.json"]);
    const warning =
      /^Warning: Job "backfill" in team demo runs once: replacing it cancels [\w-]+, which is RUNNING, and runs the job again from the start\.$/m;
    expect(planned.stderr).toMatch(warning);
    // On stderr for every format, once, as plan prints them: the Markdown or JSON may go to a
    // comment or a file nobody reads in the log (they showed them only inside the document).
    const every = new RegExp(warning.source, "gm");
    for (const format of ["text", "markdown", "json"]) {
      const shown = await cli(dir, ["--no-color", "show", "plan.json", "--format", format], {
        env: { DATACHAIN_STUDIO_URL: OFFLINE.DATACHAIN_STUDIO_URL },
      });
      expect([shown.code, shown.stderr.match(every)?.length], format).toEqual([0, 1]);
    }
    const applied = await cli(dir, ["apply", "plan.json"]);
    expect(applied.code).toBe(0);
    expect(applied.stderr).toMatch(warning);
  });

  it("refuses a plan changed after it was made, as apply would: the approval step never shows what cannot be applied", async () => {
    // Found by a reviewer: show printed an edited query while apply refused the file.
    const dir = await changedExample();
    expect((await cli(dir, ["plan", ".", "--out", "plan.json"])).code).toBe(0);
    writeFileSync(join(dir, "plan.json"), readFileSync(join(dir, "plan.json"), "utf8").replace("print('new')", "print('666')"));
    const shown = await cli(dir, ["show", "plan.json"], { env: { DATACHAIN_STUDIO_URL: OFFLINE.DATACHAIN_STUDIO_URL } });
    expect(shown).toMatchObject({
      code: 1,
      stdout: "",
      stderr:
        "Error: plan.json does not match its seal. The saved plan was changed after it was made. Nothing was changed.\nMake it again with `studio-jobs plan --out FILE` and apply that.\n",
    });
    // show calls no Studio: an empty DATACHAIN_STUDIO_URL (a CI variable not defined) does not
    // keep it from the token, which it said was "not set here", showing the edited plan.
    expect(await cli(dir, ["show", "plan.json"], { env: { DATACHAIN_STUDIO_URL: "" } })).toEqual(shown);
  });

  it("shows the keys and teams of a saved plan it could not check with their terminal escapes shown, not obeyed", async () => {
    // Without the token the seal is not checked, and the file is whatever the pull request
    // holds: its keys and teams are any strings. Escaped like every text plan line.
    const dir = await changedExample();
    expect((await cli(dir, ["plan", ".", "--out", "plan.json"])).code).toBe(0);
    expect((await cli(dir, ["apply", ".", "--yes"])).code).toBe(0);
    expect((await cli(dir, ["plan", ".", "--out", "empty.json"])).code).toBe(0);
    const edit = (file: string, change: (plan: { teams: string[]; actions: { key: string; team: string }[] }) => void) => {
      const plan = JSON.parse(readFileSync(join(dir, file), "utf8")) as Parameters<typeof change>[0];
      change(plan);
      writeFileSync(join(dir, file), JSON.stringify(plan));
    };
    edit("plan.json", (plan) => {
      for (const action of plan.actions) [action.key, action.team] = [`${action.key}\x1b[2K`, "demo\r"];
    });
    edit("empty.json", (plan) => void (plan.teams = ["demo\x1b]0;hi\x07"]));
    const noToken = { env: { ...OFFLINE, DATACHAIN_STUDIO_TOKEN: undefined } };
    const shown = await cli(dir, ["--no-color", "show", "plan.json"], noToken);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain("  +   demo^M/fresh^[[2K  create\n");
    expect(shown.stdout).toContain("  -   demo^M/weekly-cleanup^[[2K  cancel job ");
    const markdown = await cli(dir, ["show", "plan.json", "--format", "markdown"], noToken);
    expect(markdown.stdout).toContain("| ➕ | <code>fresh^&#91;&#91;2K</code> | demo^M | create |\n");
    const empty = await cli(dir, ["--no-color", "show", "empty.json"], noToken);
    expect(empty).toMatchObject({ code: 0, stdout: "No changes. Studio matches the spec in team demo^[]0;hi^G.\n" });
    for (const out of [shown.stdout, markdown.stdout, empty.stdout])
      for (const raw of ["\x1b", "\r", "\x07"]) expect(out).not.toContain(raw);
  });

  it("names a plan file whose name holds a terminal escape with the escape shown, not obeyed, and quoted as a shell takes it back, in plan --out, show and apply", async () => {
    // Found by attack: `show` and `apply` echoed the name as given, so a plan a pull request
    // added as plans/$'\e[2J.json', shown by a loop over plans/*.json, cleared the CI log's terminal.
    const dir = await changedExample();
    const name = "a\x1b[2Jb.json";
    const planned = await cli(dir, ["plan", ".", "--out", name]);
    expect(planned.code).toBe(0);
    expect(planned.stderr).toContain("Saved the plan to 'a^[[2Jb.json'. Apply exactly this plan with: studio-jobs apply 'a^[[2Jb.json'\n");
    const shown = await cli(dir, ["--no-color", "show", name]);
    expect(shown.code).toBe(0);
    expect(shown.stderr).toContain("Apply it with: studio-jobs apply 'a^[[2Jb.json'\n");
    const applied = await cli(dir, ["apply", name]);
    expect(applied.code).toBe(0);
    expect(applied.stderr).toContain("Applying the saved plan 'a^[[2Jb.json' (stack analytics, made ");
    expect(await cli(dir, ["show", "z\x1b[2J.json"])).toMatchObject({
      code: 1,
      stderr: "Error: 'z^[[2J.json' does not exist.\nSave a plan with `studio-jobs plan --out plan.json`.\n",
    });
    expect((await cli(dir, ["plan", ".", "--out", "b\x1b[2J.yaml"])).stderr).toContain("Error: --out 'b^[[2J.yaml' is not a .json file");
    for (const out of [planned.stderr, shown.stdout, shown.stderr, applied.stdout, applied.stderr]) expect(out).not.toContain("\x1b");
  });

  it("says what is wrong with a file that is not a saved plan", async () => {
    const dir = copyExample("analytics");
    const spec = await cli(dir, ["show", "studio-jobs.yaml"]);
    expect(spec).toMatchObject({
      code: 1,
      stderr:
        "Error: studio-jobs.yaml is not a saved plan.\nSave one with `studio-jobs plan --out plan.json`; to see the plan of a spec, run `studio-jobs plan`.\n",
    });
    expect((await cli(dir, ["show", "missing.json"])).stderr).toBe(
      "Error: missing.json does not exist.\nSave a plan with `studio-jobs plan --out plan.json`.\n",
    );
    // `apply FILE.json` reads it as a saved plan too, and says the same.
    expect(await cli(dir, ["apply", "missing.json"])).toMatchObject({
      code: 1,
      stderr: "Error: missing.json does not exist.\nSave a plan with `studio-jobs plan --out plan.json`.\n",
    });
  });
});

describe("a saved plan given where a spec is read", () => {
  it("points at show and apply instead of reporting the plan's keys as spec errors", async () => {
    const dir = copyExample("analytics");
    expect((await cli(dir, ["plan", ".", "--out", "plan.json"])).code).toBe(0);
    for (const command of ["plan", "validate", "status", "destroy"]) {
      const result = await cli(dir, [command, "plan.json"]);
      expect(result, command).toMatchObject({
        code: 1,
        stdout: "",
        stderr:
          "Error: plan.json is a saved plan, not a spec.\nReview it with `studio-jobs show plan.json`, or carry it out with `studio-jobs apply plan.json`.\n",
      });
    }
  });

  it("says a saved plan renamed off .json is one, instead of reporting its keys one by one", async () => {
    // Found by an adversarial test: `apply plan.json.bak` (and plan, validate, status,
    // destroy) read the plan as a YAML spec and reported "missing required key" and ten
    // unknown keys; `show plan.json.bak` read it as the plan it is.
    const dir = copyExample("analytics");
    expect((await cli(dir, ["plan", ".", "--out", "plan.json"])).code).toBe(0);
    copyFileSync(join(dir, "plan.json"), join(dir, "plan.json.bak"));
    for (const command of ["apply", "plan", "validate", "status", "destroy"]) {
      expect(await cli(dir, [command, "plan.json.bak"]), command).toMatchObject({
        code: 1,
        stdout: "",
        stderr:
          "Error: plan.json.bak:1:1: this is a saved plan (`studio-jobs plan --out`), not a spec; to apply it, give it a name ending in .json, as `apply` reads any other path as a spec\n" +
          "1 problem found in the spec.\n",
      });
    }
    expect(await liveKeys("analytics")).toEqual([]);
  });

  it("refuses a planning flag given with a saved plan even when its value is the default", async () => {
    const dir = copyExample("analytics");
    expect((await cli(dir, ["plan", ".", "--out", "plan.json"])).code).toBe(0);
    const result = await cli(dir, ["apply", "plan.json", "--max-cancel", "10"]);
    expect(result).toMatchObject({
      code: 1,
      stderr:
        "Error: --max-cancel cannot change a saved plan: it is applied exactly as it was made.\nPass these flags to `studio-jobs plan --out FILE` instead.\n",
    });
    expect((await cli(dir, ["apply", "plan.json", "--parallelism", "4"])).code).toBe(0);
    expect(await liveKeys("analytics")).toEqual(["backfill-2026", "hourly-metrics", "nightly-embeddings", "weekly-cleanup"]);
  });
});

describe("destroy", () => {
  it("does not warn that it interrupts the run of a protected job it keeps", async () => {
    // Found by an adversarial tester: destroy without --allow-protected warned "the plan
    // cancels ..., which is RUNNING, before it finishes" of the protected job it then kept.
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-destroy-"));
    mkdirSync(join(dir, ".git"));
    writeSpec(dir, "kept-run", { guarded: { query: "print(1)", protect: true }, plain: { query: "print(2)" } });
    expect((await cli(dir, ["apply", ".", "--yes"])).code).toBe(0);
    studio.clock.advance(5_000); // the one-off jobs start running
    const destroyed = await cli(dir, ["--no-color", "destroy", ".", "--yes"]);
    expect(destroyed.code).toBe(0);
    expect(destroyed.stderr.split("\n").filter((line) => line.startsWith("Warning:"))).toEqual([
      expect.stringMatching(/^Warning: Job "plain" in team demo: the plan cancels [\w-]+, which is RUNNING, before it finishes\.$/),
      'Warning: Job "guarded" in team demo is protected and is kept; pass --allow-protected to cancel it too.',
    ]);
    expect(await liveKeys("kept-run")).toEqual(["guarded"]);
    const again = await cli(dir, ["destroy", ".", "--yes"]);
    expect(again.stderr).toBe('Warning: Job "guarded" in team demo is protected and is kept; pass --allow-protected to cancel it too.\n');
  });

  it("retires a stack without the secrets its spec reads: it sends no job, so an unset ${env:...} does not stop it", async () => {
    // Found by following the README as a new user: destroy refused "environment variable
    // SECRET_KEY is not set", asking for a production secret only to cancel jobs.
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-destroy-"));
    mkdirSync(join(dir, ".git"));
    writeSpec(dir, "secretive", {
      daily: { query: "print(1)", schedule: { cron: "@daily" }, environment: { API_KEY: "${env:STUDIO_JOBS_TEST_SECRET}" } },
    });
    expect((await cli(dir, ["apply", ".", "--yes"], { env: { STUDIO_JOBS_TEST_SECRET: "s3cr3t-value" } })).code).toBe(0);
    expect(await liveKeys("secretive")).toEqual(["daily"]);
    // plan still needs it: it would send the value.
    const plan = await cli(dir, ["plan", "."]);
    expect(plan.code).toBe(1);
    expect(plan.stderr).toContain("environment variable STUDIO_JOBS_TEST_SECRET is not set");
    const destroyed = await cli(dir, ["--no-color", "destroy", ".", "--yes"]);
    expect(destroyed.code).toBe(0);
    expect(destroyed.stderr).toMatch(/^\[1\/1\] cancel demo\/daily: done \(job [\w-]+\)\n$/);
    expect(destroyed.stdout).toContain("Destroy complete: 1 cancelled, 0 failed.");
    expect(await liveKeys("secretive")).toEqual([]);
  });

  it("shows what it cancels, asks, keeps protected jobs, and cancels the rest", async () => {
    const dir = copyExample("analytics");
    expect((await cli(dir, ["apply", ".", "--yes"])).code).toBe(0);

    const refused = await cli(dir, ["--no-color", "destroy", "."]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain("Plan: 0 to create, 0 to replace, 3 to cancel, 0 unchanged.");
    expect(refused.stdout).toMatch(/^ {2}- {3}demo\/hourly-metrics {2}cancel job \w+ \(the stack is destroyed\)$/m);
    expect(refused.stdout).not.toContain("nightly-embeddings");
    expect(refused.stdout).not.toContain("removed from the spec");
    expect(refused.stderr).toBe(
      'Warning: Job "nightly-embeddings" in team demo is protected and is kept; pass --allow-protected to cancel it too.\n' +
        "Error: Refusing to destroy without confirmation: there is no terminal to ask on.\nPass --yes to cancel these 3 jobs.\n",
    );
    expect(await liveKeys("analytics")).toHaveLength(4);

    const declined = await cli(dir, ["destroy", "."], { interactive: true, answers: ["no"] });
    expect(declined.code).toBe(1);
    expect(declined.questions).toEqual(["\nCancel 3 jobs of stack analytics in team demo? Only 'yes' is accepted: "]);
    expect(await liveKeys("analytics")).toHaveLength(4);

    const destroyed = await cli(dir, ["destroy", ".", "--yes"]);
    expect(destroyed.code).toBe(0);
    expect(destroyed.stdout).toContain("Destroy complete: 3 cancelled, 0 failed.");
    expect(await liveKeys("analytics")).toEqual(["nightly-embeddings"]);

    // Found by an adversarial tester: this said the stack had no live jobs, beside the warning
    // that one was kept.
    const onlyProtected = await cli(dir, ["destroy", ".", "--yes"]);
    expect(onlyProtected).toMatchObject({
      code: 0,
      stdout: "Nothing to destroy: stack analytics has no live jobs in team demo but 1 protected job, which is kept.\n",
      stderr: 'Warning: Job "nightly-embeddings" in team demo is protected and is kept; pass --allow-protected to cancel it too.\n',
    });

    const protectedToo = await cli(dir, ["destroy", ".", "--yes", "--allow-protected"]);
    expect(protectedToo.code).toBe(0);
    expect(protectedToo.stdout).toContain("Plan: 0 to create, 0 to replace, 1 to cancel, 0 unchanged.");
    expect(await liveKeys("analytics")).toEqual([]);

    const again = await cli(dir, ["destroy", ".", "--yes"]);
    expect(again).toMatchObject({ code: 0, stdout: "Nothing to destroy: stack analytics has no live jobs in team demo.\n", stderr: "" });
  });

  it("cancels only the --target keys, and more jobs than --max-cancel would allow", async () => {
    const dir = copyExample("analytics");
    const many = Array.from({ length: 12 }, (_, i) => `  extra-${i}:\n    query: print(${i})\n    schedule:\n      cron: "@daily"\n`).join(
      "",
    );
    writeFileSync(join(dir, "studio-jobs.yaml"), readFileSync(join(dir, "studio-jobs.yaml"), "utf8").replace("jobs:\n", `jobs:\n${many}`));
    expect((await cli(dir, ["apply", ".", "--yes"])).code).toBe(0);
    const targeted = await cli(dir, ["destroy", ".", "--yes", "--target", "hourly-metrics"]);
    expect(targeted.code).toBe(0);
    expect(await liveKeys("analytics")).not.toContain("hourly-metrics");
    expect(await liveKeys("analytics")).toHaveLength(15);
    // destroy plans no job of the spec: a target that names none in Studio says so, not "no job of the spec".
    const typo = await cli(dir, ["destroy", ".", "--yes", "--target", "hourly-metric"]);
    expect([typo.code, typo.stderr]).toEqual([1, "Error: --target hourly-metric matches no job of stack analytics in Studio.\n"]);
    expect(await liveKeys("analytics")).toHaveLength(15);
    const all = await cli(dir, ["destroy", ".", "--yes"]);
    expect(all.code).toBe(0);
    expect(all.stdout).toContain("14 to cancel");
    expect(await liveKeys("analytics")).toEqual(["nightly-embeddings"]);
    // Only the protected job is left: targeted, it is kept, and the line names the keys asked for.
    expect(await cli(dir, ["destroy", ".", "--yes", "--target", "nightly-embeddings"])).toMatchObject({
      code: 0,
      stdout: "Nothing to destroy: stack analytics has no live jobs of those keys in team demo but 1 protected job, which is kept.\n",
    });
  });

  it("given one file of a stack split over two, refuses to cancel the other file's jobs unless they are named with --target", async () => {
    // `destroy jobs/monitoring.yaml --yes` cancelled the training jobs too, defined in the
    // file beside it that it was not given: it retires the whole stack, as plan would only
    // after the same error.
    const dir = copyExample("ml-platform");
    expect((await cli(dir, ["apply", "jobs", "--yes"])).code).toBe(0);
    const all = ["drift-report", "evaluate-ranker", "retrain-ranker"];
    expect(await liveKeys("ml-platform")).toEqual(all);
    const refused = await cli(dir, ["destroy", "jobs/monitoring.yaml", "--yes"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr.split("\n").filter((line) => line.startsWith("Error:"))).toEqual(
      ["evaluate-ranker", "retrain-ranker"].map(
        (key) =>
          `Error: Job "${key}" in team demo would be cancelled with stack ml-platform, but jobs/training.yaml, next to jobs/monitoring.yaml, defines it and was not given: destroy retires the whole stack, not one file's jobs. To retire it all, give the directory (or add jobs/training.yaml); to cancel some jobs only, delete them from the spec and apply, or name them with --target.`,
      ),
    );
    expect(await liveKeys("ml-platform")).toEqual(all);
    // Named, a key is cancelled wherever it is defined.
    expect((await cli(dir, ["destroy", "jobs/monitoring.yaml", "--yes", "--target", "retrain-ranker"])).code).toBe(0);
    expect(await liveKeys("ml-platform")).toEqual(["drift-report", "evaluate-ranker"]);
    expect((await cli(dir, ["destroy", "jobs", "--yes"])).code).toBe(0);
    expect(await liveKeys("ml-platform")).toEqual([]);
  });

  it("given one file of a split stack, does not refuse for a protected job of the other file, which it keeps", async () => {
    // Found by an adversarial tester: `destroy jobs/monitoring.yaml --yes`, the training jobs
    // protected, said each "is protected and is kept" and then refused, as if it would cancel
    // them: the check of the other file's jobs ran on the cancels before the kept were taken out.
    const dir = copyExample("ml-platform");
    const training = join(dir, "jobs/training.yaml");
    writeFileSync(training, readFileSync(training, "utf8").replace("  cluster: gpu-pool\n", "  cluster: gpu-pool\n  protect: true\n"));
    expect((await cli(dir, ["apply", "jobs", "--yes"])).code).toBe(0);
    const destroyed = await cli(dir, ["destroy", "jobs/monitoring.yaml", "--yes"]);
    expect(destroyed.code).toBe(0);
    expect(destroyed.stderr.split("\n").filter((line) => line.startsWith("Warning:") || line.startsWith("Error:"))).toEqual(
      ["evaluate-ranker", "retrain-ranker"].map(
        (key) => `Warning: Job "${key}" in team demo is protected and is kept; pass --allow-protected to cancel it too.`,
      ),
    );
    expect(await liveKeys("ml-platform")).toEqual(["evaluate-ranker", "retrain-ranker"]);
    // Cancelled too with --allow-protected, they are refused as before.
    const refused = await cli(dir, ["destroy", "jobs/monitoring.yaml", "--yes", "--allow-protected"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr.split("\n").filter((line) => line.startsWith("Error:")).length).toBe(2);
    expect(await liveKeys("ml-platform")).toEqual(["evaluate-ranker", "retrain-ranker"]);
  });

  it("given one file of a split stack, warns that a file beside it that is not YAML may hold jobs it cancels", async () => {
    // Found by an adversarial tester: with jobs/training.yaml half edited, `destroy
    // jobs/monitoring.yaml` planned the training jobs' cancels with nothing said, where plan
    // warns of such a file; the warning was left out of destroy as its words were plan's.
    const dir = copyExample("ml-platform");
    expect((await cli(dir, ["apply", "jobs", "--yes"])).code).toBe(0);
    const training = join(dir, "jobs/training.yaml");
    writeFileSync(training, `${readFileSync(training, "utf8")}\n  [half edited\n`);
    const asked = await cli(dir, ["destroy", "jobs/monitoring.yaml"]);
    expect(asked.code).toBe(1);
    expect(asked.stderr.split("\n").filter((line) => line.startsWith("Warning:"))).toEqual([
      "Warning: jobs/training.yaml, next to jobs/monitoring.yaml, could not be read as YAML: if it defines jobs of stack ml-platform, destroy cancels them with the stack. Fix it, or give the directory to see its problems.",
    ]);
    expect(await liveKeys("ml-platform")).toEqual(["drift-report", "evaluate-ranker", "retrain-ranker"]);
  });

  it("refusing without a terminal, names one job as one (from a README walkthrough)", async () => {
    const dir = copyExample("analytics");
    expect((await cli(dir, ["apply", ".", "--yes", "--target", "hourly-metrics"])).code).toBe(0);
    const refused = await cli(dir, ["destroy", "."]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      "Error: Refusing to destroy without confirmation: there is no terminal to ask on.\nPass --yes to cancel this job.\n",
    );
    expect(await liveKeys("analytics")).toEqual(["hourly-metrics"]);
  });

  it("a look after its cancels that fails says to run destroy again, not plan", async () => {
    // Found by the attacker of saved plans, team coverage and destroy: the failed look told a
    // destroy to "run plan to see whether a job runs twice", and a plan of the spec only shows
    // every job created again; destroy run again is what shows whether the stack still runs.
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-destroy-"));
    writeSpec(dir, "looked", { daily: { query: "print(1)", schedule: { cron: "@daily" } } });
    expect((await cli(dir, ["apply", ".", "--yes"])).code).toBe(0);
    // The cancel's first try fails; by the time it is tried again, every listing fails.
    studio.emulator.faults.configure({}, [{ method: "POST", path: "/cancel", kind: "error" }]);
    const listingsFail = () =>
      studio.emulator.faults.configure({}, [{ method: "GET", path: "/api/datachain/jobs/", kind: "error", times: 100 }]);
    const destroyed = await cli(dir, ["destroy", ".", "--yes"], { sleep: () => Promise.resolve(listingsFail()) });
    expect(destroyed.code).toBe(1);
    expect(destroyed.stdout).toContain("Destroy finished with failures: 1 cancelled, 1 failed.");
    expect(destroyed.stdout).toMatch(
      /^ {2}cancel demo\/\*: FAILED: looking for jobs a concurrent apply changed meanwhile failed: \[GET\] \/api\/datachain\/jobs\/: 503 [^\n]*; run destroy again to see whether a job of the stack still runs$/m,
    );
    expect(destroyed.stdout).not.toContain("run plan");
    studio.emulator.faults.configure({}, []);
    expect(await cli(dir, ["destroy", ".", "--yes"])).toMatchObject({
      code: 0,
      stdout: "Nothing to destroy: stack looked has no live jobs in team demo.\n",
    });
  });

  it("that finds no job of its stack names each stack whose name differs only in case, and cancels nothing", async () => {
    // Found by an adversarial tester: `stack: Analytics` beside jobs of stack analytics said
    // only that its jobs may run in another team, which sends the user looking elsewhere.
    // Beside two such stacks, only the one whose job Studio listed first was named.
    const dir = copyExample("analytics");
    expect((await cli(dir, ["apply", ".", "--yes", "--target", "hourly-metrics"])).code).toBe(0);
    const destroyed = async () => {
      writeFileSync(join(dir, "studio-jobs.yaml"), "version: 1\nstack: Analytics\nteams: [demo]\njobs: {}\n");
      const result = await cli(dir, ["destroy", ".", "--yes"]);
      expect({ code: result.code, stdout: result.stdout }).toEqual({
        code: 0,
        stdout: "Nothing to destroy: stack Analytics has no live jobs in team demo.\n",
      });
      return result.stderr;
    };
    expect(await destroyed()).toBe(
      "Warning: Stack Analytics has no job in team demo, live or ended, but stack analytics, whose name differs from it only in case, has: stack names are case-sensitive. To retire that stack, give `stack: analytics` exactly.\n",
    );
    writeFileSync(
      join(dir, "studio-jobs.yaml"),
      "version: 1\nstack: ANALYTICS\ndefaults: {team: demo}\njobs:\n  other: {query: print(1)}\n",
    );
    expect((await cli(dir, ["apply", ".", "--yes"])).code).toBe(0);
    expect(await destroyed()).toBe(
      "Warning: Stack Analytics has no job in team demo, live or ended, but stacks ANALYTICS and analytics, whose names differ from it only in case, have: stack names are case-sensitive. To retire one of them, give `stack: ANALYTICS` or `stack: analytics` exactly.\n",
    );
    expect(await liveKeys("analytics")).toEqual(["hourly-metrics"]);
    expect(await liveKeys("ANALYTICS")).toEqual(["other"]);
  });

  it("that finds no job of its stack names, in code-unit order, only the stacks differing from it in case", async () => {
    // stacksInOtherCase in destroy.ts: ANALYTICS applied before analytics, beside a stack of
    // another name, which is not named.
    const dir = copyExample("analytics");
    const apply = async (stack: string, key: string) => {
      writeFileSync(
        join(dir, "studio-jobs.yaml"),
        `version: 1\nstack: ${stack}\ndefaults: {team: demo}\njobs:\n  ${key}: {query: print(1)}\n`,
      );
      expect((await cli(dir, ["apply", ".", "--yes"])).code).toBe(0);
    };
    await apply("ANALYTICS", "upper");
    await apply("analytics", "lower");
    await apply("unrelated", "other");
    writeFileSync(join(dir, "studio-jobs.yaml"), "version: 1\nstack: Analytics\nteams: [demo]\njobs: {}\n");
    const result = await cli(dir, ["destroy", ".", "--yes"]);
    expect({ code: result.code, stderr: result.stderr }).toEqual({
      code: 0,
      stderr:
        "Warning: Stack Analytics has no job in team demo, live or ended, but stacks ANALYTICS and analytics, whose names differ from it only in case, have: stack names are case-sensitive. To retire one of them, give `stack: ANALYTICS` or `stack: analytics` exactly.\n",
    });
  });

  it("retires a stack whose spec has no jobs left, in the team given with --team", async () => {
    const dir = copyExample("analytics");
    expect((await cli(dir, ["apply", ".", "--yes", "--target", "hourly-metrics"])).code).toBe(0);
    writeFileSync(join(dir, "studio-jobs.yaml"), "version: 1\nstack: analytics\njobs: {}\n");
    rmSync(join(dir, "queries"), { recursive: true });
    const result = await cli(dir, ["--team", "demo", "destroy", ".", "--yes"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Plan: 0 to create, 0 to replace, 1 to cancel, 0 unchanged.");
    expect(await liveKeys("analytics")).toEqual([]);
  });
});

describe("status --format json", () => {
  it("gives every time in ISO 8601", async () => {
    const dir = copyExample("analytics");
    // apply dates the schedules it sends "now": the emulator's now, so that they fire as it moves.
    const applied = await runCli(["apply", ".", "--yes"], { cwd: dir, env, now: () => studio.clock.now() });
    expect(applied.code).toBe(0);
    studio.clock.advance(2 * 3_600_000);
    const result = await cli(dir, ["status", ".", "--format", "json"]);
    const doc = JSON.parse(result.stdout) as { jobs: { key: string; last_run: { created_at: string } | null; next_runs: string[] }[] };
    const iso = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
    const hourly = doc.jobs.find((j) => j.key === "hourly-metrics");
    expect(hourly?.last_run?.created_at).toMatch(iso);
    expect(hourly?.next_runs).toHaveLength(3);
    for (const time of hourly?.next_runs ?? []) expect(time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:00:00\.000Z$/);
    const nightly = doc.jobs.find((j) => j.key === "nightly-embeddings");
    expect(nightly?.next_runs.map((t) => t.slice(10))).toEqual(["T03:00:00.000Z", "T03:00:00.000Z", "T03:00:00.000Z"]);
  });

  it("counts a schedule's next runs from a start_after still to come, and gives a one-off job waiting for one that moment", async () => {
    // Status showed the schedule's next three runs from now, before it starts, and "-" for
    // the one-off job; the plan's create showed the schedule's runs from now too.
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-later-"));
    writeSpec(dir, "later", {
      nightly: { query: "print(1)", schedule: { cron: "0 3 * * *", start_after: "2099-01-01T00:00:00Z" } },
      backfill: { query: "print(2)", schedule: { start_after: "2099-01-01T06:30:00Z" } },
    });
    const planned = await cli(dir, ["plan", "."]);
    expect(planned.stdout).toContain("schedule.cron: 0 3 * * *   next: 2099-01-01 03:00 UTC, 2099-01-02 03:00 UTC, 2099-01-03 03:00 UTC\n");
    expect((await cli(dir, ["apply", ".", "--yes"])).code).toBe(0);
    const result = await cli(dir, ["status", ".", "--format", "json"]);
    const doc = JSON.parse(result.stdout) as { jobs: { key: string; next_runs: string[] }[] };
    expect(Object.fromEntries(doc.jobs.map((job) => [job.key, job.next_runs]))).toEqual({
      nightly: ["2099-01-01T03:00:00.000Z", "2099-01-02T03:00:00.000Z", "2099-01-03T03:00:00.000Z"],
      backfill: ["2099-01-01T06:30:00.000Z"],
    });
    writeSpec(dir, "later", {
      nightly: { query: "print(1)", schedule: { cron: "0 4 * * *", start_after: "2099-01-01T00:00:00Z" } },
      backfill: { query: "print(2)", schedule: { start_after: "2099-01-01T06:30:00Z" } },
    });
    const replaced = await cli(dir, ["plan", "."]);
    expect(replaced.stdout).toContain(
      "was next: 2099-01-01 03:00 UTC, 2099-01-02 03:00 UTC, 2099-01-03 03:00 UTC\n" +
        "          now next: 2099-01-01 04:00 UTC, 2099-01-02 04:00 UTC, 2099-01-03 04:00 UTC\n",
    );
  });
});
