// The table of job fields (src/desired/fields.ts) and what is derived from it. Every field
// is taken in turn, from the table: it is sent, it changes the fingerprint, a change to it
// shows in a replace's diff, it shows in a create and in before/after, and a sensitive
// one survives a saved plan. The fingerprint and the applied record are pinned to literal
// values, so that a change to either (which would replace every job of every stack) fails
// here first.

import { describe, expect, it } from "vitest";
import { FIELD_NAMES, JOB_FIELDS, PLAN_FIELDS, type FieldName, type JobValues } from "../src/desired/fields.js";
import { loadSpec } from "../src/desired/index.js";
import { createDesiredJob } from "../src/desired/job.js";
import type { DesiredJob } from "../src/desired/types.js";
import { parseEnvironment } from "../src/emulator/job-input.js";
import { MARKERS } from "../src/identity/markers.js";
import { restoreJob, saveJob } from "../src/plan-file/saved-job.js";
import { deriveDigestKey } from "../src/plan-file/secret-digest.js";
import { computeChanges } from "../src/plan/diff.js";
import { desiredSettings, liveSettings } from "../src/plan/settings.js";
import { createdFields } from "../src/render/details.js";
import type { JobInput, JobOutput } from "../src/studio/types.js";
import { useStudio, writeRepo } from "./helpers.js";

/** One job with every setting given, and one with none but its query. */
const PINNED_SPEC = [
  "version: 1",
  "stack: analytics",
  "defaults: {team: acme, environment: {LOG_LEVEL: info}}",
  "jobs:",
  "  full:",
  "    query: |",
  "      echo start",
  "      python run.py",
  "    query_type: SHELL",
  "    schedule: {cron: '15 3 * * 1', start_after: '2026-12-01T01:00:00+01:00', replace: cancel-first}",
  "    cluster: gpu-pool",
  "    workers: 4",
  "    priority: 2",
  "    python_version: '3.12'",
  "    requirements: [numpy==1.26.4, pandas]",
  "    credentials: aws-prod",
  "    repository: https://github.com/acme/pipelines",
  "    files: [labels.csv]",
  "    environment: {REGION: eu, TOKEN: '${env:TOKEN}'}",
  "    protect: true",
  "  bare:",
  "    query: print(1)",
  "    cluster: {id: 3}",
].join("\n");

describe("pinned fingerprints", () => {
  it("are byte-identical for a fixed job: a change here replaces every job already applied", async () => {
    const dir = writeRepo({ "studio-jobs.yaml": PINNED_SPEC, "labels.csv": "a,b\n" });
    const spec = await loadSpec(["."], dir, { env: { TOKEN: "s3cret" }, vars: {}, defaultTeam: undefined });
    const [full, bare] = spec.jobs;
    expect(full?.fingerprint).toBe("42e6be86f34c112544da4b7b738bd2a56ed6c8043e3173debf0badfbc83feb5f");
    expect(bare?.fingerprint).toBe("9e99397a536ffd6479eb48f6b4216632bb35e38ef80101860b308051b3cf8070");
    // The record of what Studio does not return, as the bytes sent in STUDIO_JOBS_APPLIED.
    expect(parseEnvironment(full?.input.environment ?? "")["STUDIO_JOBS_APPLIED"]).toBe(
      "eyJ2IjoxLCJxdWVyeV90eXBlIjoiU0hFTEwiLCJjcm9uIjoiMTUgMyAqICogMSIsInN0YXJ0X2FmdGVyIjoiMjAyNi0xMi0wMVQwMDowMDowMC4wMDBaIiwiY2x1c3RlciI6eyJuYW1lIjoiZ3B1LXBvb2wifSwicHJpb3JpdHkiOjIsImNyZWRlbnRpYWxzIjoiYXdzLXByb2QiLCJmaWxlcyI6W1sibGFiZWxzLmNzdiIsIjViZTA4Yzk2ODRhMWQyNWVmY2VlMDkzMTgyMDQ4MjQyNzhiMDhiYmZiNGFlZjk3M2ZmZWZkMGI5ZDc0NzgzMTMiXV0sInNlbnNpdGl2ZSI6WyJlbnZpcm9ubWVudC5UT0tFTiJdfQ",
    );
    expect(parseEnvironment(bare?.input.environment ?? "")["STUDIO_JOBS_APPLIED"]).toBe(
      "eyJ2IjoxLCJxdWVyeV90eXBlIjoiUFlUSE9OIiwiY2x1c3RlciI6eyJpZCI6M319",
    );
  });
});

/** Every key of JobInput, once: TypeScript refuses this literal when JobInput gains or loses one. */
const EVERY_INPUT_KEY: Required<JobInput> = {
  query: "",
  query_type: "PYTHON",
  query_name: "",
  team_name: "",
  environment: "",
  workers: 1,
  files: [],
  python_version: "",
  requirements: "",
  repository: "",
  priority: 0,
  compute_cluster_name: "",
  compute_cluster_id: 0,
  start_after: "",
  cron_expression: "",
  credentials_name: "",
};

/** Two different values of every field (TypeScript wants one pair a field): the job planned, and a change to it. */
const SAMPLES: { [K in FieldName]: readonly [JobValues[K], JobValues[K]] } = {
  key: ["nightly", "weekly"],
  team: ["demo", "other-team"],
  query_type: ["PYTHON", "SHELL"],
  query: ["print(1)\n", "print(2)\n"],
  cron: ["0 3 * * *", "0 4 * * *"],
  start_after: ["2026-12-01T00:00:00.000Z", "2027-01-01T00:00:00.000Z"],
  cluster: [{ name: "gpu-pool" }, { id: 1 }],
  workers: [4, 8],
  priority: [2, 3],
  python_version: ["3.12", "3.11"],
  requirements: ["numpy==1.26.4\npandas", "numpy==2.0.0\npandas"],
  credentials: ["aws-prod", "aws-staging"],
  repository: ["https://github.com/acme/a", "https://github.com/acme/b"],
  files: [
    [{ path: "labels.csv", absolute: "/repo/labels.csv", name: "labels.csv", sha256: "a".repeat(64), size: 4 }],
    [{ path: "labels.csv", absolute: "/repo/labels.csv", name: "labels.csv", sha256: "b".repeat(64), size: 4 }],
  ],
  environment: [{ REGION: "eu" }, { REGION: "us" }],
  protect: [true, false],
};

function valuesWith(pick: 0 | 1, only?: FieldName): JobValues {
  const values: Partial<Record<FieldName, unknown>> = {};
  for (const name of FIELD_NAMES) values[name] = SAMPLES[name][name === only ? 1 - pick : pick];
  return values as unknown as JobValues;
}

function job(values: JobValues, sensitiveTemplates: Record<string, string> = {}): DesiredJob {
  return createDesiredJob({
    stack: "analytics",
    values,
    replace: "create-first",
    sensitiveTemplates,
    vars: {},
    location: { file: "studio-jobs.yaml", line: 1, column: 1 },
  });
}

/** Fields a change of which shows as `label` or, for a map, `label.KEY`. */
function changedFields(changes: { field: string }[]): string[] {
  return changes.map((c) => c.field);
}

describe("the table of job fields", () => {
  it("sends every JobInput key from exactly one field", () => {
    const sent = FIELD_NAMES.flatMap((name): string[] => {
      const rule = JOB_FIELDS[name].sends;
      if (typeof rule === "object") return [rule.as];
      return { cluster: ["compute_cluster_id", "compute_cluster_name"], environment: ["environment"], uploads: ["files"], marker: [] }[
        rule
      ];
    });
    expect([...sent].sort()).toEqual(Object.keys(EVERY_INPUT_KEY).sort());
  });

  it("records in STUDIO_JOBS_APPLIED every field Studio does not return", () => {
    for (const name of FIELD_NAMES) {
      const field = JOB_FIELDS[name];
      if (field.live.from === "record") expect(field.record, name).toBeDefined();
    }
  });

  it("changes the fingerprint when any one field changes", () => {
    const base = job(valuesWith(0));
    const seen = new Set([base.fingerprint]);
    for (const name of FIELD_NAMES) {
      const changed = job(valuesWith(0, name));
      expect(seen.has(changed.fingerprint), name).toBe(false);
      seen.add(changed.fingerprint);
    }
  });

  it("shows every field in a create, and the same settings before and after for a job that has not changed", async () => {
    const base = job(valuesWith(0));
    const lines = createdFields(desiredSettings(base), "2026-11-01T00:00:00Z");
    for (const name of PLAN_FIELDS) {
      expect(
        lines.some((line) => line.startsWith(`${JOB_FIELDS[name].label}`)),
        name,
      ).toBe(true);
    }
    const live = await created(base);
    const { status: _status, ...before } = liveSettings(live, base.stack, base);
    // A live job's record keeps files by name and digest, without their size.
    const after = desiredSettings(base);
    expect(before).toEqual({
      ...after,
      files: (after["files"] as { name: string; sha256: string }[]).map(({ name, sha256 }) => ({ name, sha256 })),
    });
  });

  it("shows a change to any field in the diff, and nothing for a job that has not changed", async () => {
    const base = job(valuesWith(0));
    const live = await created(base);
    expect(live.environment[MARKERS.fingerprint]).toBe(base.fingerprint);
    expect(computeChanges(base, live, NOW)).toEqual([]);
    for (const name of PLAN_FIELDS) {
      const label = JOB_FIELDS[name].label;
      const fields = changedFields(computeChanges(job(valuesWith(0, name)), live, NOW));
      expect(fields.length, name).toBeGreaterThan(0);
      expect(
        fields.every((field) => field === label || field.startsWith(`${label}.`)),
        `${name}: ${fields.join(", ")}`,
      ).toBe(true);
    }
  });

  it("keeps every sensitive field out of a saved plan, and restores the job it was", () => {
    const digestKey = deriveDigestKey("token", "studio-token", "00112233445566778899aabbccddeeff");
    for (const name of FIELD_NAMES.filter((n) => JOB_FIELDS[n].mayBeSensitive)) {
      const field = JOB_FIELDS[name];
      const values = valuesWith(0);
      const secretName = field.shape === "map" ? `${field.label}.REGION` : field.label;
      const secret = field.shape === "map" ? "eu" : (values[name] as string);
      const planned = job(values, { [secretName]: "${env:SECRET}" });
      const saved = saveJob(planned, "/repo", digestKey);
      expect(JSON.stringify(saved), name).not.toContain(secret);
      const restored = restoreJob(planned.key, planned.stack, saved, { [secretName]: secret }, "/repo");
      expect(restored.values, name).toEqual(planned.values);
      expect(restored.fingerprint, name).toBe(planned.fingerprint);
      expect(restored.input, name).toEqual(planned.input);
    }
  });
});

const NOW = new Date("2026-11-01T00:00:00Z");
const shared = useStudio();

/** The job as Studio lists it once it is created. */
async function created(desired: DesiredJob): Promise<JobOutput> {
  const client = shared.studio.client;
  const reply = await client.createJob({ ...desired.input, files: [] });
  const [live] = await client.listJobs(desired.team, { jobId: reply.id, limit: 1 });
  if (live === undefined) throw new Error("the job just created is not listed");
  return live;
}
