// The invalid-spec corpus: every fixture gives exactly its expected problems, each at
// file:line:column, and the CLI turns them into exit 1 without a stack trace.

import { closeSync, ftruncateSync, mkdtempSync, openSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { formatSpecIssue, SpecError } from "../src/errors.js";
import { loadSpec } from "../src/desired/index.js";
import { runCli, spawnCli } from "./cli-helpers.js";
import { copyExample, startCpuClock, writeRepo } from "./helpers.js";

const FIXTURES = fileURLToPath(new URL("./fixtures/invalid/", import.meta.url));
const EXAMPLES = fileURLToPath(new URL("../examples/", import.meta.url));
const names = readdirSync(FIXTURES).sort();
/** No datachain config from the machine running the tests: an empty config directory. */
const FIXTURE_ENV = { HOME: "/home/fixture", DATACHAIN_GLOBAL_CONFIG_DIR: mkdtempSync(join(tmpdir(), "studio-jobs-noconfig-")) };

async function problems(dir: string, paths = ["."]): Promise<string[]> {
  try {
    await loadSpec(paths, dir, { env: { HOME: "/home/fixture" }, vars: {}, defaultTeam: undefined });
  } catch (error) {
    if (error instanceof SpecError) return error.issues.map(formatSpecIssue);
    throw error;
  }
  return [];
}

/** validate.txt: what `validate` prints to stderr for a spec that only plan and apply refuse. */
function validateNotes(dir: string): string | undefined {
  try {
    return readFileSync(join(dir, "validate.txt"), "utf8");
  } catch {
    return undefined;
  }
}

describe("invalid specs", () => {
  it("has a corpus of at least 40 cases", () => {
    expect(names.length).toBeGreaterThanOrEqual(40);
  });

  it("a file given by name that is no YAML (validate queries/*.py) is told its first problem, and that a spec is YAML", async () => {
    // A newcomer's walk-through: a query file given as the spec was answered with a screenful
    // of YAML errors about its Python.
    const dir = copyExample("analytics");
    expect(await problems(dir, ["queries/embeddings.py"])).toEqual([
      "queries/embeddings.py:1:3: invalid YAML: Unexpected double-quoted-scalar at node end; a spec is a YAML file (.yaml or .yml): is queries/embeddings.py one?",
    ]);
  });

  it("a YAML file given by name, of either extension in any case, is told every YAML problem, with no word of what a spec is", async () => {
    // Found by mutation testing: `.yml` and `.YAML` were not told apart from a query file.
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-named-yaml-"));
    const broken = 'jobs: {a: 1\nstack: "x\n';
    for (const name of ["jobs.yml", "JOBS.YAML"]) writeFileSync(join(dir, name), broken);
    for (const name of ["jobs.yml", "JOBS.YAML"]) {
      const found = await problems(dir, [name]);
      expect(found.length).toBeGreaterThan(1);
      expect(found.every((line) => line.startsWith(`${name}:`) && !line.includes("a spec is a YAML file"))).toBe(true);
    }
  });

  it("refuses a 50 MB file quickly, without reading it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-huge-"));
    const fd = openSync(join(dir, "studio-jobs.yaml"), "w");
    ftruncateSync(fd, 50 * 1024 * 1024);
    closeSync(fd);
    const cpuMs = startCpuClock();
    expect(await problems(dir)).toEqual([
      "studio-jobs.yaml:1:1: the file is 50.0 MiB; a spec file may be at most 4 MiB: split its jobs over several files",
    ]);
    expect(cpuMs()).toBeLessThan(1000);
  });

  it("refuses a 700 MB query file quickly, by its size, without reading it", async () => {
    const dir = writeRepo({
      "studio-jobs.yaml": "version: 1\nstack: s\ndefaults: {team: t}\njobs:\n  a: {query_file: q/huge.py}\n  b: {query_file: q/huge.py}\n",
      "q/huge.py": "",
    });
    const fd = openSync(join(dir, "q/huge.py"), "r+");
    ftruncateSync(fd, 700 * 1024 * 1024);
    closeSync(fd);
    const cpuMs = startCpuClock();
    const result = await runCli(["validate", "."], { cwd: dir });
    expect({ code: result.code, stderr: result.stderr }).toEqual({
      code: 1,
      stderr: [
        'Error: studio-jobs.yaml:5:19: query_file "q/huge.py" is too large: 700.0 MiB; a query or requirements file may be at most 4 MiB (at jobs.a.query_file)',
        'studio-jobs.yaml:6:19: query_file "q/huge.py" is too large: 700.0 MiB; a query or requirements file may be at most 4 MiB (at jobs.b.query_file)',
        "2 problems found in the spec.",
        "",
      ].join("\n"),
    });
    expect(cpuMs()).toBeLessThan(1000);
  });

  // `validate` runs in-process, through run(argv, io): the CLI's own code but for the
  // schema validator, compiled at run time here. The built CLI, whose validator was
  // compiled ahead of time, is spawned once below, on a fixture with schema problems.
  it.each(names)("%s", async (name) => {
    const dir = join(FIXTURES, name);
    const expected = readFileSync(join(dir, "expected.txt"), "utf8").trimEnd().split("\n");
    expect(await problems(dir)).toEqual(expected);
    const result = await runCli(["validate", "."], { cwd: dir, env: FIXTURE_ENV });
    const count = `${expected.length} problem${expected.length === 1 ? "" : "s"} found in the spec.`;
    // A problem only for plan and apply (an unset ${env:...}) is a note to validate, which exits 0.
    const notes = validateNotes(dir);
    expect({ code: result.code, stderr: result.stderr }).toEqual(
      notes === undefined ? { code: 1, stderr: `Error: ${[...expected, count].join("\n")}\n` } : { code: 0, stderr: notes },
    );
  });

  it("says so when a path does not exist", async () => {
    expect(await problems(FIXTURES, ["nope.yaml"])).toEqual(["nope.yaml:1:1: no such file or directory"]);
  });
});

describe("studio-jobs validate", () => {
  it("accepts every example", async () => {
    const analytics = await runCli(["validate", join(EXAMPLES, "analytics")], { cwd: EXAMPLES });
    expect(analytics).toMatchObject({ code: 0, stderr: "" });
    expect(analytics.stdout).toBe("Valid: 4 jobs in 1 file, stack analytics, team demo.\n");
    // Its jobs read ../src/*.py: inside the repository only where the repository's root is.
    const ml = await runCli(["validate", "jobs"], { cwd: copyExample("ml-platform") });
    expect(ml).toMatchObject({ code: 0, stderr: "", stdout: "Valid: 3 jobs in 2 files, stack ml-platform, team demo.\n" });
  });

  it("prints every problem with its place, schema and resolution together, exits 1, and shows no stack trace, from the built CLI", async () => {
    // Spawned: the built CLI, with the schema validator compiled ahead of time.
    const result = await spawnCli(["validate", "."], { cwd: join(FIXTURES, "several-problems"), env: FIXTURE_ENV });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(
      [
        "Error: studio-jobs.yaml:8:14: must be at least 1, got 0 (at jobs.first.workers)",
        'studio-jobs.yaml:9:21: must be a string; quote it, e.g. "3.12", got number 3.1 (at jobs.first.python_version)',
        'studio-jobs.yaml:10:24: requirements_file "requirements.txt" does not exist (paths are relative to the YAML file) (at jobs.first.requirements_file)',
        'studio-jobs.yaml:11:3: job "second" has no query: give query (inline) or query_file (at jobs.second)',
        'studio-jobs.yaml:13:13: "* * *" has 3 fields; a cron expression has 5: minute hour day-of-month month day-of-week (at jobs.second.schedule.cron)',
        "5 problems found in the spec.",
        "",
      ].join("\n"),
    );
  });

  it("uses studio-jobs.yaml by default and says what to do when it is missing", async () => {
    const result = await runCli(["validate"], { cwd: tmpdir() });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "Error: studio-jobs.yaml:1:1: no such file or directory; give the spec files or a directory as arguments\n1 problem found in the spec.\n",
    );
  });

  it("never prints a sensitive value, with or without --verbose", async () => {
    const dir = mkdtempSync(join(tmpdir(), "studio-jobs-secret-"));
    writeFileSync(
      join(dir, "studio-jobs.yaml"),
      [
        "version: 1",
        "stack: s",
        "defaults: {team: demo}",
        "jobs:",
        "  a:",
        "    query: print(1)",
        "    environment:",
        "      API_KEY: ${env:SECRET_VALUE}",
        "      MULTI: ${env:SECRET_MULTILINE}",
        "  b:",
        "    query: print(2)",
        "    workers: 0",
      ].join("\n"),
    );
    const env = { SECRET_VALUE: "hunter2-very-secret", SECRET_MULTILINE: "top\nsecret-line" };
    for (const flags of [[], ["--verbose"]]) {
      const result = await runCli(["validate", ".", ...flags], { cwd: dir, env });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("environment values must be one line");
      for (const secret of ["hunter2-very-secret", "secret-line"]) {
        expect(result.stdout + result.stderr).not.toContain(secret);
      }
    }
  });
});

describe("the two YAML readers", () => {
  it("read the examples to the same data: js-yaml for speed, yaml for positions", async () => {
    const { parse } = await import("yaml");
    const { parseYamlSource } = await import("../src/desired/yaml-source.js");
    for (const file of ["analytics/studio-jobs.yaml", "ml-platform/jobs/training.yaml", "ml-platform/jobs/monitoring.yaml"]) {
      const text = readFileSync(join(EXAMPLES, file), "utf8");
      const fast = parseYamlSource(file, text);
      expect("source" in fast && fast.source.data).toEqual(parse(text));
      // Positions still come out right, from the careful parse made on demand.
      if ("source" in fast) expect(fast.source.locate(["version"])).toMatchObject({ file, column: 10 });
    }
  });
});

describe("the README", () => {
  it("shows a spec that validates", async () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const block = /```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toContain("version: 1");
    const dir = writeRepo({ "studio-jobs.yaml": block ?? "", "queries/embeddings.py": "print(1)\n", "data/labels.csv": "a\n" });
    const result = await runCli(["validate", "."], { cwd: dir, env: { EMBED_API_KEY: "k" } });
    expect(result).toMatchObject({ code: 0, stdout: "Valid: 1 job in 1 file, stack analytics, team acme.\n" });
  });
});
