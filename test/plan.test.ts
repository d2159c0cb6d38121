// `studio-jobs plan` against the emulator, from the examples to every kind of change.

import { execFileSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import { beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../src/identity/fingerprint.js";
import { withTeamsMarker } from "../src/identity/markers.js";
import { loadSpec } from "../src/desired/index.js";
import type { DesiredJob } from "../src/desired/types.js";
import type { StudioClient } from "../src/studio/client.js";
import { recordingSleep, runCli } from "./cli-helpers.js";
import { copyExample, handMade, liveByKey, startTestStudio, useStudio, writeRepo, writeSpec, type TestStudio } from "./helpers.js";

const PLAN_SCHEMA = JSON.parse(readFileSync(new URL("../schema/plan.schema.json", import.meta.url), "utf8")) as object;

/**
 * The plan schema as a reader of it would check it, its times as date-times: without
 * ajv-formats, ajv ignored each `format` and printed a line for it into every test run.
 */
function planValidator(): ValidateFunction {
  const formats = createRequire(import.meta.url)("ajv-formats") as { default?: AddFormats } & AddFormats;
  const ajv = new Ajv2020({ strict: false });
  (formats.default ?? formats)(ajv, ["date-time"]);
  return ajv.compile(PLAN_SCHEMA);
}
type AddFormats = (ajv: Ajv2020, formats: string[]) => Ajv2020;

const { studio, env } = useStudio({ EMBED_API_KEY: "embed-secret-value" });

/** Create jobs through the API exactly as the spec asks, recording the spec's teams as apply does: the "by hand" route. */
async function createByHand(client: StudioClient, jobs: readonly DesiredJob[]): Promise<void> {
  const teams = [...new Set(jobs.map((job) => job.team))];
  for (const job of jobs) {
    const ids: string[] = [];
    for (const file of job.files) ids.push(String((await client.uploadFile(job.team, file.name, readFileSync(file.absolute))).id));
    await client.createJob({ ...job.input, environment: withTeamsMarker(job.input.environment, teams), files: ids });
  }
}

async function specOf(dir: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<DesiredJob[]> {
  return (await loadSpec(["."], dir, { env: { ...env, ...extraEnv }, vars: {}, defaultTeam: undefined })).jobs;
}

const plan = (dir: string, args: string[] = [], extraEnv: NodeJS.ProcessEnv = {}) =>
  runCli(["plan", ".", ...args], { cwd: dir, env: { ...env, ...extraEnv } });

describe("plan against the emulator", () => {
  it("shows only creates for a fresh example, and no changes once the jobs exist", async () => {
    const dir = copyExample("analytics");
    const first = await plan(dir, ["--detailed-exitcode"]);
    expect(first.code).toBe(2);
    expect(first.stdout).toContain("Plan: 4 to create, 0 to replace, 0 to cancel, 0 unchanged.");
    expect(first.stdout.match(/^ {2}\+ {3}demo\//gm)).toHaveLength(4);

    await createByHand(studio.client, await specOf(dir));
    const second = await plan(dir, ["--detailed-exitcode"]);
    expect(second).toMatchObject({ code: 0, stdout: "No changes. Studio matches the spec in team demo.\n", stderr: "" });
  });

  it("covers a spec spread over a directory", async () => {
    const dir = copyExample("ml-platform");
    await createByHand(studio.client, await specOf(join(dir, "jobs")));
    const result = await runCli(["plan", "jobs"], { cwd: dir, env });
    expect(result.stdout).toBe("No changes. Studio matches the spec in team demo.\n");
  });

  it("refuses to cancel, as removed, the jobs a file of the stack next to the one given defines, and changes nothing", async () => {
    const dir = copyExample("ml-platform");
    await createByHand(studio.client, await specOf(join(dir, "jobs")));
    const error =
      'Error: Job "drift-report" in team demo would be cancelled as removed from the spec, but jobs/monitoring.yaml, next to jobs/training.yaml, defines it for stack ml-platform and was not given. Plan the whole stack (give the directory, or add jobs/monitoring.yaml), or delete the job from jobs/monitoring.yaml if it should go.\n';
    const planned = await runCli(["plan", "jobs/training.yaml"], { cwd: dir, env });
    expect(planned.code).toBe(1);
    expect(planned.stdout).toContain("Plan: 0 to create, 0 to replace, 1 to cancel, 2 unchanged, 1 error.");
    expect(planned.stderr).toBe(error);
    const applied = await runCli(["apply", "jobs/training.yaml", "--yes"], { cwd: dir, env });
    expect(applied.code).toBe(1);
    expect(applied.stderr).toBe(error);
    expect([...liveByKey(await studio.client.listAllJobs("demo"), "ml-platform").keys()].sort()).toEqual([
      "drift-report",
      "evaluate-ranker",
      "retrain-ranker",
    ]);
  });

  it("cancels a job removed from the file given when a file next to it defines that key only for another team or stack", async () => {
    const dir = copyExample("ml-platform");
    await createByHand(studio.client, await specOf(join(dir, "jobs")));
    const monitoring = join(dir, "jobs", "monitoring.yaml");
    const text = readFileSync(monitoring, "utf8");
    writeFileSync(monitoring, text.replace("team: demo", "team: staging"));
    writeFileSync(join(dir, "jobs", "other-stack.yml"), text.replace("stack: ml-platform", "stack: reports"));
    const planned = await runCli(["plan", "jobs/training.yaml"], { cwd: dir, env });
    expect(planned).toMatchObject({ code: 0, stderr: "" });
    expect(planned.stdout).toMatch(/^ {2}- {3}demo\/drift-report {2}cancel job \w+ \(removed from the spec\)$/m);
  });

  it("warns, when it cancels jobs as removed, of a file beside the one given that does not parse", async () => {
    // A half-edited monitoring.yaml said nothing, and its jobs were cancelled as removed.
    const dir = copyExample("ml-platform");
    await createByHand(studio.client, await specOf(join(dir, "jobs")));
    const monitoring = join(dir, "jobs", "monitoring.yaml");
    writeFileSync(monitoring, `${readFileSync(monitoring, "utf8")}\n  half-edited: [\n`);
    const planned = await runCli(["plan", "jobs/training.yaml"], { cwd: dir, env });
    expect(planned.code).toBe(0);
    expect(planned.stdout).toMatch(/^ {2}- {3}demo\/drift-report {2}cancel job \w+ \(removed from the spec\)$/m);
    expect(planned.stderr).toBe(
      "Warning: jobs/monitoring.yaml, next to jobs/training.yaml, could not be read as YAML: if it defines jobs of stack ml-platform, this plan cancels them as removed from the spec. Fix it, or give the directory to see its problems.\n",
    );
  });

  it("warns of no YAML file beside the one given that only a spec's reader refuses: tags, several documents", async () => {
    // Found trying the saved-plan path: mkdocs.yml and a CloudFormation template beside
    // studio-jobs.yaml were each said not to read as YAML, and to be fixed, at every cancel.
    const dir = copyExample("ml-platform");
    await createByHand(studio.client, await specOf(join(dir, "jobs")));
    const monitoring = join(dir, "jobs", "monitoring.yaml");
    const text = readFileSync(monitoring, "utf8");
    rmSync(monitoring);
    writeFileSync(join(dir, "jobs", "mkdocs.yml"), "site_name: x\nemoji_index: !!python/name:material.extensions.emoji.twemoji\n");
    writeFileSync(
      join(dir, "jobs", "template.yaml"),
      'Resources:\n  Fn:\n    Role: !GetAtt Role.Arn\n    Name: !Sub "${AWS::StackName}-fn"\n',
    );
    writeFileSync(join(dir, "jobs", "k8s.yaml"), "kind: A\n---\nkind: B\n");
    const planned = await runCli(["plan", "jobs/training.yaml"], { cwd: dir, env });
    expect(planned).toMatchObject({ code: 0, stderr: "" });
    expect(planned.stdout).toMatch(/^ {2}- {3}demo\/drift-report {2}cancel job \w+ \(removed from the spec\)$/m);
    // A document of such a file that declares the stack still defines its jobs.
    writeFileSync(join(dir, "jobs", "k8s.yaml"), `kind: A\n---\n${text}`);
    const refused = await runCli(["plan", "jobs/training.yaml"], { cwd: dir, env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      'Error: Job "drift-report" in team demo would be cancelled as removed from the spec, but jobs/k8s.yaml, next to jobs/training.yaml, defines it for stack ml-platform and was not given. Plan the whole stack (give the directory, or add jobs/k8s.yaml), or delete the job from jobs/k8s.yaml if it should go.\n',
    );
  });

  it("warns of no file beside the one given that parses but is empty, nor of a link to a directory", async () => {
    // Found in review: an empty jobs/notes.yaml, and a link jobs/old.yaml to a directory, were
    // each said not to read as YAML, as if they might hold jobs of the stack.
    const dir = copyExample("ml-platform");
    await createByHand(studio.client, await specOf(join(dir, "jobs")));
    writeFileSync(join(dir, "jobs", "notes.yaml"), "");
    mkdirSync(join(dir, "archive"));
    symlinkSync(join(dir, "archive"), join(dir, "jobs", "old.yaml"));
    const planned = await runCli(["plan", "jobs/training.yaml"], { cwd: dir, env });
    expect(planned.stderr).toBe(
      'Error: Job "drift-report" in team demo would be cancelled as removed from the spec, but jobs/monitoring.yaml, next to jobs/training.yaml, defines it for stack ml-platform and was not given. Plan the whole stack (give the directory, or add jobs/monitoring.yaml), or delete the job from jobs/monitoring.yaml if it should go.\n',
    );
  });

  it("reads no file beside the one given that is a link out of the repository, as the walk reads none", async () => {
    // A review found the guard read such a file, which a directory's walk refuses to read.
    const dir = copyExample("ml-platform");
    await createByHand(studio.client, await specOf(join(dir, "jobs")));
    const outside = join(mkdtempSync(join(tmpdir(), "studio-jobs-outside-")), "monitoring.yaml");
    writeFileSync(outside, readFileSync(join(dir, "jobs", "monitoring.yaml"), "utf8"));
    rmSync(join(dir, "jobs", "monitoring.yaml"));
    symlinkSync(outside, join(dir, "jobs", "monitoring.yaml"));
    const planned = await runCli(["plan", "jobs/training.yaml"], { cwd: dir, env });
    expect(planned).toMatchObject({ code: 0, stderr: "" });
    expect(planned.stdout).toMatch(/^ {2}- {3}demo\/drift-report {2}cancel job \w+ \(removed from the spec\)$/m);
  });

  describe("shows a replace with exactly the changed field", () => {
    // nightly-embeddings is protected: replacing it takes --allow-protected.
    async function changed(
      edit: (dir: string) => void,
      extraEnv: NodeJS.ProcessEnv = {},
      summary = "Plan: 0 to create, 1 to replace, 0 to cancel, 3 unchanged.",
    ): Promise<string> {
      const dir = copyExample("analytics");
      await createByHand(studio.client, await specOf(dir));
      edit(dir);
      const result = await plan(dir, ["--allow-protected"], extraEnv);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(summary);
      return result.stdout;
    }
    const editFile = (dir: string, path: string, from: string | RegExp, to: string) =>
      writeFileSync(join(dir, path), readFileSync(join(dir, path), "utf8").replace(from, to));

    it("a cron expression, with the next runs", async () => {
      const out = await changed((dir) => editFile(dir, "studio-jobs.yaml", 'cron: "0 6 * * 1"', 'cron: "0 7 * * 1"'));
      expect(out).toMatch(
        /-\/\+ demo\/weekly-cleanup {2}replace job \w+ \(cancel-first\)\n {8}schedule\.cron: 0 6 \* \* 1 → 0 7 \* \* 1\n {10}was next: .* 06:00 UTC, .*\n {10}now next: .* 07:00 UTC, .*\n\nPlan/,
      );
    });

    it("a cron expression, with the next runs in ISO 8601 UTC in JSON, as every other time there", async () => {
      // Regression: plan --format json wrote old_runs and new_runs as the text shows them
      // ("2026-12-07 06:00 UTC"), where status's next_runs and every other time are ISO 8601.
      const dir = copyExample("analytics");
      await createByHand(studio.client, await specOf(dir));
      editFile(dir, "studio-jobs.yaml", 'cron: "0 6 * * 1"', 'cron: "0 7 * * 1"');
      const result = await runCli(["plan", ".", "--format", "json"], { cwd: dir, env });
      const doc = JSON.parse(result.stdout) as {
        actions: { key: string; changes?: { field: string; old_runs: string[]; new_runs: string[] }[] }[];
      };
      const change = doc.actions.find((a) => a.key === "weekly-cleanup")?.changes?.find((c) => c.field === "schedule.cron");
      const runs = (list: string[] | undefined, hour: string) =>
        (list ?? []).map((run) => new RegExp(`^\\d{4}-\\d\\d-\\d\\dT${hour}:00:00\\.000Z$`).test(run) && new Date(run).getUTCDay());
      expect([runs(change?.old_runs, "06"), runs(change?.new_runs, "07")]).toEqual([
        [1, 1, 1],
        [1, 1, 1],
      ]);
    });

    it("a query file, as a unified diff", async () => {
      const out = await changed((dir) => editFile(dir, "queries/metrics.py", "3600", "7200"));
      expect(out.replace(/replace job \w+/, "replace job ID")).toContain(
        [
          "  -/+ demo/hourly-metrics  replace job ID (create-first)",
          "        query:",
          "          @@ -3,7 +3,7 @@",
          "           ",
          "           (",
          '               dc.read_dataset("events")',
          '          -    .filter(dc.C("ts") > dc.func.now() - 3600)',
          '          +    .filter(dc.C("ts") > dc.func.now() - 7200)',
          '               .group_by(count=dc.func.count(), partition_by="event")',
          '               .save("hourly-metrics")',
          "           )",
          "",
          "Plan:",
        ].join("\n"),
      );
    });

    it("an uploaded file, by digest", async () => {
      const out = await changed((dir) => editFile(dir, "data/labels.csv", "hat", "cap"), {});
      expect(out).toMatch(
        /demo\/nightly-embeddings {2}replace job \w+ \(create-first\) \[protected\]\n {8}files: labels\.csv \(sha256 [0-9a-f]{12}\) → labels\.csv \(sha256 [0-9a-f]{12}\)\n\n/,
      );
    });

    it("an environment value, and a sensitive one only as (sensitive)", async () => {
      // LOG_LEVEL sits under defaults: every job changes, and only that field.
      const plain = await changed(
        (dir) => editFile(dir, "studio-jobs.yaml", "LOG_LEVEL: info", "LOG_LEVEL: debug"),
        {},
        "Plan: 0 to create, 4 to replace, 0 to cancel, 0 unchanged.",
      );
      expect(plain.match(/^ {8}\S.*$/gm)).toEqual(Array(4).fill("        environment.LOG_LEVEL: info → debug"));
      expect(plain.match(/environment\.LOG_LEVEL: info → debug/g)).toHaveLength(4);

      const dir = copyExample("analytics");
      await createByHand(studio.client, await specOf(dir));
      const secret = await plan(dir, ["--allow-protected"], { EMBED_API_KEY: "rotated-secret-value" });
      expect(secret.stdout).toMatch(
        /demo\/nightly-embeddings {2}replace job \w+ \(create-first\) \[protected\]\n {8}environment\.EMBED_API_KEY: \(sensitive\) → \(sensitive\)\n/,
      );
      expect(secret.stdout).not.toContain("secret-value");
    });
  });

  it("shows a cancel for a job deleted from the YAML", async () => {
    const dir = copyExample("analytics");
    await createByHand(studio.client, await specOf(dir));
    const text = readFileSync(join(dir, "studio-jobs.yaml"), "utf8");
    writeFileSync(join(dir, "studio-jobs.yaml"), text.slice(0, text.indexOf("  backfill-2026:")));
    const result = await plan(dir);
    expect(result.stdout).toMatch(/^ {2}- {3}demo\/backfill-2026 {2}cancel job \w+ \(removed from the spec\)$/m);
    expect(result.stdout).toContain("Plan: 0 to create, 0 to replace, 1 to cancel, 3 unchanged.");
  });

  it("leaves another stack's jobs and unmanaged jobs alone", async () => {
    const ml = copyExample("ml-platform");
    await createByHand(studio.client, await specOf(join(ml, "jobs")));
    await studio.client.createJob(handMade("handmade", { query: "print(1)", cron_expression: "@daily" }));
    const dir = copyExample("analytics");
    const result = await plan(dir, ["--format", "json"]);
    const doc = JSON.parse(result.stdout) as { actions: { kind: string; key: string }[] };
    expect(doc.actions.map((a) => `${a.kind} ${a.key}`)).toEqual([
      "create backfill-2026",
      "create hourly-metrics",
      "create nightly-embeddings",
      "create weekly-cleanup",
    ]);
    const validate = planValidator();
    expect(validate(doc)).toBe(true);
  });

  it("prints valid JSON and whole names when a sensitive value is a JSON word or a default like the team's name", async () => {
    // Found with FEATURE_FLAG: "${env:FEATURE_FLAG:-false}": the JSON plan read
    // `"protect": ***`, and a default `demo` turned every team name into ***.
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-common-"));
    writeFileSync(
      join(dir, "studio-jobs.yaml"),
      [
        "version: 1",
        "stack: flags",
        "defaults:",
        "  team: demo",
        "jobs:",
        "  nightly:",
        '    query: "print(1)"',
        '    schedule: { cron: "0 3 * * *" }',
        "    environment:",
        '      FEATURE_FLAG: "${env:FEATURE_FLAG:-false}"',
        '      DEBUG: "${env:DEBUG}"',
        '      OWNER: "${env:OWNER:-demo}"',
        "",
      ].join("\n"),
    );
    const json = await plan(dir, ["--format", "json"], { DEBUG: "true" });
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout) as {
      teams: string[];
      actions: { kind: string; key: string; team: string; after: { protect: boolean } }[];
    };
    expect(doc.teams).toEqual(["demo"]);
    expect(doc.actions.map((a) => [a.kind, a.team, a.key, a.after.protect])).toEqual([["create", "demo", "nightly", false]]);
    const text = await plan(dir, [], { DEBUG: "true" });
    expect(text.stdout).toContain("Stack flags, team demo:");
    expect(text.stdout).toContain("environment.DEBUG: (sensitive)");
  });

  it("keeps the JSON's own fields whole when a sensitive environment key is named like one of them", async () => {
    // Found by an adversarial tester: with `team: ${env:X}` in a job's environment, every
    // `"team": ...` of plan --format json read "***" (`created_at` and `status` alike): the
    // document no longer fit its schema. And a sensitive value read "***", not "(sensitive)".
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-key-names-"));
    mkdirSync(join(dir, ".git"));
    const environment = { team: "${env:SECRET_X}", created_at: "${env:SECRET_X}", status: "${env:SECRET_X}" };
    writeSpec(dir, "named", { etl: { query: "print(1)", schedule: { cron: "@daily" }, environment } });
    const secretEnv = { SECRET_X: "value-7f3e91" };
    const json = await plan(dir, ["--format", "json"], secretEnv);
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout) as { created_at: string; actions: { team: string; after: { environment: unknown } }[] };
    expect(planValidator()(doc)).toBe(true);
    expect(doc.created_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(doc.actions.map((a) => [a.team, a.after.environment])).toEqual([
      ["demo", { created_at: "(sensitive)", status: "(sensitive)", team: "(sensitive)" }],
    ]);
    expect((await runCli(["apply", ".", "--yes"], { cwd: dir, env: { ...env, ...secretEnv } })).code).toBe(0);
    const status = await runCli(["status", ".", "--format", "json"], { cwd: dir, env: { ...env, ...secretEnv } });
    const jobs = (JSON.parse(status.stdout) as { jobs: { team: string; status: string }[] }).jobs;
    expect(jobs.map((j) => [j.team, j.status])).toEqual([["demo", "TASK"]]);
    expect(json.stdout + status.stdout).not.toContain("value-7f3e91");
  });

  it("refuses a conflict with an unmanaged job of the same name, and adopts it with --adopt", async () => {
    const dir = copyExample("analytics");
    await studio.client.createJob(handMade("hourly-metrics", { cron_expression: "@hourly" }));
    const refused = await plan(dir);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^Error: Job "hourly-metrics" in team demo conflicts with an existing job of the same name that studio-jobs does not manage \([\w-]+\)\. Pass --adopt/m,
    );
    const adopted = await plan(dir, ["--adopt"]);
    expect(adopted.code).toBe(0);
    expect(adopted.stdout).toMatch(/-\/\+ demo\/hourly-metrics {2}replace unmanaged job \w+ \(adopt; create-first\)/);
  });

  it("writes a saved plan with no token and no sensitive value, and no output ever shows them", async () => {
    const dir = copyExample("analytics");
    await createByHand(studio.client, await specOf(dir, { EMBED_API_KEY: "first-secret-value" }));
    const outputs: string[] = [];
    for (const format of ["text", "json", "markdown"]) {
      const result = await plan(dir, ["--allow-protected", "--format", format, "--verbose", "--out", join(dir, `plan-${format}.json`)]);
      expect(result.code).toBe(0);
      outputs.push(result.stdout, result.stderr, readFileSync(join(dir, `plan-${format}.json`), "utf8"));
    }
    const saved = JSON.parse(outputs[2] ?? "{}") as {
      jobs: Record<string, { sensitive: Record<string, { digest: string }> }>;
      actions: { kind: string; after?: { environment?: Record<string, string> }; before?: { environment?: Record<string, string> } }[];
    };
    expect(Object.keys(saved.jobs)).toEqual(["nightly-embeddings"]);
    expect(saved.jobs["nightly-embeddings"]?.sensitive["environment.EMBED_API_KEY"]?.digest).toMatch(/^[0-9a-f]{64}$/);
    const replace = saved.actions.find((a) => a.kind === "replace");
    expect(replace?.after?.environment).toEqual({ DEPLOY_ENV: "staging", EMBED_API_KEY: "(sensitive)", LOG_LEVEL: "info" });
    expect(replace?.before?.environment).toEqual({ DEPLOY_ENV: "staging", EMBED_API_KEY: "(sensitive)", LOG_LEVEL: "info" });
    expect(planValidator()(saved)).toBe(true);
    for (const text of outputs) {
      expect(text).not.toContain("dev-token");
      for (const secret of ["embed-secret-value", "first-secret-value"]) {
        expect(text).not.toContain(secret);
        // Not even a plain digest, which would let a reader confirm a guess.
        expect(text).not.toContain(sha256Hex(secret));
      }
    }
  });
});

describe("schema/plan.schema.json's descriptions", () => {
  it("name the fields a saved plan adds to plan --format json, each said to be of saved plans only", async () => {
    const dir = copyExample("analytics");
    const printed = await plan(dir, ["--format", "json", "--out", join(dir, "plan.json")]);
    expect(printed.code).toBe(0);
    const added = Object.keys(JSON.parse(readFileSync(join(dir, "plan.json"), "utf8")) as object)
      .filter((key) => !(key in (JSON.parse(printed.stdout) as object)))
      .sort();
    expect(added).toEqual(["digest_key", "jobs", "seal", "spec_paths", "studio"]);
    const schema = PLAN_SCHEMA as { description: string; properties: Record<string, { description?: string }> };
    const named = /\(which adds ([^)]*)\)/.exec(schema.description)?.[1] ?? "";
    expect([...named.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]).sort()).toEqual(added);
    const savedOnly = Object.entries(schema.properties).filter(([, property]) => property.description?.startsWith("Saved plans only:"));
    expect(savedOnly.map(([key]) => key).sort()).toEqual(added);
  });
});

describe("an ordinary value that a secret starts with", () => {
  it("is shown in the plan, in text, JSON and Markdown: only a server's words are read as cut short at a line's end", async () => {
    // Found by a reviewer: with API_URL=https://api.example.com/v1/hooks?key=... from the
    // environment, the spec's own BASE_URL: https://api.example.com/v1 was shown as ***.
    const dir = writeRepo({});
    writeSpec(dir, "hooks", {
      hook: { query: "print(1)", environment: { BASE_URL: "https://api.example.com/v1", API_URL: "${env:HOOK_URL}" } },
    });
    const withUrl = { ...env, HOOK_URL: "https://api.example.com/v1/hooks?key=abcdef0123456789" };
    const text = await runCli(["plan"], { cwd: dir, env: withUrl });
    expect(text.stdout).toContain("environment.BASE_URL: https://api.example.com/v1\n");
    expect(text.stdout).toContain("environment.API_URL: (sensitive)\n");
    const json = JSON.parse((await runCli(["plan", "--format", "json"], { cwd: dir, env: withUrl })).stdout) as {
      actions: { after: { environment: Record<string, string> } }[];
    };
    expect(json.actions[0]?.after.environment).toEqual({ BASE_URL: "https://api.example.com/v1", API_URL: "(sensitive)" });
    expect((await runCli(["plan", "--format", "markdown"], { cwd: dir, env: withUrl })).stdout).toContain(
      "environment.BASE_URL: https://api.example.com/v1\n",
    );
    expect(text.stdout + text.stderr).not.toContain("abcdef0123456789");
  });
});

describe("a secret in a live job's text", () => {
  it("is not written to a saved plan, nor shown by show, and the plan still applies", async () => {
    // Found by an adversarial tester: a credential once written into a query, now read from
    // the environment, was saved in clear in plan.json from the old side of the query's diff
    // (changes[].patch and before.query), and `show` printed it.
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-live-secret-"));
    mkdirSync(join(dir, ".git"));
    writeSpec(dir, "moved", { etl: { query: 'print("key=pw-4f9c2a71e3")', schedule: { cron: "@daily" } } });
    expect((await runCli(["apply", ".", "--yes"], { cwd: dir, env })).code).toBe(0);
    writeSpec(dir, "moved", {
      etl: { query: 'import os\nprint(os.environ["KEY"])', schedule: { cron: "@daily" }, environment: { KEY: "${env:ETL_KEY}" } },
    });
    const secretEnv = { ETL_KEY: "pw-4f9c2a71e3" };
    const made = await plan(dir, ["--out", "plan.json", "--format", "json"], secretEnv);
    expect(made.code).toBe(0);
    const text = readFileSync(join(dir, "plan.json"), "utf8");
    expect(text).not.toContain("pw-4f9c2a71e3");
    const replace = (JSON.parse(text) as { actions: { kind: string; changes: unknown[]; before: { query: string } }[] }).actions[0];
    expect(replace?.kind).toBe("replace");
    expect(replace?.changes).toContainEqual({ field: "query", kind: "value", old: "(sensitive)", new: "(sensitive)" });
    expect(replace?.before.query).toBe("(sensitive)");
    // `show` without the secret in the environment: nothing to redact it with.
    const shown = await runCli(["show", "plan.json"], { cwd: dir, env });
    expect(shown.code).toBe(0);
    expect(shown.stdout).not.toContain("pw-4f9c2a71e3");
    expect(shown.stdout).toContain("query: (sensitive) → (sensitive)");
    // Apply computes the changes again, knowing the secret: they are the ones saved.
    const applied = await runCli(["apply", "plan.json", "--yes"], { cwd: dir, env: { ...env, ...secretEnv } });
    expect(applied.stderr).not.toContain("changes other than");
    expect(applied.code).toBe(0);
    expect(applied.stdout).toMatch(/^Apply complete: 0 created, 1 replaced, 0 cancelled, 0 failed\.$/m);
    expect((await plan(dir, ["--detailed-exitcode"], secretEnv)).code).toBe(0);
  });
});

describe("a secret in a live job's text, known only from another job", () => {
  it("is hidden in the plan, its JSON and the saved plan alike, and the saved plan still applies", async () => {
    // Found by a reviewer: apply of a saved plan knows only the secrets of the jobs it sends,
    // so it showed the query that plan had hidden, and refused the plan as changed. And
    // --format json printed `before` with the secret (redacted as ***) where the saved plan
    // had (sensitive).
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-live-secret-"));
    mkdirSync(join(dir, ".git"));
    // c drops the variable that held the secret: a tester found `(sensitive) → (not set)`
    // refused by apply of the saved plan.
    const jobs = (bQuery: string, note: string, dropped: Record<string, string>) => ({
      a: { query: "print(1)", schedule: { cron: "@daily" }, environment: { DB: "${env:DB_PASS}" } },
      b: { query: bQuery, schedule: { cron: "@daily" }, environment: { NOTE: note } },
      c: { query: "print(3)", schedule: { cron: "@daily" }, environment: { KEEP: "yes", ...dropped } },
    });
    const secretEnv = { DB_PASS: "pw-77d1c0ffee" };
    writeSpec(dir, "other", jobs('print("pw-77d1c0ffee")', "pw-77d1c0ffee", { X: "pw-77d1c0ffee" }));
    expect((await runCli(["apply", ".", "--yes"], { cwd: dir, env: { ...env, ...secretEnv } })).code).toBe(0);
    writeSpec(dir, "other", jobs("print(2)", "plain", {}));
    const made = await plan(dir, ["--out", "plan.json", "--format", "json"], secretEnv);
    expect(made.code).toBe(0);
    type Doc = {
      actions: { kind: string; key: string; changes?: unknown[]; before?: { query: string; environment: Record<string, string> } }[];
    };
    const printed = (JSON.parse(made.stdout) as Doc).actions.find((a) => a.key === "b");
    const saved = (JSON.parse(readFileSync(join(dir, "plan.json"), "utf8")) as Doc).actions.find((a) => a.key === "b");
    for (const action of [printed, saved]) {
      expect(action?.kind).toBe("replace");
      expect(action?.changes).toEqual([
        { field: "query", kind: "value", old: "(sensitive)", new: "(sensitive)" },
        { field: "environment.NOTE", kind: "value", old: "(sensitive)", new: "(sensitive)" },
      ]);
      expect([action?.before?.query, action?.before?.environment["NOTE"]]).toEqual(["(sensitive)", "(sensitive)"]);
    }
    const dropped = (JSON.parse(readFileSync(join(dir, "plan.json"), "utf8")) as Doc).actions.find((a) => a.key === "c");
    expect(dropped?.changes).toEqual([{ field: "environment.X", kind: "value", old: "(sensitive)", new: "(not set)" }]);
    expect(readFileSync(join(dir, "plan.json"), "utf8")).not.toContain("pw-77d1c0ffee");
    const applied = await runCli(["apply", "plan.json", "--yes"], { cwd: dir, env: { ...env, ...secretEnv } });
    expect(applied.stderr).not.toContain("changes other than");
    expect(applied.code).toBe(0);
    expect((await plan(dir, ["--detailed-exitcode"], secretEnv)).code).toBe(0);
  });
});

describe("plan failures end with exit 1 and one clear sentence", () => {
  it("a bad spec, before any request", async () => {
    const dir = copyExample("analytics");
    writeFileSync(join(dir, "studio-jobs.yaml"), "version: 1\nstack: s\njobs:\n  a: {query: x, workers: 0, team: demo}\n");
    const before = studio.emulator.requests.size;
    const result = await plan(dir);
    expect(result).toMatchObject({ code: 1, stdout: "" });
    expect(result.stderr).toBe(
      "Error: studio-jobs.yaml:4:26: must be at least 1, got 0 (at jobs.a.workers)\n1 problem found in the spec.\n",
    );
    expect(studio.emulator.requests.size).toBe(before);
  });

  it("a cluster Studio lacks, or too many workers, named where the setting is written: a shared value, the defaults, the job", async () => {
    // The errors named the job's key by line alone, so a cluster merged from a shared `x-` value
    // or set under `defaults:` sent the reader to a job that does not write it.
    const dir = writeRepo({
      "studio-jobs.yaml": [
        "version: 1",
        "stack: clusters",
        "defaults:",
        "  team: demo",
        "  workers: 12",
        "x-big: &big",
        "  workers: 99",
        "  cluster: nope",
        "jobs:",
        "  a:",
        "    <<: *big",
        "    query: print(1)",
        "  b:",
        "    query: print(2)",
        "  c:",
        "    query: print(3)",
        "    cluster: gpu-pool",
        "    workers: 50",
        "  d:",
        "    query: print(4)",
        "    cluster: legacy",
        "",
      ].join("\n"),
    });
    const result = await plan(dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      [
        'Error: Job "a" (studio-jobs.yaml:8:12) names cluster nope, which does not exist in Studio. Known clusters: default, gpu-pool, legacy.',
        'Error: Job "b" (studio-jobs.yaml:5:12) asks for 12 workers; cluster default allows at most 8.',
        'Error: Job "c" (studio-jobs.yaml:18:14) asks for 50 workers; cluster gpu-pool allows at most 32.',
        // Inactive, it is the cluster at fault, not the workers the defaults set.
        'Error: Job "d" (studio-jobs.yaml:21:14) would run on cluster legacy, which is not active. Choose another cluster.',
        "",
      ].join("\n"),
    );
  });

  it("--out refuses a spec's URL credentials written in it, which it prints as ***, and saves those read from ${env:...}", async () => {
    // Found by a secrets hunt: `repository: https://user:pw@github.com/...` printed as
    // https://***@ in every output was stored in the clear in the saved plan.
    const literal = writeRepo({
      "studio-jobs.yaml":
        'version: 1\nstack: creds\ndefaults: {team: demo}\njobs:\n  a: {query: print(1), repository: "https://user:repoPW-literal-19af@github.com/o/r.git"}\n',
    });
    const refused = await plan(literal, ["--out", "p.json"]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain("repository: https://***@github.com/o/r.git");
    expect(refused.stderr).toBe(
      "Error: Cannot save the plan to p.json: jobs.a.input.repository holds a URL's credentials, and a saved plan never stores a credential. Nothing was saved.\n" +
        "Give them through the environment, as ${env:NAME} in the URL (https://${env:REPO_TOKEN}@host/...): a saved plan keeps only a keyed digest of it.\n",
    );
    expect(existsSync(join(literal, "p.json"))).toBe(false);
    const fromEnv = writeRepo({
      "studio-jobs.yaml":
        'version: 1\nstack: creds\ndefaults: {team: demo}\njobs:\n  a: {query: print(1), repository: "https://${env:REPO_TOKEN}@github.com/o/r.git", environment: {DSN: "https://u:${env:DB_PW}@db/x"}}\n',
    });
    const secrets = { REPO_TOKEN: "repoTOKEN-from-env-7c1d", DB_PW: "dbPW-from-env-3e9a" };
    expect((await plan(fromEnv, ["--out", "p.json"], secrets)).code).toBe(0);
    const saved = readFileSync(join(fromEnv, "p.json"), "utf8");
    expect([saved.includes(secrets.REPO_TOKEN), saved.includes(secrets.DB_PW)]).toEqual([false, false]);
    expect(saved).toContain('"template": "https://u:${env:DB_PW}@db/x"');
  });

  it("--out saves a requirement naming a private repository over SSH, whose login name is no credential", async () => {
    // Found planning a requirement as pip writes one: `git+ssh://git@github.com/...` was shown
    // as git+ssh://***@github.com and `plan --out` refused it as a URL's credentials.
    const dir = writeRepo({
      "studio-jobs.yaml":
        'version: 1\nstack: ssh\ndefaults: {team: demo}\njobs:\n  a: {query: print(1), requirements: ["mylib @ git+ssh://git@github.com/org/mylib.git"]}\n',
    });
    const saved = await plan(dir, ["--out", "p.json"]);
    expect(saved.code).toBe(0);
    expect(saved.stdout).toContain("requirements: mylib @ git+ssh://git@github.com/org/mylib.git\n");
    expect(readFileSync(join(dir, "p.json"), "utf8")).toContain("mylib @ git+ssh://git@github.com/org/mylib.git");
  });

  it("--out saves a database role and an Azure container written alone in a URL, which are no credentials", async () => {
    // Found planning a data team's environment: `postgres://analytics@db...` and
    // `abfss://lake@acmestorage...` were shown as `postgres://***@` and `abfss://***@`,
    // validate noted them as credentials, and `plan --out` refused to save the plan.
    const pg = "postgres://analytics@db.internal:5432/warehouse";
    const lake = "abfss://lake@acmestorage.dfs.core.windows.net/bronze";
    const query = 'c = connect(\\"postgresql://reader@db/x\\")';
    const dir = writeRepo({
      "studio-jobs.yaml": `version: 1\nstack: roles\ndefaults: {team: demo}\njobs:\n  a: {query: "${query}", environment: {PG: "${pg}", LAKE: "${lake}"}}\n`,
    });
    const validated = await runCli(["validate", "."], { cwd: dir, env });
    expect(validated.stderr).toBe("");
    const saved = await plan(dir, ["--out", "p.json"]);
    expect(saved.code).toBe(0);
    expect(saved.stdout).toContain(`environment.PG: ${pg}\n`);
    expect(saved.stdout).toContain(`environment.LAKE: ${lake}\n`);
    expect(saved.stdout).toContain('query: c = connect("postgresql://reader@db/x")\n');
    expect(readFileSync(join(dir, "p.json"), "utf8")).toContain(lake);
  });

  it("hides a token written where a login name over SSH goes, in every output, and --out refuses it", async () => {
    // Found by a secrets hunt: once a login name over SSH was no credential, a token written
    // there (git+ssh://ghp_…@github.com, ssh://deploy-token-…@host) was printed and saved.
    const token = "ghp_16C7e42F292c6912E7710c838347Ae178B4a";
    const dir = writeRepo({
      "studio-jobs.yaml":
        'version: 1\nstack: ssh\ndefaults: {team: demo}\njobs:\n  a: {query: print(1), requirements: ["mylib @ git+ssh://${var:tok}@github.com/o/l.git"], environment: {DEPLOY: "SSH://deploy-token-abc123@host/r"}}\n',
    });
    for (const format of ["text", "json", "markdown"]) {
      const shown = await plan(dir, ["--var", `tok=${token}`, "--format", format]);
      expect(shown.code).toBe(0);
      expect(shown.stdout).toContain("git+ssh://***@github.com/o/l.git");
      expect(shown.stdout).toContain("SSH://***@host/r");
      expect([shown.stdout.includes(token), shown.stdout.includes("abc123")]).toEqual([false, false]);
    }
    const saved = await plan(dir, ["--var", `tok=${token}`, "--out", "p.json"]);
    expect(saved.code).toBe(1);
    expect(saved.stderr).toContain("credentials");
    expect(`${saved.stdout}${saved.stderr}`).not.toContain(token);
    expect(existsSync(join(dir, "p.json"))).toBe(false);
  });

  it("--out ends in .json and replaces only a saved plan (or an empty file), before Studio is asked", async () => {
    // Found by an adversarial tester: `plan --out studio-jobs.yaml` wrote the plan over the spec
    // it had just read, and `plan --out plan.yaml` saved a plan that the `apply plan.yaml` it
    // suggested read as a spec (53 problems).
    const dir = copyExample("analytics");
    const spec = readFileSync(join(dir, "studio-jobs.yaml"), "utf8");
    writeFileSync(join(dir, "prod.json"), '{"env": "prod"}\n');
    // Terraform's `show -json` names format_version too: it is no plan of this tool's.
    const terraform = '{"format_version": "1.2", "terraform_version": "1.9.0", "planned_values": {}}\n';
    writeFileSync(join(dir, "tfplan.json"), terraform);
    const requests = () => [...studio.emulator.requests.values()].reduce((a, b) => a + b, 0);
    const before = requests();
    for (const out of ["studio-jobs.yaml", "plan.yaml", "plan"]) {
      expect(await plan(dir, ["--out", out])).toEqual({
        code: 1,
        stdout: "",
        stderr: `Error: --out ${out} is not a .json file: \`apply\` takes only a .json path as a saved plan, and reads any other as a spec.\nGive --out a path ending in .json, e.g. --out plan.json.\n`,
        questions: [],
      });
    }
    for (const out of ["prod.json", "tfplan.json"]) {
      expect(await plan(dir, ["--out", out])).toEqual({
        code: 1,
        stdout: "",
        stderr: `Error: --out ${out} would overwrite ${out}, which is not a saved plan; nothing was written.\nGive --out a new file, or one a plan was saved to before.\n`,
        questions: [],
      });
    }
    expect(requests()).toBe(before);
    expect(readFileSync(join(dir, "studio-jobs.yaml"), "utf8")).toBe(spec);
    expect(readFileSync(join(dir, "prod.json"), "utf8")).toBe('{"env": "prod"}\n');
    expect(readFileSync(join(dir, "tfplan.json"), "utf8")).toBe(terraform);
    // A plan saved before is replaced, and so is an empty file (`mktemp --suffix .json`).
    expect((await plan(dir, ["--out", "plan.json"])).code).toBe(0);
    expect((await plan(dir, ["--out", "plan.json"])).code).toBe(0);
    writeFileSync(join(dir, "empty.json"), "");
    expect((await plan(dir, ["--out", "empty.json"])).code).toBe(0);
    expect(readFileSync(join(dir, "empty.json"), "utf8")).toContain('"format_version"');
  });

  // `plan --out p.JSON` was refused as not .json, and `apply p.JSON` read the file as a spec:
  // a saved plan's .json is told in any case, as a spec's .yaml is.
  it("--out takes .json in any case, and show, apply and the spec commands take such a file as a saved plan", async () => {
    const dir = copyExample("analytics");
    const saved = await plan(dir, ["--out", "p.JSON"]);
    expect(saved.code).toBe(0);
    expect(saved.stderr).toContain("Saved the plan to p.JSON. Apply exactly this plan with: studio-jobs apply p.JSON\n");
    expect(readFileSync(join(dir, "p.JSON"), "utf8")).toContain('"format_version"');
    expect((await plan(dir, ["--out", "p.JSON"])).code).toBe(0);
    const shown = await runCli(["show", "p.JSON"], { cwd: dir, env });
    expect({ code: shown.code, first: shown.stdout.split("\n")[0] }).toEqual({ code: 0, first: "Stack analytics, team demo:" });
    expect(await runCli(["validate", "p.JSON"], { cwd: dir, env })).toMatchObject({
      code: 1,
      stderr:
        "Error: p.JSON is a saved plan, not a spec.\nReview it with `studio-jobs show p.JSON`, or carry it out with `studio-jobs apply p.JSON`.\n",
    });
    const applied = await runCli(["apply", "p.JSON"], { cwd: dir, env });
    expect(applied.code).toBe(0);
    expect(applied.stdout).toMatch(/^Apply complete: \d+ created, 0 replaced, 0 cancelled, 0 failed\.$/m);
    expect((await plan(dir, ["--detailed-exitcode"])).code).toBe(0);
  });

  it("--out to a directory, a named pipe or into a missing directory is refused before Studio is asked; so is a symbolic link at --out", async () => {
    // Found by an adversarial tester: these were refused only once the plan was made and
    // printed, after Studio was listed, though a refused --out is meant to ask Studio nothing.
    const dir = copyExample("analytics");
    mkdirSync(join(dir, "plans.json"));
    execFileSync("mkfifo", [join(dir, "pipe.json")]);
    writeFileSync(join(dir, "file"), "");
    const requests = () => [...studio.emulator.requests.values()].reduce((a, b) => a + b, 0);
    const before = requests();
    for (const [out, reason] of [
      ["plans.json", "it is a directory"],
      ["pipe.json", "it is not a regular file (a FIFO, a device or a socket)"],
      ["missing/plan.json", "the directory missing does not exist"],
      ["file/plan.json", "a part of the path is not a directory"],
    ]) {
      expect(await plan(dir, ["--out", out ?? ""])).toEqual({
        code: 1,
        stdout: "",
        stderr: `Error: Cannot save the plan to ${String(out)}: ${String(reason)}.\nGive --out a file path in an existing directory you can write to.\n`,
        questions: [],
      });
    }
    expect(requests()).toBe(before);
    // Empty (`--out "$UNSET"`): it named the current directory, "Cannot save the plan to : it is a directory".
    expect(await plan(dir, ["--out", ""])).toMatchObject({
      code: 1,
      stderr: "Error: option '--out <file>' argument '' is invalid. Give a file path.\n(run with --help for usage)\n",
    });
    // A symbolic link is refused, before Studio is asked: it was replaced by the plan, leaving
    // what it pointed to (an earlier plan, say, that CI then applied) as it was.
    writeFileSync(join(dir, "target.json"), "{}\n");
    symlinkSync(join(dir, "target.json"), join(dir, "link.json"));
    expect(await plan(dir, ["--out", "link.json"])).toEqual({
      code: 1,
      stdout: "",
      stderr:
        "Error: Cannot save the plan to link.json: it is a symbolic link, which is neither replaced nor written through.\nGive --out a file path in an existing directory you can write to.\n",
      questions: [],
    });
    expect(requests()).toBe(before);
    expect([lstatSync(join(dir, "link.json")).isSymbolicLink(), readFileSync(join(dir, "target.json"), "utf8")]).toEqual([true, "{}\n"]);
  });

  it("an unreachable server", async () => {
    const { sleep, waits } = recordingSleep();
    const result = await runCli(["plan", "."], {
      cwd: copyExample("analytics"),
      env: { ...env, DATACHAIN_STUDIO_URL: "http://127.0.0.1:9" },
      sleep,
      random: () => 1,
    });
    // A refused connection surely sent nothing: each listing was tried 6 times, with every backoff step between.
    expect(new Set(waits)).toEqual(new Set([200, 400, 800, 1600, 3200]));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^Error: \[GET\] \/api\/datachain\/(jobs|clusters)\/: no reply: connect ECONNREFUSED [^\n]*\nCheck --url \(or DATACHAIN_STUDIO_URL\) and that Studio is reachable\.\n$/,
    );
  });

  it("a bad token (401) and a team the token lacks (403)", async () => {
    const unauthorized = await plan(copyExample("analytics"), [], { DATACHAIN_STUDIO_TOKEN: "wrong-token-value" });
    expect(unauthorized.code).toBe(1);
    // The hint names where the refused token came from: it said to run `datachain auth login`,
    // which does nothing for a token from DATACHAIN_STUDIO_TOKEN (it wins over the config).
    expect(unauthorized.stderr).toMatch(
      /^Error: \[GET\] \/api\/datachain\/(jobs|clusters)\/: 401 Invalid token\.\nStudio refused the token in DATACHAIN_STUDIO_TOKEN, which wins over datachain's config: check it, or unset it to use the token `datachain auth login` saved\.\n$/,
    );
    expect(unauthorized.stderr).not.toContain("wrong-token-value");
    const flagged = await plan(copyExample("analytics"), ["--token", "wrong-token-value"]);
    expect(flagged.stderr).toMatch(
      /\nStudio refused the token given with --token: check it, or leave --token out to use DATACHAIN_STUDIO_TOKEN or datachain's config\.\n$/,
    );
    const configured = copyExample("analytics");
    mkdirSync(join(configured, ".datachain"));
    writeFileSync(join(configured, ".datachain", "config"), '[studio]\ntoken = "wrong-token-value"\n');
    const { DATACHAIN_STUDIO_TOKEN: _token, ...withoutToken } = env;
    const fromConfig = await runCli(["plan", "."], { cwd: configured, env: withoutToken });
    // `datachain auth login` refuses while a token is saved ("Token already exists"), and
    // without --local writes the user's config, which the project's overrides: it said to run it again.
    expect(fromConfig.stderr).toMatch(
      /\nStudio refused the token in \S+\/\.datachain\/config: replace it with `datachain auth logout --local` and then `datachain auth login --local`, or set DATACHAIN_STUDIO_TOKEN\.\n$/,
    );
    const userConfig = mkdtempSync(join(tmpdir(), "user-config-"));
    writeFileSync(join(userConfig, "config"), '[studio]\ntoken = "wrong-token-value"\n');
    const fromUserConfig = await runCli(["plan", "."], {
      cwd: copyExample("analytics"),
      env: { ...withoutToken, DATACHAIN_GLOBAL_CONFIG_DIR: userConfig },
    });
    expect(fromUserConfig.stderr).toContain(
      `\nStudio refused the token in ${join(userConfig, "config")}: replace it with \`datachain auth logout\` and then \`datachain auth login\`, or set DATACHAIN_STUDIO_TOKEN.\n`,
    );
    expect(fromConfig.stderr + flagged.stderr + fromUserConfig.stderr).not.toContain("wrong-token-value");

    const dir = copyExample("analytics");
    writeFileSync(
      join(dir, "studio-jobs.yaml"),
      readFileSync(join(dir, "studio-jobs.yaml"), "utf8").replace("team: demo", "team: finance"),
    );
    const forbidden = await plan(dir);
    expect(forbidden.code).toBe(1);
    expect(forbidden.stderr).toMatch(
      /^Error: \[GET\] \/api\/datachain\/(jobs|clusters)\/: 403 Not authorized for the team finance\.\nThe token is not authorized for this team/,
    );
  });

  it("a listing that may be truncated", async () => {
    for (let i = 0; i < 3; i++)
      await studio.client.createJob({ query: "x", query_type: "SHELL", query_name: `n${i}`, team_name: "demo", environment: "" });
    // Written with blanks around it too, as a number is read (listLimitFrom in connect.ts).
    for (const given of ["3", " 3 "]) {
      const result = await plan(copyExample("analytics"), [], { STUDIO_JOBS_MAX_LISTED: given });
      expect(result.code).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr).toBe(
        "Error: [GET] /api/datachain/jobs/: 200 team demo has at least 3 jobs, the most this tool will list; the listing may be incomplete\nIf the team really has that many records, raise STUDIO_JOBS_MAX_LISTED (default 1000000).\n",
      );
    }
  });

  it("a listing that may be truncated in the look after apply's steps, which made the jobs", async () => {
    // Found reviewing the listing checks: the plan listed no job, apply created the example's
    // 4, and the look after its steps, stopped at the ceiling, said "so nothing was planned".
    const result = await runCli(["apply", ".", "--yes"], { cwd: copyExample("analytics"), env: { ...env, STUDIO_JOBS_MAX_LISTED: "4" } });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("Apply finished with failures: 4 created, 0 replaced, 0 cancelled, 1 failed.");
    expect(result.stdout).toContain(
      "  cancel demo/*: FAILED: looking for duplicates of this apply's jobs failed: [GET] /api/datachain/jobs/: 200 team demo has at least 4 jobs, the most this tool will list; the listing may be incomplete; run plan to see whether a job runs twice\n",
    );
  });

  it("no token at all", async () => {
    const result = await runCli(["plan", "."], {
      cwd: copyExample("analytics"),
      env: { DATACHAIN_STUDIO_URL: studio.emulator.url, DATACHAIN_GLOBAL_CONFIG_DIR: tmpdir() },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "Error: No Studio token.\nPass --token, set DATACHAIN_STUDIO_TOKEN, or run `datachain auth login`. For the local emulator the token is dev-token.\n",
    );
  });
});

describe("a secret in a name Studio lists", () => {
  it("is hidden in the Markdown plan too, where Markdown's escapes would spell it otherwise", async () => {
    // Found by an adversarial tester: Studio knows every ${env:...} value a create sent, and
    // a record whose key holds one was hidden in the text and JSON plans but posted in the
    // pull-request comment: Markdown writes `_`, `:` and `@` as character references
    // (sk&#95;live...), a spelling the redactor did not know.
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-md-secret-"));
    mkdirSync(join(dir, ".git"));
    writeSpec(dir, "md", { etl: { query: "print(1)", environment: { API_KEY: "${env:ETL_KEY}" } } });
    const secretEnv = { ETL_KEY: "sk_live:Zx9@Kq2Lm" };
    await studio.client.createJob(
      handMade("old sk_live:Zx9@Kq2Lm", { environment: "STUDIO_JOBS_STACK=md\nSTUDIO_JOBS_KEY=old sk_live:Zx9@Kq2Lm" }),
    );
    const text = await plan(dir, [], secretEnv);
    expect(text.stdout).toContain("-   demo/old ***  cancel job");
    const markdown = await plan(dir, ["--format", "markdown"], secretEnv);
    expect(markdown.code).toBe(0);
    expect(markdown.stdout).toContain("| ➖ | <code>old ***</code> | demo | cancel job");
    expect(markdown.stdout).not.toMatch(/Zx9|Kq2Lm/);
  });
});

describe("a secret the plan's own preview of a query cuts", () => {
  // Found by an adversarial tester: a query's first line is shown cut at 60 characters, after
  // redaction of the whole query found nothing to hide in the cut text, so a token written in
  // a query (pasted by mistake) was printed up to the cut, 18 of its 45 characters here.
  const token = "isat_AAAAAAAAAA0123456789abcdefghijKLMNOPQRST";
  let own: TestStudio;
  beforeAll(async () => {
    own = await startTestStudio({ config: { tokens: [{ token, user: "u", teams: ["demo"], scopes: ["JOB_READ", "JOB_WRITE"] }] } });
    return () => own.close();
  });

  it("is hidden where the preview cut it, in text and Markdown", async () => {
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-preview-"));
    mkdirSync(join(dir, ".git"));
    writeSpec(dir, "preview", { job: { query: `import datachain as dc; c = dc.Client(t='${token}')\nprint(1)` } });
    for (const format of ["text", "markdown"]) {
      const result = await runCli(["plan", "--format", format], {
        cwd: dir,
        env: { DATACHAIN_STUDIO_URL: own.emulator.url, DATACHAIN_STUDIO_TOKEN: token },
      });
      expect(result.code).toBe(0);
      expect(result.stdout).toContain("query: import datachain as dc; c = dc.Client(t='***… (2 lines)");
      expect(result.stdout).not.toContain(token.slice(0, 10));
    }
  });
});
