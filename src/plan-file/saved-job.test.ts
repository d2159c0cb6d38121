// Saved plans: what they hold of sensitive values (keyed digests only), and that a job
// restored from one is the job that was planned, fingerprint and markers included.

import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLUSTERS, options } from "../../test/plan-fixtures.js";
import { sha256Hex } from "../identity/fingerprint.js";
import { loadSpec } from "../desired/index.js";
import type { DesiredJob } from "../desired/types.js";
import { computePlan } from "../plan/compute.js";
import { restoreJob } from "./saved-job.js";
import { savedPlanDocument } from "./write.js";
import { deriveDigestKey, describeDigestKey, digestSensitive, isSameKey } from "./secret-digest.js";

const SECRETS = { API_KEY: "hunter2", CREDS: "aws-prod-secret", REPO_URL: "https://ghp_tok@github.com/acme/p", PIN: "numpy==1.24.0" };

async function specWithSecrets(): Promise<{ dir: string; jobs: DesiredJob[] }> {
  const dir = mkdtempSync(join(tmpdir(), "studio-jobs-doc-"));
  mkdirSync(join(dir, ".git"));
  writeFileSync(join(dir, "labels.csv"), "a,b\n");
  writeFileSync(
    join(dir, "studio-jobs.yaml"),
    [
      "version: 1",
      "stack: analytics",
      "defaults: {team: demo}",
      "jobs:",
      "  secretive:",
      "    query: print(1)",
      "    schedule: {cron: '@daily', start_after: '2026-12-01T00:00:00Z'}",
      "    workers: 2",
      "    priority: 3",
      "    cluster: {id: 2}",
      "    files: [labels.csv]",
      "    requirements: ['${env:PIN}', pandas]",
      "    credentials: ${env:CREDS}",
      "    repository: ${env:REPO_URL}",
      "    environment: {API_KEY: '${env:API_KEY}', REGION: eu}",
      "  plain:",
      "    query: print(2)",
    ].join("\n"),
  );
  const spec = await loadSpec(["."], dir, { env: SECRETS, vars: {}, defaultTeam: undefined });
  return { dir, jobs: spec.jobs };
}

const key = deriveDigestKey("token", "studio-token-a", "00112233445566778899aabbccddeeff");

describe("saved plans", () => {
  it("hold no plain digest of a sensitive value, and no fingerprint that covers one", async () => {
    const { dir, jobs } = await specWithSecrets();
    const plan = computePlan(jobs, new Map([["demo", []]]), CLUSTERS, options());
    const text = JSON.stringify(savedPlanDocument(plan, "1.0.0", dir, key));
    const secretive = jobs.find((j) => j.key === "secretive");
    expect(secretive?.sensitive).toEqual(["credentials", "environment.API_KEY", "repository", "requirements"]);
    for (const value of [...Object.values(SECRETS), "numpy==1.24.0\npandas"]) {
      expect(text).not.toContain(value);
      expect(text).not.toContain(sha256Hex(value));
      expect(text).not.toContain(sha256Hex(value).slice(0, 16));
    }
    expect(text).not.toContain(secretive?.fingerprint);
    expect(text).not.toContain("studio-token-a");
    // A job without secrets keeps its fingerprint: it reveals nothing.
    expect(text).toContain(jobs.find((j) => j.key === "plain")?.fingerprint);
  });

  it("key each digest with the plan's salt, so the same value digests differently in two plans", () => {
    const other = deriveDigestKey("token", "studio-token-a", "ffeeddccbbaa99887766554433221100");
    expect(digestSensitive(key, "environment.API_KEY", "hunter2")).toMatch(/^[0-9a-f]{64}$/);
    expect(digestSensitive(key, "environment.API_KEY", "hunter2")).not.toBe(digestSensitive(other, "environment.API_KEY", "hunter2"));
    expect(digestSensitive(key, "environment.API_KEY", "hunter2")).not.toBe(digestSensitive(key, "environment.OTHER", "hunter2"));
    expect(isSameKey(deriveDigestKey("token", "studio-token-a", key.salt), describeDigestKey(key))).toBe(true);
    expect(isSameKey(deriveDigestKey("token", "studio-token-b", key.salt), describeDigestKey(key))).toBe(false);
  });

  it("restore the job that was planned: the same body, markers, fingerprint and record", async () => {
    const { dir, jobs } = await specWithSecrets();
    const plan = computePlan(jobs, new Map([["demo", []]]), CLUSTERS, options());
    const doc = JSON.parse(JSON.stringify(savedPlanDocument(plan, "1.0.0", dir, key))) as ReturnType<typeof savedPlanDocument>;
    for (const job of jobs) {
      const saved = doc.jobs?.[job.key];
      if (saved === undefined) throw new Error(`no saved job ${job.key}`);
      const values: Record<string, string> = {
        "environment.API_KEY": SECRETS.API_KEY,
        credentials: SECRETS.CREDS,
        repository: SECRETS.REPO_URL,
        requirements: "numpy==1.24.0\npandas",
      };
      const restored = restoreJob(job.key, "analytics", saved, job.sensitive.length > 0 ? values : {}, dir);
      expect(restored.fingerprint).toBe(job.fingerprint);
      expect(restored.input).toEqual(job.input);
      expect(restored.applied).toEqual(job.applied);
      expect(restored.environment).toEqual(job.environment);
      expect(restored.files).toEqual(job.files);
    }
  });
});
