// The CI examples, run as CI would run them: every shell step of examples/ci/*.yml, in
// order, in the shell the runner would use, against the emulator. Only the outside world is
// faked: `npm install` (the tool is already built), and `gh` / `curl`, which keep the
// pull-request comments in a file instead of posting them. A recipe that stops early,
// posts twice or applies nothing fails here.

import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { parse } from "yaml";
import { MARKERS } from "../src/identity/markers.js";
import { isLive, isRun } from "../src/studio/job-status.js";
import { CLI, runProcess, type CliResult } from "./cli-helpers.js";
import { copyExample, handMade, useStudio } from "./helpers.js";

const { studio, env } = useStudio();

const EXAMPLES = new URL("../examples/ci/", import.meta.url);
const readRecipe = (name: string) => parse(readFileSync(new URL(name, EXAMPLES), "utf8")) as Record<string, unknown>;

/** Fakes of `gh api` and `curl` that keep comments as files (bash: they run many times). */
const FAKES = new URL("fixtures/ci/", import.meta.url);

interface ForgeState {
  comments: { id: number; body: string }[];
  /** `METHOD path` of every call, in order. */
  calls: string[];
}

interface Runner {
  repo: string;
  summary: string;
  /** The machine's environment: no Studio URL, as on a CI runner. */
  env: NodeJS.ProcessEnv;
  /** The emulator's URL, which stands where the recipes name Studio's. */
  studioUrl: string;
  forge(): ForgeState;
  log: string[];
}

/** A repository copied from the analytics example, a PATH with the fakes, and the machine's environment. */
function createRunner(base: NodeJS.ProcessEnv): Runner {
  const repo = copyExample("analytics");
  const home = mkdtempSync(join(tmpdir(), "studio-jobs-ci-"));
  const bin = join(home, "bin");
  const script = (name: string, text: string) => writeFileSync(join(bin, name), text, { mode: 0o755 });
  mkdirSync(bin);
  script("studio-jobs", `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
  script("npm", `#!/bin/sh\necho "npm $*" >> "${join(home, "npm.log")}"\n`);
  script("gh", readFileSync(new URL("gh", FAKES), "utf8"));
  script("curl", readFileSync(new URL("curl", FAKES), "utf8"));
  const state = join(home, "forge");
  mkdirSync(state);
  const summary = join(home, "step-summary.md");
  writeFileSync(summary, "");
  return {
    repo,
    summary,
    log: [],
    studioUrl: base["DATACHAIN_STUDIO_URL"] ?? "",
    env: {
      ...base,
      DATACHAIN_STUDIO_URL: undefined,
      PATH: `${bin}:${process.env["PATH"] ?? ""}`,
      HOME: home,
      FAKE_FORGE_STATE: state,
    },
    forge: () => ({
      comments: readdirSync(state)
        .filter((name) => name.endsWith(".md"))
        .sort()
        .map((name) => ({ id: Number(name.slice(0, -3)), body: readFileSync(join(state, name), "utf8") })),
      calls: existsSync(join(state, "calls.log")) ? readFileSync(join(state, "calls.log"), "utf8").trimEnd().split("\n") : [],
    }),
  };
}

/** GitLab's runner sets errexit and pipefail (when the shell has it, as bash does) before a job's script. */
const GITLAB_SHELL = ["--noprofile", "--norc", "-e", "-o", "pipefail"];

/**
 * The shell GitHub runs a step in: `shell: bash` (the step's, else the job's or the
 * workflow's `defaults.run.shell`) is `bash --noprofile --norc -eo pipefail {0}`; with no
 * shell named, it is `bash -e {0}`, without pipefail.
 */
function githubShell(workflow: Record<string, unknown>, job: Record<string, unknown> | undefined, step: { shell?: string }): string[] {
  const defaultShell = (scope: Record<string, unknown> | undefined) =>
    (scope?.["defaults"] as { run?: { shell?: string } } | undefined)?.run?.shell;
  const shell = step.shell ?? defaultShell(job) ?? defaultShell(workflow);
  if (shell === undefined) return ["-e"];
  if (shell === "bash") return ["--noprofile", "--norc", "-e", "-o", "pipefail"];
  throw new Error(`This test runs steps in bash only, not in shell: ${shell}.`);
}

/** Run one shell script as CI does; resolves with its exit code and output. */
async function runShell(script: string, runner: Runner, env: NodeJS.ProcessEnv, shell: string[]): Promise<CliResult> {
  const file = join(runner.env["HOME"] ?? "", `step-${runner.log.length}.sh`);
  writeFileSync(file, script);
  const result = await runProcess("bash", [...shell, file], { cwd: runner.repo, env });
  runner.log.push(`$ ${script}\n${result.stdout}${result.stderr}`);
  return result;
}

/** GitHub's `${{ ... }}` expressions the recipe may use, with the values of a test pull request. */
const GITHUB_CONTEXT: Record<string, string> = {
  "secrets.DATACHAIN_STUDIO_TOKEN": "dev-token",
  "github.token": "fake-github-token",
  "github.event.pull_request.number": "7",
};

function expandGithub(value: unknown): string {
  return String(value).replace(/\$\{\{\s*(.+?)\s*\}\}/g, (_, expression: string) => {
    const known = GITHUB_CONTEXT[expression];
    if (known === undefined) throw new Error(`The recipe uses \${{ ${expression} }}, which this test does not provide.`);
    return known;
  });
}

const expandAll = (env: unknown) =>
  Object.fromEntries(Object.entries((env ?? {}) as Record<string, unknown>).map(([k, v]) => [k, expandGithub(v)]));

interface StepResult {
  name: string;
  code: number;
  stdout: string;
}

interface GithubStep {
  run?: string;
  name?: string;
  uses?: string;
  env?: unknown;
  shell?: string;
}

/** A GitHub job's definition, and its `run:` steps. */
function githubJob(workflow: Record<string, unknown>, jobName: string): { job: Record<string, unknown> | undefined; steps: GithubStep[] } {
  const job = (workflow["jobs"] as Record<string, Record<string, unknown>>)[jobName];
  expect(job, jobName).toBeDefined();
  const steps = (job?.["steps"] ?? []) as GithubStep[];
  for (const step of steps) if (step.run === undefined) expect(step.uses).toMatch(/^actions\/(checkout|setup-node)@v4$/);
  return { job, steps: steps.filter((step) => step.run !== undefined) };
}

/** The environment GitHub gives a step: the runner's, then the workflow's, the job's and the step's `env:`. */
function githubStepEnv(workflow: Record<string, unknown>, job: Record<string, unknown> | undefined, step: GithubStep, runner: Runner) {
  const env = {
    ...runner.env,
    GITHUB_REPOSITORY: "acme/pipelines",
    GITHUB_STEP_SUMMARY: runner.summary,
    GITHUB_WORKSPACE: runner.repo,
    ...expandAll(workflow["env"]),
    ...expandAll(job?.["env"]),
    ...expandAll(step.env),
  };
  return atTestStudio(env, runner);
}

/** Every `run:` step of a GitHub job, in order, stopping at the first that fails (as GitHub does). */
async function runGithubJob(workflow: Record<string, unknown>, jobName: string, runner: Runner): Promise<StepResult[]> {
  const { job, steps } = githubJob(workflow, jobName);
  const results: StepResult[] = [];
  for (const step of steps) {
    const result = await runShell(step.run ?? "", runner, githubStepEnv(workflow, job, step, runner), githubShell(workflow, job, step));
    results.push({ name: step.name ?? step.run ?? "", code: result.code, stdout: result.stdout });
    if (result.code !== 0) break;
  }
  return results;
}

/** A job's `if:` as GitHub reads it, for the one form the recipe uses: `a == b` joined by `&&`. */
function evaluateIf(expression: string, event: Record<string, string>): boolean {
  const context: Record<string, string> = { "github.repository": "acme/pipelines", ...event };
  const value = (operand: string): string => {
    const literal = /^'(.*)'$/.exec(operand);
    if (literal !== null) return literal[1] ?? "";
    const known = context[operand];
    if (known === undefined) throw new Error(`The recipe's if: reads ${operand}, which this test does not provide.`);
    return known;
  };
  return allEqual(expression, value);
}

/** `a == b` terms joined by `&&`, each side read by `value`: all true? */
function allEqual(expression: string, value: (operand: string) => string | null): boolean {
  return expression.split("&&").every((term) => {
    const [left, right, extra] = term.split("==").map((side) => side.trim());
    if (left === undefined || right === undefined || extra !== undefined) throw new Error(`This test cannot read the if: term "${term}".`);
    return value(left) === value(right);
  });
}

/** A rule's `if:` as GitLab reads it, for the forms the recipe uses: `$A == "text"` or `$A == $B`, joined by `&&`. */
function evaluateGitlabIf(expression: string, variables: Record<string, string>): boolean {
  const value = (operand: string): string | null => {
    const literal = /^"(.*)"$/.exec(operand);
    if (literal !== null) return literal[1] ?? "";
    const name = /^\$(\w+)$/.exec(operand)?.[1];
    if (name === undefined) throw new Error(`This test cannot read the operand ${operand}.`);
    return variables[name] ?? null;
  };
  return allEqual(expression, value);
}

/** A pull request's jobs: validate, then plan, which `needs` it (GitHub runs plan only if validate passed). */
async function runPullRequest(workflow: Record<string, unknown>, runner: Runner): Promise<StepResult[]> {
  const validated = await runGithubJob(workflow, "validate", runner);
  if (validated.some((r) => r.code !== 0)) return validated;
  return [...validated, ...(await runGithubJob(workflow, "plan", runner))];
}

/** A GitLab job: before_script and script in one shell, as the runner does. */
async function runGitlabJob(
  pipeline: Record<string, unknown>,
  jobName: string,
  runner: Runner,
  ciVariables: NodeJS.ProcessEnv,
): Promise<CliResult> {
  const job = pipeline[jobName] as Record<string, unknown> | undefined;
  expect(job, jobName).toBeDefined();
  const defaults = (pipeline["default"] ?? {}) as Record<string, unknown>;
  const lines = [...((job?.["before_script"] ?? defaults["before_script"] ?? []) as string[]), ...((job?.["script"] ?? []) as string[])];
  const variables = Object.fromEntries(
    Object.entries((pipeline["variables"] ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
  );
  return runShell(lines.join("\n"), runner, atTestStudio({ ...runner.env, ...ciVariables, ...variables }, runner), GITLAB_SHELL);
}

/** Where a recipe names Studio's URL, the test's emulator stands. */
function atTestStudio(env: NodeJS.ProcessEnv, runner: Runner): NodeJS.ProcessEnv {
  return env["DATACHAIN_STUDIO_URL"] === "https://studio.datachain.ai" ? { ...env, DATACHAIN_STUDIO_URL: runner.studioUrl } : env;
}

async function liveKeys(): Promise<string[]> {
  return (await studio.client.listAllJobs("demo"))
    .filter((job) => !isRun(job) && isLive(job.status) && job.environment[MARKERS.stack] === "analytics")
    .map((job) => job.environment[MARKERS.key] ?? "")
    .sort();
}

const MARKER = "<!-- studio-jobs-plan: analytics -->";

/** Drop a job from the spec: a push to the pull request that changes the plan. */
function removeWeeklyCleanup(repo: string): void {
  const path = join(repo, "studio-jobs.yaml");
  writeFileSync(path, readFileSync(path, "utf8").replace(/ {2}weekly-cleanup:[\s\S]*?(?= {2}backfill-2026:)/, ""));
}

/** The spec's `team:` taken out, as a spec that leaves its jobs to the default team: CI sets none (each recipe's header). */
function dropTeam(repo: string): void {
  const path = join(repo, "studio-jobs.yaml");
  const text = readFileSync(path, "utf8");
  expect(text).toContain("  team: demo\n");
  writeFileSync(path, text.replace("  team: demo\n", ""));
}

/** Comments someone else wrote, one holding the marker as the plan's first line: none may be updated. */
function plantComments(runner: Runner, comments: { id: number; author?: string; body: string }[]): void {
  const state = runner.env["FAKE_FORGE_STATE"] ?? "";
  for (const { id, author, body } of comments) {
    writeFileSync(join(state, `${id}.md`), body);
    if (author !== undefined) writeFileSync(join(state, `${id}.author`), author);
  }
}

/** The comments by id: the planted ones as they were, and the plan posted as a new one. */
function expectOwnCommentOnly(runner: Runner, planted: Record<number, string>, postedId: number): void {
  const byId = new Map(runner.forge().comments.map((c) => [c.id, c.body]));
  expect([...byId.keys()].sort((a, b) => a - b)).toEqual([...Object.keys(planted).map(Number), postedId]);
  for (const [id, body] of Object.entries(planted)) expect(byId.get(Number(id))).toBe(body);
  expect(byId.get(postedId)).toContain("**Plan: 4 to create, 0 to replace, 0 to cancel, 0 unchanged.**");
}

const FOREIGN = `${MARKER}\nnot a plan: written by someone else\n`;

// Each test runs a recipe's steps as processes, several CLI runs apiece: 10–22 s of wall time
// under a full `npm test` on 2 busy cores, where vitest's default allows 30 s.
describe("examples/ci/github-actions.yml", { timeout: 90_000 }, () => {
  const workflow = readRecipe("github-actions.yml");

  it("runs on pull requests and pushes, one concurrency group per stack, the token from secrets", () => {
    expect(Object.keys(workflow["on"] as object).sort()).toEqual(["pull_request", "push"]);
    const jobs = workflow["jobs"] as Record<string, { concurrency: { group: string; "cancel-in-progress": boolean } }>;
    expect(jobs["apply"]?.concurrency).toEqual({ group: "studio-jobs-apply-analytics", "cancel-in-progress": false });
    expect(jobs["plan"]?.concurrency.group).toMatch(/^studio-jobs-plan-analytics-/);
    // The token only in the steps that talk to Studio: not in the install, nor in what runs gh.
    expect(workflow["env"]).not.toHaveProperty("DATACHAIN_STUDIO_TOKEN");
    const withToken = Object.entries(
      workflow["jobs"] as Record<string, { steps: { name?: string; env?: Record<string, string> }[] }>,
    ).flatMap(([job, { steps }]) =>
      steps.filter((step) => step.env?.["DATACHAIN_STUDIO_TOKEN"] !== undefined).map((step) => `${job}: ${step.name}`),
    );
    expect(withToken).toEqual(["plan: Plan", "apply: Plan", "apply: Apply"]);
    const install = JSON.stringify(workflow["jobs"]).match(/npm install [^"]*/g);
    expect(install).toEqual([
      "npm install --global --ignore-scripts studio-jobs@0.1.0",
      "npm install --global --ignore-scripts studio-jobs@0.1.0",
      "npm install --global --ignore-scripts studio-jobs@0.1.0",
    ]);
  });

  it("validates every pull request, from forks too, and plans only the repository's own, once validate passed", () => {
    // Found by review: a fork's pull request skipped Validate with the plan, though it needs no secret.
    const jobs = workflow["jobs"] as Record<string, { if: string; needs?: string }>;
    const runs = (job: string, event: Record<string, string>) => evaluateIf(jobs[job]?.if ?? "", event);
    const own = { "github.event_name": "pull_request", "github.event.pull_request.head.repo.full_name": "acme/pipelines" };
    const fork = { ...own, "github.event.pull_request.head.repo.full_name": "mallory/pipelines" };
    const push = { "github.event_name": "push", "github.event.pull_request.head.repo.full_name": "" };
    expect([runs("validate", own), runs("plan", own), runs("apply", own)]).toEqual([true, true, false]);
    expect([runs("validate", fork), runs("plan", fork), runs("apply", fork)]).toEqual([true, false, false]);
    expect([runs("validate", push), runs("plan", push), runs("apply", push)]).toEqual([false, false, true]);
    expect(jobs["plan"]?.needs).toBe("validate");
  });

  it("sends the token to the Studio it names, not to one a branch's .datachain/config names", async () => {
    // Found by an adversarial tester: with only the token set, the URL came from the
    // checked-out branch's .datachain/config, so a pull request could collect the token.
    const received: string[] = [];
    const elsewhere = createServer((req, res) => {
      received.push(req.headers.authorization ?? "");
      res.writeHead(500).end();
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, "127.0.0.1", resolve));
    onTestFinished(() => void elsewhere.close());
    const runner = createRunner({ ...env, DATACHAIN_STUDIO_TOKEN: undefined });
    mkdirSync(join(runner.repo, ".datachain"));
    const { port } = elsewhere.address() as AddressInfo;
    writeFileSync(join(runner.repo, ".datachain", "config"), `[studio]\nurl = "http://127.0.0.1:${port}"\n`);
    const results = await runPullRequest(workflow, runner);
    expect(
      results.map((r) => r.code),
      runner.log.join("\n"),
    ).toEqual([0, 0, 0, 0, 0, 0]);
    expect(received).toEqual([]);
  });

  it("updates only its own comment: another user's comment holding the marker is left alone", async () => {
    // Found by a reviewer: any comment containing the marker was patched with the plan.
    const runner = createRunner({ ...env, DATACHAIN_STUDIO_TOKEN: undefined });
    const quoting = `Quoting it: ${MARKER}\n`;
    plantComments(runner, [
      { id: 50, author: "mallory", body: FOREIGN },
      { id: 51, body: quoting },
    ]);
    const results = await runPullRequest(workflow, runner);
    expect(
      results.map((r) => r.code),
      runner.log.join("\n"),
    ).toEqual([0, 0, 0, 0, 0, 0]);
    expectOwnCommentOnly(runner, { 50: FOREIGN, 51: quoting }, 102);
  });

  it("posts one plan comment, updates it on every push, and applies on merge", async () => {
    const runner = createRunner({ ...env, DATACHAIN_STUDIO_TOKEN: undefined });
    const names = (results: StepResult[]) => results.map((r) => [r.name, r.code]);
    const allSteps = [
      ["Install studio-jobs", 0],
      ["Validate", 0],
      ["Install studio-jobs", 0],
      ["Plan", 0],
      ["Comment the plan on the pull request", 0],
      ["Fail if the plan failed", 0],
    ];

    // The first push: four jobs to create, so plan exits 2, and the comment is still posted.
    const first = await runPullRequest(workflow, runner);
    expect(names(first), runner.log.join("\n")).toEqual(allSteps);
    expect(first.find((r) => r.name === "Plan")?.stdout).toBe("::notice::studio-jobs: changes pending; merging applies them.\n");
    const planned = runner.forge();
    expect(planned.comments).toHaveLength(1);
    const body = planned.comments[0]?.body ?? "";
    expect(body.split("\n")[0]).toBe(MARKER);
    expect(body).toContain("**Plan: 4 to create, 0 to replace, 0 to cancel, 0 unchanged.**");
    expect(body).toContain("| ➕ | <code>hourly-metrics</code> | demo | create |");
    expect(readFileSync(runner.summary, "utf8")).toBe(body);
    expect(await liveKeys()).toEqual([]);

    // A second push changes the plan: the same comment is updated, not a new one added.
    removeWeeklyCleanup(runner.repo);
    const second = await runPullRequest(workflow, runner);
    expect(names(second), runner.log.join("\n")).toEqual(allSteps);
    const updated = runner.forge();
    expect(updated.comments.map((c) => c.id)).toEqual(planned.comments.map((c) => c.id));
    expect(updated.comments[0]?.body).toContain("**Plan: 3 to create, 0 to replace, 0 to cancel, 0 unchanged.**");
    expect(updated.calls).toEqual([
      "GET repos/acme/pipelines/issues/7/comments",
      "POST repos/acme/pipelines/issues/7/comments",
      "GET repos/acme/pipelines/issues/7/comments",
      `PATCH repos/acme/pipelines/issues/comments/${planned.comments[0]?.id}`,
    ]);

    // The merge: plan --out, show, apply exactly that plan.
    writeFileSync(runner.summary, "");
    const merged = await runGithubJob(workflow, "apply", runner);
    expect(names(merged), runner.log.join("\n")).toEqual([
      ["Install studio-jobs", 0],
      ["Plan", 0],
      ["Apply", 0],
    ]);
    expect(await liveKeys()).toEqual(["backfill-2026", "hourly-metrics", "nightly-embeddings"]);
    expect(readFileSync(runner.summary, "utf8")).toContain("**Plan: 3 to create, 0 to replace, 0 to cancel, 0 unchanged.**");
  });

  it("lets a cancelled run stop apply cleanly: the runner's SIGINT reaches apply, not only the step's shell (from a CI walkthrough)", async () => {
    // GitHub cancels a step by signalling its shell's process alone (SIGINT, then SIGTERM,
    // then SIGKILL). bash waits on for the command it runs, which never heard of it: apply
    // went on creating jobs after the run was cancelled, and was then killed mid-step.
    const runner = createRunner({ ...env, DATACHAIN_STUDIO_TOKEN: undefined });
    const { job, steps } = githubJob(workflow, "apply");
    const [plan, apply] = [steps.find((step) => step.name === "Plan"), steps.find((step) => step.name === "Apply")];
    if (plan === undefined || apply === undefined) throw new Error("the apply job has no Plan or Apply step");
    const planned = await runShell(plan.run ?? "", runner, githubStepEnv(workflow, job, plan, runner), githubShell(workflow, job, plan));
    expect(planned.code, runner.log.join("\n")).toBe(0);
    // Slow replies, so that the cancel comes while apply is under way.
    studio.emulator.faults.configure({ latencyMs: 1_000, errorRate: 0, resetRate: 0, rateLimit: 0, seed: 1 }, []);
    const script = join(runner.env["HOME"] ?? "", "apply-step.sh");
    writeFileSync(script, apply.run ?? "");
    const child = spawn("bash", [...githubShell(workflow, job, apply), script], {
      cwd: runner.repo,
      env: githubStepEnv(workflow, job, apply, runner),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    let cancelled = false;
    child.stdout.resume();
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      // Once: a second SIGINT, sent with the next chunk of stderr, is a second cancel, which
      // exits at once (130), as a user's second Ctrl-C does.
      if (!cancelled && stderr.includes("Applying the saved plan")) {
        cancelled = true;
        child.kill("SIGINT");
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect([code, /skipped/.test(stderr)], stderr).toEqual([1, true]);
    expect(await liveKeys()).toEqual([]);
  });

  it("stops at Validate with an annotation on the line, and leaves the comment alone", async () => {
    const runner = createRunner({ ...env, DATACHAIN_STUDIO_TOKEN: undefined });
    const path = join(runner.repo, "studio-jobs.yaml");
    writeFileSync(path, readFileSync(path, "utf8").replace("    workers: 4\n", "    workerz: 4\n"));
    const results = await runPullRequest(workflow, runner);
    expect(results.map((r) => [r.name, r.code])).toEqual([
      ["Install studio-jobs", 0],
      ["Validate", 1],
    ]);
    expect(results[1]?.stdout).toBe(
      '::error file=studio-jobs.yaml,line=24,col=5::unknown key "workerz"; did you mean "workers"? (at jobs.nightly-embeddings.workerz)\n',
    );
    expect(await liveKeys()).toEqual([]);
  });

  it("stops at Validate on a job with no team: the workflow sets no default team, as its header says", async () => {
    const runner = createRunner({ ...env, DATACHAIN_STUDIO_TOKEN: undefined });
    dropTeam(runner.repo);
    const results = await runPullRequest(workflow, runner);
    expect(results.map((r) => [r.name, r.code])).toEqual([
      ["Install studio-jobs", 0],
      ["Validate", 1],
    ]);
    expect(results[1]?.stdout.split("\n")[0]).toMatch(
      /^::error file=studio-jobs\.yaml,line=\d+,col=3::job "nightly-embeddings" has no team: /,
    );
    expect(readFileSync(new URL("github-actions.yml", EXAMPLES), "utf8")).toContain("# - `team:` in your spec");
  });

  it("fails the Comment step, posting no second comment, when listing the comments fails (from a README walkthrough)", async () => {
    // GitHub runs a step with no shell named in `bash -e`, without pipefail: a failed `gh api`
    // listing piped into sed read as "no comment yet", and the plan was posted a second time.
    const runner = createRunner({ ...env, DATACHAIN_STUDIO_TOKEN: undefined });
    expect((await runPullRequest(workflow, runner)).map((r) => r.code)).toEqual([0, 0, 0, 0, 0, 0]);
    const before = runner.forge();
    expect(before.comments).toHaveLength(1);
    writeFileSync(join(runner.env["FAKE_FORGE_STATE"] ?? "", "list-fails"), "");
    const results = await runPullRequest(workflow, runner);
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0, 1]);
    expect(results[4]?.name).toBe("Comment the plan on the pull request");
    const after = runner.forge();
    expect(after.comments).toEqual(before.comments);
    expect(after.calls.slice(before.calls.length)).toEqual(["GET repos/acme/pipelines/issues/7/comments"]);
  });

  it("fails the job after posting when the plan is refused", async () => {
    const runner = createRunner({ ...env, DATACHAIN_STUDIO_TOKEN: undefined });
    // An unmanaged job holding a spec job's name: the plan is a conflict, exit 1.
    await studio.client.createJob(handMade("hourly-metrics"));
    const results = await runPullRequest(workflow, runner);
    expect(results.map((r) => [r.name, r.code])).toEqual([
      ["Install studio-jobs", 0],
      ["Validate", 0],
      ["Install studio-jobs", 0],
      ["Plan", 0],
      ["Comment the plan on the pull request", 0],
      ["Fail if the plan failed", 1],
    ]);
    expect(runner.forge().comments[0]?.body).toContain("**Errors — this plan cannot be applied:**");
  });
});

describe("examples/ci/gitlab-ci.yml", { timeout: 90_000 }, () => {
  const pipeline = readRecipe("gitlab-ci.yml");
  const ci = {
    DATACHAIN_STUDIO_TOKEN: "dev-token",
    GITLAB_API_TOKEN: "fake-gitlab-token",
    CI_API_V4_URL: "https://gitlab.example/api/v4",
    CI_PROJECT_ID: "42",
    CI_MERGE_REQUEST_IID: "7",
  };

  it("validates a merge request from a fork, and plans only the project's own (from a README walkthrough)", () => {
    // A fork's merge-request pipeline runs in the fork, without this project's variables: the
    // plan job failed there for want of a token, on every merge request from a fork.
    const runs = (job: string, variables: Record<string, string>) =>
      ((pipeline[job] as { rules: { if: string }[] }).rules ?? []).some((rule) => evaluateGitlabIf(rule.if, variables));
    const own = {
      CI_PIPELINE_SOURCE: "merge_request_event",
      CI_DEFAULT_BRANCH: "main",
      CI_PROJECT_ID: "42",
      CI_MERGE_REQUEST_PROJECT_ID: "42",
      CI_MERGE_REQUEST_SOURCE_PROJECT_ID: "42",
    };
    const inFork = { ...own, CI_PROJECT_ID: "43", CI_MERGE_REQUEST_SOURCE_PROJECT_ID: "43" };
    const forkRunHere = { ...own, CI_MERGE_REQUEST_SOURCE_PROJECT_ID: "43" };
    const merged = { CI_PIPELINE_SOURCE: "push", CI_PROJECT_ID: "42", CI_COMMIT_BRANCH: "main", CI_DEFAULT_BRANCH: "main" };
    expect(["validate", "plan", "apply"].map((job) => runs(job, own))).toEqual([true, true, false]);
    expect(["validate", "plan", "apply"].map((job) => runs(job, inFork))).toEqual([true, false, false]);
    expect(["validate", "plan", "apply"].map((job) => runs(job, forkRunHere))).toEqual([true, false, false]);
    expect(["validate", "plan", "apply"].map((job) => runs(job, merged))).toEqual([false, false, true]);
  });

  it("serialises applies per stack and keeps the plan as an artifact", () => {
    expect((pipeline["apply"] as Record<string, unknown>)["resource_group"]).toBe("studio-jobs-analytics");
    expect((pipeline["plan"] as Record<string, unknown>)["artifacts"]).toMatchObject({ when: "always", paths: ["plan.md"] });
    expect((pipeline["default"] as Record<string, unknown>)["before_script"]).toEqual([
      "npm install --global --ignore-scripts studio-jobs@0.1.0",
    ]);
  });

  it("lets a newer push cancel the older merge-request pipeline: every job before the note is interruptible, apply is not (from a CI attack)", () => {
    // GitLab cannot cancel a pipeline once a job without `interruptible: true` has started: the
    // older push's plan then ran beside the newer one's, and could write its older plan last.
    const interruptible = (job: string) => (pipeline[job] as Record<string, unknown>)["interruptible"] ?? false;
    expect(["validate", "plan", "apply"].map(interruptible)).toEqual([true, true, false]);
  });

  it("updates only the token's own note: another user's note holding the marker is left alone", async () => {
    const runner = createRunner({ ...env, DATACHAIN_STUDIO_TOKEN: undefined });
    plantComments(runner, [{ id: 50, author: "77", body: FOREIGN }]);
    const result = await runGitlabJob(pipeline, "plan", runner, ci);
    expect(result.code, runner.log.join("\n")).toBe(0);
    expectOwnCommentOnly(runner, { 50: FOREIGN }, 101);
  });

  it("posts one merge-request note, updates it on every push, and applies on merge", async () => {
    const runner = createRunner({ ...env, DATACHAIN_STUDIO_TOKEN: undefined });
    const validate = await runGitlabJob(pipeline, "validate", runner, ci);
    expect(validate.code, runner.log.join("\n")).toBe(0);

    const first = await runGitlabJob(pipeline, "plan", runner, ci);
    expect(first.code, runner.log.join("\n")).toBe(0);
    const posted = runner.forge();
    expect(posted.comments).toHaveLength(1);
    expect(posted.comments[0]?.body.split("\n")[0]).toBe(MARKER);
    expect(posted.comments[0]?.body).toContain("**Plan: 4 to create, 0 to replace, 0 to cancel, 0 unchanged.**");
    expect(readFileSync(join(runner.repo, "plan.md"), "utf8")).toBe(posted.comments[0]?.body);

    removeWeeklyCleanup(runner.repo);
    expect((await runGitlabJob(pipeline, "plan", runner, ci)).code, runner.log.join("\n")).toBe(0);
    const updated = runner.forge();
    expect(updated.comments.map((c) => c.id)).toEqual(posted.comments.map((c) => c.id));
    expect(updated.comments[0]?.body).toContain("**Plan: 3 to create, 0 to replace, 0 to cancel, 0 unchanged.**");
    const notes = "https://gitlab.example/api/v4/projects/42/merge_requests/7/notes";
    const user = "GET https://gitlab.example/api/v4/user";
    expect(updated.calls).toEqual([
      user,
      `GET ${notes}?sort=asc&order_by=created_at&per_page=100&page=1`,
      `POST ${notes}`,
      user,
      `GET ${notes}?sort=asc&order_by=created_at&per_page=100&page=1`,
      `PUT ${notes}/${posted.comments[0]?.id}`,
    ]);

    const merged = await runGitlabJob(pipeline, "apply", runner, ci);
    expect(merged.code, runner.log.join("\n")).toBe(0);
    expect(merged.stdout).toContain("Apply complete: 3 created, 0 replaced, 0 cancelled, 0 failed.");
    expect(await liveKeys()).toEqual(["backfill-2026", "hourly-metrics", "nightly-embeddings"]);
  });

  it("finds its note past the first 100 of a busy merge request, and updates it rather than posting another (from a README walkthrough)", async () => {
    const runner = createRunner({ ...env, DATACHAIN_STUDIO_TOKEN: undefined });
    plantComments(
      runner,
      Array.from({ length: 150 }, (_, i) => ({ id: i + 1, author: "77", body: `a review comment ${i + 1}\n` })),
    );
    expect((await runGitlabJob(pipeline, "plan", runner, ci)).code, runner.log.join("\n")).toBe(0);
    const own = runner.forge().comments.filter((c) => c.body.startsWith(MARKER));
    expect(own.map((c) => c.id)).toEqual([250]);
    removeWeeklyCleanup(runner.repo);
    expect((await runGitlabJob(pipeline, "plan", runner, ci)).code, runner.log.join("\n")).toBe(0);
    const after = runner.forge();
    expect(after.comments.filter((c) => c.body.startsWith(MARKER)).map((c) => c.id)).toEqual([250]);
    expect(after.comments.find((c) => c.id === 250)?.body).toContain("**Plan: 3 to create, 0 to replace, 0 to cancel, 0 unchanged.**");
    const notes = "https://gitlab.example/api/v4/projects/42/merge_requests/7/notes";
    expect(after.calls.filter((call) => !call.endsWith("/user"))).toEqual([
      `GET ${notes}?sort=asc&order_by=created_at&per_page=100&page=1`,
      `GET ${notes}?sort=asc&order_by=created_at&per_page=100&page=2`,
      `GET ${notes}?sort=asc&order_by=created_at&per_page=100&page=3`,
      `POST ${notes}`,
      `GET ${notes}?sort=asc&order_by=created_at&per_page=100&page=1`,
      `GET ${notes}?sort=asc&order_by=created_at&per_page=100&page=2`,
      `PUT ${notes}/250`,
    ]);
  });

  it("reads on past a short page that is not the last, as GitLab returns when it drops notes the token cannot read (from review)", async () => {
    const runner = createRunner({ ...env, DATACHAIN_STUDIO_TOKEN: undefined });
    plantComments(
      runner,
      Array.from({ length: 100 }, (_, i) => ({ id: i + 1, author: "77", body: `a review comment ${i + 1}\n` })),
    );
    writeFileSync(join(runner.env["FAKE_FORGE_STATE"] ?? "", "7.hidden"), "");
    expect((await runGitlabJob(pipeline, "plan", runner, ci)).code, runner.log.join("\n")).toBe(0);
    removeWeeklyCleanup(runner.repo);
    expect((await runGitlabJob(pipeline, "plan", runner, ci)).code, runner.log.join("\n")).toBe(0);
    expect(
      runner
        .forge()
        .comments.filter((c) => c.body.startsWith(MARKER))
        .map((c) => c.id),
    ).toEqual([200]);
  });

  it("stops at validate on a job with no team: the pipeline sets no default team, as its header says", async () => {
    const runner = createRunner({ ...env, DATACHAIN_STUDIO_TOKEN: undefined });
    dropTeam(runner.repo);
    const result = await runGitlabJob(pipeline, "validate", runner, ci);
    expect([result.code, result.stderr]).toEqual([1, expect.stringContaining('job "nightly-embeddings" has no team: ')]);
    expect(readFileSync(new URL("gitlab-ci.yml", EXAMPLES), "utf8")).toContain("# - `team:` in your spec");
  });

  it("fails the job after posting when the plan is refused", async () => {
    const runner = createRunner({ ...env, DATACHAIN_STUDIO_TOKEN: undefined });
    await studio.client.createJob(handMade("hourly-metrics"));
    const result = await runGitlabJob(pipeline, "plan", runner, ci);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("studio-jobs plan failed (exit 1)");
    expect(runner.forge().comments[0]?.body).toContain("**Errors — this plan cannot be applied:**");
  });
});
