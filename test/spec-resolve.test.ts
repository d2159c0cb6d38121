// Resolution of valid specs into DesiredJobs: defaults, interpolation, files, markers,
// and the fingerprint's properties.

import { symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { loadSpec } from "../src/desired/index.js";
import { decodeApplied } from "../src/identity/markers.js";
import { parseEnvironment } from "../src/emulator/job-input.js";
import { sha256Hex } from "../src/identity/fingerprint.js";
import { FIELD_NAMES, type FieldName } from "../src/desired/fields.js";
import { runCli } from "./cli-helpers.js";
import { writeRepo } from "./helpers.js";

const options = { env: {}, vars: {}, defaultTeam: undefined };

/** A spec of stack s whose defaults name team t, then the given lines (more defaults, jobs). */
function specWithDefaults(...lines: string[]): string {
  return writeRepo({ "studio-jobs.yaml": ["version: 1", "stack: s", "defaults:", "  team: t", ...lines].join("\n") });
}

describe("resolve", () => {
  it("keeps the environment in order: the defaults' keys, a key the job overrides in its place, then the job's own keys", async () => {
    const dir = specWithDefaults(
      "  environment: {C: c, A: a, B: b}",
      "jobs:",
      "  x:",
      "    query: print(1)",
      "    environment: {Z: z, A: mine}",
      "  y:",
      "    query: print(2)",
    );
    const spec = await loadSpec(["."], dir, options);
    const [x, y] = spec.jobs;
    expect(Object.entries(x?.environment ?? {})).toEqual([
      ["C", "c"],
      ["A", "mine"],
      ["B", "b"],
      ["Z", "z"],
    ]);
    expect(Object.entries(y?.environment ?? {})).toEqual([
      ["C", "c"],
      ["A", "a"],
      ["B", "b"],
    ]);
  });

  it("merges defaults under each job, environment key by key", async () => {
    const dir = writeRepo({
      "studio-jobs.yaml": [
        "version: 1",
        "stack: analytics",
        "defaults:",
        "  team: acme",
        "  python_version: '3.12'",
        "  workers: 2",
        "  environment: {LOG_LEVEL: info, REGION: eu}",
        "  schedule: {replace: cancel-first}",
        "jobs:",
        "  a:",
        "    query: print(1)",
        "    workers: 4",
        "    environment: {REGION: us}",
        "    schedule: {cron: '@daily'}",
      ].join("\n"),
    });
    const spec = await loadSpec(["."], dir, options);
    const [job] = spec.jobs;
    expect(job).toMatchObject({
      key: "a",
      team: "acme",
      stack: "analytics",
      cron: "@daily",
      replace: "cancel-first",
      environment: { LOG_LEVEL: "info", REGION: "us" },
      location: { file: "studio-jobs.yaml", line: 10, column: 3 },
    });
    expect(job?.input).toMatchObject({
      query: "print(1)",
      query_type: "PYTHON",
      query_name: "a",
      team_name: "acme",
      workers: 4,
      python_version: "3.12",
      cron_expression: "@daily",
    });
    // The defaults' keys in their order, one the job overrides in its place, then the job's own.
    expect(Object.keys(job?.environment ?? {})).toEqual(["LOG_LEVEL", "REGION"]);
    const sent = parseEnvironment(job?.input.environment ?? "");
    expect(sent).toMatchObject({ LOG_LEVEL: "info", REGION: "us", STUDIO_JOBS_STACK: "analytics", STUDIO_JOBS_KEY: "a" });
    expect(sent["STUDIO_JOBS_FINGERPRINT"]).toBe(job?.fingerprint);
    expect(sent["STUDIO_JOBS_PROTECT"]).toBeUndefined();
    expect(decodeApplied(sent["STUDIO_JOBS_APPLIED"])).toEqual({ v: 1, query_type: "PYTHON", cron: "@daily" });
  });

  it("reads query and requirements files, hashes uploads, infers the query type", async () => {
    const dir = writeRepo({
      "jobs/studio-jobs.yaml": [
        "version: 1",
        "stack: s",
        "jobs:",
        "  py: {team: t, query_file: q/run.py, requirements_file: req.txt, files: [../data/labels.csv]}",
        "  sh: {team: t, query_file: q/run.sh, requirements: [numpy==1.26.4, pillow], cluster: {id: 2}, protect: true}",
      ].join("\n"),
      "jobs/q/run.py": "print('py')\n",
      "jobs/q/run.sh": "echo sh\n",
      "jobs/req.txt": "pandas\n",
      "data/labels.csv": "a,b\n",
    });
    const spec = await loadSpec(["jobs"], dir, options);
    const [py, sh] = spec.jobs;
    expect(py?.input).toMatchObject({ query: "print('py')\n", query_type: "PYTHON", requirements: "pandas\n" });
    expect(py?.files).toEqual([
      { path: "../data/labels.csv", absolute: join(dir, "data/labels.csv"), name: "labels.csv", sha256: sha256Hex("a,b\n"), size: 4 },
    ]);
    expect(py?.applied.files).toEqual([["labels.csv", sha256Hex("a,b\n")]]);
    expect(sh?.input).toMatchObject({ query_type: "SHELL", requirements: "numpy==1.26.4\npillow", compute_cluster_id: 2 });
    expect(parseEnvironment(sh?.input.environment ?? "")["STUDIO_JOBS_PROTECT"]).toBe("1");
  });

  // Found by an adversarial tester: a file was uploaded under its link's target's name
  // (labels-v3.csv for `files: [labels.csv]`), the name the job's query does not open, and two
  // links to one file "would both be uploaded as" the target's name.
  it("uploads a file under the name the spec gives it, a link's own name, not its target's", async () => {
    const dir = writeRepo({
      "studio-jobs.yaml": "version: 1\nstack: s\njobs:\n  a: {team: t, query: print(1), files: [labels.csv, latest.csv]}\n",
      "data/labels-v3.csv": "a,b\n",
    });
    symlinkSync("data/labels-v3.csv", join(dir, "labels.csv"));
    symlinkSync("data/labels-v3.csv", join(dir, "latest.csv"));
    const spec = await loadSpec(["."], dir, options);
    expect(spec.jobs[0]?.files.map((f) => [f.path, f.name])).toEqual([
      ["labels.csv", "labels.csv"],
      ["latest.csv", "latest.csv"],
    ]);
  });

  // Found by an adversarial tester, with the one above: the type was guessed from the link's
  // target, so `run.py` linked to an extensionless `run` was sent as SHELL.
  it("infers a query file's type from the name the spec gives it, not a link's target", async () => {
    const dir = writeRepo({
      "studio-jobs.yaml": "version: 1\nstack: s\njobs:\n  a: {team: t, query_file: run.py}\n  b: {team: t, query_file: task.sh}\n",
      "scripts/run": "print(1)\n",
      "scripts/task.py": "echo hi\n",
    });
    symlinkSync("scripts/run", join(dir, "run.py"));
    symlinkSync("scripts/task.py", join(dir, "task.sh"));
    const spec = await loadSpec(["."], dir, options);
    expect(spec.jobs.map((job) => [job.key, job.input.query_type])).toEqual([
      ["a", "PYTHON"],
      ["b", "SHELL"],
    ]);
  });

  it("interpolates env and vars; env values are sensitive, --var wins over vars:", async () => {
    const dir = writeRepo({
      "studio-jobs.yaml": [
        "version: 1",
        "stack: s",
        "vars: {env: staging}",
        "defaults: {team: 't-${var:env}'}",
        "jobs:",
        "  a:",
        "    query: print(1)",
        "    environment:",
        "      KEY: ${env:API_KEY}",
        "      FALLBACK: ${env:MISSING:-dflt}",
        "      TARGET: ${var:env}",
        "      LITERAL: $${not-interpolated}",
      ].join("\n"),
    });
    const spec = await loadSpec(["."], dir, { env: { API_KEY: "s3cret" }, vars: { env: "prod" }, defaultTeam: undefined });
    const [job] = spec.jobs;
    expect(job?.team).toBe("t-prod");
    expect(job?.environment).toEqual({ KEY: "s3cret", FALLBACK: "dflt", TARGET: "prod", LITERAL: "${not-interpolated}" });
    expect(job?.sensitive).toEqual(["environment.FALLBACK", "environment.KEY"]);
    expect(job?.sensitiveTemplates).toEqual({ "environment.FALLBACK": "${env:MISSING:-dflt}", "environment.KEY": "${env:API_KEY}" });
    expect(job?.applied.sensitive).toEqual(["environment.FALLBACK", "environment.KEY"]);
    expect(JSON.stringify(job?.applied)).not.toContain("s3cret");
  });

  it("gives each job what the defaults give unless it sets the setting itself; a sensitive default is sensitive in each job", async () => {
    const dir = specWithDefaults(
      "  python_version: '3.12'",
      "  schedule: {cron: '0 3 * * *'}",
      "  environment: {KEY: '${env:API_KEY}', LEVEL: info}",
      "jobs:",
      "  plain: {query: a}",
      "  own: {query: b, python_version: '3.11', schedule: {cron: '0 4 * * *'}, environment: {KEY: mine}}",
      "  map-without-entry: {query: c, schedule: {replace: cancel-first}}",
      "  also-plain: {query: d}",
    );
    const spec = await loadSpec(["."], dir, { env: { API_KEY: "s3cret" }, vars: {}, defaultTeam: undefined });
    const seen = spec.jobs.map((job) => [job.key, job.values.python_version, job.cron, job.environment, job.sensitiveTemplates]);
    const fromDefaults = ["3.12", "0 3 * * *", { KEY: "s3cret", LEVEL: "info" }, { "environment.KEY": "${env:API_KEY}" }];
    expect(seen).toEqual([
      ["plain", ...fromDefaults],
      ["own", "3.11", "0 4 * * *", { KEY: "mine", LEVEL: "info" }, {}],
      ["map-without-entry", ...fromDefaults],
      ["also-plain", ...fromDefaults],
    ]);
    expect(spec.jobs.map((job) => job.sensitive)).toEqual([["environment.KEY"], [], ["environment.KEY"], ["environment.KEY"]]);
  });

  // Found by an adversarial tester: a job's own requirements_file beside a default
  // requirements list (or the other way round) was "give requirements or requirements_file,
  // not both", at the job's key or at the defaults, with no way to override the default.
  it("gives a job its own requirements or requirements_file over the defaults' other spelling", async () => {
    const spec = (...lines: string[]) => {
      const dir = specWithDefaults(...lines);
      writeFileSync(join(dir, "req.txt"), "numpy==1.24.0\n");
      return dir;
    };
    const requirements = async (dir: string) => (await loadSpec(["."], dir, options)).jobs.map((job) => [job.key, job.values.requirements]);
    const fromFile = spec("  requirements: [pandas]", "jobs:", "  own: {query: a, requirements_file: req.txt}", "  plain: {query: b}");
    expect(await requirements(fromFile)).toEqual([
      ["own", "numpy==1.24.0\n"],
      ["plain", "pandas"],
    ]);
    const fromList = spec(
      "  requirements_file: req.txt",
      "jobs:",
      "  own: {query: a, requirements: [polars, pyarrow]}",
      "  plain: {query: b}",
    );
    expect(await requirements(fromList)).toEqual([
      ["own", "polars\npyarrow"],
      ["plain", "numpy==1.24.0\n"],
    ]);
    // Both in one place is still one too many, said where the second is.
    const both = spec("jobs:", "  a: {query: a, requirements: [x], requirements_file: req.txt}");
    const result = await runCli(["validate", "."], { cwd: both });
    expect(result.stderr).toBe(
      "Error: studio-jobs.yaml:6:36: give requirements or requirements_file, not both (at jobs.a.requirements_file)\n1 problem found in the spec.\n",
    );
  });

  it("reports a problem or a note with a default once, however many jobs take it", async () => {
    const dir = specWithDefaults(
      "  schedule: {cron: '61 1 * * *'}",
      "  environment: {API: '${env:STUDIO_JOBS_TEST_UNSET}', STUDIO_JOBS_X: '1'}",
      "jobs:",
      "  a: {query: print(1)}",
      "  b: {query: print(2)}",
      "  c: {query: print(3), schedule: {cron: '1 1 * * *'}, environment: {API: set, STUDIO_JOBS_X: ''}}",
    );
    const result = await runCli(["validate", "."], { cwd: dir });
    const note =
      "studio-jobs.yaml:6:23: note: environment variable STUDIO_JOBS_TEST_UNSET is not set here; plan and apply will need it (or give a default: ${env:STUDIO_JOBS_TEST_UNSET:-value}) (at defaults.environment.API)";
    const cron =
      'studio-jobs.yaml:5:20: "61 1 * * *" is not a valid cron expression: minute 61 is out of range 0-59 (at defaults.schedule.cron)';
    const reserved = (at: string) =>
      `environment key STUDIO_JOBS_X is reserved: keys starting with STUDIO_JOBS_ mark the jobs studio-jobs manages; rename it (at ${at})`;
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      [
        note,
        `Error: ${cron}`,
        `studio-jobs.yaml:6:55: ${reserved("defaults.environment.STUDIO_JOBS_X")}`,
        `studio-jobs.yaml:10:79: ${reserved("jobs.c.environment.STUDIO_JOBS_X")}`,
        "3 problems found in the spec.",
        "",
      ].join("\n"),
    );
  });

  it("takes the team from --team / the environment when the spec names none", async () => {
    const dir = writeRepo({ "studio-jobs.yaml": "version: 1\nstack: s\njobs:\n  a: {query: x}\n" });
    const spec = await loadSpec(["studio-jobs.yaml"], dir, { ...options, defaultTeam: "fallback" });
    expect(spec.teams).toEqual(["fallback"]);
  });

  it("normalizes start_after to UTC", async () => {
    const dir = writeRepo({
      "studio-jobs.yaml": "version: 1\nstack: s\njobs:\n  a: {team: t, query: x, schedule: {start_after: '2026-12-01T01:00:00+01:00'}}\n",
    });
    const [job] = (await loadSpec(["."], dir, options)).jobs;
    expect(job?.input.start_after).toBe("2026-12-01T00:00:00.000Z");
  });
});

describe("fingerprint properties", () => {
  /** A job's settings, as they could be written in YAML. */
  const settings = fc.record(
    {
      workers: fc.integer({ min: 1, max: 8 }),
      python_version: fc.constantFrom("3.11", "3.12"),
      priority: fc.integer({ min: 0, max: 5 }),
      cluster: fc.oneof(fc.constantFrom("default", "gpu-pool"), fc.record({ id: fc.integer({ min: 1, max: 3 }) })),
      credentials: fc.constantFrom("aws-prod", "gcp"),
      repository: fc.constant("https://github.com/acme/p"),
      requirements: fc.array(fc.constantFrom("numpy", "pandas", "torch"), { minLength: 1, maxLength: 3 }),
      environment: fc.dictionary(
        fc.constantFrom("A", "B", "C", "D"),
        fc.string({ maxLength: 8 }).filter((s) => !s.includes("\n") && !s.includes("$")),
      ),
      schedule: fc.record({ cron: fc.constantFrom("@daily", "0 3 * * *", "*/5 * * * *") }, { requiredKeys: [] }),
      protect: fc.boolean(),
    },
    { requiredKeys: [] },
  );
  const spec = fc.record({
    job: settings,
    moveToDefaults: fc.array(
      fc.constantFrom(
        "workers",
        "python_version",
        "priority",
        "cluster",
        "credentials",
        "repository",
        "requirements",
        "environment",
        "protect",
      ),
    ),
    seed: fc.integer(),
  });

  function shuffle<T>(items: T[], seed: number): T[] {
    const out = [...items];
    let s = seed >>> 0;
    for (let i = out.length - 1; i > 0; i--) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      const j = s % (i + 1);
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  }
  function reorder(value: unknown, seed: number): unknown {
    if (Array.isArray(value)) return value.map((v) => reorder(v, seed));
    if (value === null || typeof value !== "object") return value;
    return Object.fromEntries(shuffle(Object.entries(value), seed).map(([k, v]) => [k, reorder(v, seed + 1)]));
  }

  async function fingerprintOf(
    doc: Record<string, unknown>,
    style: "block" | "flow",
    files: { query: string; upload: string },
  ): Promise<string> {
    const dir = writeRepo({
      "studio-jobs.yaml": stringify(doc, { collectionStyle: style }),
      "q.py": files.query,
      "data.csv": files.upload,
    });
    const [job] = (await loadSpec(["."], dir, options)).jobs;
    return job?.fingerprint ?? "";
  }

  function document(job: Record<string, unknown>, defaults: Record<string, unknown>, key = "j"): Record<string, unknown> {
    return {
      version: 1,
      stack: "s",
      defaults: { team: "t", ...defaults },
      jobs: { [key]: { query_file: "q.py", files: ["data.csv"], ...job } },
    };
  }

  it("does not change with key order, YAML style, or settings moved to defaults", async () => {
    await fc.assert(
      fc.asyncProperty(spec, async ({ job, moveToDefaults, seed }) => {
        const files = { query: "print(1)\n", upload: "a,b\n" };
        const plain = await fingerprintOf(document(job, {}), "block", files);
        const moved: Record<string, unknown> = { ...job };
        const defaults: Record<string, unknown> = {};
        for (const key of moveToDefaults) {
          if (key in moved) {
            defaults[key] = moved[key];
            delete moved[key];
          }
        }
        const rewritten = reorder(document(moved, defaults), seed) as Record<string, unknown>;
        expect(await fingerprintOf(rewritten, "flow", files)).toBe(plain);
      }),
      { numRuns: 40, seed: 20261129 },
    );
  });

  /** A job as written: its key, its settings, and the bytes of its query file and of the file it uploads. */
  interface Draft {
    key: string;
    job: Record<string, unknown>;
    files: { query: string; upload: string };
  }
  /** One change a field of the table of job fields (TypeScript wants one a field), written in YAML. */
  const changes: { [K in FieldName]: (draft: Draft) => void } = {
    key: (d) => (d.key = "renamed"),
    team: (d) => (d.job["team"] = "other-team"),
    query_type: (d) => (d.job["query_type"] = "SHELL"),
    query: (d) => (d.files.query = "print(2)\n"),
    cron: (d) => (d.job["schedule"] = { ...(d.job["schedule"] as object | undefined), cron: "1 2 3 4 5" }),
    start_after: (d) => (d.job["schedule"] = { ...(d.job["schedule"] as object | undefined), start_after: "2031-01-01T00:00:00Z" }),
    cluster: (d) => (d.job["cluster"] = "other-cluster"),
    workers: (d) => (d.job["workers"] = ((d.job["workers"] as number | undefined) ?? 1) + 1),
    priority: (d) => (d.job["priority"] = (((d.job["priority"] as number | undefined) ?? 0) + 1) % 6),
    python_version: (d) => (d.job["python_version"] = d.job["python_version"] === "3.10" ? "3.9" : "3.10"),
    requirements: (d) => (d.job["requirements"] = [...((d.job["requirements"] as string[] | undefined) ?? []), "scipy"]),
    credentials: (d) => (d.job["credentials"] = "another"),
    repository: (d) => (d.job["repository"] = "https://github.com/acme/other"),
    files: (d) => (d.files.upload = "a,c\n"),
    environment: (d) => (d.job["environment"] = { ...(d.job["environment"] as object | undefined), Z: "new" }),
    protect: (d) => (d.job["protect"] = d.job["protect"] !== true),
  };

  it("changes when any field of the table changes, down to one byte of a file", async () => {
    await fc.assert(
      fc.asyncProperty(settings, async (job) => {
        const files = { query: "print(1)\n", upload: "a,b\n" };
        const before = await fingerprintOf(document(job, {}), "block", files);
        for (const field of FIELD_NAMES) {
          const draft: Draft = { key: "j", job: structuredClone(job), files: { ...files } };
          changes[field](draft);
          expect(await fingerprintOf(document(draft.job, {}, draft.key), "block", draft.files), field).not.toBe(before);
        }
      }),
      { numRuns: 6, seed: 20261129 },
    );
  });
});
