// The table of job fields (src/desired/fields.ts) and what is derived from it: the
// fingerprint and the applied record are pinned to literal values, so that a change to
// either (which would replace every job of every stack) fails here first.

import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadSpec } from "../src/desired/index.js";
import { parseEnvironment } from "../src/emulator/job-input.js";

function repo(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "studio-jobs-fields-"));
  mkdirSync(join(dir, ".git"));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

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
    const dir = repo({ "studio-jobs.yaml": PINNED_SPEC, "labels.csv": "a,b\n" });
    const spec = await loadSpec(["."], dir, { env: { TOKEN: "s3cret" }, vars: {}, defaultTeam: undefined });
    const [full, bare] = spec.jobs;
    expect(full?.fingerprint).toBe("42e6be86f34c112544da4b7b738bd2a56ed6c8043e3173debf0badfbc83feb5f");
    expect(bare?.fingerprint).toBe("9e99397a536ffd6479eb48f6b4216632bb35e38ef80101860b308051b3cf8070");
    // The record of what Studio does not return, as the bytes sent in STUDIO_JOBS_APPLIED.
    expect(parseEnvironment(full?.input.environment ?? "")["STUDIO_JOBS_APPLIED"]).toBe("eyJ2IjoxLCJxdWVyeV90eXBlIjoiU0hFTEwiLCJjcm9uIjoiMTUgMyAqICogMSIsInN0YXJ0X2FmdGVyIjoiMjAyNi0xMi0wMVQwMDowMDowMC4wMDBaIiwiY2x1c3RlciI6eyJuYW1lIjoiZ3B1LXBvb2wifSwicHJpb3JpdHkiOjIsImNyZWRlbnRpYWxzIjoiYXdzLXByb2QiLCJmaWxlcyI6W1sibGFiZWxzLmNzdiIsIjViZTA4Yzk2ODRhMWQyNWVmY2VlMDkzMTgyMDQ4MjQyNzhiMDhiYmZiNGFlZjk3M2ZmZWZkMGI5ZDc0NzgzMTMiXV0sInNlbnNpdGl2ZSI6WyJlbnZpcm9ubWVudC5UT0tFTiJdfQ");
    expect(parseEnvironment(bare?.input.environment ?? "")["STUDIO_JOBS_APPLIED"]).toBe("eyJ2IjoxLCJxdWVyeV90eXBlIjoiUFlUSE9OIiwiY2x1c3RlciI6eyJpZCI6M319");
  });
});
