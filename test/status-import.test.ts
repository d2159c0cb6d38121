// status and import against the emulator.

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./cli-helpers.js";
import { copyExample, useStudio, type TestStudio } from "./helpers.js";


const shared = useStudio();
let studio: TestStudio;
let env: NodeJS.ProcessEnv;
beforeAll(() => {
  studio = shared.studio;
  env = { ...shared.env };
});

describe("status", () => {
  it("shows the stack's live jobs, whether they match the spec, and their last runs", async () => {
    const dir = copyExample("analytics");
    // apply dates the schedules it sends "now": the emulator's now, so that they fire as it moves.
    expect((await runCli(["apply", ".", "--yes"], { cwd: dir, env, now: () => studio.clock.now() })).code).toBe(0);
    studio.clock.advance(2 * 3_600_000); // hourly-metrics fires
    writeFileSync(join(dir, "queries/metrics.py"), "print('changed')\n");
    const result = await runCli(["status", ".", "--format", "json"], { cwd: dir, env });
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout) as { jobs: { key: string; status: string; spec: string; last_run: { status: string } | null }[]; not_in_studio: string[] };
    expect(doc.jobs.map((j) => [j.key, j.status, j.spec, j.last_run?.status ?? null])).toEqual([
      ["backfill-2026", "SCHEDULED", "in-spec", null],
      ["hourly-metrics", "TASK", "changed", "QUEUED"],
      ["nightly-embeddings", "TASK", "in-spec", null],
      ["weekly-cleanup", "TASK", "in-spec", null],
    ]);
    expect(doc.not_in_studio).toEqual([]);

    const text = await runCli(["status", "."], { cwd: dir, env });
    expect(text.stdout.split("\n")[0]).toMatch(/^JOB +ID +STATUS +SPEC +LAST RUN +NEXT RUN$/);
    expect(text.stdout).toMatch(/demo\/hourly-metrics +\w{8} +TASK +changed +QUEUED 2026-11-01 02:00 UTC +\d{4}-\d\d-\d\d \d\d:00 UTC/);
  });

  it("says which jobs of the spec are not in Studio yet", async () => {
    const result = await runCli(["status", "."], { cwd: copyExample("analytics"), env });
    expect(result.stdout).toBe(
      "No live jobs of stack analytics in team demo.\n\nIn the spec but not live in Studio (apply creates them): demo/backfill-2026, demo/hourly-metrics, demo/nightly-embeddings, demo/weekly-cleanup\n",
    );
  });
});

describe("import", () => {
  it("writes a spec for unmanaged live jobs, without environment values, that plan --adopt takes over", async () => {
    await studio.client.createJob({
      query: "import datachain as dc\nprint(1)\n",
      query_type: "PYTHON",
      query_name: "legacy-report",
      team_name: "demo",
      environment: "API_KEY=imported-secret-value\nREGION=eu",
      cron_expression: "0 4 * * *",
      workers: 2,
      requirements: "numpy\npandas",
    });
    await studio.client.createJob({ query: "echo once", query_type: "SHELL", query_name: "one-off", team_name: "demo", environment: "" });
    const imported = await runCli(["--team", "demo", "import", "--stack", "legacy"], { env });
    expect(imported.code).toBe(0);
    expect(imported.stdout).not.toContain("imported-secret-value");
    expect(imported.stderr).toBe("Imported 2 jobs from team demo. Fill in every FILL-IN before planning.\n");

    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-import-"));
    writeFileSync(join(dir, "studio-jobs.yaml"), imported.stdout);
    const unfilled = await runCli(["validate", "."], { cwd: dir, env: { API_KEY: "x", REGION: "eu" } });
    expect(unfilled.code).toBe(1);
    expect(unfilled.stderr).toContain('"FILL-IN" has 1 field; a cron expression has 5');

    writeFileSync(join(dir, "studio-jobs.yaml"), readFileSync(join(dir, "studio-jobs.yaml"), "utf8").replace("cron: FILL-IN", 'cron: "0 4 * * *"'));
    const jobEnv = { ...env, API_KEY: "imported-secret-value", REGION: "eu" };
    const plan = await runCli(["plan", ".", "--adopt"], { cwd: dir, env: jobEnv });
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain("Plan: 0 to create, 2 to replace, 0 to cancel, 0 unchanged.");
    expect(plan.stdout).not.toContain("imported-secret-value");
    expect((await runCli(["apply", ".", "--adopt", "--yes"], { cwd: dir, env: jobEnv })).code).toBe(0);
    const after = await runCli(["plan", ".", "--detailed-exitcode"], { cwd: dir, env: jobEnv });
    expect(after).toMatchObject({ code: 0, stdout: "No changes. Studio matches the spec.\n" });
  });

  it("needs --team", async () => {
    const result = await runCli(["import"], { env });
    expect(result).toMatchObject({ code: 1, stderr: "Error: import needs --team: the team whose jobs to import.\n" });
  });
});
